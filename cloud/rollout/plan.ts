// Rollout planning as pure functions: resolving a target (an explicit list or a tag selector over the fleet registry)
// into a frozen, ordered device list, and cutting that list into waves (fixed sizes, cumulative percentages, or
// exponential growth with a cap). Nothing here reads a clock, a store or the network.

import { RolloutError } from './errors.ts';

/** What planning needs to know of one enrolled device. */
export interface DeviceInfo {
  readonly id: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly deviceClass?: string;
}

/**
 * Which devices a rollout targets. `list`: exactly these ids, in this order (each must be known). `selector`: every
 * device whose tags match all of `match` (a value or any of several values per key) and, when given, whose class
 * is `deviceClass`; ordered by id, or shuffled by a seed so that the first wave is not always the same devices.
 */
export type TargetSpec =
  | { readonly kind: 'list'; readonly deviceIds: readonly string[] }
  | {
      readonly kind: 'selector';
      readonly match: Readonly<Record<string, string | readonly string[]>>;
      readonly deviceClass?: string;
      readonly order?: 'id' | { readonly seed: number };
    };

/**
 * How the frozen targets are cut into waves. `fixed`: these sizes in order, the last repeated until every target has
 * a wave. `percent`: cumulative percentages of the targets, strictly increasing, ending at 100 (waves that rounding
 * leaves empty are dropped). `exponential` (as AWS IoT Jobs): `initial`, then each wave `factor` times the one
 * before (rounded up), never more than `max`.
 */
export type WavePlanSpec =
  | { readonly kind: 'fixed'; readonly sizes: readonly number[] }
  | { readonly kind: 'percent'; readonly cumulative: readonly number[] }
  | { readonly kind: 'exponential'; readonly initial: number; readonly factor: number; readonly max: number };

/**
 * Resolves a target into the ordered list of device ids the rollout will ever touch; the caller stores it with the
 * rollout so that devices enrolled or retagged later are never targeted by accident.
 * @throws RolloutError 'empty-target', 'unknown-devices', 'duplicate-devices', 'bad-selector'
 */
export function resolveTargets(spec: TargetSpec, devices: readonly DeviceInfo[]): string[] {
  if (spec.kind === 'list') return resolveList(spec.deviceIds, devices);
  const keys = Object.keys(spec.match);
  if (keys.length === 0 && spec.deviceClass === undefined) {
    throw new RolloutError('bad-selector', 'Cannot resolve a selector that matches every device: name at least one tag or a device class');
  }
  for (const k of keys) {
    const want = spec.match[k];
    if (Array.isArray(want) && want.length === 0) throw new RolloutError('bad-selector', `Cannot resolve the selector: tag "${k}" lists no values`);
  }
  const ids = devices.filter((d) => matches(d, spec.match, spec.deviceClass)).map((d) => d.id);
  const unique = [...new Set(ids)].sort();
  if (unique.length === 0) throw new RolloutError('empty-target', 'The selector matches no device');
  const order = spec.order ?? 'id';
  return order === 'id' ? unique : shuffle(unique, order.seed);
}

