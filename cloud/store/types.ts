// The records the cloud's store keeps: devices, enrollment, module status, telemetry, events, releases, rollouts,
// decisions, the audit log and leases. Plain data; times are milliseconds since the epoch.

/** One page of a list and the cursor for the next one (absent on the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next?: string;
}

/** Paging for every list: at most `limit` items (1..1000, default 100) after `cursor` (from the previous page). */
export interface PageQuery {
  readonly limit?: number;
  readonly cursor?: string;
}

/** A device in the fleet registry. */
export interface DeviceRecord {
  readonly deviceId: string;
  readonly deviceClass: string;
  readonly tags: readonly string[];
  readonly agentVersion?: string;
  /** Schema versions the agent speaks, by message name. */
  readonly schemaVersions: Readonly<Record<string, number>>;
  readonly online: boolean;
  readonly lastSeenMs?: number;
  readonly createdAtMs: number;
  /** Set once the device is retired: it is revoked and no longer counted in the fleet. */
  readonly retiredAtMs?: number;
  /** Highest report sequence accepted from the device; absent before the first. */
  readonly reportSequence?: number;
}

/** What enrollment or a status report tells about a device; fields left out keep their stored value. */
export interface DeviceUpsert {
  readonly deviceId: string;
  readonly deviceClass: string;
  readonly tags?: readonly string[];
  readonly agentVersion?: string;
  readonly schemaVersions?: Readonly<Record<string, number>>;
  readonly atMs: number;
}

export type EnrollmentState = 'pending' | 'accepted' | 'refused' | 'retired';

/** A device's enrollment: its request while pending, then the keys and password hash once accepted. */
export interface EnrollmentRecord {
  readonly deviceId: string;
  readonly deviceClass: string;
  readonly state: EnrollmentState;
  /** Ed25519 key the device signed its request with. */
  readonly publicKey: Uint8Array;
  /** X25519 key its credentials are sealed to. */
  readonly boxKey: Uint8Array;
  /** SHA-256 of the broker password; absent until accepted. */
  readonly passwordHash?: Uint8Array;
  readonly requestedAtMs: number;
  /** When the state last changed. */
  readonly decidedAtMs?: number;
  /** When the device first logged in with its credentials. */
  readonly confirmedAtMs?: number;
  /** Refusal code or note from the operator. */
  readonly note?: string;
}

/** The latest status of one module on one device, with its metrics. */
export interface ModuleStatusRecord {
  readonly deviceId: string;
  readonly module: string;
  readonly version: string;
  /** running, stopped, rolled-back, failed... as the agent reports it. */
  readonly state: string;
  readonly health: string;
  readonly fuelPerTick?: number;
  readonly memoryHighWater?: number;
  readonly traps: number;
  /** Last log lines the agent sent for the module (newest last). */
  readonly recentLogs: readonly string[];
  readonly updatedAtMs: number;
}

/** Counts over the fleet registry (retired devices and their modules left out of all but `retired`). */
export interface FleetSummary {
  readonly devices: number;
  readonly online: number;
  readonly retired: number;
  /** Module rows per app and version: `{ thermostat: { "1.1.0": 40 } }`. */
  readonly versions: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Module rows per health. */
  readonly health: Readonly<Record<string, number>>;
}

/** One telemetry sample of a module's metric. */
export interface TelemetryPoint {
  readonly deviceId: string;
  readonly module: string;
  readonly metric: string;
  readonly atMs: number;
  readonly value: number;
}

export interface TelemetryQuery extends PageQuery {
  readonly deviceId: string;
  readonly module?: string;
  readonly metric?: string;
  readonly fromMs?: number;
  readonly toMs?: number;
}

/** An event a device reported; `(deviceId, eventId)` is unique, so a redelivered event is stored once. */
export interface EventRecord {
  readonly deviceId: string;
  readonly eventId: string;
  readonly kind: string;
  readonly atMs: number;
  /** Event details as JSON-compatible data. */
  readonly data: unknown;
}

export interface EventQuery extends PageQuery {
  readonly deviceId?: string;
  readonly kind?: string;
}

