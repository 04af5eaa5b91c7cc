// The set of hardware backends one agent (or one `fleetlet run`) uses, whichever kind the device
// config picks: simulated (device-sim) or Linux (linux/).

import type { GpioBackend } from './gpio.ts';
import type { SensorBackend } from './sensor.ts';
import type { SerialBackend } from './serial.ts';

export interface HardwareBackends {
  /** "sim" or "linux", for logs. */
  readonly kind: string;
  readonly sensors: SensorBackend;
  readonly gpio: GpioBackend;
  readonly serial: SerialBackend;
  /** Serial ports by the name the device config (and capabilities) use -> the path to open. */
  readonly serialPorts: Readonly<Record<string, string>>;
  /** Closes all three backends (and, for a simulation, stops it). */
  close(): Promise<void>;
}
