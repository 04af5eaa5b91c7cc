// The regression rule: the sign test's order statistic is an exact lower confidence bound of the median (checked
// against the binomial distribution and by coverage on skewed data), and judgeRegression halts a version clearly
// worse on the same devices, not one that is equal, has one outlier device, or has too few devices measured.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REGRESSION, judgeRegression, medianLowerBound, signTestLowerRank, type DevicePair, type VersionMetrics } from '../../../cloud/rollout/index.ts';
import { mulberry32 } from './_sim.ts';

/** P(Binomial(n, 1/2) <= k), exactly, with big integers. */
function binomCdf(n: number, k: number): number {
  let c = 1n;
  let sum = 0n;
  for (let i = 0; i <= k; i++) {
    sum += c;
    c = (c * BigInt(n - i)) / BigInt(i + 1);
  }
  return Number((sum * 10n ** 15n) / 2n ** BigInt(n)) / 1e15;
}

describe('signTestLowerRank', () => {
  it('is the largest rank k with P(Bin(n, 1/2) <= k - 1) <= 1 - confidence', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.constantFrom(0.9, 0.95, 0.99, 0.999), (n, conf) => {
        const k = signTestLowerRank(n, conf);
        const alpha = 1 - conf;
        if (k > 0) expect(binomCdf(n, k - 1)).toBeLessThanOrEqual(alpha + 1e-12);
        if (k < n) expect(binomCdf(n, k)).toBeGreaterThan(alpha - 1e-12);
      }),
    );
  });
  it('needs 7 values at 99 % and gives rank 5 of 20, 38 of 100', () => {
    expect([6, 7, 20, 100].map((n) => signTestLowerRank(n, 0.99))).toEqual([0, 1, 5, 38]);
    expect(medianLowerBound([1, 2, 3, 4, 5, 6], 0.99)).toBeUndefined();
  });
  it('covers the true median of a skewed distribution at least 99 % of the time', () => {
    const rng = mulberry32(7);
    let above = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      // Exponential(1) has median ln 2: skewed, so a mean-based bound would be the wrong tool.
      const xs = Array.from({ length: 20 }, () => -Math.log(1 - rng()));
      if (medianLowerBound(xs, 0.99)! > Math.LN2) above++;
    }
    expect(above / trials).toBeLessThanOrEqual(0.01);
    expect(above).toBeGreaterThan(0); // the bound is not trivially low either
  });
});

const m = (fuelPerTick: number, extra: Partial<VersionMetrics> = {}): VersionMetrics => ({ ticks: 100, fuelPerTick, memoryHighWaterPages: 2, traps: 0, ...extra });
const pairsOf = (n: number, f: (i: number) => [VersionMetrics, VersionMetrics]): DevicePair[] =>
  Array.from({ length: n }, (_, i) => {
    const [before, after] = f(i);
    return { deviceId: `d${i}`, before, after };
  });

describe('judgeRegression', () => {
  it('halts fuel 2x worse on every device and names the numbers', () => {
    const v = judgeRegression(pairsOf(10, (i) => [m(1000 + i * 100), m(2 * (1000 + i * 100))]), DEFAULT_REGRESSION);
    expect(v.outcome).toBe('regressed');
    expect(v.reason).toMatch(/^regression on 10 devices: fuelPerTick median 1\.999x, 99 % lower bound 1\.99\dx vs limit 1\.250x$/);
  });
  it('does not halt an equal version, nor one with a single device 10x worse', () => {
    expect(judgeRegression(pairsOf(10, (i) => [m(1000 + i), m(1000 + i)]), DEFAULT_REGRESSION).outcome).toBe('no-regression');
    expect(judgeRegression(pairsOf(10, (i) => [m(1000), m(i === 0 ? 10_000 : 1000)]), DEFAULT_REGRESSION).outcome).toBe('no-regression');
  });
  it('does not halt a version 20 % worse under a 25 % margin, and halts one 30 % worse', () => {
    expect(judgeRegression(pairsOf(50, () => [m(1000), m(1200)]), DEFAULT_REGRESSION).outcome).toBe('no-regression');
    expect(judgeRegression(pairsOf(50, () => [m(1000), m(1300)]), DEFAULT_REGRESSION).outcome).toBe('regressed');
  });
  it('judges memory and trap rate on their own', () => {
    const mem = judgeRegression(pairsOf(10, () => [m(1000), m(1000, { memoryHighWaterPages: 4 })]), DEFAULT_REGRESSION);
    expect(mem.judgements.filter((j) => j.regressed).map((j) => j.metric)).toEqual(['memoryHighWaterPages']);
    const traps = judgeRegression(pairsOf(10, () => [m(1000), m(1000, { traps: 5 })]), DEFAULT_REGRESSION);
    expect(traps.judgements.filter((j) => j.regressed).map((j) => j.metric)).toEqual(['trapRate']);
    expect(judgeRegression(pairsOf(10, () => [m(1000), m(1000, { traps: 1 })]), DEFAULT_REGRESSION).outcome).toBe('no-regression');
  });
  it('gives no verdict below minDevices or with devices that ran fewer than minTicks', () => {
    const few = judgeRegression(pairsOf(7, () => [m(1000), m(5000)]), DEFAULT_REGRESSION);
    expect(few).toMatchObject({ outcome: 'not-enough-devices', devices: 7 });
    expect(few.reason).toBe('regression not judged: 7 of the 8 devices needed have run both versions for 20 ticks');
    const young = judgeRegression(pairsOf(10, (i) => [m(1000), m(5000, { ticks: i < 3 ? 19 : 100 })]), DEFAULT_REGRESSION);
    expect(young).toMatchObject({ outcome: 'not-enough-devices', devices: 7 });
  });
});
