// Tests of a whole simulation from the example scenario file: sensors, the door contact's
// scripted edges, the heater's recorded output changes, and the GPS and modem on their PTYs,
// with the app side on the real Linux serial backend.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HardwareError } from '../agent/host/hw/errors.ts';
import { SerialportSerial } from '../agent/host/hw/linux/serialport-serial.ts';
import { ManualTime } from '../agent/host/hw/manual-time.ts';
import { loadScenarioFile } from './parse-scenario.ts';
import { simulatedHardware, startSimulation, type Simulation } from './simulation.ts';

describe('startSimulation (greenhouse example)', () => {
  let sim: Simulation | undefined;
  const serial = new SerialportSerial();
  afterEach(async () => {
    await serial.close();
    await sim?.stop();
  });

  it('runs the scenario on the injected clock', async () => {
    const time = new ManualTime(1_000_000);
    const printed: string[] = [];
    sim = await startSimulation(loadScenarioFile(join(import.meta.dirname, 'scenarios/greenhouse.json')), {
      time,
      onOutput: (c) => printed.push(`${c.line}=${c.value}@${c.at}`),
    });

    // Opening a port flushes what arrived before, as on a real UART: open before time moves.
    const gps = await serial.open(sim.serial['gps']!.path, { baudRate: 9600 });

    // Sensors: the supply voltage steps; the soil trace interpolates between 41.0 and 40.6.
    expect((await sim.sensors.read('supply')).value).toBe(12.6);
    expect((await sim.sensors.list()).map((s) => `${s.name}:${s.unit}`)).toEqual(['humidity:%RH', 'soil:%', 'supply:V', 'temperature:degC']);

    // GPIO: the heater's changes are recorded with clock times; the door opens at 5 s.
    await sim.gpio.configure('heater', { direction: 'output', initial: 0 });
    await sim.gpio.configure('door', { direction: 'input' });
    expect(await sim.gpio.read('door')).toBe(0);
    const opened = sim.gpio.waitEdge('door', 'rising', { timeoutMs: 10_000 });
    await time.advance(3000);
    await sim.gpio.write('heater', 1);
    await time.advance(2000);
    expect(await opened).toEqual({ line: 'door', edge: 'rising', at: 1_005_000 });
    expect(await sim.gpio.read('door')).toBe(1);
    expect(printed).toEqual(['heater=0@1000000', 'heater=1@1003000']);
    expect(sim.gpio.outputLog).toEqual([
      { line: 'heater', value: 0, at: 1_000_000 },
      { line: 'heater', value: 1, at: 1_003_000 },
    ]);

    // Serial: the GPS has sent one GGA and RMC per second so far; the modem answers.
    let text = '';
    while (!text.includes('$GPRMC,120005.00')) {
      const chunk = await gps.read(4096, { timeoutMs: 5000 });
      if (chunk.length === 0) break;
      text += Buffer.from(chunk).toString('latin1');
    }
    expect(text.match(/\$GPGGA/g)?.length).toBe(5);
    expect(sim.serial['gps']!.device.sent.length).toBe(5);

    const modem = await serial.open(sim.serial['modem']!.path, { baudRate: 115200 });
    await modem.write(new TextEncoder().encode('AT+CGSN\r'));
    // Once its echo of the final CR is back, the modem has taken the command and set its timer.
    let reply = '';
    while (!reply.endsWith('\r')) {
      const chunk = await modem.read(256, { timeoutMs: 5000 });
      if (chunk.length === 0) break;
      reply += Buffer.from(chunk).toString('latin1');
    }
    await time.advance(50);
    while (!reply.endsWith('OK\r\n')) {
      const chunk = await modem.read(256, { timeoutMs: 5000 });
      if (chunk.length === 0) break;
      reply += Buffer.from(chunk).toString('latin1');
    }
    expect(reply).toBe('AT+CGSN\r\r\n356938035643809\r\n\r\nOK\r\n');
  });

  it('sensor faults and later steps follow the scenario times', async () => {
    const time = new ManualTime(0);
    const s = loadScenarioFile(join(import.meta.dirname, 'scenarios/greenhouse.json'));
    sim = await startSimulation({ ...s, serial: {} }, { time });
    await time.advance(300_000);
    expect((await sim.sensors.read('soil')).value).toBeCloseTo(40.8, 9);
    await time.advance(3_300_000);
    expect((await sim.sensors.read('supply')).value).toBe(11.9);
    await time.advance(3_600_000); // 7,200,000: inside the fault
    const e = await sim.sensors.read('supply').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HardwareError);
    expect((e as HardwareError).code).toBe('io');
    await time.advance(60_000);
    expect((await sim.sensors.read('supply')).value).toBe(11.9);
  });

  it('simulatedHardware exposes the simulation as the agent\'s backends, serial ports by name', async () => {
    const time = new ManualTime(0);
    const s = loadScenarioFile(join(import.meta.dirname, 'scenarios/greenhouse.json'));
    const started = await startSimulation(s, { time });
    sim = started;
    const hw = simulatedHardware(started, time);
    expect(hw.kind).toBe('sim');
    expect(Object.keys(hw.serialPorts).sort()).toEqual(['gps', 'modem']);
    expect(hw.serialPorts['gps']).toBe(started.serial['gps']!.path);
    expect((await hw.sensors.read('supply')).value).toBe(12.6);
    const port = await hw.serial.open(hw.serialPorts['gps']!, { baudRate: 9600 });
    await time.advance(1000);
    const first = await port.read(6, { timeoutMs: 5000 });
    expect(Buffer.from(first).toString('latin1')).toBe('$GPGGA'.slice(0, first.length));
    await hw.close();
    const e = await hw.sensors.list().catch((x: unknown) => x);
    expect((e as HardwareError).code).toBe('closed');
    sim = undefined;
  });
});
