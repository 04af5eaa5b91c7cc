// What the app runner reports per app: its state, ticks against the schedule, fuel per tick,
// memory high-water, traps and the last error with its reason, log lines and host use.

import type { HostStats } from './host-context.ts';

/**
 * - starting: instantiating, or running `_initialize` / `init`
 * - running: a reactor between and during ticks, a command in `_start`
 * - exited: a command that returned from `_start` or called proc_exit
 * - failed: a trap or limit in start-up, a command's trap, or a reactor whose ticks failed too often
 * - stopped: stopped by the agent
 */
export type AppState = 'starting' | 'running' | 'exited' | 'failed' | 'stopped';

/** Which call of the app an error happened in. */
export type AppPhase = 'start' | 'initialize' | 'init' | 'tick' | 'health' | 'main';

/**
 * Why a call of the app failed:
 * - trap: a WebAssembly trap (`kind` says which)
 * - out-of-fuel: a reactor call used its fuelPerTick
 * - exhausted: a limit of the engine (call depth, value stack)
 * - abandoned: the scheduler or the engine gave up on the call
 * - missing-export: `tick` or `_start` is not exported
 */
export type AppErrorReason = 'trap' | 'out-of-fuel' | 'exhausted' | 'abandoned' | 'missing-export';

export interface AppError {
  readonly reason: AppErrorReason;
  readonly phase: AppPhase;
  /** The trap or exhaustion kind, when there is one ("unreachable", "call-depth"). */
  readonly kind: string | undefined;
  readonly message: string;
  /** Scheduler clock time (ms). */
  readonly atMs: number;
}

export interface AppReport {
  readonly name: string;
  readonly kind: 'reactor' | 'command';
  readonly state: AppState;
  /** Ticks completed, and ticks the schedule had due while a call of the app was still running. */
  readonly ticks: number;
  readonly missedTicks: number;
  /** Fuel of completed ticks: the last, the most and the mean; `total` over every call of the app. */
  readonly fuel: { readonly lastTick: number; readonly maxTick: number; readonly meanTick: number; readonly total: number };
  /** Linear memory in 64 KiB pages: now, the most seen after any turn, and the cap. */
  readonly memory: { readonly pages: number; readonly highWaterPages: number; readonly capPages: number };
  readonly traps: number;
  readonly outOfFuel: number;
  readonly exhausted: number;
  readonly lastError: AppError | undefined;
  /** A command's exit code (0 when `_start` returned). */
  readonly exitCode: number | undefined;
  readonly logLines: number;
  readonly droppedLogLines: number;
  readonly host: HostStats;
}
