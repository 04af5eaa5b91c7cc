// The host on a whole simulation (device-sim) in real time: apps read a simulated sensor, drive
// the simulated heater through the device's pin map, and talk to the simulated modem and GPS
// over socat pseudo-terminals through the Linux serial backend (serialport), never a mock.

import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from '../../device-sim/parse-scenario.ts';
import { simulatedHardware, startSimulation, type Simulation } from '../../device-sim/simulation.ts';
import { DEFAULT_APP_LIMITS } from '../../schemas/app-descriptor.ts';
import { AppRunner } from './app-runner.ts';
import { hostDevice, serialPathFor } from './device.ts';
import type { HardwareBackends } from './hw/backends.ts';
import { systemTime } from './hw/time.ts';
import type { LogLine } from './log-lines.ts';
import { STATUS } from './status.ts';
import { HOST, recording, watModule, type RecordedCall } from './_test-kit.ts';

const imp = (m: string, name: string, sig: string): string => `(import "${m}" "${name}" (func $${name} ${sig}))`;
const WASI = 'wasi_snapshot_preview1';

/** A command: opens `path` at 9600, writes `request`, reads until 500 ms pass with nothing, prints it all. */
function serialReader(path: string, request: string, maxBytes = 1024): string {
  return `(module
  ${imp(HOST, 'serial_open', '(param i32 i32 i32) (result i32)')}
  ${imp(HOST, 'serial_read', '(param i32 i32 i32 i32) (result i32)')}
  ${imp(HOST, 'serial_write', '(param i32 i32 i32) (result i32)')}
  ${imp(HOST, 'serial_close', '(param i32) (result i32)')}
  ${imp(WASI, 'fd_write', '(param i32 i32 i32 i32) (result i32)')}
  ${imp(WASI, 'proc_exit', '(param i32)')}
  (memory (export "memory") 1)
  (data (i32.const 0) "${path}")
  (data (i32.const 256) "${request.replace(/\r/g, '\\0d')}")
  (func (export "_start") (local $h i32) (local $off i32) (local $n i32)
    (local.set $h (call $serial_open (i32.const 0) (i32.const ${path.length}) (i32.const 9600)))
    (if (i32.lt_s (local.get $h) (i32.const 0)) (then (call $proc_exit (i32.sub (i32.const 0) (local.get $h)))))
    (drop (call $serial_write (local.get $h) (i32.const 256) (i32.const ${request.length})))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $off) (i32.const ${maxBytes})))
      (local.set $n (call $serial_read (local.get $h) (i32.add (i32.const 1024) (local.get $off)) (i32.sub (i32.const ${maxBytes}) (local.get $off)) (i32.const 500)))
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (local.set $off (i32.add (local.get $off) (local.get $n)))
      (br $l)))
    (i32.store (i32.const 64) (i32.const 1024))
    (i32.store (i32.const 68) (local.get $off))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 72)))
    (drop (call $serial_close (local.get $h)))))`;
}

/** A command: heater on (pin 17) when the temperature is below 20 degrees. */
const THERMOSTAT = `(module
  ${imp(HOST, 'sensor_read', '(param i32 i32 i32) (result i32)')}
  ${imp(HOST, 'gpio_config', '(param i32 i32) (result i32)')}
  ${imp(HOST, 'gpio_write', '(param i32 i32) (result i32)')}
  (memory 1) (data (i32.const 0) "temperature")
  (func (export "_start")
    (drop (call $sensor_read (i32.const 0) (i32.const 11) (i32.const 64)))
    (drop (call $gpio_config (i32.const 17) (i32.const 1)))
    (drop (call $gpio_write (i32.const 17) (f64.lt (f64.load (i32.const 64)) (f64.const 20))))))`;

const SCENARIO = {
  version: 1,
  seed: 3,
  sensors: { temperature: { model: 'constant', unit: 'degC', value: 19 } },
  gpio: { heater: { kind: 'output' } },
  serial: {
    gps: { device: 'nmea-gps', periodMs: 100, startUtc: '2024-06-01T12:00:00Z', lat: 48.1173, lon: 11.5166667, altitudeM: 545.4, speedKnots: 0, courseDeg: 0, satellites: 8 },
    modem: { device: 'at-modem', latencyMs: 20, rssi: 21, operator: 'Fleetlet Mobile', responses: {} },
  },
};

