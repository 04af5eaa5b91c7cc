// The sensor backend interface: the named sensors a device has, each with a unit, and an async
// read of one of them. Implemented by device-sim (models) and linux/ (sysfs).

/**
 * Units are short ASCII strings, the same on every backend:
 * degC, %RH, kPa, lx, V, A, W, ohm, rpm, m/s2, rad/s, gauss, ppm, count (a raw reading).
 */
export type SensorUnit = string;

/** One sensor a backend offers. */
export interface SensorInfo {
  /** The name a module reads it by: a device-config alias or the backend's own name. */
  readonly name: string;
  readonly unit: SensorUnit;
  /** Where the value comes from (a sysfs path, a simulation model), for logs and `fleetlet run`. */
  readonly source: string;
}

/** One reading. */
export interface SensorReading {
  readonly name: string;
  readonly value: number;
  readonly unit: SensorUnit;
  /** Clock time (the backend's injected clock, ms) when the value was taken. */
  readonly at: number;
}

export interface SensorReadOptions {
  /** Aborting rejects the read with a HardwareError "aborted". */
  readonly signal?: AbortSignal;
}

export interface SensorBackend {
  /** Which implementation this is ("sim", "linux-sysfs"), for logs. */
  readonly kind: string;
  /**
   * The sensors there are, sorted by name.
   * @throws HardwareError "closed" after `close`
   */
  list(): Promise<readonly SensorInfo[]>;
  /**
   * Reads one sensor.
   * @throws HardwareError "unknown-sensor" (no such name), "io" (the read failed),
   *   "aborted" (the signal fired), "closed" (after `close`)
   */
  read(name: string, options?: SensorReadOptions): Promise<SensorReading>;
  /** Releases what the backend holds; later calls fail with "closed". */
  close(): Promise<void>;
}
