// Runs the SensorBackend conformance suite against the simulated backend (device-sim models)
// and the Linux sysfs backend reading a fixture tree laid out like sysfs.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from '../../../device-sim/parse-scenario.ts';
import { SimSensorBackend } from '../../../device-sim/sensors/sim-sensors.ts';
import { SysfsSensorBackend } from './linux/sysfs-sensors.ts';
import { writeSysfsFixture } from './linux/_sysfs-fixture.ts';
import { ManualTime } from './manual-time.ts';
import { sensorConformance } from './sensor.conformance.ts';

sensorConformance('sim (device-sim models)', async () => {
  const time = new ManualTime(5000);
  const r = parseScenario({
    version: 1,
    seed: 7,
    sensors: {
      temperature: { model: 'constant', unit: 'degC', value: 21.5 },
      humidity: { model: 'steps', unit: '%RH', steps: [{ atMs: 0, value: 40 }, { atMs: 1000, value: 55 }, { atMs: 2000, value: 60 }] },
      light: { model: 'sine', unit: 'lx', mean: 300, amplitude: 100, periodMs: 6000 },
      pressure: { model: 'random-walk', unit: 'kPa', start: 101.3, stepMs: 100, stepStdDev: 0 },
      flow: { model: 'replay', unit: 'count', csv: 't_ms,flow\n0,0\n1000,10\n2000,30\n', interpolate: 'linear' },
      broken: { model: 'constant', unit: 'degC', value: 1, faults: [{ fromMs: 1000, toMs: 2000 }] },
    },
  });
  if (!r.ok) throw r.error;
  const backend = new SimSensorBackend(r.value.sensors, { clock: time, seed: r.value.seed });
  await time.advance(1500); // 1.5 s into the simulation
  return {
    backend,
    expected: [
      { name: 'temperature', unit: 'degC', value: 21.5 },
      { name: 'humidity', unit: '%RH', value: 55 },
      // sin(2*pi*1500/6000) = 1
      { name: 'light', unit: 'lx', value: 400, tolerance: 1e-9 },
      { name: 'pressure', unit: 'kPa', value: 101.3 },
      // halfway between 10 at 1000 and 30 at 2000
      { name: 'flow', unit: 'count', value: 20 },
    ],
    failing: 'broken',
    now: () => time.now(),
    cleanup: async () => {},
  };
});

sensorConformance('linux sysfs (fixture tree)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fleetlet-sysfs-'));
  await writeSysfsFixture(root);
  const time = new ManualTime(42);
  const backend = new SysfsSensorBackend({ root, clock: time, aliases: { temperature: 'iio/bme280/temp' } });
  return {
    backend,
    expected: [
      { name: 'temperature', unit: 'degC', value: 21.5 },
      { name: 'iio/bme280/temp', unit: 'degC', value: 21.5 },
      { name: 'iio/bme280/humidityrelative', unit: '%RH', value: 45.25 },
      { name: 'iio/bme280/pressure', unit: 'kPa', value: 101.325 },
      // raw 1000 * shared scale 2 mV = 2000 mV
      { name: 'iio/ads1015/voltage0', unit: 'V', value: 2 },
      // (raw 100 + offset 10) * channel scale 0.5 mV = 55 mV
      { name: 'iio/ads1015/voltage1', unit: 'V', value: 0.055 },
      { name: 'hwmon/cpu_thermal/temp1', unit: 'degC', value: 48.312 },
      { name: 'thermal/cpu-thermal', unit: 'degC', value: 47.85 },
      { name: 'w1/28-00000a1b2c3d', unit: 'degC', value: 23.125 },
      { name: 'w1/28-0000deadbeef', unit: 'degC', value: -5.5 },
    ],
    failing: 'w1/28-00000bad0bad',
    now: () => time.now(),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});
