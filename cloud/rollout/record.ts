// The persisted form of one fleetlet rollout: a plain JSON-serialisable record (spec, frozen targets and waves,
// per-device progress and old-version baselines, state, decision log), its events and actions, and its
// serialisation. Any store can keep it; field names are a wire format (never rename them).

import { RolloutError } from './errors.ts';
import type { RegressionConfig, RegressionVerdict, VersionMetrics } from './regression.ts';
import type { TargetSpec, WavePlanSpec } from './plan.ts';

/** The record's schema version. */
export const RECORD_VERSION = 1;

/** One signed release of the app: what a device's desired state names, and what its status reports back. */
export interface Release {
  readonly version: string;
  /** The manifest's monotonic sequence (the device's anti-rollback floor rises to it). */
  readonly sequence: number;
  /** SHA-256 of the signed manifest, lowercase hex. */
  readonly manifestDigest: string;
}

/** When a wave succeeds, when the rollout halts, and how regressions are judged. */
export interface RolloutPolicy {
  /** A wave succeeds when at least this percentage of its devices are marked good (state 'running'). */
  readonly successPercent: number;
  /** Halt when failed / finished devices of a wave reach this percentage... */
  readonly errorPercent: number;
  /** ...judged only once this many of the wave's devices finished (or all of a smaller wave). */
  readonly minFinished: number;
  /** Halt when a wave has not succeeded this long after it started (time paused excluded). */
  readonly waveTimeoutMs: number;
  /** A wave runs at least this long before the next starts, so its devices gather metrics. */
  readonly soakMs: number;
  readonly regression: RegressionConfig;
}

/** What an operator asks for; `createRollout` freezes it into a record. */
export interface RolloutSpec {
  readonly id: string;
  /** The app name (the module's name in manifests and status reports). */
  readonly app: string;
  readonly release: Release;
  /** The release the targets run now; a rollback re-issues its module (re-signed with a higher sequence). */
  readonly previous?: Release;
  readonly target: TargetSpec;
  readonly waves: WavePlanSpec;
  readonly policy?: Partial<RolloutPolicy>;
}

export type RolloutState = 'created' | 'running' | 'paused' | 'halted' | 'completed' | 'aborted' | 'rolling-back' | 'rolled-back';

/**
 * Where one target stands with the new release. `waiting`: its wave has not started; `issued`: the new release
 * was published to it, no report of it yet; `installing`: downloading, starting or on probation; `good`: marked
 * good; `failed`: failed, refused or rolled back by its agent.
 */
export type DevicePhase = 'waiting' | 'issued' | 'installing' | 'good' | 'failed';

export interface DeviceProgress {
  readonly id: string;
  readonly wave: number;
  readonly phase: DevicePhase;
  readonly issuedAtMs?: number;
  /** The module state and error code of the last report. */
  readonly lastState?: string;
  readonly errorCode?: string;
  /** The last metrics of the old version while it was running (the regression rule's baseline). */
  readonly baseline?: VersionMetrics & { readonly version: string };
  /** The last metrics of the new version. */
  readonly current?: VersionMetrics;
  /** During a rollback: true once the device runs the re-issued old release. */
  readonly rolledBack?: boolean;
}

export type HaltCode = 'failures' | 'regression' | 'wave-timeout';

export interface HaltReason {
  readonly code: HaltCode;
  readonly reason: string;
}

export type DecisionCode =
  | 'created'
  | 'started'
  | 'wave-started'
  | 'wave-succeeded'
  | 'regression-judged'
  | 'halted'
  | 'paused'
  | 'resumed'
  | 'aborted'
  | 'completed'
  | 'rollback-started'
  | 'rolled-back';

/** Every decision the engine takes, with its reason, in the order taken. */
export interface Decision {
  readonly atMs: number;
  readonly code: DecisionCode;
  readonly reason: string;
  readonly wave?: number;
  readonly halt?: HaltCode;
  readonly regression?: Pick<RegressionVerdict, 'outcome' | 'devices' | 'judgements'>;
}

export interface RolloutRecord {
  readonly schemaVersion: typeof RECORD_VERSION;
  readonly id: string;
  readonly app: string;
  readonly release: Release;
  readonly previous?: Release;
  readonly policy: RolloutPolicy;
  /** The targets as resolved at creation, in wave order; never re-resolved. */
  readonly targets: readonly string[];
  readonly waveSizes: readonly number[];
  readonly state: RolloutState;
  /** The wave in progress (or the last started), -1 before the start. */
  readonly wave: number;
  readonly waveStartedAtMs?: number;
  readonly pausedAtMs?: number;
  readonly halt?: HaltReason;
  readonly rollback?: { readonly release: Release; readonly startedAtMs: number };
  /** One entry per target, in the order of `targets`. */
  readonly devices: readonly DeviceProgress[];
  readonly decisions: readonly Decision[];
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  /** Grows by one with every step that changed the record (a store can use it for compare-and-set). */
  readonly revision: number;
}

