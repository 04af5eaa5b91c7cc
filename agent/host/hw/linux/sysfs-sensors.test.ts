// Tests of the sysfs sensor backend beyond the conformance suite: devices sharing a name,
// sensors that appear or vanish after a scan, aliases, shared IIO scales, and an empty root.

import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HardwareError } from '../errors.ts';
import { writeSysfsFixture } from './_sysfs-fixture.ts';
import { parseW1Slave } from './_sysfs-sources.ts';
import { SysfsSensorBackend } from './sysfs-sensors.ts';

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'fleetlet-sysfs-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function codeOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HardwareError);
  return (e as HardwareError).code;
}

describe('SysfsSensorBackend', () => {
  it('an empty root has no sensors', async () => {
    expect(await new SysfsSensorBackend({ root }).list()).toEqual([]);
  });

  it('devices that share a name are told apart by their directory', async () => {
    await writeSysfsFixture(root, {
      'sys/class/hwmon/hwmon0/name': 'nvme\n',
      'sys/class/hwmon/hwmon0/temp1_input': '30000\n',
      'sys/class/hwmon/hwmon1/name': 'nvme\n',
      'sys/class/hwmon/hwmon1/temp1_input': '31000\n',
      'sys/class/hwmon/hwmon1/fan1_input': '1200\n',
      'sys/class/hwmon/hwmon1/in0_input': '3300\n',
      'sys/class/hwmon/hwmon1/power1_input': '2500000\n',
      'sys/class/thermal/thermal_zone0/type': 'cpu-thermal\n',
      'sys/class/thermal/thermal_zone0/temp': '40000\n',
      'sys/class/thermal/thermal_zone1/type': 'cpu-thermal\n',
      'sys/class/thermal/thermal_zone1/temp': '41000\n',
    });
    const b = new SysfsSensorBackend({ root });
    expect((await b.list()).map((s) => `${s.name} ${s.unit}`)).toEqual([
      'hwmon/nvme-hwmon0/temp1 degC',
      'hwmon/nvme-hwmon1/fan1 rpm',
      'hwmon/nvme-hwmon1/in0 V',
      'hwmon/nvme-hwmon1/power1 W',
      'hwmon/nvme-hwmon1/temp1 degC',
      'thermal/cpu-thermal-thermal_zone0 degC',
      'thermal/cpu-thermal-thermal_zone1 degC',
    ]);
    expect((await b.read('hwmon/nvme-hwmon1/temp1')).value).toBe(31);
    expect((await b.read('hwmon/nvme-hwmon1/in0')).value).toBeCloseTo(3.3, 12);
    expect((await b.read('hwmon/nvme-hwmon1/power1')).value).toBeCloseTo(2.5, 12);
  });

  it('a sensor plugged in after a scan is found on read; one removed fails with "io"', async () => {
    const b = new SysfsSensorBackend({ root });
    expect(await b.list()).toEqual([]);
    await writeSysfsFixture(root, { 'sys/bus/w1/devices/28-000000000001/temperature': '21000\n' });
    expect((await b.read('w1/28-000000000001')).value).toBe(21);
    await unlink(join(root, 'sys/bus/w1/devices/28-000000000001/temperature'));
    expect(await codeOf(b.read('w1/28-000000000001'))).toBe('io');
  });

  it('a file that holds no number fails with "io" naming the path', async () => {
    await writeSysfsFixture(root, { 'sys/class/thermal/thermal_zone0/type': 'x\n', 'sys/class/thermal/thermal_zone0/temp': 'garbage\n' });
    const b = new SysfsSensorBackend({ root });
    const e = (await b.read('thermal/x').catch((x: unknown) => x)) as HardwareError;
    expect(e.code).toBe('io');
    expect(e.message).toContain('thermal_zone0/temp');
  });

  it('an alias whose target is missing is not listed and reads as "unknown-sensor"', async () => {
    const b = new SysfsSensorBackend({ root, aliases: { temperature: 'iio/bme280/temp' } });
    expect(await b.list()).toEqual([]);
    const e = (await b.read('temperature').catch((x: unknown) => x)) as HardwareError;
    expect(e.code).toBe('unknown-sensor');
    expect(e.message).toContain('"iio/bme280/temp"');
  });

  it('IIO raw channels use their own scale before the type\'s shared one, and ignore unknown types', async () => {
    await writeSysfsFixture(root, {
      'sys/bus/iio/devices/iio:device0/name': 'mcp3008\n',
      'sys/bus/iio/devices/iio:device0/in_voltage0_raw': '512\n',
      'sys/bus/iio/devices/iio:device0/in_voltage1_raw': '512\n',
      'sys/bus/iio/devices/iio:device0/in_voltage1_scale': '1\n',
      'sys/bus/iio/devices/iio:device0/in_voltage_scale': '3.2226\n',
      'sys/bus/iio/devices/iio:device0/in_temp_ambient_input': '22500\n',
      'sys/bus/iio/devices/iio:device0/in_rot_from_north_magnetic_raw': '1\n',
    });
    const b = new SysfsSensorBackend({ root });
    expect((await b.list()).map((s) => s.name)).toEqual(['iio/mcp3008/temp_ambient', 'iio/mcp3008/voltage0', 'iio/mcp3008/voltage1']);
    expect((await b.read('iio/mcp3008/voltage0')).value).toBeCloseTo(1.65, 3); // 512 * 3.2226 mV
    expect((await b.read('iio/mcp3008/voltage1')).value).toBeCloseTo(0.512, 12);
    expect((await b.read('iio/mcp3008/temp_ambient')).value).toBe(22.5);
  });
});

describe('parseW1Slave', () => {
  it('reads t= in millidegrees when the CRC line says YES, refuses NO', () => {
    expect(parseW1Slave('50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000', 'p')).toBe(85000);
    expect(parseW1Slave('ff ff 4b 46 7f ff 0c 10 1c : crc=1c YES\nff ff 4b 46 7f ff 0c 10 1c t=-62', 'p')).toBe(-62);
    expect(() => parseW1Slave('50 05 4b 46 7f ff 0c 10 1c : crc=1d NO\n50 05 4b 46 7f ff 0c 10 1c t=85000', 'p')).toThrow(/CRC/);
    expect(() => parseW1Slave('', 'p')).toThrow(/no CRC line/);
  });
});
