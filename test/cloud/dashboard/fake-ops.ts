// An in-memory FleetOps for the dashboard's browser tests: a fleet the test writes directly (devices, enrollments,
// rollouts, telemetry, logs), rollout commands that follow the engine's rules on which command each state allows,
// refusals a test can arm, and a record of every changing call with its actor.

import {
  OpsError,
  type Actor,
  type CreateRolloutRequest,
  type DeviceDetail,
  type DeviceView,
  type EnrollmentView,
  type FleetOps,
  type FleetOverview,
  type LogLineView,
  type RolloutCommandName,
  type RolloutView,
} from '../../../cloud/service/ops.ts';
import type { RolloutState } from '../../../cloud/rollout/record.ts';
import type { AuditEntry, EnrollmentState, EventRecord, Page, PageQuery, ReleaseRecord, TelemetryPoint } from '../../../cloud/store/types.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Which state each command leads to, from which states (the rollout engine's rules, in short). */
const COMMAND_RULES: Readonly<Record<RolloutCommandName, { readonly from: readonly RolloutState[]; readonly to: RolloutState }>> = {
  start: { from: ['created'], to: 'running' },
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  abort: { from: ['created', 'running', 'paused', 'halted'], to: 'aborted' },
  'roll-back': { from: ['halted'], to: 'rolling-back' },
};

const DECISION_OF: Readonly<Record<RolloutCommandName, string>> = { start: 'started', pause: 'paused', resume: 'resumed', abort: 'aborted', 'roll-back': 'rollback-started' };

const ZERO = { waiting: 0, issued: 0, installing: 0, good: 0, failed: 0 } as const;

/** A device with sensible defaults: online, one module running ("ok", as the registry ingest says), seen a few seconds ago. */
export function device(deviceId: string, over: Partial<DeviceDetail> = {}): DeviceDetail {
  const now = Date.now();
  return {
    deviceId,
    deviceClass: 'pi-zero',
    tags: ['site:lab'],
    enrollment: 'accepted',
    online: true,
    lastSeenMs: now - 3000,
    agentVersion: '0.1.0',
    retired: false,
    modules: [{ name: 'thermostat', version: '1.1.0', state: 'running', health: 'ok' }],
    schemaVersions: { status: 1, telemetry: 1 },
    createdAtMs: now - 86_400_000,
    publicKey: 'ab'.repeat(32),
    moduleDetails: [{ name: 'thermostat', version: '1.1.0', state: 'running', health: 'ok', fuelPerTick: 5400, memoryHighWater: 2, traps: 0, updatedAtMs: now - 3000 }],
    ...over,
  };
}

/** A rollout of thermostat 1.2.0 over two waves (2 and 4 devices), running in its first wave. */
export function rollout(id: string, over: Partial<RolloutView> = {}): RolloutView {
  const now = Date.now();
  return {
    id,
    app: 'thermostat',
    release: { version: '1.2.0', sequence: 12, manifestDigest: 'cd'.repeat(32) },
    previous: { version: '1.1.0', sequence: 11, manifestDigest: 'ef'.repeat(32) },
    state: 'running',
    wave: 0,
    waves: [
      { index: 0, size: 2, counts: { ...ZERO, good: 1, installing: 1 } },
      { index: 1, size: 4, counts: { ...ZERO, waiting: 4 } },
    ],
    counts: { ...ZERO, good: 1, installing: 1, waiting: 4 },
    decisions: [
      { atMs: now - 60_000, code: 'created', reason: 'Created by alice with 6 targets in 2 waves' },
      { atMs: now - 59_000, code: 'started', reason: 'Started by alice' },
      { atMs: now - 59_000, code: 'wave-started', reason: 'Wave 1 of 2 started with 2 devices', wave: 0 },
    ],
    createdBy: 'alice',
    createdAtMs: now - 60_000,
    updatedAtMs: now - 5000,
    ...over,
  };
}

function page<T>(items: readonly T[], q: PageQuery = {}): Page<T> {
  const limit = q.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new OpsError('bad-request', `Invalid limit ${limit}: need 1..1000`, 'limit');
  const start = q.cursor === undefined ? 0 : Number(q.cursor);
  if (!Number.isInteger(start) || start < 0) throw new OpsError('bad-request', `Cannot read the cursor "${q.cursor}"`, 'cursor');
  const slice = items.slice(start, start + limit);
  return start + limit < items.length ? { items: slice, next: String(start + limit) } : { items: slice };
}

export interface OpsCall {
  readonly method: string;
  readonly actor: Actor;
  readonly args: readonly unknown[];
}

