// A hand-driven TimeSource for tests and the simulator: time moves only when `advance` is
// called, and timers fire in due order with the clock set to each one's due time.

import type { TimeSource, TimerHandle } from './time.ts';

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** Virtual time in milliseconds, starting at `start`. Deterministic: ties fire in creation order. */
export class ManualTime implements TimeSource {
  private t: number;
  private nextId = 1;
  /** Timers sorted by due time, then id. */
  private timers: PendingTimer[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: PendingTimer = { id: this.nextId++, at: this.t + Math.max(0, ms), fn };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.at > timer.at) i--;
    this.timers.splice(i, 0, timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    const i = this.timers.findIndex((x) => x.id === handle);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Due time of the earliest timer, if any. */
  nextDue(): number | undefined {
    return this.timers[0]?.at;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way (timers they set
   * fire too when due before the end), then settles promise callbacks after each timer, so
   * code awaiting a timed-out read sees it before the next timer fires.
   * @throws RangeError when `ms` is negative
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`Cannot move time by ${ms} ms: it only goes forward`);
    const end = this.t + ms;
    await settle();
    for (let next = this.timers[0]; next !== undefined && next.at <= end; next = this.timers[0]) {
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }

  /** Moves time to `at` (absolute); see `advance`. */
  async advanceTo(at: number): Promise<void> {
    await this.advance(at - this.t);
  }
}

/** Lets queued promise callbacks (and the I/O callbacks due now) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
