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

/** A run function that busy-waits `ms(n)` milliseconds. */
function busy(ms: (n: number) => number): RunFn {
  return (n) => {
    const end = performance.now() + ms(n);
    while (performance.now() < end) { /* spin */ }
    return n;
  };
}

describe('bench helpers', () => {
  it('chooseN reaches the target for a cost linear in n without overshooting far', () => {
    const n = chooseN(busy((n) => n), 2, 40);
    expect(n).toBeGreaterThanOrEqual(40);
    expect(n).toBeLessThan(120);
  });

  it('chooseN reaches the target for a cost exponential in n in small steps', () => {
    const n = chooseN(busy((n) => 1.6 ** (n - 20)), 20, 40);
    expect(n).toBeGreaterThanOrEqual(28);
    expect(n).toBeLessThanOrEqual(30);
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
