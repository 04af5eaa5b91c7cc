// Private to cloud/store: turns database rows into the store's records. PostgreSQL hands BIGINT back as a string
// and SQLite as a number; both become numbers here (every stored number is below 2^53).
import type { Row } from './_driver.ts';
import type {
  AuditEntry, DesiredModuleRecord, DesiredStateRecord, DeviceRecord, EnrollmentRecord, EnrollmentState, EventRecord, Lease, ModuleStatusRecord, ReleaseRecord,
  RolloutDecision, RolloutRecord, RolloutRequestRecord, RolloutState, RolloutTarget, TargetState, TelemetryPoint,
} from './types.ts';

export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const optNum = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : num(v));
const str = (v: unknown): string => String(v);
const bytes = (v: unknown): Uint8Array => new Uint8Array(v as Uint8Array);
const json = (v: unknown): unknown => JSON.parse(String(v));

/** `{ [key]: value }` when the value is present, else nothing (records leave absent fields out). */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export function deviceFromRow(r: Row): DeviceRecord {
  return {
    deviceId: str(r.device_id),
    deviceClass: str(r.device_class),
    tags: json(r.tags) as string[],
    ...opt('agentVersion', r.agent_version === null ? undefined : str(r.agent_version)),
    schemaVersions: json(r.schema_versions) as Record<string, number>,
    online: num(r.online) === 1,
    ...opt('lastSeenMs', optNum(r.last_seen_ms)),
    createdAtMs: num(r.created_at_ms),
    ...opt('retiredAtMs', optNum(r.retired_at_ms)),
    ...opt('reportSequence', num(r.report_seq) < 0 ? undefined : num(r.report_seq)),
  };
}

export function enrollmentFromRow(r: Row): EnrollmentRecord {
  return {
    deviceId: str(r.device_id),
    deviceClass: str(r.device_class),
    state: str(r.state) as EnrollmentState,
    publicKey: bytes(r.public_key),
    boxKey: bytes(r.box_key),
    ...opt('passwordHash', r.password_hash === null ? undefined : bytes(r.password_hash)),
    requestedAtMs: num(r.requested_at_ms),
    ...opt('decidedAtMs', optNum(r.decided_at_ms)),
    ...opt('confirmedAtMs', optNum(r.confirmed_at_ms)),
    ...opt('note', r.note === null ? undefined : str(r.note)),
  };
}

export function moduleStatusFromRow(r: Row): ModuleStatusRecord {
  return {
    deviceId: str(r.device_id),
    module: str(r.module),
    version: str(r.version),
    state: str(r.state),
    health: str(r.health),
    ...opt('fuelPerTick', optNum(r.fuel_per_tick)),
    ...opt('memoryHighWater', optNum(r.memory_high_water)),
    traps: num(r.traps),
    recentLogs: json(r.recent_logs) as string[],
    updatedAtMs: num(r.updated_at_ms),
  };
}

export function telemetryFromRow(r: Row): TelemetryPoint {
  return { deviceId: str(r.device_id), module: str(r.module), metric: str(r.metric), atMs: num(r.at_ms), value: num(r.value) };
}

export function eventFromRow(r: Row): EventRecord {
  return { deviceId: str(r.device_id), eventId: str(r.event_id), kind: str(r.kind), atMs: num(r.at_ms), data: json(r.data) };
}

export function releaseFromRow(r: Row): ReleaseRecord {
  return {
    manifestDigest: str(r.manifest_digest),
    moduleDigest: str(r.module_digest),
    name: str(r.name),
    version: str(r.version),
    sequence: num(r.sequence),
    sizeBytes: num(r.size_bytes),
    createdAtMs: num(r.created_at_ms),
  };
}

export function rolloutFromRow(r: Row): RolloutRecord {
  return {
    rolloutId: str(r.rollout_id),
    manifestDigest: str(r.manifest_digest),
    state: str(r.state) as RolloutState,
    spec: json(r.spec),
    createdBy: str(r.created_by),
    createdAtMs: num(r.created_at_ms),
    updatedAtMs: num(r.updated_at_ms),
    version: num(r.version),
  };
}

export function targetFromRow(r: Row): RolloutTarget {
  return {
    rolloutId: str(r.rollout_id),
    deviceId: str(r.device_id),
    wave: num(r.wave),
    state: str(r.state) as TargetState,
    ...opt('detail', r.detail === null ? undefined : str(r.detail)),
    updatedAtMs: num(r.updated_at_ms),
  };
}

export function decisionFromRow(r: Row): RolloutDecision {
  return { rolloutId: str(r.rollout_id), atMs: num(r.at_ms), decision: str(r.decision), reason: str(r.reason), actor: str(r.actor) };
}

export function auditFromRow(r: Row): AuditEntry {
  return {
    atMs: num(r.at_ms),
    actor: str(r.actor),
    action: str(r.action),
    subject: str(r.subject),
    ...opt('detail', r.detail === null ? undefined : json(r.detail)),
  };
}

export function leaseFromRow(name: string, r: Row): Lease {
  return { name, holder: str(r.holder), expiresAtMs: num(r.expires_at_ms), token: num(r.token) };
}

export function desiredStateFromRow(r: Row): DesiredStateRecord {
  return {
    deviceId: str(r.device_id),
    sequence: num(r.sequence),
    modules: json(r.modules) as DesiredModuleRecord[],
    ...opt('signed', r.signed === null ? undefined : bytes(r.signed)),
    ...opt('trust', r.trust === null ? undefined : bytes(r.trust)),
    updatedAtMs: num(r.updated_at_ms),
  };
}

export function rolloutRequestFromRow(r: Row): RolloutRequestRecord {
  return { rolloutId: str(r.rollout_id), createdBy: str(r.created_by), request: json(r.request), createdAtMs: num(r.created_at_ms) };
}
