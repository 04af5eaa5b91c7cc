// The Linux SensorBackend: sensors found in sysfs (IIO, hwmon, thermal zones, 1-Wire) under an
// injectable root, named by subsystem and device, with optional aliases from the device config.

import { abortError, HardwareError } from '../errors.ts';
import type { SensorBackend, SensorInfo, SensorReading, SensorReadOptions } from '../sensor.ts';
import { systemTime, type Clock } from '../time.ts';
import { ALL_SOURCES, type SysfsSensor, type SysfsSource } from './_sysfs-sources.ts';

export interface SysfsSensorOptions {
  /** The filesystem root that holds `sys/` ("/" on a device; a fixture folder in tests). */
  readonly root?: string;
  readonly clock?: Clock;
  /** Friendly names for found sensors: alias -> sysfs sensor name ("temperature" -> "iio/bme280/temp"). */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Which layouts to scan (default: all four). */
  readonly sources?: readonly SysfsSource[];
}

/**
 * Sensor names: `iio/<device>/<channel>` (iio/bme280/temp, iio/ads1015/voltage0),
 * `hwmon/<device>/<attr>` (hwmon/cpu_thermal/temp1), `thermal/<type>` (thermal/cpu-thermal),
 * `w1/<id>` (w1/28-00000a1b2c3d); `<device>` is the `name` file, suffixed with the directory
 * when two devices share a name. Aliases are listed beside the names they stand for.
 */
export class SysfsSensorBackend implements SensorBackend {
  readonly kind = 'linux-sysfs';
  private readonly root: string;
  private readonly clock: Clock;
  private readonly aliases: Readonly<Record<string, string>>;
  private readonly sources: readonly SysfsSource[];
  private found = new Map<string, SysfsSensor>();
  private scanned = false;
  private closed = false;

  constructor(options: SysfsSensorOptions = {}) {
    this.root = options.root ?? '/';
    this.clock = options.clock ?? systemTime;
    this.aliases = options.aliases ?? {};
    this.sources = options.sources ?? ALL_SOURCES;
  }

  /** Scans sysfs again (sensors come and go: USB, 1-Wire). */
  async rescan(): Promise<void> {
    const next = new Map<string, SysfsSensor>();
    for (const source of this.sources) {
      for (const s of await source.scan(this.root)) next.set(s.name, s);
    }
    this.found = next;
    this.scanned = true;
  }

  async list(): Promise<readonly SensorInfo[]> {
    this.checkOpen();
    await this.rescan();
    const out: SensorInfo[] = [...this.found.values()].map((s) => ({ name: s.name, unit: s.unit, source: s.path }));
    for (const [alias, target] of Object.entries(this.aliases)) {
      const s = this.found.get(target);
      if (s !== undefined) out.push({ name: alias, unit: s.unit, source: s.path });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async read(name: string, options: SensorReadOptions = {}): Promise<SensorReading> {
    this.checkOpen();
    if (options.signal?.aborted) throw abortError(options.signal, name);
    const target = this.aliases[name] ?? name;
    let s = this.found.get(target);
    if (s === undefined) {
      await this.rescan(); // hot-plugged since the last scan?
      s = this.found.get(target);
    }
    if (s === undefined) {
      const via = target === name ? '' : ` (alias of "${target}")`;
      throw new HardwareError('unknown-sensor', name, `Cannot read sensor "${name}"${via}: not found under "${this.root}"`);
    }
    let value: number;
    try {
      value = await s.read();
    } catch (e) {
      throw new HardwareError('io', name, `Cannot read sensor "${name}" from "${s.path}": ${(e as Error).message}`, { cause: e });
    }
    if (options.signal?.aborted) throw abortError(options.signal, name);
    return { name, value, unit: s.unit, at: this.clock.now() };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.found.clear();
  }

  /** Whether a scan has run (for tests of lazy scanning). */
  get hasScanned(): boolean {
    return this.scanned;
  }

  private checkOpen(): void {
    if (this.closed) throw new HardwareError('closed', undefined, 'Cannot use the sysfs sensors: the backend is closed');
  }
}