function resolveList(ids: readonly string[], devices: readonly DeviceInfo[]): string[] {
  if (ids.length === 0) throw new RolloutError('empty-target', 'The target list names no device');
  const seen = new Set<string>();
  const dup = ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
  if (dup.length > 0) throw new RolloutError('duplicate-devices', `The target list names devices twice: ${quoteSome(dup)}`);
  const known = new Set(devices.map((d) => d.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new RolloutError('unknown-devices', `The target list names devices that are not enrolled: ${quoteSome(unknown)}`);
  return [...ids];
}

function matches(d: DeviceInfo, match: Readonly<Record<string, string | readonly string[]>>, deviceClass: string | undefined): boolean {
  if (deviceClass !== undefined && d.deviceClass !== deviceClass) return false;
  for (const [k, want] of Object.entries(match)) {
    const have = Object.hasOwn(d.tags, k) ? d.tags[k] : undefined;
    if (have === undefined) return false;
    if (typeof want === 'string' ? have !== want : !want.includes(have)) return false;
  }
  return true;
}

/** Fisher–Yates with a small seeded generator (mulberry32), so a seed always gives the same order. */
function shuffle(ids: string[], seed: number): string[] {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...ids];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function quoteSome(ids: readonly string[]): string {
  const shown = ids.slice(0, 5).map((id) => `"${id}"`).join(', ');
  return ids.length > 5 ? `${shown} and ${ids.length - 5} more` : shown;
}

/**
 * The size of each wave for `total` targets; the sizes are all >= 1 and sum to `total`.
 * @throws RolloutError 'bad-wave-plan' when the plan or the total is not valid
 */
export function planWaveSizes(total: number, spec: WavePlanSpec): number[] {
  if (!Number.isSafeInteger(total) || total < 1) throw new RolloutError('bad-wave-plan', `Cannot plan waves for ${total} targets: need an integer >= 1`);
  const sizes: number[] = [];
  let left = total;
  const take = (n: number): void => {
    const s = Math.min(n, left);
    sizes.push(s);
    left -= s;
  };
  switch (spec.kind) {
    case 'fixed': {
      if (spec.sizes.length === 0) throw new RolloutError('bad-wave-plan', 'Cannot plan fixed waves: no size given');
      for (const s of spec.sizes) if (!Number.isSafeInteger(s) || s < 1) throw new RolloutError('bad-wave-plan', `Invalid wave size ${s}: need an integer >= 1`);
      for (let i = 0; left > 0; i++) take(spec.sizes[Math.min(i, spec.sizes.length - 1)]!);
      return sizes;
    }
    case 'percent': {
      const c = spec.cumulative;
      if (c.length === 0) throw new RolloutError('bad-wave-plan', 'Cannot plan percentage waves: no percentage given');
      for (let i = 0; i < c.length; i++) {
        const p = c[i]!;
        if (!Number.isFinite(p) || p <= 0 || p > 100 || (i > 0 && p <= c[i - 1]!)) {
          throw new RolloutError('bad-wave-plan', `Invalid cumulative percentage ${p} at ${i}: need strictly increasing values in (0, 100]`);
        }
      }
      if (c[c.length - 1] !== 100) throw new RolloutError('bad-wave-plan', `Invalid cumulative percentages: the last is ${c[c.length - 1]}, need 100`);
      let done = 0;
      for (const p of c) {
        const end = Math.min(total, Math.ceil((total * p) / 100 - 1e-9));
        if (end > done) {
          sizes.push(end - done);
          done = end;
        }
      }
      return sizes;
    }
    case 'exponential': {
      const { initial, factor, max } = spec;
      if (!Number.isSafeInteger(initial) || initial < 1) throw new RolloutError('bad-wave-plan', `Invalid initial wave size ${initial}: need an integer >= 1`);
      if (!Number.isFinite(factor) || factor < 1 || factor > 100) throw new RolloutError('bad-wave-plan', `Invalid growth factor ${factor}: need a number in [1, 100]`);
      if (!Number.isSafeInteger(max) || max < initial) throw new RolloutError('bad-wave-plan', `Invalid wave cap ${max}: need an integer >= the initial size ${initial}`);
      let size = initial;
      while (left > 0) {
        take(Math.min(max, Math.ceil(size - 1e-9)));
        size = Math.min(max, size * factor);
      }
      return sizes;
    }
  }
}

/**
 * Cuts the ordered targets into consecutive waves of the given sizes (order kept, each target in exactly one wave).
 * @throws RolloutError 'bad-wave-plan' when the sizes do not sum to the number of targets
 */
export function splitIntoWaves<T>(targets: readonly T[], sizes: readonly number[]): T[][] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum !== targets.length || sizes.some((s) => !Number.isSafeInteger(s) || s < 1)) {
    throw new RolloutError('bad-wave-plan', `Cannot split ${targets.length} targets into waves of ${sizes.join(', ')}`);
  }
  const waves: T[][] = [];
  let at = 0;
  for (const s of sizes) {
    waves.push(targets.slice(at, at + s));
    at += s;
  }
  return waves;
}
