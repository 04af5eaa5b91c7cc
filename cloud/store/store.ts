// The cloud's store interface: every record the cloud keeps, behind async methods that an in-process SQLite database
// and a PostgreSQL server shared by several cloud processes both implement (SqliteStore, PostgresStore).
import type {
  AuditEntry, DesiredStateRecord, DeviceRecord, FleetSummary, DeviceUpsert, EnrollmentRecord, EnrollmentState, EventQuery, EventRecord, Lease,
  ModuleStatusRecord, NewRollout, Page, PageQuery, ReleaseRecord, RolloutDecision, RolloutRecord, RolloutState,
  RolloutRequestRecord, RolloutTarget, TargetState, TelemetryPoint, TelemetryQuery,
} from './types.ts';

/**
 * Every method may throw StoreError ('closed' after close, 'bad-cursor', 'bad-limit', 'not-found' where named,
 * 'conflict' where named, 'backend' for a database failure, with the cause).
 */
export interface CloudStore {
  /** The schema version in force (the highest migration applied). */
  schemaVersion(): Promise<number>;

  // Fleet registry.
  /** Creates the device or updates the fields given; marks it seen at `atMs`. @throws StoreError 'retired' for a retired device */
  upsertDevice(device: DeviceUpsert): Promise<DeviceRecord>;
  getDevice(deviceId: string): Promise<DeviceRecord | undefined>;
  /** Devices by id; retired ones only when asked; `tag` keeps devices carrying it. */
  listDevices(query?: PageQuery & { readonly tag?: string; readonly deviceClass?: string; readonly includeRetired?: boolean }): Promise<Page<DeviceRecord>>;
  /** @throws StoreError 'not-found' */
  setTags(deviceId: string, tags: readonly string[]): Promise<void>;
  /** Presence from the broker (retained presence or Last Will); online also counts as seen. @throws StoreError 'not-found' */
  setPresence(deviceId: string, online: boolean, atMs: number): Promise<void>;
  /**
   * Accepts a report numbered `sequence` from the device if it is newer than every one accepted before (reports
   * reach several cloud processes in any order); returns false for an older or repeated one, which the caller drops.
   * @throws StoreError 'not-found'
   */
  acceptReport(deviceId: string, sequence: number, atMs: number): Promise<boolean>;
  /** Retires the device: marks it retired and revokes its enrollment (its broker password stops working). @throws StoreError 'not-found' */
  retireDevice(deviceId: string, atMs: number): Promise<void>;

  // Enrollment.
  /** Creates or replaces a device's enrollment record. */
  putEnrollment(record: EnrollmentRecord): Promise<void>;
  getEnrollment(deviceId: string): Promise<EnrollmentRecord | undefined>;
  listEnrollments(query?: PageQuery & { readonly state?: EnrollmentState }): Promise<Page<EnrollmentRecord>>;
  /**
   * Moves an enrollment to `state`, only from `from` when given; the password hash is set when accepting.
   * @throws StoreError 'not-found', 'conflict' (not in `from`)
   */
  setEnrollmentState(deviceId: string, change: { readonly state: EnrollmentState; readonly from?: readonly EnrollmentState[]; readonly atMs: number; readonly passwordHash?: Uint8Array; readonly note?: string }): Promise<void>;
  /** Records the device's first login with its credentials. @throws StoreError 'not-found' */
  confirmEnrollment(deviceId: string, atMs: number): Promise<void>;
  deleteEnrollment(deviceId: string): Promise<void>;

  // Module status and telemetry.
  putModuleStatus(status: ModuleStatusRecord): Promise<void>;
  listModuleStatus(deviceId: string): Promise<readonly ModuleStatusRecord[]>;
  /** The module status of several devices at once (at most 1000 ids), by device then module. @throws StoreError 'bad-limit' */
  listModuleStatusOf(deviceIds: readonly string[]): Promise<readonly ModuleStatusRecord[]>;
  /** The fleet at a glance, in a few queries: devices not retired (online), retired, and their modules per version and health. */
  fleetSummary(): Promise<FleetSummary>;
  addTelemetry(points: readonly TelemetryPoint[]): Promise<void>;
  /** Points oldest first. */
  queryTelemetry(query: TelemetryQuery): Promise<Page<TelemetryPoint>>;

  // Events.
  /** Stores the event; false when `(deviceId, eventId)` is already stored (a redelivery). */
  addEvent(event: EventRecord): Promise<boolean>;
  /** Events newest first. */
  listEvents(query?: EventQuery): Promise<Page<EventRecord>>;
  /** Removes events and telemetry older than the retention before `nowMs`; returns how many of each went. */
  applyRetention(nowMs: number): Promise<{ readonly events: number; readonly telemetry: number }>;

