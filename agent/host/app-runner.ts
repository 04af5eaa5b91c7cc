// The app runner: instantiates modules with their host bindings and runs them under one
// cooperative scheduler: reactors (`_initialize`, `init`, then `tick` every tick period on the
// injected clock, `health` on request) and WASI commands (`_start`), one call at a time per app,
// each reactor call held to its fuelPerTick; it reports per app and contains what misbehaves.

import type { ManifestLimits } from '../../schemas/messages/manifest.ts';
import { Scheduler, type Task, type TaskOutcome } from '../sched/scheduler.ts';
import { Func, Instance, Store } from '../wasm/instance.ts';
import { Module } from '../wasm/module.ts';
import { AppHost } from './app-host.ts';
import type { AppError, AppReport } from './app-report.ts';
import { AppRecord, reportOf, type Call, type Running } from './_app-record.ts';
import type { HostDevice, HostLimits } from './config.ts';
import type { Timers } from './hw/time.ts';
import { ProcExit } from './host-context.ts';

/** One app to run. */
export interface AppSpec {
  readonly name: string;
  readonly kind: 'reactor' | 'command';
  /** The module, compiled or as bytes. */
  readonly module: Module | Uint8Array;
  /** Capability texts the manifest declares. */
  readonly capabilities: readonly string[];
  /** The device policy's grants; undefined grants everything declared. */
  readonly deviceGrants?: readonly string[];
  /** The manifest's limits (`hostCallsPerSecond` feeds the host's call rate limit). */
  readonly limits: ManifestLimits;
  readonly hostLimits?: Partial<Omit<HostLimits, 'hostCallsPerSecond'>>;
  readonly settings?: Readonly<Record<string, string>>;
  /** WASI arguments after argv[0]. */
  readonly args?: readonly string[];
}

/** Time the runner moves itself (device-sim's ManualTime): runs are as fast as the CPU allows. */
export interface VirtualTime {
  now(): number;
  advance(ms: number): Promise<void>;
  nextDue(): number | undefined;
}

export interface RunnerOptions {
  /** The device; its `clock` is the runner's clock. */
  readonly device: HostDevice;
  /** Timers for idle waits in real time (default Node's). */
  readonly timers?: Timers;
  /**
   * Virtual time: the runner advances `time` (which must be the device clock) to the next event
   * when idle, and by the fuel each round used divided by `fuelPerMs` (simulated CPU time).
   */
  readonly virtual?: { readonly time: VirtualTime; readonly fuelPerMs: number };
  /** Largest fuel slice per turn (default 100,000); an app's slice is min(this, fuelPerTick). */
  readonly maxSliceFuel?: number;
  /** A reactor whose ticks fail this many times in a row is stopped as failed (default 3). */
  readonly maxTickFailures?: number;
  /** Called when an app leaves the starting or running state, with its report. */
  readonly onEnd?: (report: AppReport) => void;
}

const yieldNow = (): Promise<void> => new Promise((r) => setImmediate(r));
/** Read afresh: TypeScript keeps a narrowing of `signal.aborted` across awaits, where it can change. */
const aborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;
const defaultTimers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };

export class AppRunner {
  private readonly sched: Scheduler;
  private readonly apps = new Map<string, AppRecord>();
  private readonly owner = new WeakMap<Task, AppRecord>();
  private readonly seenFuel = new WeakMap<Task, number>();
  private readonly maxSlice: number;
  private readonly maxTickFailures: number;
  private kick: (() => void) | undefined = undefined;
  private driving = false;

  constructor(private readonly options: RunnerOptions) {
    this.maxSlice = options.maxSliceFuel ?? 100_000;
    this.maxTickFailures = options.maxTickFailures ?? 3;
    this.sched = new Scheduler({ clock: options.device.clock, onExit: (t) => this.onExit(t), onRunnable: () => this.kick?.() });
  }

  private now(): number {
    return this.options.device.clock.now();
  }