/** A signed bundle's metadata; its bytes stay in the cloud's BlobStore, by digest. */
export interface ReleaseRecord {
  /** Hex SHA-256 of the signed manifest (the release's identity). */
  readonly manifestDigest: string;
  /** Hex SHA-256 of the module bytes. */
  readonly moduleDigest: string;
  readonly name: string;
  readonly version: string;
  readonly sequence: number;
  readonly sizeBytes: number;
  readonly createdAtMs: number;
}

/** The rollout engine's states (cloud/rollout `RolloutState`). */
export type RolloutState = 'created' | 'running' | 'paused' | 'halted' | 'completed' | 'aborted' | 'rolling-back' | 'rolled-back';

export interface RolloutRecord {
  readonly rolloutId: string;
  readonly manifestDigest: string;
  readonly state: RolloutState;
  /** The rollout as JSON-compatible data: its plan, or the rollout engine's whole record (CloudRolloutStore). */
  readonly spec: unknown;
  readonly createdBy: string;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  /** Rises with every update; updates name the version they read (optimistic concurrency across processes). */
  readonly version: number;
}

export interface NewRollout {
  readonly rolloutId: string;
  readonly manifestDigest: string;
  readonly spec: unknown;
  readonly createdBy: string;
  readonly atMs: number;
  /** Starting state; default 'created'. */
  readonly state?: RolloutState;
  /** Starting version; default 1. */
  readonly version?: number;
}

export type TargetState = 'waiting' | 'sent' | 'installing' | 'healthy' | 'failed' | 'rolled-back' | 'skipped';

/** One device of a rollout and where it stands. */
export interface RolloutTarget {
  readonly rolloutId: string;
  readonly deviceId: string;
  readonly wave: number;
  readonly state: TargetState;
  readonly detail?: string;
  readonly updatedAtMs: number;
}

/** A decision the cloud (or an operator) took on a rollout, and why. Append-only. */
export interface RolloutDecision {
  readonly rolloutId: string;
  readonly atMs: number;
  /** start, advance-wave, halt, pause, resume, complete, cancel... */
  readonly decision: string;
  readonly reason: string;
  readonly actor: string;
}

/** Who did what to what, and when. Append-only. */
export interface AuditEntry {
  readonly atMs: number;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly detail?: unknown;
}

/** A lease held by one cloud process; `token` rises at every change of holder (a fencing token). */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  readonly expiresAtMs: number;
  readonly token: number;
}

/** One module of a desired state as the store keeps it. */
export interface DesiredModuleRecord {
  readonly name: string;
  /** Hex SHA-256 of the signed manifest. */
  readonly manifestDigest: string;
  readonly settings: Readonly<Record<string, string>>;
  /** The release's version, for views (devices read only the digest). */
  readonly version?: string;
}

/** The last desired state the cloud signed for a device, and the last trust update it published to it. */
export interface DesiredStateRecord {
  readonly deviceId: string;
  /** Sequence of the last signed state; 0 before the first. Never reused, never lowered. */
  readonly sequence: number;
  readonly modules: readonly DesiredModuleRecord[];
  /** The COSE_Sign1 bytes as published; absent before the first state and once cleared (a retired device). */
  readonly signed?: Uint8Array;
  /** The signed trust update (COSE_Sign) last published to the device. */
  readonly trust?: Uint8Array;
  readonly updatedAtMs: number;
}

/** What an operator asked for when creating a rollout (options the rollout engine's record does not hold). */
export interface RolloutRequestRecord {
  readonly rolloutId: string;
  readonly createdBy: string;
  /** The request as JSON-compatible data. */
  readonly request: unknown;
  readonly createdAtMs: number;
}

/** How long history is kept; older events and telemetry are removed by `applyRetention`. */
export interface Retention {
  readonly eventsMs: number;
  readonly telemetryMs: number;
}

export const DEFAULT_RETENTION: Retention = { eventsMs: 30 * 24 * 3600_000, telemetryMs: 7 * 24 * 3600_000 };
