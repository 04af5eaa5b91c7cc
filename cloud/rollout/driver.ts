// The rollout driver: runs the pure rollout engine against a real fleet. It creates rollouts, carries out their
// actions (publishes a device's desired state, records decisions), feeds every device's status report to the
// rollouts that target it, ticks them on a timer, and on start resumes whatever a previous cloud process left
// running. One step at a time per rollout; the engine decides, the driver only does.

import type { MessageBus } from '../../agent/session/bus.ts';
import { decodeStatus, type Status } from '../../schemas/messages/status.ts';
import { parseTopic, TOPIC_ROOT, TOPICS } from '../../schemas/topics.ts';
import { createRollout, progressSummary } from './engine.ts';
import { RolloutError } from './errors.ts';
import type { DeviceInfo } from './plan.ts';
import type { Decision, DevicePhase, Release, RolloutAction, RolloutEvent, RolloutRecord, RolloutSpec, StepResult } from './record.ts';
import type { VersionMetrics } from './regression.ts';
import { reportFromStatus } from './report.ts';
import { applyEvent, applyEvents, recoverRollouts, type RolloutStore } from './store.ts';

/**
 * Publishes (retained, signed) a device's desired state so that it names `release` for `app`; resolves with the
 * desired state's sequence when known, so that reports from before the device took it are not read as its answer.
 */
export type PublishDesired = (deviceId: string, release: Release, app: string) => Promise<number | void>;

export interface RolloutDriverOptions {
  readonly store: RolloutStore;
  /** Composes and publishes the device's desired state; the driver knows only the rollout's app. */
  readonly publishDesired: PublishDesired;
  /** The cloud's connection: every device's status report arrives on it. */
  readonly bus: MessageBus;
  /** Milliseconds since the epoch; default Date.now. */
  readonly clock?: () => number;
  /** How often each rollout is ticked (wave timeouts, soak); default 1 s. */
  readonly tickMs?: number;
  /**
   * Desired-state publishes in flight at once; default 16. A wave of hundreds of devices is published a few at a
   * time: each publish signs (milliseconds of CPU) and writes the store, and all at once they would hold the event
   * loop and the store's queue for seconds, long enough for the process to miss its rollout lease renewal, step
   * down, and have the next leader publish the whole wave again (bench:fleet saw that loop at a 640-device wave).
   */
  readonly publishConcurrency?: number;
  /** Each decision as the engine takes it (also kept in `decisions`). */
  readonly onDecision?: (rolloutId: string, decision: Decision) => void;
  /** A publish that failed (retried on each tick) or a step that threw; the driver goes on. */
  readonly onError?: (error: Error, rolloutId: string) => void;
}

/** What the driver saw, for a dashboard or a test. */
export interface DriverCounts {
  /** Status reports decoded and fed to at least one rollout. */
  reports: number;
  /** Status payloads that did not decode, or whose device id is not the topic's. */
  malformed: number;
  /** Desired-state publishes that failed. */
  publishFailures: number;
}

export type RolloutCommand = Exclude<RolloutEvent, { type: 'report' } | { type: 'tick' }> extends infer E ? (E extends { atMs: number } ? Omit<E, 'atMs'> : never) : never;

/** A desired-state publish the driver could not carry out (the device keeps its old state until a retry). */
export class PublishFailed extends Error {
  override readonly name = 'PublishFailed';
  readonly code = 'publish-failed';
  constructor(
    readonly rolloutId: string,
    readonly deviceId: string,
    message: string,
  ) {
    super(`Rollout "${rolloutId}": ${message}`);
  }
}

const STATUS_FILTER = `${TOPIC_ROOT}/dev/+/${TOPICS.status.suffix}`;
const FINAL = new Set(['completed', 'aborted', 'rolled-back']);

interface Active {
  readonly app: string;
  readonly targets: ReadonlySet<string>;
  readonly releaseDigest: string;
  /** Per device, the desired-state sequence that first named this rollout's release (or its rollback). */
  readonly issuedSequence: Map<string, number>;
  /** Publishes that failed, per device (the latest wins), retried on each tick. */
  readonly owed: Map<string, { readonly release: Release; readonly app: string }>;
  /** The tail of this rollout's step queue. */
  tail: Promise<void>;
  /** Reports and ticks waiting for the next batch step (one load and one save for all of them). */
  pending: RolloutEvent[];
}

