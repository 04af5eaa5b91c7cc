// Test helpers for agent/host (private to its tests): backends that record every call, a small
// in-memory serial backend on injected time, and a device on a ManualTime with the simulator's
// sensors and GPIO pins.

import { SimGpio } from '../../device-sim/gpio/sim-gpio.ts';
import { parseScenario } from '../../device-sim/parse-scenario.ts';
import { SimSensorBackend } from '../../device-sim/sensors/sim-sensors.ts';
import { findHostImport, type HostImport } from '../../schemas/host-imports.ts';
import { wat } from '../../test/fuzz/wat.ts';
import { Module } from '../wasm/module.ts';
import type { HostDevice } from './config.ts';
import { HardwareError } from './hw/errors.ts';
import { ManualTime } from './hw/manual-time.ts';
import type { SerialBackend, SerialOpenOptions, SerialPortHandle, SerialReadOptions, SerialStats } from './hw/serial.ts';
import type { TimeSource } from './hw/time.ts';
import type { LogLine } from './log-lines.ts';
import type { AppMessage } from './publisher.ts';

/** One recorded backend call: the method and its arguments. */
export interface RecordedCall {
  readonly method: string;
  readonly args: readonly unknown[];
}

/** Wraps a backend so every method call is recorded (then passed on). */
export function recording<T extends object>(backend: T): { backend: T; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const proxy = new Proxy(backend, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push({ method: String(prop), args });
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend: proxy, calls };
}

/** A serial device on the far side of a fake port: it answers what the module writes. */
export type FakeSerialDevice = (written: Uint8Array, reply: (bytes: Uint8Array) => void) => void;

class FakePort implements SerialPortHandle {
  private buffered: number[] = [];
  private reader: ((b: Uint8Array) => void) | undefined = undefined;
  closed = false;
  private read_ = 0;
  private written_ = 0;

  constructor(
    readonly path: string,
    readonly baudRate: number,
    private readonly time: TimeSource,
    private readonly device: FakeSerialDevice,
  ) {}

  /** The world sends bytes to the port. */
  feed(bytes: Uint8Array): void {
    this.buffered.push(...bytes);
    const r = this.reader;
    if (r !== undefined) {
      this.reader = undefined;
      r(this.take(Infinity));
    }
  }

  private take(max: number): Uint8Array {
    const out = Uint8Array.from(this.buffered.splice(0, Math.min(max, this.buffered.length)));
    this.read_ += out.length;
    return out;
  }

