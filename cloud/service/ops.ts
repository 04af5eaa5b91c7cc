// What an operator can ask of a running fleetlet cloud, as one async facade: the HTTP API (cloud/http), and through
// it the dashboard and the `fleetlet devices|rollout|logs` commands, are thin layers over these methods. Every
// changing call names its actor and is written to the audit log by the implementation (FleetCloud), so no layer
// above can forget it. Views are plain JSON-compatible data and never carry a secret (no password hash, no key seed).

import type { RolloutPolicy, RolloutState } from '../rollout/record.ts';
import type { TargetSpec, WavePlanSpec } from '../rollout/plan.ts';
import type { DevicePhase, HaltReason } from '../rollout/record.ts';
import type { AuditEntry, EnrollmentState, EventRecord, Page, PageQuery, ReleaseRecord, TelemetryPoint } from '../store/types.ts';

/**
 * Why an operation was refused; the HTTP layer maps `code` to a status (bad-request 400, not-found 404, conflict 409,
 * unauthorized 401, forbidden 403, unavailable 503). `field` names the offending input where there is one.
 */
export type OpsErrorCode = 'bad-request' | 'not-found' | 'conflict' | 'unauthorized' | 'forbidden' | 'unavailable';

export class OpsError extends Error {
  override readonly name = 'OpsError';
  constructor(
    readonly code: OpsErrorCode,
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One device in the fleet list. */
export interface DeviceView {
  readonly deviceId: string;
  readonly deviceClass: string;
  readonly tags: readonly string[];
  readonly enrollment: EnrollmentState | 'unknown';
  readonly online: boolean;
  readonly lastSeenMs?: number;
  readonly agentVersion?: string;
  readonly retired: boolean;
  /** Each module's version and health, as the last status said. */
  readonly modules: readonly { readonly name: string; readonly version: string; readonly state: string; readonly health: string }[];
}

/** One module on one device, with its metrics. */
export interface ModuleView {
  readonly name: string;
  readonly version: string;
  readonly state: string;
  readonly health: string;
  readonly fuelPerTick?: number;
  readonly memoryHighWater?: number;
  readonly traps: number;
  readonly updatedAtMs: number;
}

/** A device's detail page: the list entry plus schema versions, per-module metrics and the desired state in force. */
export interface DeviceDetail extends DeviceView {
  readonly schemaVersions: Readonly<Record<string, number>>;
  readonly createdAtMs: number;
  readonly retiredAtMs?: number;
  /** Public keys (hex); never the password hash. */
  readonly publicKey?: string;
  readonly moduleDetails: readonly ModuleView[];
  /** The last desired state the cloud signed for it. */
  readonly desired?: { readonly sequence: number; readonly modules: readonly { readonly name: string; readonly version?: string; readonly manifestDigest: string }[] };
}

/** An enrollment request or decision. */
export interface EnrollmentView {
  readonly deviceId: string;
  readonly deviceClass: string;
  readonly state: EnrollmentState;
  readonly publicKey: string;
  readonly requestedAtMs: number;
  readonly decidedAtMs?: number;
  readonly note?: string;
}

/** A module log line as the agent sent it. */
export interface LogLineView {
  readonly module: string;
  readonly line: string;
}

/** What the operator asks for when creating a rollout (the HTTP body of POST /api/rollouts). */
export interface CreateRolloutRequest {
  /** Default: generated (`r-<time>-<random>`). */
  readonly id?: string;
  /** The release to roll out, by its manifest digest (hex), as uploaded. */
  readonly release: string;
  readonly target: TargetSpec;
  readonly waves: WavePlanSpec;
  readonly policy?: Partial<RolloutPolicy>;
  /**
   * The release a roll back re-issues (the previous module re-signed by the operator with a higher sequence,
   * uploaded beforehand); without one the rollout can halt but not roll back.
   */
  readonly rollbackRelease?: string;
  /** Roll back by itself when the rollout halts (needs `rollbackRelease`); default false. */
  readonly autoRollback?: boolean;
  /** Start at once; default true. */
  readonly start?: boolean;
}

export type RolloutCommandName = 'start' | 'pause' | 'resume' | 'abort' | 'roll-back';

/** A rollout as the dashboard and `fleetlet rollout status` show it. */
export interface RolloutView {
  readonly id: string;
  readonly app: string;
  readonly release: { readonly version: string; readonly sequence: number; readonly manifestDigest: string };
  readonly previous?: { readonly version: string; readonly sequence: number; readonly manifestDigest: string };
  readonly state: RolloutState;
  /** Index of the wave in progress (or last started); -1 before the start. */
  readonly wave: number;
  readonly waves: readonly { readonly index: number; readonly size: number; readonly counts: Readonly<Record<DevicePhase, number>> }[];
  readonly counts: Readonly<Record<DevicePhase, number>>;
  readonly halt?: HaltReason;
  readonly decisions: readonly { readonly atMs: number; readonly code: string; readonly reason: string; readonly wave?: number }[];
  readonly createdBy: string;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** The fleet at a glance. */
export interface FleetOverview {
  readonly devices: number;
  readonly online: number;
  readonly pending: number;
  readonly retired: number;
  /** Devices per version of each app: `{ thermostat: { "1.1.0": 40, "1.2.0": 2 } }`. */
  readonly versions: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Devices per module health. */
  readonly health: Readonly<Record<string, number>>;
  readonly activeRollouts: number;
}

/** Who asks: the operator token's name, or `cloud` for the service itself. */
export type Actor = string;

export interface FleetOps {
  overview(): Promise<FleetOverview>;

  listDevices(query?: PageQuery & { readonly tag?: string; readonly includeRetired?: boolean }): Promise<Page<DeviceView>>;
  /** @throws OpsError 'not-found' */
  getDevice(deviceId: string): Promise<DeviceDetail>;
  listEnrollments(query?: PageQuery & { readonly state?: EnrollmentState }): Promise<Page<EnrollmentView>>;
  /** Accepts a pending request: the device gets its broker credentials. @throws OpsError 'not-found', 'conflict' */
  acceptDevice(deviceId: string, actor: Actor): Promise<EnrollmentView>;
  /** @throws OpsError 'not-found', 'conflict' */
  refuseDevice(deviceId: string, actor: Actor, note?: string): Promise<EnrollmentView>;
  /** Revokes the device: its login stops working, it is disconnected and its desired state is cleared. @throws OpsError 'not-found' */
  retireDevice(deviceId: string, actor: Actor): Promise<DeviceDetail>;
  /** @throws OpsError 'not-found', 'bad-request' */
  setTags(deviceId: string, tags: readonly string[], actor: Actor): Promise<DeviceDetail>;

  /** Recent module log lines (oldest first), of every module or one. @throws OpsError 'not-found' */
  logs(deviceId: string, module?: string): Promise<readonly LogLineView[]>;
  /** @throws OpsError 'not-found' */
  telemetry(query: PageQuery & { readonly deviceId: string; readonly module?: string; readonly metric?: string; readonly fromMs?: number; readonly toMs?: number }): Promise<Page<TelemetryPoint>>;
  events(query?: PageQuery & { readonly deviceId?: string; readonly kind?: string }): Promise<Page<EventRecord>>;

  /**
   * Stores a bundle an operator signed offline (`fleetlet sign`) after verifying it as a device would (module signer
   * in the trust, signature, module digest and size); the same bundle twice is the same release.
   * @throws OpsError 'bad-request' (not a bundle, bad signature: the verifier's message)
   */
  uploadBundle(bundle: Uint8Array, actor: Actor): Promise<ReleaseRecord>;
  listReleases(query?: PageQuery & { readonly name?: string }): Promise<Page<ReleaseRecord>>;

  /** @throws OpsError 'bad-request' (with `field`), 'not-found' (release), 'conflict' (id taken) */
  createRollout(request: CreateRolloutRequest, actor: Actor): Promise<RolloutView>;
  listRollouts(query?: PageQuery & { readonly state?: RolloutState }): Promise<Page<RolloutView>>;
  /** @throws OpsError 'not-found' */
  getRollout(rolloutId: string): Promise<RolloutView>;
  /** @throws OpsError 'not-found', 'conflict' (not allowed in its state: the engine's reason), 'unavailable' (no process leads rollouts now) */
  commandRollout(rolloutId: string, command: RolloutCommandName, actor: Actor): Promise<RolloutView>;

  listAudit(query?: PageQuery & { readonly actor?: string }): Promise<Page<AuditEntry>>;
}