export class FakeFleetOps implements FleetOps {
  readonly devices = new Map<string, DeviceDetail>();
  readonly enrollments = new Map<string, EnrollmentView>();
  readonly rollouts = new Map<string, RolloutView>();
  readonly telemetryPoints: TelemetryPoint[] = [];
  readonly logLines = new Map<string, LogLineView[]>();
  readonly eventRecords: EventRecord[] = [];
  readonly releases: ReleaseRecord[] = [];
  readonly audit: AuditEntry[] = [];
  /** Every changing call, in order. */
  readonly calls: OpsCall[] = [];
  private readonly armed = new Map<string, OpsError>();

  addDevice(d: DeviceDetail): this {
    this.devices.set(d.deviceId, d);
    return this;
  }

  addRollout(r: RolloutView): this {
    this.rollouts.set(r.id, r);
    return this;
  }

  /** Replaces fields of a stored rollout, as the engine would after a report or a tick. */
  updateRollout(id: string, over: Partial<RolloutView>): void {
    const r = this.rollouts.get(id);
    if (r === undefined) throw new Error(`No rollout "${id}" in the fake`);
    this.rollouts.set(id, { ...r, ...over, updatedAtMs: Date.now() });
  }

  /** The next command `name` (a FleetOps method name or a rollout command) throws `error`. */
  refuseNext(name: string, error: OpsError): void {
    this.armed.set(name, error);
  }

  private record(method: string, actor: Actor, ...args: unknown[]): void {
    this.calls.push({ method, actor, args });
    this.audit.push({ atMs: Date.now(), actor, action: method, subject: String(args[0] ?? '') });
    const armed = this.armed.get(method) ?? (method === 'commandRollout' ? this.armed.get(String(args[1])) : undefined);
    if (armed !== undefined) {
      this.armed.delete(method);
      this.armed.delete(String(args[1]));
      throw armed;
    }
  }

  private device(deviceId: string): DeviceDetail {
    const d = this.devices.get(deviceId);
    if (d === undefined) throw new OpsError('not-found', `No device "${deviceId}"`);
    return d;
  }

  async overview(): Promise<FleetOverview> {
    const all = [...this.devices.values()];
    const live = all.filter((d) => !d.retired);
    const versions: Record<string, Record<string, number>> = {};
    const health: Record<string, number> = {};
    for (const d of live) {
      for (const m of d.modules) {
        const perApp = (versions[m.name] ??= {});
        perApp[m.version] = (perApp[m.version] ?? 0) + 1;
        health[m.health] = (health[m.health] ?? 0) + 1;
      }
    }
    return {
      devices: live.length,
      online: live.filter((d) => d.online).length,
      pending: [...this.enrollments.values()].filter((e) => e.state === 'pending').length,
      retired: all.length - live.length,
      versions,
      health,
      activeRollouts: [...this.rollouts.values()].filter((r) => ['running', 'paused', 'halted', 'rolling-back'].includes(r.state)).length,
    };
  }