  /**
   * Adds an app: links its imports against its grants, then instantiates it under the scheduler
   * (its start function, `_initialize` and `init` run as the runner runs).
   * @throws LinkError (capability-denied, unknown-import, incompatible-import), DecodeError,
   *   ValidationError, CapabilityError, KvError; Error when the name is taken
   */
  async add(spec: AppSpec): Promise<void> {
    if (this.apps.has(spec.name)) throw new Error(`Cannot add app "${spec.name}": an app of that name is running`);
    const module = spec.module instanceof Module ? spec.module : Module.compile(spec.module);
    const host = await AppHost.create(this.options.device, {
      app: spec.name,
      capabilities: spec.capabilities,
      ...(spec.deviceGrants === undefined ? {} : { deviceGrants: spec.deviceGrants }),
      limits: { ...spec.hostLimits, hostCallsPerSecond: spec.limits.hostCallsPerSecond },
      ...(spec.settings === undefined ? {} : { settings: spec.settings }),
      ...(spec.args === undefined ? {} : { args: spec.args }),
    });
    let imports;
    try {
      imports = host.imports(module);
    } catch (e) {
      await host.close();
      throw e;
    }
    const l = spec.limits;
    const slice = Math.min(l.fuelPerTick, this.maxSlice);
    const rec = new AppRecord(spec, host, slice, this.now());
    this.apps.set(spec.name, rec);
    const limits = { maxMemoryPages: l.maxMemoryPages, maxTableElements: l.maxTableElements, maxCallDepth: l.maxCallDepth, maxStackSlots: l.maxStackSlots, fuelPerCall: slice };
    const task = this.sched.spawnCall(`${spec.name}:start`, slice, () => Instance.instantiate(new Store(), module, imports, { limits, metering: true }));
    this.track(rec, task, { phase: 'start', exportName: '', budget: l.fuelPerTick });
    this.kick?.();
  }

  /** Names of the apps added (running or ended). */
  names(): string[] {
    return [...this.apps.keys()];
  }

  /** @throws Error when there is no such app */
  report(name: string): AppReport {
    return reportOf(this.record(name));
  }

