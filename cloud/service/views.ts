// Turns the store's records and the rollout engine's record into the operator views of ops.ts (plain JSON data, no
// secret), and maps store and rollout errors to OpsError. Pure functions.

import { progressSummary } from '../rollout/engine.ts';
import type { DevicePhase, RolloutRecord as EngineRecord } from '../rollout/record.ts';
import type { DeviceInfo } from '../rollout/plan.ts';
import { RolloutError } from '../rollout/errors.ts';
import { StoreError } from '../store/errors.ts';
import type { DesiredStateRecord, DeviceRecord, EnrollmentRecord, ModuleStatusRecord } from '../store/types.ts';
import { OpsError, type DeviceDetail, type DeviceView, type EnrollmentView, type ModuleView, type RolloutView } from './ops.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const PHASES: readonly DevicePhase[] = ['waiting', 'issued', 'installing', 'good', 'failed'];

export function deviceView(d: DeviceRecord, enrollment: EnrollmentRecord | undefined, modules: readonly ModuleStatusRecord[]): DeviceView {
  return {
    deviceId: d.deviceId,
    deviceClass: d.deviceClass,
    tags: [...d.tags],
    enrollment: enrollment?.state ?? 'unknown',
    online: d.online,
    ...(d.lastSeenMs === undefined ? {} : { lastSeenMs: d.lastSeenMs }),
    ...(d.agentVersion === undefined ? {} : { agentVersion: d.agentVersion }),
    retired: d.retiredAtMs !== undefined,
    modules: modules.map((m) => ({ name: m.module, version: m.version, state: m.state, health: m.health })),
  };
}

export function moduleView(m: ModuleStatusRecord): ModuleView {
  return {
    name: m.module,
    version: m.version,
    state: m.state,
    health: m.health,
    ...(m.fuelPerTick === undefined ? {} : { fuelPerTick: m.fuelPerTick }),
    ...(m.memoryHighWater === undefined ? {} : { memoryHighWater: m.memoryHighWater }),
    traps: m.traps,
    updatedAtMs: m.updatedAtMs,
  };
}

export function deviceDetail(d: DeviceRecord, enrollment: EnrollmentRecord | undefined, modules: readonly ModuleStatusRecord[], desired: DesiredStateRecord | undefined): DeviceDetail {
  return {
    ...deviceView(d, enrollment, modules),
    schemaVersions: { ...d.schemaVersions },
    createdAtMs: d.createdAtMs,
    ...(d.retiredAtMs === undefined ? {} : { retiredAtMs: d.retiredAtMs }),
    ...(enrollment === undefined ? {} : { publicKey: hex(enrollment.publicKey) }),
    moduleDetails: modules.map(moduleView),
    ...(desired === undefined || desired.signed === undefined
      ? {}
      : { desired: { sequence: desired.sequence, modules: desired.modules.map((m) => ({ name: m.name, manifestDigest: m.manifestDigest, ...(m.version === undefined ? {} : { version: m.version }) })) } }),
  };
}

export function enrollmentView(e: EnrollmentRecord): EnrollmentView {
  return {
    deviceId: e.deviceId,
    deviceClass: e.deviceClass,
    state: e.state,
    publicKey: hex(e.publicKey),
    requestedAtMs: e.requestedAtMs,
    ...(e.decidedAtMs === undefined ? {} : { decidedAtMs: e.decidedAtMs }),
    ...(e.note === undefined ? {} : { note: e.note }),
  };
}

export function rolloutView(r: EngineRecord, createdBy: string): RolloutView {
  const zero = (): Record<DevicePhase, number> => Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<DevicePhase, number>;
  const waves = r.waveSizes.map((size, index) => ({ index, size, counts: zero() }));
  for (const d of r.devices) waves[d.wave]!.counts[d.phase]++;
  return {
    id: r.id,
    app: r.app,
    release: { ...r.release },
    ...(r.previous === undefined ? {} : { previous: { ...r.previous } }),
    state: r.state,
    wave: r.wave,
    waves,
    counts: progressSummary(r),
    ...(r.halt === undefined ? {} : { halt: { ...r.halt } }),
    decisions: r.decisions.map((d) => ({ atMs: d.atMs, code: d.code, reason: d.reason, ...(d.wave === undefined ? {} : { wave: d.wave }) })),
    createdBy,
    createdAtMs: r.createdAtMs,
    updatedAtMs: r.updatedAtMs,
  };
}

/**
 * A device's tags as the rollout planner reads them: the store keeps strings "key=value" (a bare "x" is `{ x: "" }`);
 * the first "=" splits.
 */
export function tagRecord(tags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) {
    const at = t.indexOf('=');
    if (at < 0) out[t] = '';
    else out[t.slice(0, at)] = t.slice(at + 1);
  }
  return out;
}

export function deviceInfo(d: DeviceRecord): DeviceInfo {
  return { id: d.deviceId, tags: tagRecord(d.tags), deviceClass: d.deviceClass };
}

/** A tag as operators may set it: "key" or "key=value", each up to 64 characters, no spaces. */
export const TAG_PATTERN = /^[A-Za-z0-9_.:/-]{1,64}(=[A-Za-z0-9_.:/@+-]{0,64})?$/;

/** The OpsError a store or rollout error stands for; anything else is returned as it is (a bug: HTTP 500). */
export function opsErrorOf(e: unknown): unknown {
  if (e instanceof OpsError) return e;
  if (e instanceof StoreError) {
    switch (e.code) {
      case 'not-found': return new OpsError('not-found', e.message, undefined, { cause: e });
      case 'conflict': return new OpsError('conflict', e.message, undefined, { cause: e });
      case 'retired': return new OpsError('conflict', e.message, undefined, { cause: e });
      case 'bad-cursor': return new OpsError('bad-request', e.message, 'cursor', { cause: e });
      case 'bad-limit': return new OpsError('bad-request', e.message, 'limit', { cause: e });
      case 'bad-value': return new OpsError('bad-request', e.message, undefined, { cause: e });
      case 'closed':
      case 'backend':
        return new OpsError('unavailable', e.message, undefined, { cause: e });
      default:
        return e;
    }
  }
  if (e instanceof RolloutError) {
    const field: Partial<Record<RolloutError['code'], string>> = {
      'empty-target': 'target', 'unknown-devices': 'target', 'duplicate-devices': 'target', 'bad-selector': 'target',
      'bad-wave-plan': 'waves', 'bad-config': 'policy', 'bad-rollback-release': 'rollbackRelease',
    };
    if (e.code === 'not-allowed') return new OpsError('conflict', e.message, undefined, { cause: e });
    if (e.code === 'bad-record') return new OpsError('unavailable', e.message, undefined, { cause: e });
    return new OpsError('bad-request', e.message, field[e.code], { cause: e });
  }
  return e;
}