  async listDevices(q: PageQuery & { readonly tag?: string; readonly includeRetired?: boolean } = {}): Promise<Page<DeviceView>> {
    const items = [...this.devices.values()]
      .filter((d) => (q.includeRetired === true || !d.retired) && (q.tag === undefined || d.tags.includes(q.tag)))
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId))
      .map(({ deviceId, deviceClass, tags, enrollment, online, lastSeenMs, agentVersion, retired, modules }): DeviceView => ({
        deviceId, deviceClass, tags, enrollment, online, retired, modules,
        ...(lastSeenMs === undefined ? {} : { lastSeenMs }),
        ...(agentVersion === undefined ? {} : { agentVersion }),
      }));
    return page(items, q);
  }

  async getDevice(deviceId: string): Promise<DeviceDetail> {
    return this.device(deviceId);
  }

  async listEnrollments(q: PageQuery & { readonly state?: EnrollmentState } = {}): Promise<Page<EnrollmentView>> {
    return page([...this.enrollments.values()].filter((e) => q.state === undefined || e.state === q.state), q);
  }

  private decide(deviceId: string, state: EnrollmentState, note?: string): EnrollmentView {
    const e = this.enrollments.get(deviceId);
    if (e === undefined) throw new OpsError('not-found', `No enrollment request of "${deviceId}"`);
    if (e.state !== 'pending') throw new OpsError('conflict', `Cannot decide on "${deviceId}": it is ${e.state}, not pending`);
    const next: Mutable<EnrollmentView> = { ...e, state, decidedAtMs: Date.now() };
    if (note !== undefined) next.note = note;
    this.enrollments.set(deviceId, next);
    return next;
  }

  async acceptDevice(deviceId: string, actor: Actor): Promise<EnrollmentView> {
    this.record('acceptDevice', actor, deviceId);
    return this.decide(deviceId, 'accepted');
  }

  async refuseDevice(deviceId: string, actor: Actor, note?: string): Promise<EnrollmentView> {
    this.record('refuseDevice', actor, deviceId, note);
    return this.decide(deviceId, 'refused', note);
  }

  async retireDevice(deviceId: string, actor: Actor): Promise<DeviceDetail> {
    this.record('retireDevice', actor, deviceId);
    const d = { ...this.device(deviceId), retired: true, online: false, enrollment: 'retired' as const, retiredAtMs: Date.now() };
    this.devices.set(deviceId, d);
    return d;
  }

  async setTags(deviceId: string, tags: readonly string[], actor: Actor): Promise<DeviceDetail> {
    this.record('setTags', actor, deviceId, tags);
    const d = { ...this.device(deviceId), tags };
    this.devices.set(deviceId, d);
    return d;
  }

  async logs(deviceId: string, module?: string): Promise<readonly LogLineView[]> {
    this.device(deviceId);
    return (this.logLines.get(deviceId) ?? []).filter((l) => module === undefined || l.module === module);
  }

  async telemetry(q: PageQuery & { readonly deviceId: string; readonly module?: string; readonly metric?: string; readonly fromMs?: number; readonly toMs?: number }): Promise<Page<TelemetryPoint>> {
    this.device(q.deviceId);
    const items = this.telemetryPoints
      .filter((p) => p.deviceId === q.deviceId && (q.module === undefined || p.module === q.module) && (q.metric === undefined || p.metric === q.metric)
        && (q.fromMs === undefined || p.atMs >= q.fromMs) && (q.toMs === undefined || p.atMs < q.toMs))
      .sort((a, b) => a.atMs - b.atMs);
    return page(items, q);
  }

  async events(q: PageQuery & { readonly deviceId?: string; readonly kind?: string } = {}): Promise<Page<EventRecord>> {
    return page(this.eventRecords.filter((e) => (q.deviceId === undefined || e.deviceId === q.deviceId) && (q.kind === undefined || e.kind === q.kind)), q);
  }

  async uploadBundle(_bundle: Uint8Array, actor: Actor): Promise<ReleaseRecord> {
    this.record('uploadBundle', actor);
    throw new OpsError('bad-request', 'The dashboard tests upload no bundle');
  }

  async listReleases(q: PageQuery & { readonly name?: string } = {}): Promise<Page<ReleaseRecord>> {
    return page(this.releases.filter((r) => q.name === undefined || r.name === q.name), q);
  }

  async createRollout(request: CreateRolloutRequest, actor: Actor): Promise<RolloutView> {
    this.record('createRollout', actor, request);
    throw new OpsError('bad-request', 'The dashboard tests create no rollout through the API');
  }

  async listRollouts(q: PageQuery & { readonly state?: RolloutState } = {}): Promise<Page<RolloutView>> {
    return page([...this.rollouts.values()].filter((r) => q.state === undefined || r.state === q.state).sort((a, b) => b.createdAtMs - a.createdAtMs), q);
  }

  async getRollout(rolloutId: string): Promise<RolloutView> {
    const r = this.rollouts.get(rolloutId);
    if (r === undefined) throw new OpsError('not-found', `No rollout "${rolloutId}"`);
    return r;
  }

  async commandRollout(rolloutId: string, command: RolloutCommandName, actor: Actor): Promise<RolloutView> {
    this.record('commandRollout', actor, rolloutId, command);
    const r = await this.getRollout(rolloutId);
    const rule = COMMAND_RULES[command];
    if (!rule.from.includes(r.state)) throw new OpsError('conflict', `Cannot ${command} rollout "${rolloutId}": it is ${r.state}`);
    const now = Date.now();
    const next = { ...r, state: rule.to, updatedAtMs: now, decisions: [...r.decisions, { atMs: now, code: DECISION_OF[command], reason: `${command} by ${actor}` }] };
    this.rollouts.set(rolloutId, next);
    return next;
  }

  async listAudit(q: PageQuery & { readonly actor?: string } = {}): Promise<Page<AuditEntry>> {
    return page(this.audit.filter((a) => q.actor === undefined || a.actor === q.actor), q);
  }
}
