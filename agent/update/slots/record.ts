// The persisted records of fleetlet's slot store: the single update state record, each slot's record and each app's
// active-slot pointer (the commit point). JSON with a schema version; field and value names are a wire format.

import { OUTCOMES, STATES, type UpdateOutcome, type UpdateState } from './table.ts';

export const STATE_SCHEMA_VERSION = 1;
export const SLOT_SCHEMA_VERSION = 1;
export const POINTER_SCHEMA_VERSION = 1;

export type SlotName = 'a' | 'b';
export const SLOT_NAMES: readonly SlotName[] = ['a', 'b'];

/** A failed update, remembered so that it is not retried until the desired state names something else. */
export interface FailedTarget {
  readonly app: string;
  /** Hex SHA-256 of the signed manifest. */
  readonly manifestDigest: string;
  readonly reason: string;
}

/** Most failed targets remembered (oldest dropped first). */
export const MAX_FAILED_TARGETS = 64;

/** The single update state record. */
export interface StateRecord {
  readonly schemaVersion: number;
  readonly state: UpdateState;
  /** How many times in a row `state` was stored (the loop breaker's counter). */
  readonly storeCount: number;
  readonly outcome: UpdateOutcome;
  /** The app being updated (empty when idle and nothing was ever updated). */
  readonly app: string;
  readonly targetSlot: SlotName | null;
  readonly previousSlot: SlotName | null;
  /** Manifest sequence and version of the target. */
  readonly sequence: number;
  readonly version: string;
  /** Hex SHA-256 of the target's signed manifest. */
  readonly manifestDigest: string;
  /** Seconds (injected clock) when probation began; 0 before. */
  readonly probationStartedAt: number;
  /** Why the last update failed or rolled back ('' when it did not). */
  readonly reason: string;
  readonly failedTargets: readonly FailedTarget[];
}

export const INITIAL_STATE: StateRecord = Object.freeze({
  schemaVersion: STATE_SCHEMA_VERSION,
  state: 'idle',
  storeCount: 0,
  outcome: 'no-failures',
  app: '',
  targetSlot: null,
  previousSlot: null,
  sequence: 0,
  version: '',
  manifestDigest: '',
  probationStartedAt: 0,
  reason: '',
  failedTargets: Object.freeze([]),
});

/** What a slot holds. */
export type SlotStatus = 'empty' | 'pending' | 'written' | 'good' | 'bad';
const SLOT_STATUSES: readonly SlotStatus[] = ['empty', 'pending', 'written', 'good', 'bad'];

export interface SlotRecord {
  readonly schemaVersion: number;
  readonly status: SlotStatus;
  readonly sequence: number;
  readonly version: string;
  /** Hex SHA-256 of the signed manifest held by the slot. */
  readonly manifestDigest: string;
}

/** The active-slot pointer of one app: writing it is the single commit point of an update. */
export interface PointerRecord {
  readonly schemaVersion: number;
  readonly active: SlotName | null;
  /** The slot to swap back to while the active one is on probation; null once it is marked good. */
  readonly previous: SlotName | null;
}

/** A record that exists but cannot be read back (unknown schema version, damaged): the store does not guess. */
export class RecordCorrupt extends Error {
  override readonly name = 'RecordCorrupt';
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isSlot = (v: unknown): v is SlotName | null => v === null || v === 'a' || v === 'b';
const isHex = (v: unknown): v is string => typeof v === 'string' && /^([0-9a-f]{64})?$/.test(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= 1024;

function parse(bytes: Uint8Array, what: string, version: number): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new RecordCorrupt(`Cannot read the ${what}: it is not JSON`);
  }
  if (!isObj(v)) throw new RecordCorrupt(`Cannot read the ${what}: it is not an object`);
  if (v['schemaVersion'] !== version) throw new RecordCorrupt(`Cannot read the ${what}: schema version "${String(v['schemaVersion'])}" is not supported (supported: ${version})`);
  return v;
}

function field<T>(o: Record<string, unknown>, key: string, ok: (v: unknown) => v is T, what: string): T {
  const v = o[key];
  if (!ok(v)) throw new RecordCorrupt(`Cannot read the ${what}: field "${key}" is missing or invalid`);
  return v;
}

const encode = (v: unknown): Uint8Array => new Uint8Array(Buffer.from(`${JSON.stringify(v)}\n`, 'utf8'));

export const encodeStateRecord = (r: StateRecord): Uint8Array => encode(r);
export const encodeSlotRecord = (r: SlotRecord): Uint8Array => encode(r);
export const encodePointerRecord = (r: PointerRecord): Uint8Array => encode(r);

/**
 * Reads a state record.
 * @throws RecordCorrupt on anything but a state record of the supported schema version
 */
export function decodeStateRecord(bytes: Uint8Array): StateRecord {
  const what = 'update state record';
  const o = parse(bytes, what, STATE_SCHEMA_VERSION);
  const failed = field(o, 'failedTargets', Array.isArray, what);
  if (failed.length > MAX_FAILED_TARGETS) throw new RecordCorrupt(`Cannot read the ${what}: more than ${MAX_FAILED_TARGETS} failed targets`);
  const failedTargets = failed.map((f): FailedTarget => {
    if (!isObj(f)) throw new RecordCorrupt(`Cannot read the ${what}: a failed target is not an object`);
    return { app: field(f, 'app', isText, what), manifestDigest: field(f, 'manifestDigest', isHex, what), reason: field(f, 'reason', isText, what) };
  });
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    state: field(o, 'state', (v): v is UpdateState => (STATES as readonly unknown[]).includes(v), what),
    storeCount: field(o, 'storeCount', isUint, what),
    outcome: field(o, 'outcome', (v): v is UpdateOutcome => (OUTCOMES as readonly unknown[]).includes(v), what),
    app: field(o, 'app', isText, what),
    targetSlot: field(o, 'targetSlot', isSlot, what),
    previousSlot: field(o, 'previousSlot', isSlot, what),
    sequence: field(o, 'sequence', isUint, what),
    version: field(o, 'version', isText, what),
    manifestDigest: field(o, 'manifestDigest', isHex, what),
    probationStartedAt: field(o, 'probationStartedAt', isUint, what),
    reason: field(o, 'reason', isText, what),
    failedTargets,
  };
}

/**
 * Reads a slot record.
 * @throws RecordCorrupt on anything but a slot record of the supported schema version
 */
export function decodeSlotRecord(bytes: Uint8Array): SlotRecord {
  const what = 'slot record';
  const o = parse(bytes, what, SLOT_SCHEMA_VERSION);
  return {
    schemaVersion: SLOT_SCHEMA_VERSION,
    status: field(o, 'status', (v): v is SlotStatus => (SLOT_STATUSES as readonly unknown[]).includes(v), what),
    sequence: field(o, 'sequence', isUint, what),
    version: field(o, 'version', isText, what),
    manifestDigest: field(o, 'manifestDigest', isHex, what),
  };
}

/**
 * Reads an active-slot pointer.
 * @throws RecordCorrupt on anything but a pointer of the supported schema version
 */
export function decodePointerRecord(bytes: Uint8Array): PointerRecord {
  const what = 'active-slot pointer';
  const o = parse(bytes, what, POINTER_SCHEMA_VERSION);
  return { schemaVersion: POINTER_SCHEMA_VERSION, active: field(o, 'active', isSlot, what), previous: field(o, 'previous', isSlot, what) };
}