export class RolloutDriver {
  readonly #o: RolloutDriverOptions;
  readonly #clock: () => number;
  readonly #active = new Map<string, Active>();
  readonly #decisions: { rolloutId: string; decision: Decision }[] = [];
  readonly counts: DriverCounts = { reports: 0, malformed: 0, publishFailures: 0 };
  #unsubscribe: (() => Promise<void>) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(o: RolloutDriverOptions) {
    this.#o = o;
    this.#clock = o.clock ?? Date.now;
  }

  /**
   * Starts a driver: recovers every active rollout from the store and repeats the publishes it still owes, then
   * subscribes to every device's status (retained reports arrive at once) and starts ticking.
   * @throws RolloutError 'bad-record' when a stored record is unreadable
   */
  static async start(o: RolloutDriverOptions): Promise<RolloutDriver> {
    const d = new RolloutDriver(o);
    for (const { record, actions } of await recoverRollouts(o.store)) {
      const a = d.#track(record);
      a.tail = a.tail.then(() => d.#act(record.id, actions));
    }
    await d.idle();
    d.#unsubscribe = await o.bus.subscribe(STATUS_FILTER, (payload, topic) => d.#onStatus(payload, topic));
    const tickMs = o.tickMs ?? 1_000;
    d.#timer = setInterval(() => d.#tickAll(), tickMs);
    d.#timer.unref();
    return d;
  }

  /** Every decision this driver carried out, in order (the full log of a rollout is its record's `decisions`). */
  get decisions(): readonly { readonly rolloutId: string; readonly decision: Decision }[] {
    return this.#decisions;
  }

  /**
   * Creates a rollout (frozen targets and waves) and saves it; `start` it with `command`.
   * @throws RolloutError from `createRollout`, or 'bad-record' when a rollout with this id exists
   */
  async create(spec: RolloutSpec, devices: readonly DeviceInfo[], baselines?: Readonly<Record<string, VersionMetrics & { version: string }>>): Promise<RolloutRecord> {
    this.#checkRunning();
    const { record, actions } = createRollout(spec, devices, this.#clock(), baselines);
    if (!(await this.#o.store.save(record, undefined))) throw new RolloutError('bad-record', 'Cannot create the rollout: one with this id exists', spec.id);
    const a = this.#track(record);
    a.tail = a.tail.then(() => this.#act(record.id, actions));
    await a.tail;
    return record;
  }

  /** Steps a rollout by an operator command (start, pause, resume, abort, roll-back), after the steps before it. */
  async command(id: string, command: RolloutCommand): Promise<StepResult> {
    this.#checkRunning();
    return this.#enqueue(id, { ...command, atMs: this.#clock() } as RolloutEvent);
  }

  /** The stored record. */
  async record(id: string): Promise<RolloutRecord | undefined> {
    return this.#o.store.load(id);
  }

  /** Devices per phase of a stored rollout. @throws RolloutError 'bad-record' when there is none */
  async progress(id: string): Promise<Record<DevicePhase, number>> {
    const r = await this.#o.store.load(id);
    if (r === undefined) throw new RolloutError('bad-record', 'No such rollout', id);
    return progressSummary(r);
  }

  /** Resolves once every step queued so far has been carried out. */
  async idle(): Promise<void> {
    await Promise.all([...this.#active.values()].map((a) => a.tail));
  }

  /** Stops ticking and listening, and waits for the steps in flight; the store keeps every rollout for the next driver. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#unsubscribe?.().catch(() => undefined);
    await this.idle();
  }

  #checkRunning(): void {
    if (this.#stopped) throw new RolloutError('not-allowed', 'The rollout driver is stopped');
  }

  #track(record: RolloutRecord): Active {
    let a = this.#active.get(record.id);
    if (a === undefined) {
      a = { app: record.app, targets: new Set(record.targets), releaseDigest: record.release.manifestDigest, issuedSequence: new Map(), owed: new Map(), tail: Promise.resolve(), pending: [] };
      this.#active.set(record.id, a);
    }
    return a;
  }

  /** Queues one event behind the rollout's previous steps: load, step, save, then act. */
  #enqueue(id: string, event: RolloutEvent): Promise<StepResult> {
    const a = this.#active.get(id);
    if (a === undefined) return Promise.resolve({ ok: false, error: new RolloutError('not-allowed', 'The rollout is not active in this driver (unknown or finished)', id) });
    const run = a.tail.then(async (): Promise<StepResult> => {
      const result = await applyEvent(this.#o.store, id, event);
      if (result.ok) {
        await this.#act(id, result.actions);
        if (FINAL.has(result.record.state)) this.#active.delete(id);
      }
      return result;
    });
    a.tail = run.then(
      () => undefined,
      (e: unknown) => this.#call(() => this.#o.onError?.(e instanceof Error ? e : new Error(String(e)), id)),
    );
    return run;
  }

  /**
   * Queues a report or tick for the rollout's next batch step: the first event of a batch puts one step on the
   * queue, later ones join it until it runs, so a burst of reports costs one load and one save of the record.
   */
  #batch(id: string, a: Active, event: RolloutEvent): void {
    a.pending.push(event);
    if (a.pending.length > 1) return;
    a.tail = a.tail.then(async () => {
      const events = a.pending.splice(0);
      if (events.length === 0 || this.#active.get(id) !== a) return;
      try {
        const { record, actions } = await applyEvents(this.#o.store, id, events);
        await this.#act(id, actions);
        if (FINAL.has(record.state)) this.#active.delete(id);
      } catch (e) {
        this.#call(() => this.#o.onError?.(e instanceof Error ? e : new Error(String(e)), id));
      }
    });
  }

  async #act(id: string, actions: readonly RolloutAction[]): Promise<void> {
    for (const action of actions) {
      if (action.kind === 'record') {
        this.#decisions.push({ rolloutId: id, decision: action.decision });
        this.#call(() => this.#o.onDecision?.(id, action.decision));
        continue;
      }
      await this.#publish(id, action.deviceIds.map((deviceId) => ({ deviceId, release: action.release, app: action.app })));
    }
  }

  /** Publishes each device's desired state; a failure is counted, reported and owed until a later tick succeeds. */
  async #publish(id: string, publishes: readonly { readonly deviceId: string; readonly release: Release; readonly app: string }[]): Promise<void> {
    const a = this.#active.get(id);
    const results: PromiseSettledResult<number | void>[] = new Array(publishes.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < publishes.length && !this.#stopped) {
        const i = next++;
        const p = publishes[i]!;
        results[i] = await this.#o.publishDesired(p.deviceId, p.release, p.app).then(
          (value) => ({ status: 'fulfilled' as const, value }),
          (reason: unknown) => ({ status: 'rejected' as const, reason }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(publishes.length, this.#o.publishConcurrency ?? 16) }, worker));
    // publishes a stopped driver never made are owed: the next leader's recovery repeats them
    for (let i = 0; i < publishes.length; i++) results[i] ??= { status: 'rejected', reason: new Error('the rollout driver stopped first') };
    results.forEach((r, i) => {
      const p = publishes[i]!;
      if (r.status === 'fulfilled') {
        a?.owed.delete(p.deviceId);
        if (typeof r.value === 'number') a?.issuedSequence.set(p.deviceId, r.value);
        return;
      }
      a?.owed.set(p.deviceId, { release: p.release, app: p.app });
      this.counts.publishFailures++;
      const why = r.reason instanceof Error ? r.reason.message : String(r.reason);
      const error = new PublishFailed(id, p.deviceId, `Cannot publish ${p.app} ${p.release.version} to device "${p.deviceId}": ${why}`);
      this.#call(() => this.#o.onError?.(error, id));
    });
  }

  /** Runs a caller's callback; its throw must not break a rollout's queue. */
  #call(f: () => void): void {
    try {
      f();
    } catch {
      // the caller's problem: the rollout goes on
    }
  }

  #onStatus(payload: Uint8Array, topic: string): void {
    if (this.#stopped || payload.length === 0) return; // an empty retained message clears a report: nothing to learn
    let status: Status;
    try {
      status = decodeStatus(payload);
      if (parseTopic(topic).deviceId !== status.deviceId) throw new Error('device id is not the topic\'s');
    } catch {
      this.counts.malformed++;
      return;
    }
    const atMs = this.#clock();
    let fed = false;
    for (const [id, a] of this.#active) {
      if (!a.targets.has(status.deviceId) || this.#stale(a, status)) continue;
      fed = true;
      this.#batch(id, a, reportFromStatus(status, a.app, atMs));
    }
    if (fed) this.counts.reports++;
  }

  /**
   * A report from before the device took the desired state naming this rollout's release: it still shows the
   * outcome of the state before (an error code of an earlier rollout's rollback, say), which the engine would read
   * as this release's failure. Reports naming the release itself are news whatever their sequence.
   */
  #stale(a: Active, status: Status): boolean {
    const issued = a.issuedSequence.get(status.deviceId);
    if (issued === undefined || (status.desiredSequence ?? 0) >= issued) return false;
    const m = status.modules.find((x) => x.name === a.app);
    return m === undefined || Buffer.from(m.manifestDigest).toString('hex') !== a.releaseDigest;
  }

  #tickAll(): void {
    const atMs = this.#clock();
    for (const [id, a] of this.#active) {
      if (a.owed.size > 0) {
        // retry in the rollout's queue, so a retry never overtakes a newer publish (a rollback) to the same device
        a.tail = a.tail.then(() => this.#publish(id, [...a.owed].map(([deviceId, p]) => ({ deviceId, ...p }))));
      }
      this.#batch(id, a, { type: 'tick', atMs });
    }
  }
}
