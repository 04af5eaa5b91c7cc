// The update state machine of fleetlet's slot store as data: its states, its events, the one transition table, the
// recovery table that says where a crashed update resumes, and the orthogonal outcome machine.

/** Persisted state names: a wire format (they are written into the state record), never rename them. */
export const STATES = [
  'idle',
  'verified',
  'slot-pending',
  'writing',
  'written',
  'committed',
  'probation',
  'good',
  'rollback',
  'aborted',
  'failed',
] as const;
export type UpdateState = (typeof STATES)[number];

export const EVENTS = [
  'update-requested',
  'nothing-to-do',
  'rejected',
  'slot-marked',
  'slot-cleared',
  'bytes-written',
  'write-failed',
  'readback-bad',
  'commit-done',
  'probation-started',
  'healthy',
  'unhealthy',
  'floor-raised',
  'rolled-back',
  'rollback-failed',
  'discarded',
  'acknowledged',
  'loop-detected',
] as const;
export type UpdateEvent = (typeof EVENTS)[number];

/**
 * Every allowed transition, one row each. A state's handler does that state's work and returns an event; the row
 * `[state, event, next]` names the state to persist before the next handler runs. Anything not here is an engine bug.
 */
export const TRANSITIONS: readonly (readonly [UpdateState, UpdateEvent, UpdateState])[] = [
  ['idle',         'update-requested',  'verified'],
  ['idle',         'rejected',          'failed'],
  ['idle',         'nothing-to-do',     'idle'],
  ['verified',     'slot-marked',       'slot-pending'],
  ['slot-pending', 'slot-cleared',      'writing'],
  ['slot-pending', 'write-failed',      'failed'],
  ['writing',      'bytes-written',     'written'],
  ['writing',      'write-failed',      'failed'],
  ['written',      'commit-done',       'committed'],
  ['written',      'readback-bad',      'failed'],
  ['written',      'loop-detected',     'rollback'],
  ['committed',    'probation-started', 'probation'],
  ['committed',    'loop-detected',     'rollback'],
  ['probation',    'healthy',           'good'],
  ['probation',    'unhealthy',         'rollback'],
  ['probation',    'loop-detected',     'rollback'],
  ['good',         'floor-raised',      'idle'],
  ['good',         'loop-detected',     'idle'],
  ['rollback',     'rolled-back',       'failed'],
  ['rollback',     'rollback-failed',   'failed'],
  ['rollback',     'loop-detected',     'failed'],
  ['aborted',      'discarded',         'idle'],
  ['aborted',      'loop-detected',     'idle'],
  ['failed',       'acknowledged',      'idle'],
  ['failed',       'loop-detected',     'idle'],
];

/** Thrown when a handler returns an event its state has no row for: a bug in fleetlet, never a device condition. */
export class NoTransition extends Error {
  override readonly name = 'NoTransition';
}

const byKey = new Map<string, UpdateState>(TRANSITIONS.map(([from, ev, to]) => [`${from} ${ev}`, to]));

/**
 * The state that follows `from` on `event`.
 * @throws NoTransition when the table has no such row
 */
export function nextState(from: UpdateState, event: UpdateEvent): UpdateState {
  const to = byKey.get(`${from} ${event}`);
  if (to === undefined) throw new NoTransition(`No transition from "${from}" on "${event}"`);
  return to;
}

/**
 * Where an update resumes when the agent starts and finds `state` persisted. Before the write finished the job's
 * bytes are gone with the crashed process, so the pending slot is discarded (the old version never stopped being
 * active) and the download layer asks again; from `written` on the slot is on disk and the update goes forward.
 */
export const RECOVERY: Readonly<Record<UpdateState, UpdateState>> = {
  'idle': 'idle',
  'verified': 'aborted',
  'slot-pending': 'aborted',
  'writing': 'aborted',
  'written': 'written',
  'committed': 'committed',
  'probation': 'probation',
  'good': 'good',
  'rollback': 'rollback',
  'aborted': 'aborted',
  'failed': 'failed',
};

/**
 * Stores of one state beyond which the machine takes that state's `loop-detected` row (after Mender's 28). Only a
 * state that recovers to itself can be stored twice in a row (a crash loop on boot), so only those states have that row.
 */
export const MAX_STORES_OF_ONE_STATE = 28;

/** Outcome of the current update, orthogonal to its progress: persisted names, never rename them. */
export const OUTCOMES = ['no-failures', 'failed', 'rollback-attempted', 'rollback-failed'] as const;
export type UpdateOutcome = (typeof OUTCOMES)[number];

export type OutcomeEvent = 'failure' | 'rollback-started' | 'rollback-error' | 'reset';

/** The outcome machine's rows: an outcome only gets worse within one update, and resets when the next one starts. */
export const OUTCOME_TRANSITIONS: readonly (readonly [UpdateOutcome, OutcomeEvent, UpdateOutcome])[] = [
  ['no-failures',        'failure',          'failed'],
  ['no-failures',        'rollback-started', 'rollback-attempted'],
  ['failed',             'failure',          'failed'],
  ['failed',             'rollback-started', 'rollback-attempted'],
  ['rollback-attempted', 'failure',          'rollback-attempted'],
  ['rollback-attempted', 'rollback-started', 'rollback-attempted'],
  ['rollback-attempted', 'rollback-error',   'rollback-failed'],
  ['rollback-failed',    'failure',          'rollback-failed'],
  ['rollback-failed',    'rollback-started', 'rollback-failed'],
  ['rollback-failed',    'rollback-error',   'rollback-failed'],
  ['no-failures',        'reset',            'no-failures'],
  ['failed',             'reset',            'no-failures'],
  ['rollback-attempted', 'reset',            'no-failures'],
  ['rollback-failed',    'reset',            'no-failures'],
];

const outcomeByKey = new Map<string, UpdateOutcome>(OUTCOME_TRANSITIONS.map(([from, ev, to]) => [`${from} ${ev}`, to]));

/**
 * The outcome that follows `from` on `event`.
 * @throws NoTransition when the outcome table has no such row
 */
export function nextOutcome(from: UpdateOutcome, event: OutcomeEvent): UpdateOutcome {
  const to = outcomeByKey.get(`${from} ${event}`);
  if (to === undefined) throw new NoTransition(`No outcome transition from "${from}" on "${event}"`);
  return to;
}
