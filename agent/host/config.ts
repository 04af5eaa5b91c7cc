// What the host API is built from: the device's side (clocks, hardware backends, sinks, data
// directory, shared by every app) and one app's side (name, declared capabilities, the device's
// grants, limits, settings, arguments), with the defaults of the host's own limits.

import type { Clock } from '../sched/scheduler.ts';
import type { GpioBackend } from './hw/gpio.ts';
import type { SensorBackend } from './hw/sensor.ts';
import type { SerialBackend } from './hw/serial.ts';
import type { LogSink } from './log-lines.ts';
import type { Publisher } from './publisher.ts';

/** The device: shared by every app the agent runs. */
export interface HostDevice {
  /** Monotonic time in ms: the scheduler's clock (sleep deadlines, rate limits, clock_mono). */
  readonly clock: Clock;
  /** Wall-clock time in ms since the Unix epoch (default `Date.now`). */
  readonly wallClock?: () => number;
  readonly sensors?: SensorBackend;
  readonly gpio?: GpioBackend;
  readonly serial?: SerialBackend;
  readonly publisher?: Publisher;
  readonly logs?: LogSink;
  /** Where key-value store files live; needed by apps granted a `kv` capability. */
  readonly dataDir?: string;
  /** Fills bytes with random data (default `crypto.getRandomValues`); inject for determinism. */
  readonly random?: (into: Uint8Array) => void;
  /** The GPIO backend's line name for a pin number of a capability (default: the number as text). */
  readonly gpioLine?: (pin: number) => string;
  /** The serial backend's path for a path of a capability (default: the same path). */
  readonly serialPath?: (path: string) => string;
}

/** The host's limits for one app (see `DEFAULT_HOST_LIMITS`). */
export interface HostLimits {
  /** Counted host calls per second (the manifest's `hostCallsPerSecond`). */
  readonly hostCallsPerSecond: number;
  /** Payload bytes the app may publish per second (at most one second's worth in a burst). */
  readonly publishBytesPerSecond: number;
  /** Largest payload of one publish. */
  readonly maxPublishBytes: number;
  /** Host memory an app may hold beyond its key-value quota (serial buffers, log buffers, writes in flight). */
  readonly hostMemoryBytes: number;
  /** Receive buffer of one open serial port (reserved from the host memory budget at open). */
  readonly serialBufferBytes: number;
  /** Serial ports open at once. */
  readonly maxSerialPorts: number;
}

export const DEFAULT_HOST_LIMITS: HostLimits = {
  hostCallsPerSecond: 1_000,
  publishBytesPerSecond: 16 * 1024,
  maxPublishBytes: 16 * 1024,
  hostMemoryBytes: 256 * 1024,
  serialBufferBytes: 4096,
  maxSerialPorts: 4,
};

/** One app. */
export interface AppHostOptions {
  /** The app name (the manifest's): names its log lines, messages and key-value file. */
  readonly app: string;
  /** The capability texts its manifest declares. */
  readonly capabilities: readonly string[];
  /** The device policy's grant texts (may use `*`); undefined grants everything declared. */
  readonly deviceGrants?: readonly string[];
  readonly limits?: Partial<HostLimits>;
  /** Per-device settings: the WASI environment (`NAME=value`). */
  readonly settings?: Readonly<Record<string, string>>;
  /** WASI arguments after the app name (argv[0]). */
  readonly args?: readonly string[];
}
