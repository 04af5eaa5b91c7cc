// Time as the hardware backends see it: the scheduler's Clock (milliseconds) plus injectable
// timers, so a test or the simulator can move time by hand and every timeout follows.

import type { Clock } from '../../sched/scheduler.ts';

export type { Clock } from '../../sched/scheduler.ts';

/** An opaque handle returned by `Timers.setTimeout`. */
export type TimerHandle = unknown;

/** `setTimeout`-like timers, injected: real ones in the agent, hand-driven ones in tests. */
export interface Timers {
  /** Calls `fn` once, `ms` milliseconds (on the matching clock) from now. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; does nothing if it already fired or was cleared. */
  clearTimeout(handle: TimerHandle): void;
}

/** A clock and timers that agree with each other. */
export interface TimeSource extends Clock, Timers {}

/** Real time: a monotonic clock (`performance.now()`, ms) and Node's timers. */
export const systemTime: TimeSource = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
