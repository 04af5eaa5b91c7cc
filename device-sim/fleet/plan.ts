// The fleet simulator's plan as pure functions: the simulated devices (ids `sim-0001`.., tags, class `sim`) with the
// faults each one draws from the seed (offline periods, a slow link, a power cut during an update, a skewed clock),
// and how they are spread over worker processes. Nothing here starts a process or opens a socket.

import { hashString, uniform } from '../rng.ts';

/** A slow link: every chunk through the device's link waits `delayMs`, and bytes flow at most `bytesPerSecond`. */
export interface SlowLink {
  readonly delayMs: number;
  readonly bytesPerSecond: number;
}

/** Offline periods: the link goes down every `everyMs` (on average) for `forMs`, connections cut and refused. */
export interface OfflinePeriods {
  readonly everyMs: number;
  readonly forMs: number;
}

/** One simulated device and its faults. */
export interface SimDeviceSpec {
  readonly id: string;
  readonly index: number;
  readonly tags: Readonly<Record<string, string>>;
  /** Milliseconds added to the device's wall clock (negative: behind). */
  readonly skewMs: number;
  readonly offline?: OfflinePeriods;
  readonly slow?: SlowLink;
  /** The device loses power once while an update is under way (its worker process is killed and started again). */
  readonly powerCut: boolean;
}

export interface FleetPlanOptions {
  readonly devices: number;
  /** Seed of every random choice (default 1). */
  readonly seed?: number;
  /** Fractions in [0, 1] of devices with each fault. */
  readonly offline?: number;
  readonly slow?: number;
  readonly powerCuts?: number;
  /** Clocks are skewed by a uniform draw in [-skewS, +skewS] seconds (default 0). */
  readonly skewS?: number;
  /** First device number (default 1): `sim-0001`. */
  readonly firstIndex?: number;
  readonly offlinePeriods?: OfflinePeriods;
  readonly slowLink?: SlowLink;
}

/** Invalid plan options, naming the option. */
export class FleetPlanError extends Error {
  override readonly name = 'FleetPlanError';
  readonly code = 'bad-fleet-plan';
  constructor(readonly option: string, message: string) {
    super(message);
  }
}

export const DEFAULT_OFFLINE: OfflinePeriods = { everyMs: 20_000, forMs: 3_000 };
export const DEFAULT_SLOW: SlowLink = { delayMs: 50, bytesPerSecond: 32 * 1024 };
const SITES = ['a', 'b', 'c'] as const;

/** The device id of number `n`: `sim-0001` (four digits at least). */
export const simDeviceId = (n: number): string => `sim-${String(n).padStart(4, '0')}`;

/**
 * Every simulated device of the plan, in id order: tags `site` (a, b, c in turn) and `ring` (the first 5 %, at least
 * one, `canary`; the rest `main`), and faults drawn per device from the seed (each fault from its own stream, so
 * raising one fraction does not move the others).
 * @throws FleetPlanError when an option is out of range
 */
export function planFleet(o: FleetPlanOptions): SimDeviceSpec[] {
  if (!Number.isSafeInteger(o.devices) || o.devices < 1 || o.devices > 100_000) throw new FleetPlanError('devices', `Invalid device count ${o.devices}: need an integer in 1..100000`);
  for (const k of ['offline', 'slow', 'powerCuts'] as const) {
    const p = o[k];
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new FleetPlanError(k, `Invalid ${k} fraction ${p}: need a number in [0, 1]`);
  }
  const skewS = o.skewS ?? 0;
  if (!(skewS >= 0 && skewS <= 86_400 * 365)) throw new FleetPlanError('skewS', `Invalid clock skew ${skewS} s: need a number of seconds >= 0`);
  const seed = (o.seed ?? 1) >>> 0;
  const first = o.firstIndex ?? 1;
  const canaries = Math.max(1, Math.floor(o.devices * 0.05));
  const draw = (what: string, i: number): number => uniform(seed, hashString(what), i);
  const out: SimDeviceSpec[] = [];
  for (let k = 0; k < o.devices; k++) {
    const n = first + k;
    const offline = draw('offline', n) < (o.offline ?? 0);
    const slow = draw('slow', n) < (o.slow ?? 0);
    out.push({
      id: simDeviceId(n),
      index: n,
      tags: { site: SITES[k % SITES.length]!, ring: k < canaries ? 'canary' : 'main' },
      skewMs: skewS === 0 ? 0 : Math.round((draw('skew', n) * 2 - 1) * skewS * 1000),
      ...(offline ? { offline: o.offlinePeriods ?? DEFAULT_OFFLINE } : {}),
      ...(slow ? { slow: o.slowLink ?? DEFAULT_SLOW } : {}),
      powerCut: draw('power-cut', n) < (o.powerCuts ?? 0),
    });
  }
  return out;
}

/**
 * Spreads devices over worker processes: devices with a power cut go to their own workers (at most `fragileSize`
 * each), because a cut kills a whole process, as a cut stops a whole board; the others are dealt round-robin over
 * `processes` workers. Returns the non-empty groups, fragile ones last.
 */
export function assignWorkers(devices: readonly SimDeviceSpec[], processes: number, fragileSize = 25): { devices: SimDeviceSpec[]; fragile: boolean }[] {
  if (!Number.isSafeInteger(processes) || processes < 1) throw new FleetPlanError('processes', `Invalid process count ${processes}: need an integer >= 1`);
  const steady: SimDeviceSpec[][] = Array.from({ length: processes }, () => []);
  const fragile: SimDeviceSpec[][] = [];
  let i = 0;
  for (const d of devices) {
    if (d.powerCut) {
      const last = fragile[fragile.length - 1];
      if (last === undefined || last.length >= fragileSize) fragile.push([d]);
      else last.push(d);
    } else steady[i++ % processes]!.push(d);
  }
  return [...steady.filter((g) => g.length > 0).map((g) => ({ devices: g, fragile: false })), ...fragile.map((g) => ({ devices: g, fragile: true }))];
}
