// A small in-memory FleetOps for the HTTP API's and the CLI's tests: a few devices, enrollments, logs, telemetry,
// events, releases and rollouts, real paging (cursor = offset), every call recorded with its arguments (so a test
// sees the actor and the query the HTTP layer passed), and rollouts that advance one device per read so that a
// watching CLI sees every wave fill and the rollout complete.

import { createHash } from 'node:crypto';
import { planWaveSizes, resolveTargets } from '../../../cloud/rollout/plan.ts';
import type { DevicePhase, RolloutState } from '../../../cloud/rollout/record.ts';
import {
  OpsError,
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
import type { AuditEntry, EventRecord, Page, PageQuery, ReleaseRecord, TelemetryPoint } from '../../../cloud/store/types.ts';

export interface Call {
  readonly method: keyof FleetOps;
  readonly args: readonly unknown[];
}

interface MemRollout {
  view: Omit<RolloutView, 'waves' | 'counts'>;
  devices: { id: string; wave: number; phase: DevicePhase }[];
  sizes: number[];
}

const PHASES: readonly DevicePhase[] = ['waiting', 'issued', 'installing', 'good', 'failed'];

function page<T>(all: readonly T[], q: PageQuery = {}): Page<T> {
  const from = q.cursor === undefined ? 0 : Number(q.cursor);
  if (!Number.isSafeInteger(from) || from < 0) throw new OpsError('bad-request', `Invalid cursor "${q.cursor}"`, 'cursor');
  const limit = q.limit ?? 100;
  const items = all.slice(from, from + limit);
  return from + limit < all.length ? { items, next: String(from + limit) } : { items };
}

function device(id: string, tags: string[], over: Partial<DeviceDetail> = {}): DeviceDetail {
  return {
    deviceId: id, deviceClass: 'sim', tags, enrollment: 'accepted', online: true, lastSeenMs: 1_700_000_000_000, agentVersion: '0.1.0', retired: false,
    modules: [{ name: 'thermostat', version: '1.0.0', state: 'running', health: 'good' }],
    schemaVersions: { status: 1 }, createdAtMs: 1_700_000_000_000, publicKey: 'ab'.repeat(32),
    moduleDetails: [{ name: 'thermostat', version: '1.0.0', state: 'running', health: 'good', fuelPerTick: 1200, memoryHighWater: 2, traps: 0, updatedAtMs: 1_700_000_000_000 }],
    ...over,
  };
}

export class MemoryOps implements FleetOps {
  readonly calls: Call[] = [];
  readonly devices = new Map<string, DeviceDetail>();
  readonly enrollments = new Map<string, EnrollmentView>();
  readonly releases: ReleaseRecord[] = [];
  readonly rollouts = new Map<string, MemRollout>();
  readonly audit: AuditEntry[] = [];
  /** Devices whose rollouts fail (the watch test's failed counts). */
  readonly failing = new Set<string>();
  /** Throw this from the next call (a test of the 500 path). */
  failNext: Error | undefined;
  logLines: LogLineView[] = [{ module: 'thermostat', line: 'started' }, { module: 'thermostat', line: 'temp 21.5' }, { module: 'meter', line: 'ok' }];
  private clock = 1_700_000_000_000;

  constructor(deviceCount = 5) {
    for (let i = 1; i <= deviceCount; i++) this.devices.set(`dev-${i}`, device(`dev-${i}`, i % 2 === 1 ? ['site=north'] : ['site=south']));
    this.enrollments.set('dev-new', { deviceId: 'dev-new', deviceClass: 'sim', state: 'pending', publicKey: 'cd'.repeat(32), requestedAtMs: 1_700_000_000_000 });
    this.enrollments.set('dev-old', { deviceId: 'dev-old', deviceClass: 'sim', state: 'pending', publicKey: 'ef'.repeat(32), requestedAtMs: 1_700_000_000_001 });
  }

  private record(method: keyof FleetOps, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const e = this.failNext;
    if (e !== undefined) {
      this.failNext = undefined;
      throw e;
    }
  }

  private audited(actor: string, action: string, subject: string): void {
    this.audit.push({ atMs: this.clock++, actor, action, subject });
  }

  private dev(id: string): DeviceDetail {
    const d = this.devices.get(id);
    if (d === undefined) throw new OpsError('not-found', `No device "${id}"`, 'id');
    return d;
  }

  async overview(): Promise<FleetOverview> {
    this.record('overview');
    const all = [...this.devices.values()];
    return { devices: all.length, online: all.filter((d) => d.online).length, pending: [...this.enrollments.values()].filter((e) => e.state === 'pending').length, retired: all.filter((d) => d.retired).length, versions: { thermostat: { '1.0.0': all.length } }, health: { good: all.length }, activeRollouts: [...this.rollouts.values()].filter((r) => r.view.state === 'running').length };
  }

  async listDevices(q: PageQuery & { tag?: string; includeRetired?: boolean } = {}): Promise<Page<DeviceView>> {
    this.record('listDevices', q);
    const all = [...this.devices.values()].filter((d) => (q.includeRetired === true || !d.retired) && (q.tag === undefined || d.tags.includes(q.tag)));
    return page(all.map(({ schemaVersions: _s, createdAtMs: _c, publicKey: _p, moduleDetails: _m, retiredAtMs: _r, desired: _d, ...v }) => v), q);
  }

  async getDevice(id: string): Promise<DeviceDetail> {
    this.record('getDevice', id);
    return this.dev(id);
  }

  async listEnrollments(q: PageQuery & { state?: EnrollmentView['state'] } = {}): Promise<Page<EnrollmentView>> {
    this.record('listEnrollments', q);
    return page([...this.enrollments.values()].filter((e) => q.state === undefined || e.state === q.state), q);
  }

  private decide(id: string, state: 'accepted' | 'refused', actor: string, note?: string): EnrollmentView {
    const e = this.enrollments.get(id);
    if (e === undefined) throw new OpsError('not-found', `No enrollment request from "${id}"`, 'id');
    if (e.state !== 'pending') throw new OpsError('conflict', `The enrollment of "${id}" is already ${e.state}`);
    const done: EnrollmentView = { ...e, state, decidedAtMs: this.clock++, ...(note === undefined ? {} : { note }) };
    this.enrollments.set(id, done);
    this.audited(actor, state === 'accepted' ? 'accept-device' : 'refuse-device', id);
    return done;
  }

  async acceptDevice(id: string, actor: string): Promise<EnrollmentView> {
    this.record('acceptDevice', id, actor);
    return this.decide(id, 'accepted', actor);
  }

  async refuseDevice(id: string, actor: string, note?: string): Promise<EnrollmentView> {
    this.record('refuseDevice', id, actor, ...(note === undefined ? [] : [note]));
    return this.decide(id, 'refused', actor, note);
  }

  async retireDevice(id: string, actor: string): Promise<DeviceDetail> {
    this.record('retireDevice', id, actor);
    const d: DeviceDetail = { ...this.dev(id), retired: true, retiredAtMs: this.clock++, online: false, enrollment: 'retired' };
    this.devices.set(id, d);
    this.audited(actor, 'retire-device', id);
    return d;
  }

  async setTags(id: string, tags: readonly string[], actor: string): Promise<DeviceDetail> {
    this.record('setTags', id, tags, actor);
    const d: DeviceDetail = { ...this.dev(id), tags: [...new Set(tags)].sort() };
    this.devices.set(id, d);
    this.audited(actor, 'set-tags', id);
    return d;
  }

  async logs(id: string, module?: string): Promise<readonly LogLineView[]> {
    this.record('logs', id, ...(module === undefined ? [] : [module]));
    this.dev(id);
    return this.logLines.filter((l) => module === undefined || l.module === module);
  }

  async telemetry(q: PageQuery & { deviceId: string; module?: string; metric?: string; fromMs?: number; toMs?: number }): Promise<Page<TelemetryPoint>> {
    this.record('telemetry', q);
    this.dev(q.deviceId);
    const points: TelemetryPoint[] = Array.from({ length: 10 }, (_, i) => ({ deviceId: q.deviceId, module: 'thermostat', metric: 'temp', atMs: 1_700_000_000_000 + i * 1000, value: 20 + i / 10 }));
    return page(points.filter((p) => (q.fromMs === undefined || p.atMs >= q.fromMs) && (q.toMs === undefined || p.atMs <= q.toMs)), q);
  }

  async events(q: PageQuery & { deviceId?: string; kind?: string } = {}): Promise<Page<EventRecord>> {
    this.record('events', q);
    const all: EventRecord[] = [...this.devices.keys()].map((id, i) => ({ deviceId: id, eventId: `e-${i}`, kind: 'module-started', atMs: 1_700_000_000_000 + i, data: { module: 'thermostat' } }));
    return page(all.filter((e) => (q.deviceId === undefined || e.deviceId === q.deviceId) && (q.kind === undefined || e.kind === q.kind)), q);
  }

  /** Accepts any bytes that start with the bundle magic "FLTB"; name and version come from the bytes after it. */
  async uploadBundle(bundle: Uint8Array, actor: string): Promise<ReleaseRecord> {
    this.record('uploadBundle', bundle.length, actor);
    if (Buffer.from(bundle.subarray(0, 4)).toString('latin1') !== 'FLTB') throw new OpsError('bad-request', 'Cannot read bundle: it does not start with "FLTB"');
    const manifestDigest = createHash('sha256').update(bundle).digest('hex');
    const had = this.releases.find((r) => r.manifestDigest === manifestDigest);
    if (had !== undefined) return had;
    const r: ReleaseRecord = { manifestDigest, moduleDigest: manifestDigest, name: 'thermostat', version: `1.${this.releases.length + 1}.0`, sequence: this.releases.length + 2, sizeBytes: bundle.length, createdAtMs: this.clock++ };
    this.releases.push(r);
    this.audited(actor, 'upload-release', manifestDigest);
    return r;
  }

  async listReleases(q: PageQuery & { name?: string } = {}): Promise<Page<ReleaseRecord>> {
    this.record('listReleases', q);
    return page(this.releases.filter((r) => q.name === undefined || r.name === q.name), q);
  }

  async createRollout(req: CreateRolloutRequest, actor: string): Promise<RolloutView> {
    this.record('createRollout', req, actor);
    const rel = this.releases.find((r) => r.manifestDigest === req.release);
    if (rel === undefined) throw new OpsError('not-found', `No release ${req.release.slice(0, 12)}…`, 'release');
    const id = req.id ?? `r-${this.rollouts.size + 1}`;
    if (this.rollouts.has(id)) throw new OpsError('conflict', `Rollout "${id}" exists`, 'id');
    const infos = [...this.devices.values()].map((d) => ({ id: d.deviceId, tags: Object.fromEntries(d.tags.map((t) => t.split('=') as [string, string])) }));
    let targets: string[];
    let sizes: number[];
    try {
      targets = resolveTargets(req.target, infos);
      sizes = planWaveSizes(targets.length, req.waves);
    } catch (e) {
      throw new OpsError('bad-request', (e as Error).message, 'target');
    }
    const devices: MemRollout['devices'] = [];
    sizes.forEach((n, wave) => {
      for (let i = 0; i < n; i++) devices.push({ id: targets[devices.length]!, wave, phase: 'waiting' });
    });
    const start = req.start !== false;
    const r: MemRollout = {
      view: { id, app: rel.name, release: { version: rel.version, sequence: rel.sequence, manifestDigest: rel.manifestDigest }, state: start ? 'running' : 'created', wave: start ? 0 : -1, decisions: [{ atMs: this.clock, code: 'created', reason: `${targets.length} devices` }], createdBy: actor, createdAtMs: this.clock, updatedAtMs: this.clock },
      devices, sizes,
    };
    this.rollouts.set(id, r);
    this.audited(actor, 'create-rollout', id);
    return this.viewOf(r);
  }

  async listRollouts(q: PageQuery & { state?: RolloutState } = {}): Promise<Page<RolloutView>> {
    this.record('listRollouts', q);
    return page([...this.rollouts.values()].filter((r) => q.state === undefined || r.view.state === q.state).map((r) => this.viewOf(r)), q);
  }

  /** Each read moves one device of the wave in progress on (waiting -> good, or failed for a failing device). */
  async getRollout(id: string): Promise<RolloutView> {
    this.record('getRollout', id);
    const r = this.rollouts.get(id);
    if (r === undefined) throw new OpsError('not-found', `No rollout "${id}"`, 'id');
    if (r.view.state === 'running') this.advance(r);
    return this.viewOf(r);
  }

  private advance(r: MemRollout): void {
    const wave = r.view.wave;
    const next = r.devices.find((d) => d.wave === wave && d.phase === 'waiting');
    if (next !== undefined) next.phase = this.failing.has(next.id) ? 'failed' : 'good';
    const inWave = r.devices.filter((d) => d.wave === wave);
    if (inWave.some((d) => d.phase === 'waiting')) return;
    if (inWave.some((d) => d.phase === 'failed')) {
      r.view = { ...r.view, state: 'halted', halt: { code: 'failures', reason: `wave ${wave + 1}: ${inWave.filter((d) => d.phase === 'failed').length} failed` } };
    } else if (wave + 1 >= r.sizes.length) r.view = { ...r.view, state: 'completed' };
    else r.view = { ...r.view, wave: wave + 1 };
  }

  private viewOf(r: MemRollout): RolloutView {
    const count = (ds: readonly { phase: DevicePhase }[]): Record<DevicePhase, number> => {
      const c = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<DevicePhase, number>;
      for (const d of ds) c[d.phase]++;
      return c;
    };
    return { ...r.view, waves: r.sizes.map((size, index) => ({ index, size, counts: count(r.devices.filter((d) => d.wave === index)) })), counts: count(r.devices) };
  }

  async commandRollout(id: string, command: RolloutCommandName, actor: string): Promise<RolloutView> {
    this.record('commandRollout', id, command, actor);
    const r = this.rollouts.get(id);
    if (r === undefined) throw new OpsError('not-found', `No rollout "${id}"`, 'id');
    const allowed: Record<RolloutCommandName, readonly RolloutState[]> = { start: ['created'], pause: ['running'], resume: ['paused'], abort: ['created', 'running', 'paused', 'halted'], 'roll-back': ['halted', 'completed'] };
    if (!allowed[command].includes(r.view.state)) throw new OpsError('conflict', `Cannot ${command} rollout "${id}": it is ${r.view.state}`);
    const to: Record<RolloutCommandName, RolloutState> = { start: 'running', pause: 'paused', resume: 'running', abort: 'aborted', 'roll-back': 'rolled-back' };
    r.view = { ...r.view, state: to[command], ...(command === 'start' ? { wave: 0 } : {}) };
    this.audited(actor, `${command}-rollout`, id);
    return this.viewOf(r);
  }

  async listAudit(q: PageQuery & { actor?: string } = {}): Promise<Page<AuditEntry>> {
    this.record('listAudit', q);
    return page(this.audit.filter((a) => q.actor === undefined || a.actor === q.actor), q);
  }
}
