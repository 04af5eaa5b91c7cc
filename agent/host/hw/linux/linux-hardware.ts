// The Linux hardware backends built from the device config: sysfs sensors, GPIO lines through
// the gpiod tools, serial ports through serialport.

import type { HardwareBackends } from '../backends.ts';
import { systemTime, type TimeSource } from '../time.ts';
import { GpiodGpio } from './gpiod-gpio.ts';
import type { GpiodVersion, LineAddress } from './gpiod-tools.ts';
import type { ProcessRunner } from './process.ts';
import { SerialportSerial } from './serialport-serial.ts';
import { SysfsSensorBackend } from './sysfs-sensors.ts';

/** The hardware part of a device config. */
export interface LinuxHardwareConfig {
  readonly sensors?: {
    /** Filesystem root holding sys/ (default "/"). */
    readonly root?: string;
    /** Friendly names: "temperature" -> "iio/bme280/temp". */
    readonly aliases?: Readonly<Record<string, string>>;
  };
  readonly gpio?: {
    /** Line names -> chip and offset: "relay" -> { chip: "gpiochip0", offset: 17 }. */
    readonly lines: Readonly<Record<string, LineAddress>>;
    /** Skip detection of the gpiod tools version. */
    readonly toolsVersion?: GpiodVersion;
  };
  /** Serial port names -> device paths: "gps" -> "/dev/ttyAMA0". */
  readonly serial?: Readonly<Record<string, string>>;
}

export interface LinuxHardwareOptions {
  readonly time?: TimeSource;
  /** Runs the gpiod tools (default: real processes). */
  readonly runner?: ProcessRunner;
}

export function linuxHardware(config: LinuxHardwareConfig, options: LinuxHardwareOptions = {}): HardwareBackends {
  const time = options.time ?? systemTime;
  const sensors = new SysfsSensorBackend({
    clock: time,
    ...(config.sensors?.root !== undefined ? { root: config.sensors.root } : {}),
    ...(config.sensors?.aliases !== undefined ? { aliases: config.sensors.aliases } : {}),
  });
  const gpio = new GpiodGpio({
    lines: config.gpio?.lines ?? {},
    time,
    ...(options.runner !== undefined ? { runner: options.runner } : {}),
    ...(config.gpio?.toolsVersion !== undefined ? { version: config.gpio.toolsVersion } : {}),
  });
  const serial = new SerialportSerial({ time });
  return {
    kind: 'linux',
    sensors,
    gpio,
    serial,
    serialPorts: config.serial ?? {},
    close: async () => {
      await Promise.all([sensors.close(), gpio.close(), serial.close()]);
    },
  };
}
