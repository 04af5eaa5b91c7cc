// Tests of linuxHardware: the device config's sensors root and aliases, GPIO lines and serial
// port names reach the three Linux backends.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualTime, settle } from '../manual-time.ts';
import { GpiodStandin } from './_gpiod-standin.ts';
import { writeSysfsFixture } from './_sysfs-fixture.ts';
import { linuxHardware } from './linux-hardware.ts';

describe('linuxHardware', () => {
  it('builds the sysfs, gpiod and serialport backends from the device config', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fleetlet-hw-'));
    try {
      await writeSysfsFixture(root);
      const time = new ManualTime(7);
      const standin = new GpiodStandin({ version: 2 });
      const hw = linuxHardware(
        {
          sensors: { root, aliases: { cpu: 'thermal/cpu-thermal' } },
          gpio: { lines: { relay: { chip: 'gpiochip0', offset: 17 } }, toolsVersion: 2 },
          serial: { gps: '/dev/ttyAMA0' },
        },
        { time, runner: standin.runner },
      );
      expect(hw.kind).toBe('linux');
      expect(await hw.sensors.read('cpu')).toEqual({ name: 'cpu', value: 47.85, unit: 'degC', at: 7 });
      expect((await hw.gpio.lines()).map((l) => `${l.name} ${l.source}`)).toEqual(['relay gpiochip0:17']);
      const configured = hw.gpio.configure('relay', { direction: 'output', initial: 1 });
      await settle();
      await configured;
      expect(standin.driven('gpiochip0', 17)).toBe(1);
      expect(standin.commands[0]).toBe('gpioset --banner --chip gpiochip0 17=1'); // no detection: version from the config
      expect(hw.serialPorts).toEqual({ gps: '/dev/ttyAMA0' });
      expect(hw.serial.kind).toBe('linux-serialport');
      await hw.close();
      expect(standin.driven('gpiochip0', 17)).toBeUndefined();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
