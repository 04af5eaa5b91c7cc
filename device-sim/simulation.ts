// A running simulation built from a scenario: the simulated sensors and GPIO pins, and each
// serial device attached to the far end of its own PTY pair, all on one injected time source.

import type { HardwareBackends } from '../agent/host/hw/backends.ts';
import { SerialportSerial } from '../agent/host/hw/linux/serialport-serial.ts';
import type { TimeSource } from '../agent/host/hw/time.ts';
import { SimGpio, type OutputChange } from './gpio/sim-gpio.ts';
import type { Scenario, SerialDeviceSpec } from './scenario.ts';
import { SimSensorBackend } from './sensors/sim-sensors.ts';
import { gpsDevice } from './serial/gps.ts';
import { modemDevice } from './serial/modem.ts';
import { openPtyPair, type PtyPair } from './serial/pty.ts';
import { attachDevice, type AttachedDevice, type DeviceLogic } from './serial/sim-device.ts';

export interface SimulatedSerial {
  /** The path the app's serial backend opens (the app end of the PTY pair). */
  readonly path: string;
  readonly device: AttachedDevice;
}

export interface Simulation {
  readonly scenario: Scenario;
  readonly sensors: SimSensorBackend;
  readonly gpio: SimGpio;
  /** Serial devices by scenario name. */
  readonly serial: Readonly<Record<string, SimulatedSerial>>;
  /** Clock time the simulation started at. */
  readonly startedAt: number;
  /** Stops the devices and socat, closes the backends. */
  stop(): Promise<void>;
}

export interface SimulationOptions {
  readonly time: TimeSource;
  readonly onOutput?: (change: OutputChange) => void;
}

/** The logic of one serial device, by its kind (a table, so adding a kind adds a row). */
const DEVICE_KINDS: { [K in SerialDeviceSpec['device']]: (spec: Extract<SerialDeviceSpec, { device: K }>, time: TimeSource, startedAt: number) => DeviceLogic } = {
  'nmea-gps': (spec, time, startedAt) => gpsDevice(spec, { time, startedAt }),
  'at-modem': (spec, time) => modemDevice(spec, { time }),
};

function logicFor(spec: SerialDeviceSpec, time: TimeSource, startedAt: number): DeviceLogic {
  return (DEVICE_KINDS[spec.device] as (s: SerialDeviceSpec, t: TimeSource, at: number) => DeviceLogic)(spec, time, startedAt);
}

/**
 * Starts a simulation at the time source's current time.
 * @throws Error when a PTY pair cannot be made (socat missing) or a device cannot attach
 */
export async function startSimulation(scenario: Scenario, options: SimulationOptions): Promise<Simulation> {
  const time = options.time;
  const startedAt = time.now();
  const sensors = new SimSensorBackend(scenario.sensors, { clock: time, seed: scenario.seed, startedAt });
  const gpio = new SimGpio(scenario.gpio, { time, startedAt, ...(options.onOutput ? { onOutput: options.onOutput } : {}) });
  const ptys: PtyPair[] = [];
  const serial: Record<string, SimulatedSerial> = {};
  const stop = async (): Promise<void> => {
    for (const s of Object.values(serial)) await s.device.detach();
    for (const p of ptys) await p.close();
    await gpio.close();
    await sensors.close();
  };
  try {
    for (const [name, spec] of Object.entries(scenario.serial)) {
      const pty = await openPtyPair();
      ptys.push(pty);
      serial[name] = { path: pty.a, device: await attachDevice(pty.b, logicFor(spec, time, startedAt)) };
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { scenario, sensors, gpio, serial, startedAt, stop };
}

/**
 * The simulation as the agent's hardware: its sensors and pins, and the Linux serial backend
 * with each simulated device's app-side PTY path under the device's scenario name. Closing
 * stops the simulation.
 */
export function simulatedHardware(sim: Simulation, time: TimeSource): HardwareBackends {
  const serial = new SerialportSerial({ time });
  const serialPorts: Record<string, string> = {};
  for (const [name, s] of Object.entries(sim.serial)) serialPorts[name] = s.path;
  return {
    kind: 'sim',
    sensors: sim.sensors,
    gpio: sim.gpio,
    serial,
    serialPorts,
    close: async () => {
      await serial.close();
      await sim.stop();
    },
  };
}
