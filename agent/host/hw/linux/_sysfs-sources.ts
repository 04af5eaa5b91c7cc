// Where Linux keeps sensor readings in sysfs, as data: the IIO, hwmon, thermal and 1-Wire
// layouts, each scanned into named sensors with a unit and a reader. Private to linux/.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** A sensor found in sysfs. `read` rejects with the filesystem's error, or an Error for bad text. */
export interface SysfsSensor {
  readonly name: string;
  readonly unit: string;
  /** The file the value comes from. */
  readonly path: string;
  read(): Promise<number>;
}

/** Per channel type: our unit, and the factor from the kernel's unit to ours. */
interface Quantity {
  readonly unit: string;
  readonly factor: number;
}

/** IIO channel types (Documentation/ABI/testing/sysfs-bus-iio): processed and scaled units. */
const IIO_TYPES: Readonly<Record<string, Quantity>> = {
  temp: { unit: 'degC', factor: 0.001 }, // milli degrees Celsius
  humidityrelative: { unit: '%RH', factor: 0.001 }, // milli percent
  pressure: { unit: 'kPa', factor: 1 },
  illuminance: { unit: 'lx', factor: 1 },
  voltage: { unit: 'V', factor: 0.001 }, // millivolts
  current: { unit: 'A', factor: 0.001 }, // milliamps
  power: { unit: 'W', factor: 0.001 }, // milliwatts
  resistance: { unit: 'ohm', factor: 1 },
  accel: { unit: 'm/s2', factor: 1 },
  anglvel: { unit: 'rad/s', factor: 1 },
  magn: { unit: 'gauss', factor: 1 },
  concentration: { unit: '%', factor: 1 },
  proximity: { unit: 'count', factor: 1 },
  intensity: { unit: 'count', factor: 1 },
};

/** hwmon attribute prefixes (Documentation/hwmon/sysfs-interface.rst). */
const HWMON_TYPES: Readonly<Record<string, Quantity>> = {
  temp: { unit: 'degC', factor: 0.001 }, // millidegrees Celsius
  in: { unit: 'V', factor: 0.001 }, // millivolts
  curr: { unit: 'A', factor: 0.001 }, // milliamps
  power: { unit: 'W', factor: 0.000001 }, // microwatts
  humidity: { unit: '%RH', factor: 0.001 }, // milli percent
  fan: { unit: 'rpm', factor: 1 },
};

/** 1-Wire families that are temperature sensors: DS18S20, DS1822, DS18B20, DS1825, DS28EA00. */
const W1_TEMPERATURE_FAMILIES = new Set(['10', '22', '28', '3b', '42']);

/** One sysfs layout: scans `root` (the filesystem root, "/" on a device) for sensors. */
export interface SysfsSource {
  readonly kind: string;
  scan(root: string): Promise<SysfsSensor[]>;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort(naturalOrder);
  } catch {
    return []; // no such subsystem on this device
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function text(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).trim();
}

async function textOr(path: string, dflt: string): Promise<string> {
  try {
    return await text(path);
  } catch {
    return dflt;
  }
}

/** Reads a file holding one number. @throws Error when it holds anything else */
async function number(path: string): Promise<number> {
  const t = await text(path);
  const v = Number(t);
  if (t === '' || !Number.isFinite(v)) throw new Error(`"${path}" holds "${t}", not a number`);
  return v;
}

/** Sorts "hwmon10" after "hwmon9". */
function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Device labels in sensor names: the `name` file, or the directory when two devices share it. */
function labels(devices: readonly { dir: string; name: string }[]): string[] {
  const count = new Map<string, number>();
  for (const d of devices) count.set(d.name, (count.get(d.name) ?? 0) + 1);
  return devices.map((d) => (count.get(d.name) === 1 ? d.name : `${d.name}-${d.dir}`));
}

/** Makes a `name` file safe in a sensor name (no slashes or spaces). */
function clean(s: string): string {
  return s.replace(/[^A-Za-z0-9._:-]/g, '_') || 'unnamed';
}

/**
 * IIO: /sys/bus/iio/devices/iio:deviceN/in_<type>[N][_<modifier>]_input (processed) or _raw
 * with (raw + offset) * scale, where _scale and _offset are per channel or shared per type.
 */
