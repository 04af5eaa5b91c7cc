// Tests of the sensor, GPIO and serial host functions through the engine on the simulator's
// sensors and pins and an in-memory serial device: results land in module memory after a
// suspension, and calls outside the grants return E_DENIED without reaching the backend (the
// backends record every call).

import { describe, expect, it } from 'vitest';
import { finish, probe } from './_probe.ts';
import { STATUS } from './status.ts';

const GPIO_FNS = ['gpio_config', 'gpio_read', 'gpio_write', 'gpio_wait_edge'];
const SERIAL_FNS = ['serial_open', 'serial_read', 'serial_write', 'serial_close'];

describe('sensor_read', () => {
  it('suspends, then stores the reading as a little-endian f64 and returns 0', async () => {
    const p = await probe(['sensor_read'], { capabilities: ['sensor:temperature:read'] });
    const [n, nl] = p.str('temperature');
    const r = p.call('sensor_read', n, nl, 64);
    expect(r.kind).toBe('suspended');
    expect(await finish(r)).toBe(0);
    expect(new DataView(p.mem().buffer).getFloat64(64, true)).toBe(21.5);
    expect(p.dev.sensorCalls.map((c) => [c.method, c.args[0]])).toEqual([['read', 'temperature']]);
  });

  it('returns E_DENIED for a sensor not granted, and the backend is never called', async () => {
    const p = await probe(['sensor_read'], { capabilities: ['sensor:temperature:read'] });
    const [n, nl] = p.str('humidity');
    expect(p.call('sensor_read', n, nl, 64)).toMatchObject({ kind: 'done', value: [STATUS.denied.value] });
    expect(p.dev.sensorCalls).toEqual([]);
    expect(p.host.stats()).toMatchObject({ denied: 1 });
  });

  it('returns E_NOT_FOUND for a granted sensor the device lacks and E_IO for a failing one', async () => {
    const p = await probe(['sensor_read'], { capabilities: ['sensor:pressure:read', 'sensor:broken:read'] });
    const [a, al] = p.str('pressure');
    const [b, bl] = p.str('broken');
    expect(await p.run('sensor_read', a, al, 64)).toBe(STATUS.notFound.value);
    expect(await p.run('sensor_read', b, bl, 64)).toBe(STATUS.io.value);
    expect(p.host.stats().hardwareErrors).toBe(2);
  });

  it('returns E_FAULT for a result pointer outside memory, before the backend', async () => {
    const p = await probe(['sensor_read'], { capabilities: ['sensor:temperature:read'] });
    const [n, nl] = p.str('temperature');
    expect(await p.run('sensor_read', n, nl, 65_532)).toBe(STATUS.fault.value);
    expect(await p.run('sensor_read', 70_000, nl, 64)).toBe(STATUS.fault.value);
    expect(p.dev.sensorCalls).toEqual([]);
  });

  it('returns E_INVALID for a name longer than a capability name can be', async () => {
    const p = await probe(['sensor_read'], { capabilities: ['sensor:temperature:read'] });
    const [n, nl] = p.str('t'.repeat(40));
    expect(await p.run('sensor_read', n, nl, 64)).toBe(STATUS.invalid.value);
  });
});

describe('gpio', () => {
  const caps = ['gpio:17:out', 'gpio:22:in'];

  it('configures a granted output, drives it (the simulator records it) and reads it back', async () => {
    const p = await probe(GPIO_FNS, { capabilities: caps });
    expect(await p.run('gpio_config', 17, 1)).toBe(0);
    expect(await p.run('gpio_write', 17, 1)).toBe(0);
    expect(await p.run('gpio_read', 17)).toBe(1);
    expect(p.dev.gpio.outputLevel('17')).toBe(1);
    expect(p.dev.gpio.outputLog.map((c) => c.value)).toEqual([0, 1]);
  });

  it('returns E_DENIED for another pin or the other direction, and the backend never sees it', async () => {
    const p = await probe(GPIO_FNS, { capabilities: caps });
    expect(await p.run('gpio_config', 18, 1)).toBe(STATUS.denied.value);
    expect(await p.run('gpio_write', 18, 1)).toBe(STATUS.denied.value);
    expect(await p.run('gpio_read', 18)).toBe(STATUS.denied.value);
    expect(await p.run('gpio_config', 17, 0)).toBe(STATUS.denied.value);
    expect(await p.run('gpio_config', 22, 1)).toBe(STATUS.denied.value);
    expect(await p.run('gpio_wait_edge', 17, 0, 10)).toBe(STATUS.denied.value);
    expect(p.dev.gpioCalls).toEqual([]);
    expect(p.host.stats().denied).toBe(6);
  });

  it('returns E_STATE for a granted pin the module has not configured, E_INVALID for bad levels and directions', async () => {
    const p = await probe(GPIO_FNS, { capabilities: caps });
    expect(await p.run('gpio_write', 17, 1)).toBe(STATUS.state.value);
    expect(await p.run('gpio_config', 17, 2)).toBe(STATUS.invalid.value);
    await p.run('gpio_config', 17, 1);
    expect(await p.run('gpio_write', 17, 2)).toBe(STATUS.invalid.value);
    expect(await p.run('gpio_wait_edge', 22, 3, 10)).toBe(STATUS.invalid.value);
    expect(p.dev.gpioCalls.map((c) => c.method)).toEqual(['configure']);
  });

  it('gpio_wait_edge suspends until the edge and returns the new level', async () => {
    const p = await probe(GPIO_FNS, { capabilities: caps });
    expect(await p.run('gpio_config', 22, 0)).toBe(0);
    const waiting = finish(p.call('gpio_wait_edge', 22, 0, 5000));
    await p.dev.time.advance(100);
    p.dev.gpio.setInput('22', 1);
    expect(await waiting).toBe(1);
  });

  it('gpio_wait_edge returns E_TIMEOUT when no edge comes in time (on the injected clock)', async () => {
    const p = await probe(GPIO_FNS, { capabilities: caps });
    await p.run('gpio_config', 22, 0);
    const waiting = finish(p.call('gpio_wait_edge', 22, 2, 300));
    await p.dev.time.advance(299);
    let settled = false;
    void waiting.then(() => (settled = true));
    await p.dev.time.advance(0);
    expect(settled).toBe(false);
    await p.dev.time.advance(1);
    expect(await waiting).toBe(STATUS.timeout.value);
  });

  it('close releases the lines the module configured', async () => {
    const p = await probe(GPIO_FNS, { capabilities: caps });
    await p.run('gpio_config', 17, 1);
    await p.run('gpio_write', 17, 1);
    await p.host.close();
    expect(p.dev.gpio.outputLevel('17')).toBe(null);
  });

  it('a pending edge wait ends with E_CLOSED when the host closes', async () => {
    const p = await probe(GPIO_FNS, { capabilities: caps });
    await p.run('gpio_config', 22, 0);
    const waiting = finish(p.call('gpio_wait_edge', 22, 2, 60_000));
    await p.host.close();
    expect(await waiting).toBe(STATUS.closed.value);
  });
});