/** What a device reported of the rollout's app (the status report's module entry; a digest as bytes or hex). */
export interface ReportedModule {
  readonly state: string;
  readonly version: string;
  readonly manifestDigest: Uint8Array | string;
  readonly errorCode?: string;
  readonly metrics?: VersionMetrics;
}

/** Events that step a rollout: operator commands, device reports, and the clock. Times are injected. */
export type RolloutEvent =
  | { readonly type: 'start'; readonly atMs: number; readonly by?: string }
  | { readonly type: 'pause'; readonly atMs: number; readonly by?: string }
  | { readonly type: 'resume'; readonly atMs: number; readonly by?: string }
  | { readonly type: 'abort'; readonly atMs: number; readonly by?: string }
  /** `release`: the previous release's module re-signed with a sequence above the rollout's release. */
  | { readonly type: 'roll-back'; readonly atMs: number; readonly release: Release; readonly by?: string }
  /** `module` undefined: the device's report does not list the app. */
  | { readonly type: 'report'; readonly atMs: number; readonly deviceId: string; readonly module: ReportedModule | undefined }
  | { readonly type: 'tick'; readonly atMs: number };

/** What the caller must do after persisting the new record, as data. */
export type RolloutAction =
  | { readonly kind: 'publish'; readonly rolloutId: string; readonly app: string; readonly wave: number; readonly deviceIds: readonly string[]; readonly release: Release }
  | {
      readonly kind: 'publish-rollback';
      readonly rolloutId: string;
      readonly app: string;
      readonly deviceIds: readonly string[];
      readonly release: Release;
      /** The release it replaces; `release.sequence` is above its sequence. */
      readonly replaces: Release;
    }
  | { readonly kind: 'record'; readonly rolloutId: string; readonly decision: Decision };

export type StepResult =
  | { readonly ok: true; readonly record: RolloutRecord; readonly actions: readonly RolloutAction[] }
  | { readonly ok: false; readonly error: RolloutError };

/** The record as JSON text (what a store writes). */
export function serialiseRecord(r: RolloutRecord): string {
  return JSON.stringify(r);
}

/**
 * Reads a record written by `serialiseRecord`, checking its version and shape.
 * @throws RolloutError 'bad-record' when the text is not a rollout record of this version
 */
export function parseRecord(text: string): RolloutRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new RolloutError('bad-record', `Cannot read a rollout record: ${(e as Error).message}`);
  }
  const r = v as Partial<RolloutRecord> | null;
  if (r === null || typeof r !== 'object') throw new RolloutError('bad-record', 'Cannot read a rollout record: not an object');
  if (r.schemaVersion !== RECORD_VERSION) throw new RolloutError('bad-record', `Cannot read a rollout record of schema version ${String(r.schemaVersion)}: this cloud reads ${RECORD_VERSION}`);
  const where = typeof r.id === 'string' ? r.id : undefined;
  const bad = (what: string): never => {
    throw new RolloutError('bad-record', `Cannot read the rollout record: ${what}`, where);
  };
  if (typeof r.id !== 'string' || typeof r.app !== 'string') bad('no id or app');
  if (!Array.isArray(r.targets) || !Array.isArray(r.devices) || !Array.isArray(r.waveSizes) || !Array.isArray(r.decisions)) bad('targets, devices, waves or decisions missing');
  if (r.devices!.length !== r.targets!.length || r.devices!.some((d, i) => d?.id !== r.targets![i])) bad('devices do not match the targets');
  if (r.waveSizes!.reduce((a, b) => a + b, 0) !== r.targets!.length) bad('wave sizes do not add up to the targets');
  let at = 0;
  r.waveSizes!.forEach((size, wave) => {
    for (let i = 0; i < size; i++, at++) if (r.devices![at]!.wave !== wave) bad(`device "${r.targets![at]}" is not in wave ${wave + 1}`);
  });
  const states: readonly RolloutState[] = ['created', 'running', 'paused', 'halted', 'completed', 'aborted', 'rolling-back', 'rolled-back'];
  if (!states.includes(r.state as RolloutState)) bad(`unknown state "${String(r.state)}"`);
  if (typeof r.wave !== 'number' || r.wave < -1 || r.wave >= r.waveSizes!.length) bad(`wave ${String(r.wave)} out of range`);
  if (typeof r.release?.manifestDigest !== 'string' || typeof r.release.sequence !== 'number') bad('no release');
  if (typeof r.policy !== 'object' || r.policy === null) bad('no policy');
  return r as RolloutRecord;
}
