// A simulated fleet for rollout engine tests: devices that report the old version's metrics, then download, go on
// probation and are marked good (or are rolled back by their agent) when a wave publishes a release to them, with
// seeded multiplicative noise on every measurement. Time is a number the test advances; nothing here waits.

import {
  createRollout,
  parseRecord,
  resumeActions,
  serialiseRecord,
  step,
  type DeviceInfo,
  type Release,
  type ReportedModule,
  type RolloutAction,
  type RolloutEvent,
  type RolloutPolicy,
  type RolloutRecord,
  type WavePlanSpec,
} from '../../../cloud/rollout/index.ts';

export const OLD: Release = { version: '1.0.0', sequence: 10, manifestDigest: 'aa'.repeat(32) };
export const NEW: Release = { version: '1.1.0', sequence: 11, manifestDigest: 'bb'.repeat(32) };
/** The old module re-signed with a sequence above NEW's. */
export const REISSUED: Release = { version: '1.0.0', sequence: 12, manifestDigest: 'cc'.repeat(32) };

/** How the new release behaves on a device, relative to the old one. */
export interface Behaviour {
  /** The agent's health gate rolls it back (state 'rolled-back', errorCode 'health-failed'). */
  readonly fails?: boolean;
  /** Fuel per tick relative to the old version (1: equal). */
  readonly fuelFactor?: number;
  readonly memoryFactor?: number;
  /** Traps per tick of the new version. */
  readonly trapRate?: number;
}

export interface SimOptions {
  readonly devices: number;
  readonly seed: number;
  readonly waves: WavePlanSpec;
  readonly behaviour: Behaviour | ((deviceIndex: number) => Behaviour);
  /** Each measurement is multiplied by a factor uniform in [1 - noise, 1 + noise]. */
  readonly noise?: number;
  readonly policy?: Partial<RolloutPolicy>;
  /** Devices that never answer after being issued a release. */
  readonly silent?: ReadonlySet<number>;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pending {
  readonly atMs: number;
  readonly order: number;
  readonly deviceId: string;
  readonly module: ReportedModule;
}

/** The world: device behaviour and reports in flight. The cloud side is only the record and `step`. */
export class SimFleet {
  readonly ids: string[];
  readonly info: DeviceInfo[];
  readonly published: RolloutAction[] = [];
  /** Releases each device was told to run, in order (a duplicate publish of the same release is ignored by the device). */
  readonly desired = new Map<string, string[]>();
  private readonly rng: () => number;
  private readonly baseFuel: number[];
  private readonly noise: number;
  private queue: Pending[] = [];
  private order = 0;

  constructor(private readonly o: SimOptions) {
    this.rng = mulberry32(o.seed);
    this.noise = o.noise ?? 0;
    this.ids = Array.from({ length: o.devices }, (_, i) => `dev-${String(i).padStart(4, '0')}`);
    this.info = this.ids.map((id, i) => ({ id, tags: { site: i % 2 === 0 ? 'north' : 'south', fleet: 'sim' } }));
    this.baseFuel = this.ids.map(() => 2000 + Math.floor(this.rng() * 6000));
  }

  private jitter(): number {
    return 1 + (2 * this.rng() - 1) * this.noise;
  }

  private behaviour(i: number): Behaviour {
    return typeof this.o.behaviour === 'function' ? this.o.behaviour(i) : this.o.behaviour;
  }

  /** A report of the old version running, with its measured metrics. */
  oldReport(i: number): ReportedModule {
    return { state: 'running', version: OLD.version, manifestDigest: OLD.manifestDigest, metrics: { ticks: 500, fuelPerTick: Math.round(this.baseFuel[i]! * this.jitter()), memoryHighWaterPages: 2, traps: 0 } };
  }

  /** Carries out the engine's publish actions: each device answers later with its reports. */
  deliver(actions: readonly RolloutAction[], nowMs: number): void {
    for (const a of actions) {
      if (a.kind === 'record') continue;
      this.published.push(a);
      for (const id of a.deviceIds) {
        const list = this.desired.get(id) ?? [];
        if (list.at(-1) === a.release.manifestDigest) continue;
        list.push(a.release.manifestDigest);
        this.desired.set(id, list);
        const i = this.ids.indexOf(id);
        if (this.o.silent?.has(i) === true) continue;
        if (a.kind === 'publish-rollback') this.schedule(nowMs + 2000, id, { state: 'running', version: a.release.version, manifestDigest: a.release.manifestDigest });
        else this.installNew(i, a.release, nowMs);
      }
    }
  }