describe('serial', () => {
  const caps = ['serial:/dev/ttyUSB0:9600'];

  it('opens a granted port, writes, reads the answer into memory and closes', async () => {
    const p = await probe(SERIAL_FNS, { capabilities: caps });
    const [path, pl] = p.str('/dev/ttyUSB0');
    const h = (await p.run('serial_open', path, pl, 9600)) as number;
    expect(h).toBeGreaterThan(0);
    const [msg, ml] = p.str('at+csq\r\n');
    expect(await p.run('serial_write', h, msg, ml)).toBe(8);
    expect(await p.run('serial_read', h, 4000, 64, 100)).toBe(8);
    expect(Buffer.from(p.mem().subarray(4000, 4008)).toString()).toBe('AT+CSQ\r\n');
    expect(await p.run('serial_close', h)).toBe(0);
    expect(await p.run('serial_read', h, 4000, 64, 100)).toBe(STATUS.badHandle.value);
  });

  it('returns E_DENIED for another port or baud rate without opening anything', async () => {
    const p = await probe(SERIAL_FNS, { capabilities: caps });
    const [a, al] = p.str('/dev/ttyUSB1');
    const [b, bl] = p.str('/dev/ttyUSB0');
    expect(await p.run('serial_open', a, al, 9600)).toBe(STATUS.denied.value);
    expect(await p.run('serial_open', b, bl, 115200)).toBe(STATUS.denied.value);
    expect(p.dev.serialCalls).toEqual([]);
  });

  it('a read with nothing to read suspends and gives 0 bytes at its timeout', async () => {
    const p = await probe(SERIAL_FNS, { capabilities: caps });
    const [path, pl] = p.str('/dev/ttyUSB0');
    const h = (await p.run('serial_open', path, pl, 9600)) as number;
    const reading = finish(p.call('serial_read', h, 4000, 64, 250));
    await p.dev.time.advance(250);
    expect(await reading).toBe(0);
  });

  it('reserves each receive buffer from the host memory budget: past it serial_open returns E_QUOTA', async () => {
    const p = await probe(SERIAL_FNS, {
      capabilities: ['serial:/dev/ttyUSB0:9600', 'serial:/dev/ttyUSB1:9600'],
      serialDevices: { '/dev/ttyUSB0': () => undefined, '/dev/ttyUSB1': () => undefined },
      limits: { hostMemoryBytes: 2 * 4096 + 6000, serialBufferBytes: 4096 },
    });
    const [a, al] = p.str('/dev/ttyUSB0');
    const [b, bl] = p.str('/dev/ttyUSB1');
    expect(await p.run('serial_open', a, al, 9600)).toBeGreaterThan(0);
    expect(await p.run('serial_open', b, bl, 9600)).toBe(STATUS.quota.value);
    expect(p.dev.serialCalls.map((c) => c.method)).toEqual(['open']);
    expect(p.host.stats()).toMatchObject({ quotaRefused: 1, hostBytes: 2 * 4096 + 4096 });
  });

  it('returns E_FAULT for a read buffer outside memory and E_TOO_BIG past the largest write', async () => {
    const p = await probe(SERIAL_FNS, { capabilities: caps });
    const [path, pl] = p.str('/dev/ttyUSB0');
    const h = (await p.run('serial_open', path, pl, 9600)) as number;
    expect(await p.run('serial_read', h, 65_500, 100, 10)).toBe(STATUS.fault.value);
    expect(await p.run('serial_write', h, 0, 65_537)).toBe(STATUS.tooBig.value);
  });
});