  // Releases (bundle metadata; the bytes are in the BlobStore).
  /** Stores the release; false when its manifest digest is already stored (same release). */
  putRelease(release: ReleaseRecord): Promise<boolean>;
  getRelease(manifestDigest: string): Promise<ReleaseRecord | undefined>;
  /** Releases by name then sequence, newest sequence first within a name. */
  listReleases(query?: PageQuery & { readonly name?: string }): Promise<Page<ReleaseRecord>>;

  // Rollouts.
  /** @throws StoreError 'conflict' (id taken), 'not-found' (no such release) */
  createRollout(rollout: NewRollout): Promise<RolloutRecord>;
  getRollout(rolloutId: string): Promise<RolloutRecord | undefined>;
  /** Rollouts newest first. */
  listRollouts(query?: PageQuery & { readonly state?: RolloutState }): Promise<Page<RolloutRecord>>;
  /**
   * Changes state and/or spec if the stored version is still `expectedVersion`; the version becomes `change.version`
   * (above `expectedVersion`) or `expectedVersion + 1`. Returns the new record.
   * @throws StoreError 'not-found', 'conflict' (another process changed it first), 'bad-value' (version not above)
   */
  updateRollout(rolloutId: string, expectedVersion: number, change: { readonly state?: RolloutState; readonly spec?: unknown; readonly atMs: number; readonly version?: number }): Promise<RolloutRecord>;
  /** Adds devices to a rollout in state 'waiting'; devices already in it keep theirs. @throws StoreError 'not-found' */
  addTargets(rolloutId: string, targets: readonly { readonly deviceId: string; readonly wave: number }[], atMs: number): Promise<void>;
  /** @throws StoreError 'not-found' */
  setTargetState(rolloutId: string, deviceId: string, state: TargetState, atMs: number, detail?: string): Promise<void>;
  listTargets(rolloutId: string, query?: PageQuery & { readonly state?: TargetState; readonly wave?: number }): Promise<Page<RolloutTarget>>;
  /** Targets per state (states with none are left out). */
  countTargets(rolloutId: string, wave?: number): Promise<Partial<Record<TargetState, number>>>;
  recordDecision(decision: RolloutDecision): Promise<void>;
  /** Decisions oldest first. */
  listDecisions(rolloutId: string, query?: PageQuery): Promise<Page<RolloutDecision>>;

  // Desired states: one row per device, written by compare-and-set on its sequence so that cloud processes sharing the
  // database never sign two states under one sequence.
  getDesiredState(deviceId: string): Promise<DesiredStateRecord | undefined>;
  /**
   * Writes the device's desired state if the stored sequence is still `expectedSequence` (undefined: no row yet; a row
   * holding only a trust update is at sequence 0); false when another writer got there first. The trust update stored
   * with it is kept. @throws StoreError 'bad-value' (sequence below `expectedSequence`)
   */
  putDesiredState(state: Omit<DesiredStateRecord, 'trust'>, expectedSequence: number | undefined): Promise<boolean>;
  /** Records the trust update last published to the device (creating its row at sequence 0 if needed). */
  setDesiredTrust(deviceId: string, trust: Uint8Array, atMs: number): Promise<void>;
  /** Every device's desired-state row, by device id. */
  listDesiredStates(query?: PageQuery): Promise<Page<DesiredStateRecord>>;

  /**
   * Marks a one-time enrollment token (by its hash) used by `deviceId`; false when it was used before (by anyone), so
   * of processes racing with one token exactly one gets true.
   */
  useEnrollmentToken(tokenHash: string, deviceId: string, atMs: number): Promise<boolean>;

  // What operators asked of rollouts beyond the engine's record (rollback release, automatic rollback, creator).
  /** Stores the request; false when the rollout id already has one. */
  putRolloutRequest(request: RolloutRequestRecord): Promise<boolean>;
  getRolloutRequest(rolloutId: string): Promise<RolloutRequestRecord | undefined>;

  // Audit log.
  audit(entry: AuditEntry): Promise<void>;
  /** Entries newest first. */
  listAudit(query?: PageQuery & { readonly actor?: string }): Promise<Page<AuditEntry>>;

  // Leases: one process at a time advances each rollout.
  /** Takes the lease if it is free, expired or already `holder`'s; undefined when another holder has it. */
  tryAcquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extends `holder`'s unexpired lease; undefined when it lost it. */
  renewLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined>;
  /** Gives the lease up; false when `holder` did not hold it. */
  releaseLease(name: string, holder: string): Promise<boolean>;
  getLease(name: string): Promise<Lease | undefined>;

  close(): Promise<void>;
}
