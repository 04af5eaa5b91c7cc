// Fuel is deterministic across tiers: each benchmark kernel, run interpreted, compiled from the
// first call, and tiered up mid-run, with the same fuel budget per slice, must suspend the same
// number of times with the same fuel left and the same memory at each suspension, use the same
// fuel in total, and return what V8 returns.

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CallResult } from '../../api.ts';
import { Instance, Module, Store } from '../../index.ts';
import { setTierMode, tierStats, type TierMode } from './tier.ts';

const KERNELS = new URL('../../../../../shared/bench/kernels/', import.meta.url);

/** Kernel and an n small enough for the interpreter to run it with thousands of suspensions. */
const CASES: readonly [string, number][] = [
  ['fib', 20], ['sieve', 1], ['matmul_f64', 2], ['sha256', 1], ['crc32', 2], ['quicksort', 1],
];

/** Where a run stopped: fuel used so far, fuel left, and (every few stops) a hash of memory. */
interface Trace {
  readonly stops: string[];
  readonly fuelUsed: number;
  readonly value: unknown;
}

/** FNV-1a over memory's 32-bit words: enough to tell two stopping points apart. */
function hashMemory(buf: ArrayBuffer): number {
  const w = new Int32Array(buf);
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i]!, 0x01000193);
  return h >>> 0;
}

/** Runs `run(n)` with `slice` units of fuel at a time, recording every suspension. */
function trace(bytes: Uint8Array, n: number, tier: TierMode, slice: number): Trace {
  setTierMode(tier);
  const module = Module.compile(bytes); // a fresh module: its functions are translated under `tier`
  const r = Instance.instantiate(new Store(), module, {}, { limits: { fuelPerCall: slice } });
  if (r.kind !== 'done') throw new Error(`Instantiation ended as "${r.kind}"`);
  const inst = r.value;
  const stops: string[] = [];
  let res: CallResult<unknown[]> = inst.func('run').call(n);
  while (res.kind === 'suspended') {
    expect(res.reason).toBe('fuel');
    const mem = stops.length % 16 === 0 ? ` mem ${hashMemory(inst.memory('memory').buffer)}` : '';
    stops.push(`used ${res.fuelUsed} left ${res.call.fuelLeft()}${mem}`);
    res.call.addFuel(slice);
    res = res.call.resume();
  }
  if (res.kind !== 'done') throw new Error(`Call ended as "${res.kind}"`);
  setTierMode('auto');
  return { stops, fuelUsed: res.fuelUsed, value: res.value[0] };
}

function v8Result(bytes: Uint8Array, n: number): number {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  return (inst.exports['run'] as (n: number) => number)(n);
}

const present = existsSync(KERNELS);

describe.skipIf(!present)('fuel across tiers', () => {
  for (const [name, n] of CASES) {
    it(`${name}(${n}) suspends at the same points with the same fuel interpreted, compiled and tiered up`, () => {
      const bytes = new Uint8Array(readFileSync(new URL(`${name}.wasm`, KERNELS)));
      const expected = v8Result(bytes, n);
      const whole = trace(bytes, n, 'interp', Number.MAX_SAFE_INTEGER);
      expect(whole.value).toBe(expected);
      expect(whole.stops).toEqual([]);
      // About 400 suspensions, at an odd number of units so that slices end anywhere in a block.
      const slice = Math.max(101, Math.floor(whole.fuelUsed / 400) | 1);
      const interp = trace(bytes, n, 'interp', slice);
      const before = tierStats().compiled;
      const jit = trace(bytes, n, 'jit', slice);
      expect(tierStats().compiled).toBeGreaterThan(before);
      const auto = trace(bytes, n, 'auto', slice);
      expect(interp.stops.length).toBeGreaterThan(300);
      expect(interp.fuelUsed).toBe(whole.fuelUsed);
      expect(interp.value).toBe(expected);
      expect(jit).toEqual(interp);
      expect(auto).toEqual(interp);
      expect(tierStats().lastError).toBeUndefined();
    });
  }
});