describe('the host on a simulated device', () => {
  let sim: Simulation | undefined;
  let hw: HardwareBackends | undefined;
  afterEach(async () => {
    await hw?.close();
    sim = undefined;
    hw = undefined;
  });

  async function setup(): Promise<{ runner: AppRunner; logs: LogLine[]; serialCalls: RecordedCall[] }> {
    const scenario = parseScenario(SCENARIO);
    if (!scenario.ok) throw scenario.error;
    sim = await startSimulation(scenario.value, { time: systemTime });
    hw = simulatedHardware(sim, systemTime);
    const serial = recording(hw.serial);
    const logs: LogLine[] = [];
    const device = hostDevice({ ...hw, serial: serial.backend }, { clock: systemTime, pins: { 17: 'heater' }, logs: { write: (l) => logs.push(l) } });
    return { runner: new AppRunner({ device }), logs, serialCalls: serial.calls };
  }

  const command = (name: string, text: string, capabilities: string[]) => ({ name, kind: 'command' as const, module: watModule(text), capabilities, limits: DEFAULT_APP_LIMITS });

  it('a thermostat reads the simulated sensor and switches the heater through the pin map', async () => {
    const { runner } = await setup();
    await runner.add(command('thermostat', THERMOSTAT, ['sensor:temperature:read', 'gpio:17:out']));
    await runner.runToCompletion(10_000);
    expect(runner.report('thermostat')).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(sim!.gpio.outputLog.map((c) => [c.line, c.value])).toEqual([['heater', 0], ['heater', 1], ['heater', null]]);
  });

  it('an app asks the simulated modem over a pseudo-terminal and prints its answer', async () => {
    const { runner, logs } = await setup();
    await runner.add(command('modem', serialReader('/dev/modem', 'AT+CSQ\r'), ['serial:/dev/modem:9600']));
    await runner.runToCompletion(20_000);
    expect(runner.report('modem')).toMatchObject({ state: 'exited', exitCode: 0 });
    const text = logs.map((l) => l.text.replace(/\r/g, ''));
    expect(text).toContain('+CSQ: 21,99');
    expect(text.at(-1)).toBe('OK');
  });

  it('an app reads NMEA sentences from the simulated GPS', async () => {
    const { runner, logs } = await setup();
    await runner.add(command('gps', serialReader('/dev/gps', '', 400), ['serial:/dev/gps:9600']));
    await runner.runToCompletion(20_000);
    expect(runner.report('gps').state).toBe('exited');
    const sentences = logs.map((l) => l.text.replace(/\r/g, '')).filter((t) => /^\$GP(GGA|RMC),/.test(t));
    expect(sentences.length).toBeGreaterThanOrEqual(2);
    expect(sentences.find((s) => s.startsWith('$GPGGA'))).toMatch(/^\$GPGGA,\d{6}\.\d{2},4807\.038\d*,N,01131\.000\d*,E,1,08,/);
  });

  it('a port other than the granted one is refused with E_DENIED and never opened', async () => {
    const { runner, serialCalls } = await setup();
    await runner.add(command('sneaky', serialReader('/dev/gps', ''), ['serial:/dev/modem:9600']));
    await runner.runToCompletion(10_000);
    expect(runner.report('sneaky')).toMatchObject({ state: 'exited', exitCode: -STATUS.denied.value, host: { denied: 1 } });
    expect(serialCalls).toEqual([]);
  });
});

describe('serialPathFor', () => {
  it('finds a port by its path, then by its name below /dev, else keeps the path', () => {
    const ports = { gps: '/dev/pts/7', '/dev/ttyS1': '/dev/pts/9' };
    expect(serialPathFor(ports, '/dev/gps')).toBe('/dev/pts/7');
    expect(serialPathFor(ports, '/dev/ttyS1')).toBe('/dev/pts/9');
    expect(serialPathFor(ports, '/dev/ttyUSB0')).toBe('/dev/ttyUSB0');
    expect(serialPathFor(ports, '/dev/constructor')).toBe('/dev/constructor');
  });
});
