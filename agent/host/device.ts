// The host's view of a device built from a set of hardware backends (simulated or Linux): how a
// capability's pin number finds its GPIO line and a capability's serial path finds the port
// the device config names, plus the clocks and sinks.

import type { Clock } from '../sched/scheduler.ts';
import type { HostDevice } from './config.ts';
import type { HardwareBackends } from './hw/backends.ts';
import type { LogSink } from './log-lines.ts';
import type { Publisher } from './publisher.ts';

export interface DeviceWiring {
  readonly clock: Clock;
  readonly wallClock?: () => number;
  /** GPIO line names by the pin numbers capabilities use (`{ 17: "heater" }`); unlisted pins use the number as the name. */
  readonly pins?: Readonly<Record<number, string>>;
  readonly publisher?: Publisher;
  readonly logs?: LogSink;
  readonly dataDir?: string;
  readonly random?: (into: Uint8Array) => void;
}

/**
 * The serial path a capability's path opens: the port the backends list under that path, or
 * under its name below /dev (`serial:/dev/gps:9600` opens the port the device config calls
 * "gps"), else the path itself.
 */
export function serialPathFor(ports: Readonly<Record<string, string>>, path: string): string {
  if (Object.hasOwn(ports, path)) return ports[path]!;
  const name = path.startsWith('/dev/') ? path.slice(5) : path;
  if (Object.hasOwn(ports, name)) return ports[name]!;
  return path;
}

/** A HostDevice on the given backends. */
export function hostDevice(hw: HardwareBackends, wiring: DeviceWiring): HostDevice {
  const pins = wiring.pins ?? {};
  return {
    clock: wiring.clock,
    sensors: hw.sensors,
    gpio: hw.gpio,
    serial: hw.serial,
    gpioLine: (pin) => (Object.hasOwn(pins, pin) ? pins[pin]! : String(pin)),
    serialPath: (path) => serialPathFor(hw.serialPorts, path),
    ...(wiring.wallClock === undefined ? {} : { wallClock: wiring.wallClock }),
    ...(wiring.publisher === undefined ? {} : { publisher: wiring.publisher }),
    ...(wiring.logs === undefined ? {} : { logs: wiring.logs }),
    ...(wiring.dataDir === undefined ? {} : { dataDir: wiring.dataDir }),
    ...(wiring.random === undefined ? {} : { random: wiring.random }),
  };
}