  /**
   * Calls the app's `health` export after its current call (the runner must be running):
   * resolves with its result, or undefined when it has none, is not running, or the call failed.
   */
  health(name: string): Promise<number | undefined> {
    const r = this.record(name);
    if (r.state !== 'running' || r.instance === undefined || !(r.instance.exports.get('health') instanceof Func)) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.enqueue(r, { phase: 'health', exportName: 'health', budget: r.spec.limits.fuelPerTick, resolve });
      this.kick?.();
    });
  }

  /** Stops an app wherever it is and gives back what its host held. @throws Error when there is no such app */
  async stop(name: string): Promise<void> {
    const r = this.record(name);
    if (r.state === 'starting' || r.state === 'running') {
      r.state = 'stopped';
      if (r.current !== undefined) this.sched.stop(r.current.task, 'stopped by the agent');
      this.options.onEnd?.(this.report(name));
    }
    await this.end(r);
  }

  /**
   * Stops an app (if it still runs), waits until its host is closed (its key-value store written), and forgets it, so
   * that an app of the same name can be added again (the agent's update and restart path). No-op for an unknown name.
   */
  async remove(name: string): Promise<void> {
    if (!this.apps.has(name)) return;
    await this.stop(name);
    this.apps.delete(name);
  }

  /** Stops every app and waits until their hosts are closed. */
  async close(): Promise<void> {
    for (const name of this.apps.keys()) await this.stop(name);
  }

  /** Runs for `ms` on the clock. */
  async runFor(ms: number, signal?: AbortSignal): Promise<void> {
    await this.runUntil(this.now() + ms, signal);
  }

  /**
   * Runs apps until the clock reaches `end` (or the signal fires): spawns due ticks, gives turns,
   * and when nothing is runnable waits (or, in virtual time, advances) to the next event.
   * @throws Error when already running
   */
  async runUntil(end: number, signal?: AbortSignal): Promise<void> {
    await this.loop(end, signal, false);
  }

  /**
   * Runs until every app has ended (exited, failed or stopped), or for at most `maxMs`.
   * @throws Error when already running
   */
  async runToCompletion(maxMs: number, signal?: AbortSignal): Promise<void> {
    await this.loop(this.now() + maxMs, signal, true);
  }

  private active(): boolean {
    for (const r of this.apps.values()) if (r.state === 'starting' || r.state === 'running') return true;
    return false;
  }

  private async loop(end: number, signal: AbortSignal | undefined, untilEnded: boolean): Promise<void> {
    if (this.driving) throw new Error('Cannot run the app runner twice at once');
    this.driving = true;
    const onAbort = (): void => this.kick?.();
    signal?.addEventListener('abort', onAbort);
    const virtual = this.options.virtual;
    let lastYield = performance.now();
    try {
      while (signal?.aborted !== true) {
        const now = this.now();
        if (now >= end || (untilEnded && !this.active())) return;
        this.spawnDueTicks(now);
        const wake = this.sched.nextWakeAt();
        if (this.sched.runnable > 0 || (wake !== undefined && wake <= now)) {
          const fuel = this.round();
          if (virtual !== undefined) await virtual.time.advance(Math.min(fuel / virtual.fuelPerMs, end - now));
          else if (performance.now() - lastYield > 20) {
            await yieldNow();
            lastYield = performance.now();
          }
          continue;
        }
        await yieldNow(); // promises that are already settled make their tasks runnable
        lastYield = performance.now();
        if (this.sched.runnable > 0) continue;
        const next = Math.min(end, this.nextTickDue(), this.sched.nextWakeAt() ?? Infinity);
        if (virtual !== undefined) {
          const due = virtual.time.nextDue();
          await virtual.time.advance(Math.max(0, Math.min(next, due ?? Infinity) - this.now()));
        } else {
          // An abort during the yield above found no wait to wake (kick unset): check it before waiting, or a runner
          // with nothing due would wait forever and the agent's close() with it.
          if (aborted(signal)) return;
          await this.idle(next - this.now());
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.driving = false;
    }
  }

  private record(name: string): AppRecord {
    const r = this.apps.get(name);
    if (r === undefined) throw new Error(`There is no app "${name}"`);
    return r;
  }

  private idle(ms: number): Promise<void> {
    const timers = this.options.timers ?? defaultTimers;
    return new Promise((resolve) => {
      const done = (): void => {
        if (timer !== undefined) timers.clearTimeout(timer);
        this.kick = undefined;
        resolve();
      };
      // Nothing due (the agent runs until Infinity with no app): wait for a kick only, not a timer Node would clamp
      // to 1 ms and so spin on.
      const timer = Number.isFinite(ms) ? timers.setTimeout(done, Math.min(Math.max(0, ms), 2 ** 31 - 1)) : undefined;
      this.kick = done;
    });
  }

  private nextTickDue(): number {
    let t = Infinity;
    for (const r of this.apps.values()) if (r.state === 'running' && r.spec.kind === 'reactor') t = Math.min(t, r.nextTickAt);
    return t;
  }

  private spawnDueTicks(now: number): void {
    for (const r of this.apps.values()) {
      if (r.spec.kind !== 'reactor' || (r.state !== 'running' && r.state !== 'starting')) continue;
      while (r.nextTickAt <= now) {
        r.nextTickAt += r.spec.limits.tickPeriodMs;
        if (r.state !== 'running' || r.current !== undefined || r.queue.length > 0) r.missedTicks++;
        else this.enqueue(r, { phase: 'tick', exportName: 'tick', budget: r.spec.limits.fuelPerTick });
      }
    }
  }

  /** One turn for each task runnable now; returns the fuel they used. */
  private round(): number {
    let fuel = 0;
    let n = Math.max(1, this.sched.runnable);
    while (n-- > 0) {
      const t = this.sched.step();
      if (t === undefined) break;
      const before = this.seenFuel.get(t) ?? 0;
      this.seenFuel.set(t, t.fuelUsed);
      fuel += t.fuelUsed - before;
      const r = this.owner.get(t);
      if (r === undefined) continue;
      this.observeMemory(r);
      const c = r.current;
      if (c !== undefined && c.task === t && t.state !== 'exited' && t.fuelUsed >= c.budget) {
        c.outOfFuel = true;
        this.sched.stop(t, `used its fuel budget of ${c.budget}`);
      }
    }
    return fuel;
  }

  private observeMemory(r: AppRecord): void {
    const m = r.instance?.rt.mems[0];
    if (m === undefined) return;
    r.pages = m.pages;
    r.cap = m.cap;
    if (m.pages > r.highWater) r.highWater = m.pages;
  }

  private track(r: AppRecord, task: Task, call: Call): void {
    this.owner.set(task, r);
    r.current = { ...call, task, outOfFuel: false };
  }

  private enqueue(r: AppRecord, call: Call): void {
    r.queue.push(call);
    if (r.current === undefined) this.next(r);
  }

  /** Starts the app's next queued call, or moves a started reactor to running. */
  private next(r: AppRecord): void {
    if (r.state !== 'starting' && r.state !== 'running') return;
    const call = r.queue.shift();
    if (call === undefined) {
      if (r.state === 'starting') r.state = 'running';
      return;
    }
    const inst = r.instance!;
    const f = inst.exports.get(call.exportName);
    if (!(f instanceof Func)) {
      call.resolve?.(undefined);
      this.fail(r, { reason: 'missing-export', phase: call.phase, kind: undefined, message: `The module exports no function "${call.exportName}"`, atMs: this.now() });
      return;
    }
    if (call.phase === 'main') r.state = 'running';
    const task = this.sched.spawnCall(`${r.spec.name}:${call.exportName}`, r.slice, () => f.call());
    this.track(r, task, call);
  }

  private onExit(t: Task): void {
    const r = this.owner.get(t);
    const c = r?.current;
    if (r === undefined || c === undefined || c.task !== t) return;
    r.current = undefined;
    r.fuelDone += t.fuelUsed;
    this.observeMemory(r);
    const o = t.outcome!;
    if (r.state === 'stopped') {
      c.resolve?.(undefined);
      return;
    }
    if (o.kind === 'done') {
      this.succeeded(r, c, o.value);
      return;
    }
    c.resolve?.(undefined);
    if (c.phase === 'main' && o.kind === 'trap' && (o.trap.cause instanceof ProcExit || r.host.exitCode !== undefined)) {
      r.exitCode = r.host.exitCode ?? (o.trap.cause as ProcExit).code;
      this.finish(r, 'exited');
      return;
    }
    const err = this.errorOf(c, o);
    if (err.reason === 'trap') r.traps++;
    else if (err.reason === 'out-of-fuel') r.outOfFuel++;
    else if (err.reason === 'exhausted') r.exhausted++;
    if (c.phase === 'tick' && ++r.tickFailures < this.maxTickFailures) {
      r.lastError = err;
      this.next(r);
      return;
    }
    this.fail(r, err);
  }

  private succeeded(r: AppRecord, c: Running, value: unknown): void {
    switch (c.phase) {
      case 'start': {
        const inst = value as Instance;
        r.instance = inst;
        r.host.attach(inst);
        this.observeMemory(r);
        const budget = r.spec.limits.fuelPerTick;
        if (inst.exports.get('_initialize') instanceof Func) r.queue.push({ phase: 'initialize', exportName: '_initialize', budget });
        if (r.spec.kind === 'command') r.queue.push({ phase: 'main', exportName: '_start', budget: Infinity });
        else if (inst.exports.get('init') instanceof Func) r.queue.push({ phase: 'init', exportName: 'init', budget });
        break;
      }
      case 'tick':
        r.ticks++;
        r.tickFailures = 0;
        r.fuelLast = c.task.fuelUsed;
        r.fuelMax = Math.max(r.fuelMax, c.task.fuelUsed);
        r.fuelTicks += c.task.fuelUsed;
        break;
      case 'health': {
        const v = (value as unknown[])[0];
        c.resolve?.(typeof v === 'number' ? v : undefined);
        break;
      }
      case 'main':
        r.exitCode = 0;
        this.finish(r, 'exited');
        return;
      default:
        break;
    }
    this.next(r);
  }

  private errorOf(c: Running, o: Exclude<TaskOutcome, { kind: 'done' }>): AppError {
    const atMs = this.now();
    const base = { phase: c.phase, atMs };
    switch (o.kind) {
      case 'trap': return { ...base, reason: 'trap', kind: o.trap.kind, message: o.trap.message };
      case 'exhausted': return { ...base, reason: 'exhausted', kind: o.error.kind, message: o.error.message };
      case 'abandoned':
        if (c.outOfFuel) return { ...base, reason: 'out-of-fuel', kind: 'fuel', message: `The ${c.phase} call used its fuelPerTick of ${c.budget}` };
        return { ...base, reason: 'abandoned', kind: undefined, message: `${o.reason}${o.error instanceof Error ? `: ${o.error.message}` : ''}` };
    }
  }

  private fail(r: AppRecord, err: AppError): void {
    r.lastError = err;
    this.finish(r, 'failed');
  }

  /** Ends an app (exited or failed): its queued calls are dropped and its host closed. */
  private finish(r: AppRecord, state: 'exited' | 'failed'): void {
    r.state = state;
    for (const q of r.queue.splice(0)) q.resolve?.(undefined);
    void this.end(r);
    this.options.onEnd?.(this.report(r.spec.name));
  }

  private end(r: AppRecord): Promise<void> {
    for (const q of r.queue.splice(0)) q.resolve?.(undefined);
    r.closing ??= r.host.close().catch(() => undefined);
    return r.closing;
  }
}
