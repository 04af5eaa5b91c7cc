// A small sysfs-like tree for tests: IIO, hwmon, thermal and 1-Wire devices written as real
// files under a temporary root, with the values the conformance suite expects. Test-only.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Files of the fixture, relative to the root; the values are in the kernel's units. */
export const SYSFS_FIXTURE: Readonly<Record<string, string>> = {
  'sys/bus/iio/devices/iio:device0/name': 'bme280\n',
  'sys/bus/iio/devices/iio:device0/in_temp_input': '21500\n',
  'sys/bus/iio/devices/iio:device0/in_humidityrelative_input': '45250\n',
  'sys/bus/iio/devices/iio:device0/in_pressure_input': '101.325\n',
  'sys/bus/iio/devices/iio:device0/in_timestamp_raw': '123\n', // not a sensor type: ignored
  'sys/bus/iio/devices/iio:device1/name': 'ads1015\n',
  'sys/bus/iio/devices/iio:device1/in_voltage0_raw': '1000\n',
  'sys/bus/iio/devices/iio:device1/in_voltage_scale': '2\n',
  'sys/bus/iio/devices/iio:device1/in_voltage1_raw': '100\n',
  'sys/bus/iio/devices/iio:device1/in_voltage1_offset': '10\n',
  'sys/bus/iio/devices/iio:device1/in_voltage1_scale': '0.5\n',
  'sys/class/hwmon/hwmon0/name': 'cpu_thermal\n',
  'sys/class/hwmon/hwmon0/temp1_input': '48312\n',
  'sys/class/thermal/thermal_zone0/type': 'cpu-thermal\n',
  'sys/class/thermal/thermal_zone0/temp': '47850\n',
  'sys/class/thermal/cooling_device0/type': 'fan\n', // not a zone: ignored
  'sys/bus/w1/devices/28-00000a1b2c3d/w1_slave':
    '72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n',
  'sys/bus/w1/devices/28-0000deadbeef/temperature': '-5500\n',
  'sys/bus/w1/devices/28-00000bad0bad/w1_slave':
    '72 01 4b 46 7f ff 0e 10 57 : crc=ff NO\n72 01 4b 46 7f ff 0e 10 57 t=23125\n',
  'sys/bus/w1/devices/w1_bus_master1/w1_master_name': 'w1_bus_master1\n', // not a sensor
  'sys/bus/w1/devices/3a-000000123456/state': '\u0000\n', // a switch family: ignored
};

/** Writes `files` (default: SYSFS_FIXTURE) under `root`. */
export async function writeSysfsFixture(root: string, files: Readonly<Record<string, string>> = SYSFS_FIXTURE): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}