  read(maxBytes: number, options: SerialReadOptions): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new HardwareError('closed', this.path, 'closed'));
    if (this.buffered.length > 0 || options.timeoutMs === 0) return Promise.resolve(this.take(maxBytes));
    return new Promise((resolve) => {
      const timer = this.time.setTimeout(() => {
        this.reader = undefined;
        resolve(new Uint8Array(0));
      }, options.timeoutMs);
      this.reader = (b) => {
        this.time.clearTimeout(timer);
        this.buffered.unshift(...b);
        this.read_ -= b.length;
        resolve(this.take(maxBytes));
      };
    });
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.closed) throw new HardwareError('closed', this.path, 'closed');
    this.written_ += data.length;
    this.device(data.slice(), (b) => this.feed(b));
  }

  stats(): SerialStats {
    return { bufferedBytes: this.buffered.length, droppedBytes: 0, bytesRead: this.read_, bytesWritten: this.written_ };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** An in-memory SerialBackend: each path has a device that answers writes. */
export class FakeSerial implements SerialBackend {
  readonly kind = 'fake';
  readonly opened: FakePort[] = [];

  constructor(
    private readonly time: TimeSource,
    private readonly devices: Readonly<Record<string, FakeSerialDevice>>,
  ) {}

  async open(path: string, options: SerialOpenOptions): Promise<SerialPortHandle> {
    const d = this.devices[path];
    if (d === undefined) throw new HardwareError('unknown-port', path, `Cannot open serial port "${path}": no such device`);
    if (this.opened.some((p) => p.path === path && !p.closed)) throw new HardwareError('busy', path, `Cannot open serial port "${path}": it is open`);
    const p = new FakePort(path, options.baudRate, this.time, d);
    this.opened.push(p);
    return p;
  }

  async close(): Promise<void> {
    for (const p of this.opened) await p.close();
  }
}

/** An echo device: sends back every byte written, upper-cased. */
export const upperEcho: FakeSerialDevice = (w, reply) => reply(Uint8Array.from(w, (b) => (b >= 0x61 && b <= 0x7a ? b - 32 : b)));

/** A device on a ManualTime with sim sensors and pins, recording sinks and a recording GPIO. */
export interface TestDevice {
  readonly time: ManualTime;
  readonly device: HostDevice;
  readonly gpio: SimGpio;
  readonly gpioCalls: RecordedCall[];
  readonly sensorCalls: RecordedCall[];
  readonly serialCalls: RecordedCall[];
  readonly serial: FakeSerial;
  readonly logs: LogLine[];
  readonly messages: AppMessage[];
}

export function testDevice(opts: { dataDir?: string; serialDevices?: Record<string, FakeSerialDevice>; start?: number } = {}): TestDevice {
  const time = new ManualTime(opts.start ?? 1_000);
  const scenario = parseScenario({
    version: 1,
    seed: 1,
    sensors: {
      temperature: { model: 'constant', unit: 'degC', value: 21.5 },
      humidity: { model: 'constant', unit: '%RH', value: 40 },
      broken: { model: 'constant', unit: 'degC', value: 1, faults: [{ fromMs: 0, toMs: 1e9 }] },
    },
    gpio: {
      '17': { kind: 'output' },
      '18': { kind: 'output' },
      '22': { kind: 'input', initial: 0, edges: [] },
    },
  });
  if (!scenario.ok) throw scenario.error;
  const gpio = new SimGpio(scenario.value.gpio, { time });
  const g = recording(gpio);
  const s = recording(new SimSensorBackend(scenario.value.sensors, { clock: time, seed: 1 }));
  const serial = new FakeSerial(time, opts.serialDevices ?? { '/dev/ttyUSB0': upperEcho });
  const se = recording<SerialBackend>(serial);
  const logs: LogLine[] = [];
  const messages: AppMessage[] = [];
  const device: HostDevice = {
    clock: time,
    wallClock: () => 1_700_000_000_000 + time.now(),
    sensors: s.backend,
    gpio: g.backend,
    serial: se.backend,
    logs: { write: (l) => logs.push(l) },
    publisher: { publish: (m) => messages.push(m) },
    random: (b) => b.fill(7),
    ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
  };
  return { time, device, gpio, gpioCalls: g.calls, sensorCalls: s.calls, serialCalls: se.calls, serial, logs, messages };
}

const compiled = new Map<string, Module>();
/** Compiles WebAssembly text (cached per text). */
export function watModule(text: string): Module {
  let m = compiled.get(text);
  if (m === undefined) {
    m = Module.compile(wat(text));
    compiled.set(text, m);
  }
  return m;
}

/** The import line of a fleetlet host function in WAT, typed from its table row. */
export const HOST = 'fleetlet:host/v1';

/**
 * A module that imports the named functions of one import module (types from the host import
 * table) and exports each under its own name, with one page of memory exported as "memory":
 * tests call host functions through the engine with pointers into real module memory.
 */
export function reexportModule(names: readonly string[], importModule: string = HOST): Module {
  const rows = names.map((n) => {
    const row = findHostImport(importModule, n);
    if (row === undefined) throw new Error(`No host function "${n}" in "${importModule}"`);
    return row;
  });
  const sig = (r: HostImport): string =>
    `${r.params.length > 0 ? ` (param ${r.params.join(' ')})` : ''}${r.results.length > 0 ? ` (result ${r.results.join(' ')})` : ''}`;
  const imports = rows.map((r) => `(import "${importModule}" "${r.name}" (func $${r.name}${sig(r)}))`).join('\n');
  const exports = rows.map((r) => `(export "${r.name}" (func $${r.name}))`).join('\n');
  return watModule(`(module\n${imports}\n(memory (export "memory") 1)\n${exports})`);
}