export const iioSource: SysfsSource = {
  kind: 'iio',
  async scan(root) {
    const base = join(root, 'sys/bus/iio/devices');
    const devs: { dir: string; name: string; files: string[] }[] = [];
    for (const dir of await entries(base)) {
      if (!dir.startsWith('iio:device')) continue;
      devs.push({ dir, name: clean(await textOr(join(base, dir, 'name'), dir)), files: await entries(join(base, dir)) });
    }
    const out: SysfsSensor[] = [];
    labels(devs).forEach((label, i) => {
      const { dir, files } = devs[i]!;
      const have = new Set(files);
      const seen = new Set<string>();
      for (const f of files) {
        const m = /^in_(([a-z]+?)(\d*)(?:_([a-z0-9_]+?))?)_(input|raw)$/.exec(f);
        if (m === null) continue;
        const [, spec, type, index] = m as unknown as [string, string, string, string];
        const q = IIO_TYPES[type];
        if (q === undefined || seen.has(spec)) continue;
        seen.add(spec);
        const devDir = join(base, dir);
        const processed = have.has(`in_${spec}_input`);
        const file = join(devDir, processed ? `in_${spec}_input` : `in_${spec}_raw`);
        // Most specific attribute first: this channel, this index, then the whole type.
        const pick = (attr: string): string | undefined =>
          [`in_${spec}_${attr}`, `in_${type}${index}_${attr}`, `in_${type}_${attr}`].find((a) => have.has(a));
        const scale = processed ? undefined : pick('scale');
        const offset = processed ? undefined : pick('offset');
        out.push({
          name: `iio/${label}/${spec}`,
          unit: q.unit,
          path: file,
          async read() {
            const v = await number(file);
            if (processed) return v * q.factor;
            const s = scale === undefined ? 1 : await number(join(devDir, scale));
            const o = offset === undefined ? 0 : await number(join(devDir, offset));
            return (v + o) * s * q.factor;
          },
        });
      }
    });
    return out;
  },
};

/** hwmon: /sys/class/hwmon/hwmonN/{name, <type>N_input}. */
export const hwmonSource: SysfsSource = {
  kind: 'hwmon',
  async scan(root) {
    const base = join(root, 'sys/class/hwmon');
    const devs: { dir: string; name: string; files: string[] }[] = [];
    for (const dir of await entries(base)) {
      devs.push({ dir, name: clean(await textOr(join(base, dir, 'name'), dir)), files: await entries(join(base, dir)) });
    }
    const out: SysfsSensor[] = [];
    labels(devs).forEach((label, i) => {
      const { dir, files } = devs[i]!;
      for (const f of files) {
        const m = /^([a-z]+)(\d+)_input$/.exec(f);
        const q = m === null ? undefined : HWMON_TYPES[m[1]!];
        if (m === null || q === undefined) continue;
        const file = join(base, dir, f);
        out.push({ name: `hwmon/${label}/${m[1]}${m[2]}`, unit: q.unit, path: file, read: async () => (await number(file)) * q.factor });
      }
    });
    return out;
  },
};

/** Thermal zones: /sys/class/thermal/thermal_zoneN/{type, temp} in millidegrees Celsius. */
export const thermalSource: SysfsSource = {
  kind: 'thermal',
  async scan(root) {
    const base = join(root, 'sys/class/thermal');
    const devs: { dir: string; name: string }[] = [];
    for (const dir of await entries(base)) {
      if (dir.startsWith('thermal_zone') && (await exists(join(base, dir, 'temp')))) {
        devs.push({ dir, name: clean(await textOr(join(base, dir, 'type'), dir)) });
      }
    }
    return labels(devs).map((label, i) => {
      const file = join(base, devs[i]!.dir, 'temp');
      return { name: `thermal/${label}`, unit: 'degC', path: file, read: async () => (await number(file)) * 0.001 };
    });
  },
};

/**
 * 1-Wire temperature sensors: /sys/bus/w1/devices/<family>-<id>/temperature (millidegrees,
 * newer kernels) or w1_slave (two lines: the scratchpad with "crc=.. YES|NO", then "t=<milli>").
 */
export const w1Source: SysfsSource = {
  kind: 'w1',
  async scan(root) {
    const base = join(root, 'sys/bus/w1/devices');
    const out: SysfsSensor[] = [];
    for (const dir of await entries(base)) {
      const family = /^([0-9a-f]{2})-[0-9a-f]+$/i.exec(dir)?.[1]?.toLowerCase();
      if (family === undefined || !W1_TEMPERATURE_FAMILIES.has(family)) continue;
      const temperature = join(base, dir, 'temperature');
      const slave = join(base, dir, 'w1_slave');
      if (await exists(temperature)) {
        out.push({ name: `w1/${dir}`, unit: 'degC', path: temperature, read: async () => (await number(temperature)) * 0.001 });
      } else if (await exists(slave)) {
        out.push({ name: `w1/${dir}`, unit: 'degC', path: slave, read: async () => parseW1Slave(await text(slave), slave) * 0.001 });
      }
    }
    return out;
  },
};

/** The millidegrees in a w1_slave file. @throws Error on a CRC failure or unexpected text */
export function parseW1Slave(t: string, path: string): number {
  const lines = t.split('\n');
  const crc = /crc=[0-9a-f]{2} (YES|NO)/i.exec(lines[0] ?? '');
  if (crc === null) throw new Error(`"${path}" has no CRC line`);
  if (crc[1]!.toUpperCase() !== 'YES') throw new Error(`"${path}" failed its CRC check`);
  const m = /t=(-?\d+)/.exec(lines[1] ?? '');
  if (m === null) throw new Error(`"${path}" has no temperature`);
  return Number(m[1]);
}

export const ALL_SOURCES: readonly SysfsSource[] = [iioSource, hwmonSource, thermalSource, w1Source];
