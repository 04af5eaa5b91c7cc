// The messages between the fleet simulator and its worker processes (Node's IPC channel, structured clone): what a
// worker runs, and what it says back about its devices. Plain data only.

import type { ProbationPolicy } from '../../agent/runtime/probation.ts';
import type { SimDeviceSpec } from './plan.ts';

/** The agent settings every simulated device shares (light by default: see DESIGN.md). */
export interface SimAgentSettings {
  readonly statusIntervalMs: number;
  readonly telemetryIntervalMs: number;
  readonly keepaliveS: number;
  readonly probation: Partial<ProbationPolicy>;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly download: { readonly timeoutMs: number; readonly stallTimeoutMs: number };
}

export interface WorkerSpec {
  readonly worker: number;
  readonly devices: readonly SimDeviceSpec[];
  readonly brokerUrl: string;
  readonly enrollment: { readonly roots: readonly string[]; readonly threshold: number; readonly token?: string };
  /** Each device's data lives in `<dataRoot>/<device id>`. */
  readonly dataRoot: string;
  readonly agent: SimAgentSettings;
  readonly seed: number;
  /** Devices whose power was cut already (no second cut). */
  readonly cutDone: readonly string[];
  /** A cut comes within this many ms after the device's update machine leaves idle. */
  readonly cutWithinMs: number;
  /** How many devices start at once (their enrollments and first connects). */
  readonly startConcurrency: number;
  readonly statsMs: number;
  /** A device-sim scenario file every device's simulated hardware runs (default: no hardware). */
  readonly scenario?: string;
}

/** What one simulated device is doing. */
export type DevicePhaseName = 'waiting' | 'starting' | 'up' | 'failed' | 'stopped';

export interface DeviceStat {
  readonly id: string;
  readonly phase: DevicePhaseName;
  readonly online: boolean;
  /** [name, version, state] of each module the agent shows. */
  readonly modules: readonly (readonly [string, string, string])[];
  /** The update machine's state ('idle' when no update is under way). */
  readonly update?: string;
  readonly error?: string;
  readonly outages: number;
}

export type ToWorker = { readonly type: 'start'; readonly spec: WorkerSpec } | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'stats'; readonly worker: number; readonly rss: number; readonly heapUsed: number; readonly cpuUserUs: number; readonly cpuSystemUs: number; readonly devices: readonly DeviceStat[] }
  /** Sent just before the worker kills itself for a power cut: every device whose update it cuts, with its state. */
  | { readonly type: 'cut'; readonly worker: number; readonly devices: readonly { readonly id: string; readonly update: string }[] }
  | { readonly type: 'stopped'; readonly worker: number };
