// The runner's record of one app (private to agent/host): its calls, counters and state, and
// the report built from them.

import type { Task } from '../sched/scheduler.ts';
import type { Instance } from '../wasm/instance.ts';
import type { AppHost } from './app-host.ts';
import type { AppSpec } from './app-runner.ts';
import type { AppError, AppPhase, AppReport, AppState } from './app-report.ts';

export interface Call {
  readonly phase: AppPhase;
  readonly exportName: string;
  /** Fuel the whole call may use (Infinity for a command's `_start`). */
  readonly budget: number;
  readonly resolve?: (value: number | undefined) => void;
}

export interface Running extends Call {
  readonly task: Task;
  outOfFuel: boolean;
}

export class AppRecord {
  state: AppState = 'starting';
  instance: Instance | undefined = undefined;
  current: Running | undefined = undefined;
  readonly queue: Call[] = [];
  nextTickAt: number;
  ticks = 0;
  missedTicks = 0;
  tickFailures = 0;
  fuelLast = 0;
  fuelMax = 0;
  fuelTicks = 0;
  fuelDone = 0;
  pages = 0;
  highWater = 0;
  cap = 0;
  traps = 0;
  outOfFuel = 0;
  exhausted = 0;
  lastError: AppError | undefined = undefined;
  exitCode: number | undefined = undefined;
  closing: Promise<void> | undefined = undefined;

  constructor(
    readonly spec: AppSpec,
    readonly host: AppHost,
    readonly slice: number,
    startedAt: number,
  ) {
    this.nextTickAt = startedAt + spec.limits.tickPeriodMs;
  }
}

/** The report of an app now. */
export function reportOf(r: AppRecord): AppReport {
  const h = r.host.stats();
  return {
    name: r.spec.name, kind: r.spec.kind, state: r.state,
    ticks: r.ticks, missedTicks: r.missedTicks,
    fuel: { lastTick: r.fuelLast, maxTick: r.fuelMax, meanTick: r.ticks === 0 ? 0 : r.fuelTicks / r.ticks, total: r.fuelDone + (r.current?.task.fuelUsed ?? 0) },
    memory: { pages: r.pages, highWaterPages: r.highWater, capPages: r.cap },
    traps: r.traps, outOfFuel: r.outOfFuel, exhausted: r.exhausted, lastError: r.lastError, exitCode: r.exitCode,
    logLines: h.logLines, droppedLogLines: h.droppedLogLines, host: h,
  };
}
