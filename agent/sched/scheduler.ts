// The cooperative scheduler: runs many WebAssembly calls on one JavaScript thread, round robin,
// one fuel slice per turn, and parks calls whose host function is waiting (a sleep until a clock
// time, a promise, an external event) until they can go on. It owns turn order and parking; the
// engine owns fuel and suspension, the embedder owns the clock (see DESIGN.md).

import type { CallResult, Pending, SuspendedCall, Value } from '../wasm/api.ts';
import type { Instance } from '../wasm/instance.ts';
import { UNLIMITED_FUEL } from '../wasm/runtime/limits.ts';
import { RunQueue } from './_run-queue.ts';
import { TimerHeap } from './_timer-heap.ts';

/** Time as the scheduler sees it (milliseconds by convention); injected so tests control it. */
export interface Clock {
  now(): number;
}

/**
 * Where a task is:
 * - runnable: in the run queue
 * - sleeping: its host function asked to wait until `wakeAt` on the clock
 * - waiting: its host function returned a promise, or nothing to wait on (then only `wake` helps)
 * - exited: finished, trapped, exhausted, stopped or abandoned (see `outcome`)
 */
export type TaskState = 'runnable' | 'sleeping' | 'waiting' | 'exited';

/** How a task ended: its call's final result, or why the scheduler gave up on it. */
export type TaskOutcome =
  | Exclude<CallResult<unknown>, { kind: 'suspended' }>
  | { readonly kind: 'abandoned'; readonly reason: string; readonly error: unknown; readonly fuelUsed: number };

/** A scheduled call, as callers see it (read-only). */
export interface Task {
  readonly id: number;
  readonly name: string;
  readonly state: TaskState;
  /** Fuel per turn: the instance's `fuelPerCall`. */
  readonly slice: number;
  /** Turns (fuel slices) received so far. */
  readonly turns: number;
  /** Fuel the call has used over all its turns. */
  readonly fuelUsed: number;
  /** Times the task was woken after a sleep, a promise or `wake`. */
  readonly wakeups: number;
  /** Clock time the task sleeps until, while sleeping. */
  readonly wakeAt: number | undefined;
  /** What the waiting host function returned, while sleeping or waiting. */
  readonly pending: Pending | undefined;
  readonly outcome: TaskOutcome | undefined;
}

export interface SchedulerOptions {
  readonly clock: Clock;
  /** Called once when a task exits, with its outcome set. */
  readonly onExit?: (task: Task) => void;
  /**
   * Called when a parked task becomes runnable outside a turn (a promise settled or `wake` was
   * called), so an idle driver knows to run turns again.
   */
  readonly onRunnable?: () => void;
}

class TaskRecord implements Task {
  state: TaskState = 'runnable';
  turns = 0;
  fuelUsed = 0;
  wakeups = 0;
  wakeAt: number | undefined = undefined;
  outcome: TaskOutcome | undefined = undefined;
  /** The suspended call, once the first turn has started it. */
  call: SuspendedCall<unknown> | undefined = undefined;
  /** The waiting host function's result, to resume with. */
  resumeValue: unknown = undefined;

  constructor(
    readonly owner: Scheduler,
    readonly id: number,
    readonly name: string,
    readonly slice: number,
    readonly begin: () => CallResult<unknown>,
  ) {}

  get pending(): Pending | undefined {
    return this.state === 'sleeping' || this.state === 'waiting' ? this.call?.pending : undefined;
  }
}

/** The clock time a Pending's detail asks to sleep until (`{ sleepUntil: t }`), if any. */
function sleepUntilOf(p: Pending | undefined): number | undefined {
  const d = p?.detail;
  if (typeof d !== 'object' || d === null) return undefined;
  const t = (d as { sleepUntil?: unknown }).sleepUntil;
  return typeof t === 'number' && !Number.isNaN(t) ? t : undefined;
}

export class Scheduler {
  private readonly clock: Clock;
  private readonly onExit: ((task: Task) => void) | undefined;
  private readonly onRunnable: (() => void) | undefined;
  private readonly queue = new RunQueue<TaskRecord>();
  private readonly sleepers = new TimerHeap<TaskRecord>();
  private readonly live = new Set<TaskRecord>();
  private nextId = 1;
  /** The task whose turn is running. */
  private current: TaskRecord | undefined = undefined;

  constructor(options: SchedulerOptions) {
    this.clock = options.clock;
    this.onExit = options.onExit;
    this.onRunnable = options.onRunnable;
  }

  /**
   * Schedules a call of an instance's exported function; its first turn starts the call.
   * @throws TypeError when there is no such function export
   * @throws RangeError when the instance has unlimited fuel per call (the task would never yield)
   */
  spawn(instance: Instance, exportName: string, args: readonly Value[] = [], name = exportName): Task {
    const func = instance.func(exportName);
    return this.spawnCall(name, instance.rt.limits.fuelPerCall, () => func.call(...args));
  }

  /**
   * Schedules any metered call (an instantiation whose start function may suspend, for example):
   * `begin` starts it with `slice` units of fuel, and every later turn tops it up to `slice`.
   * @throws RangeError when the slice is not a positive number below UNLIMITED_FUEL
   */
  spawnCall(name: string, slice: number, begin: () => CallResult<unknown>): Task {
    if (!(slice > 0 && slice < UNLIMITED_FUEL)) {
      throw new RangeError(`Cannot schedule "${name}" with a fuel slice of ${slice}: give its instance a finite fuelPerCall`);
    }
    const t = new TaskRecord(this, this.nextId++, name, slice, begin);
    this.live.add(t);
    this.queue.push(t);
    return t;
  }