  private installNew(i: number, release: Release, nowMs: number): void {
    const id = this.ids[i]!;
    const b = this.behaviour(i);
    const base = { version: release.version, manifestDigest: release.manifestDigest };
    this.schedule(nowMs + 1000, id, { ...base, state: 'downloading' });
    const m = (ticks: number) => ({
      ticks,
      fuelPerTick: Math.round(this.baseFuel[i]! * (b.fuelFactor ?? 1) * this.jitter()),
      memoryHighWaterPages: Math.round(2 * (b.memoryFactor ?? 1)),
      traps: Math.round((b.trapRate ?? 0) * ticks),
    });
    if (b.fails === true) {
      this.schedule(nowMs + 2000, id, { ...base, state: 'probation', metrics: m(3) });
      this.schedule(nowMs + 3000, id, { state: 'rolled-back', version: OLD.version, manifestDigest: OLD.manifestDigest, errorCode: 'health-failed' });
      return;
    }
    this.schedule(nowMs + 2000, id, { ...base, state: 'probation', metrics: m(5) });
    this.schedule(nowMs + 3000, id, { ...base, state: 'running', metrics: m(60) });
  }

  private schedule(atMs: number, deviceId: string, module: ReportedModule): void {
    this.queue.push({ atMs, order: this.order++, deviceId, module });
  }

  /** Reports due at or before `nowMs`, in time order. */
  due(nowMs: number): RolloutEvent[] {
    this.queue.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
    const out: RolloutEvent[] = [];
    while (this.queue.length > 0 && this.queue[0]!.atMs <= nowMs) {
      const p = this.queue.shift()!;
      out.push({ type: 'report', atMs: p.atMs, deviceId: p.deviceId, module: p.module });
    }
    return out;
  }
}

/** Steps the record by one event, failing loudly on a refusal (the sims only send valid commands). */
export function mustStep(record: RolloutRecord, event: RolloutEvent): { record: RolloutRecord; actions: readonly RolloutAction[] } {
  const r = step(record, event);
  if (!r.ok) throw r.error;
  return r;
}

const ACTIVE = new Set(['running', 'paused', 'rolling-back']);

/** One rollout over a simulated fleet: created with every device's old-version report, started at time 0. */
export class SimRun {
  readonly fleet: SimFleet;
  record: RolloutRecord;
  nowMs = 0;
  /** Every action the engine returned, in order (decisions and publishes). */
  readonly actions: RolloutAction[] = [];

  constructor(o: SimOptions) {
    this.fleet = new SimFleet(o);
    let { record } = createRollout(
      { id: `sim-${o.seed}`, app: 'thermo', release: NEW, previous: OLD, target: { kind: 'selector', match: { fleet: 'sim' } }, waves: o.waves, ...(o.policy === undefined ? {} : { policy: o.policy }) },
      this.fleet.info,
      0,
    );
    this.fleet.ids.forEach((id, i) => {
      record = mustStep(record, { type: 'report', atMs: 0, deviceId: id, module: this.fleet.oldReport(i) }).record;
    });
    this.record = record;
    this.command({ type: 'start', atMs: 0, by: 'sim' });
  }

  /** Applies one event and delivers its actions to the fleet (unless `lose`: the cloud died before acting). */
  apply(event: RolloutEvent, lose = false): void {
    const r = mustStep(this.record, event);
    this.record = r.record;
    this.actions.push(...r.actions);
    if (!lose) this.fleet.deliver(r.actions, this.nowMs);
  }

  /** An operator command at the current time. */
  command(event: RolloutEvent): void {
    this.apply({ ...event, atMs: this.nowMs });
  }

  /** Runs second by second while the rollout is active, until `untilMs` or `stop` says so. */
  run(untilMs = 24 * 3_600_000, stop?: (r: RolloutRecord) => boolean): this {
    while (this.nowMs < untilMs && ACTIVE.has(this.record.state) && stop?.(this.record) !== true) {
      this.nowMs += 1000;
      for (const ev of this.fleet.due(this.nowMs)) this.apply(ev);
      this.apply({ type: 'tick', atMs: this.nowMs });
    }
    return this;
  }

  /**
   * A cloud restart: the last step's actions are lost, the record is read back from its serialised text, and the
   * publishes `resumeActions` names are carried out again.
   */
  restart(): void {
    const ev = this.fleet.due(this.nowMs + 1000);
    this.nowMs += 1000;
    for (const e of ev) this.apply(e, true);
    this.record = parseRecord(serialiseRecord(this.record));
    this.fleet.deliver(resumeActions(this.record), this.nowMs);
  }

  /** The decisions taken, as "code: reason" lines. */
  log(): string[] {
    return this.record.decisions.map((d) => `${d.code}: ${d.reason}`);
  }
}
