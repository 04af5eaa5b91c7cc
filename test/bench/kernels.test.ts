// Smoke test of the benchmark kernels: each one runs once at small_n on fleetlet's engine and
// must return V8's checksum (correctness, not timing); plus the bench helpers' own behaviour.

import { describe, expect, it } from 'vitest';
import { chooseN, fleetletRun, formatTable, geomean, kernelsDir, loadKernels, median, v8Run, type RunFn } from './kernel-bench.ts';

const kernels = loadKernels(kernelsDir());

describe('benchmark kernels on fleetlet', () => {
  it('the bench folder lists the six kernels', () => {
    expect(kernels.map((k) => k.name)).toEqual(['fib', 'sieve', 'matmul_f64', 'sha256', 'crc32', 'quicksort']);
  });

  for (const k of kernels) {
    it(`${k.name} run(${k.smallN}) on fleetlet returns V8's checksum`, () => {
      const expected = v8Run(k.bytes)(k.smallN);
      expect(expected).toBe(k.knownChecksums.get(k.smallN));
      expect(fleetletRun(k.bytes)(k.smallN)).toBe(expected);
    });
  }
});

/** A cost model in place of a clock: chooseN "measures" ms(n) and records every n it tried. */
function model(ms: (n: number) => number): { measure: (run: RunFn, n: number) => number; tried: number[] } {
  const tried: number[] = [];
  return { tried, measure: (_run, n) => { tried.push(n); return ms(n); } };
}

const noRun: RunFn = (n) => n;

describe('bench helpers', () => {
  it('chooseN reaches the target for a cost linear in n in a few tries without overshooting far', () => {
    const m = model((n) => 10 * n);
    const n = chooseN(noRun, 2, 500, m.measure);
    expect(n).toBeGreaterThanOrEqual(50);
    expect(n).toBeLessThan(75);
    expect(m.tried.length).toBeLessThanOrEqual(8);
  });

  it('chooseN reaches the target for a cost exponential in n (fib) without a runaway step', () => {
    const m = model((n) => 5 * 1.618 ** (n - 31));
    const n = chooseN(noRun, 31, 500, m.measure);
    expect(n).toBeGreaterThanOrEqual(41);
    expect(n).toBeLessThanOrEqual(43);
    // No try may cost more than ten times the target.
    expect(Math.max(...m.tried.map((k) => 5 * 1.618 ** (k - 31)))).toBeLessThan(5000);
  });

  it('chooseN keeps the start when it already reaches the target', () => {
    expect(chooseN(noRun, 7, 500, model(() => 600).measure)).toBe(7);
  });

  it('median and geomean', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(geomean([2, 8])).toBeCloseTo(4, 10);
  });

  it('formatTable ends with a geomean line', () => {
    const table = formatTable([
      { name: 'a', n: 1, oursMs: 20, v8Ms: 2, ratio: 10, checksum: 5 },
      { name: 'b', n: 2, oursMs: 40, v8Ms: 1, ratio: 40, checksum: -5 },
    ]);
    expect(table.split('\n').at(-1)).toBe('geomean ours/V8: 20.0x over 2 kernels');
    expect(table).toMatch(/^kernel +n +ours ms +V8 ms +ours\/V8 +checksum$/m);
  });
});