  /** Tasks not yet exited, in spawn order. */
  tasks(): Task[] {
    return [...this.live];
  }

  /** Number of tasks in the run queue. */
  get runnable(): number {
    return this.queue.size;
  }

  /** The earliest clock time a sleeping task wakes at, if any sleeps. */
  nextWakeAt(): number | undefined {
    return this.sleepers.peekTime();
  }

  /**
   * Runs one turn: wakes the sleepers that are due, then gives the task at the head of the run
   * queue one fuel slice. Returns that task, or undefined when none is runnable.
   * @throws Error when called from inside a turn (from a host function)
   */
  step(): Task | undefined {
    if (this.current !== undefined) throw new Error('Cannot run a scheduler turn from inside a turn');
    this.wakeDue();
    const t = this.queue.shift();
    if (t === undefined) return undefined;
    this.current = t;
    let r: CallResult<unknown> | undefined;
    let thrown: unknown;
    try {
      if (t.call === undefined) {
        r = t.begin();
      } else {
        // Top up to one slice rather than add one: a task that waited cannot bank fuel.
        const left = t.call.fuelLeft();
        if (left < t.slice) t.call.addFuel(t.slice - left);
        const v = t.resumeValue;
        t.resumeValue = undefined;
        r = t.call.resume(v);
      }
    } catch (e) {
      // An engine bug or a bad argument must not take the other tasks down: this one is dropped.
      thrown = e;
    } finally {
      this.current = undefined;
    }
    t.turns++;
    if (r === undefined) this.exit(t, { kind: 'abandoned', reason: 'the engine threw', error: thrown, fuelUsed: t.fuelUsed });
    else this.settle(t, r);
    return t;
  }

  /**
   * Runs one round: every task runnable after waking the due sleepers gets exactly one turn
   * (tasks that go back to the queue during the round wait for the next). Returns the turns run.
   */
  round(): number {
    this.wakeDue();
    let n = this.queue.size;
    let ran = 0;
    while (n-- > 0 && this.step() !== undefined) ran++;
    return ran;
  }

  /**
   * Resumes a parked (sleeping or waiting) task with `hostResult` as its host function's result.
   * @throws Error when the task is not parked
   */
  wake(task: Task, hostResult?: unknown): void {
    const t = this.record(task);
    if (t.state !== 'sleeping' && t.state !== 'waiting') {
      throw new Error(`Cannot wake task "${t.name}": it is ${t.state}, not parked`);
    }
    if (t.state === 'sleeping') this.sleepers.remove(t);
    t.resumeValue = hostResult;
    this.makeRunnable(t);
    this.onRunnable?.();
  }

  /**
   * Stops a task wherever it is; its outcome becomes "abandoned". Does nothing once it exited.
   * @throws Error when called for the task whose turn is running
   */
  stop(task: Task, reason = 'stopped'): void {
    const t = this.record(task);
    if (t.state === 'exited') return;
    if (t === this.current) throw new Error(`Cannot stop task "${t.name}" during its own turn`);
    if (t.state === 'runnable') this.queue.remove(t);
    if (t.state === 'sleeping') this.sleepers.remove(t);
    this.exit(t, { kind: 'abandoned', reason, error: undefined, fuelUsed: t.fuelUsed });
  }

  private record(task: Task): TaskRecord {
    if (!(task instanceof TaskRecord) || task.owner !== this) {
      throw new Error(`Task "${task.name}" does not belong to this scheduler`);
    }
    return task;
  }

  private wakeDue(): void {
    const now = this.clock.now();
    for (let at = this.sleepers.peekTime(); at !== undefined && at <= now; at = this.sleepers.peekTime()) {
      this.makeRunnable(this.sleepers.pop()!);
    }
  }

  private makeRunnable(t: TaskRecord): void {
    t.wakeups++;
    t.wakeAt = undefined;
    t.state = 'runnable';
    this.queue.push(t);
  }

  /** Files a task after its turn according to how the call stopped. */
  private settle(t: TaskRecord, r: CallResult<unknown>): void {
    t.fuelUsed = r.fuelUsed;
    if (r.kind !== 'suspended') {
      this.exit(t, r);
      return;
    }
    const call = r.call;
    t.call = call;
    if (r.reason === 'fuel') {
      t.state = 'runnable';
      this.queue.push(t);
      return;
    }
    const pending = call.pending;
    const until = sleepUntilOf(pending);
    if (until !== undefined) {
      // The scheduler's clock decides when a sleep ends, even if the host also gave a promise.
      t.state = 'sleeping';
      t.wakeAt = until;
      this.sleepers.push(until, t);
      return;
    }
    t.state = 'waiting';
    pending?.promise?.then(
      (v) => {
        if (t.call !== call || t.state !== 'waiting') return; // stopped or woken meanwhile
        t.resumeValue = v;
        this.makeRunnable(t);
        this.onRunnable?.();
      },
      (e: unknown) => {
        if (t.call !== call || t.state !== 'waiting') return;
        this.exit(t, { kind: 'abandoned', reason: 'the awaited promise was rejected', error: e, fuelUsed: t.fuelUsed });
      },
    );
  }

  private exit(t: TaskRecord, outcome: TaskOutcome): void {
    t.state = 'exited';
    t.wakeAt = undefined;
    t.outcome = outcome;
    t.call = undefined;
    this.live.delete(t);
    this.onExit?.(t);
  }
}
