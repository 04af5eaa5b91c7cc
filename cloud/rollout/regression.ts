// The regression rule of fleetlet's rollouts: is the new version measurably worse than the old one on the same
// devices (fuel per tick, memory high-water, trap rate) by more than a configured margin? Per-device comparisons
// (each device is its own control), then a distribution-free lower confidence bound on the median across devices
// (the sign test's order statistic), so a version that is equal but noisy is not halted. See DESIGN.md for the numbers.

/** What the rule reads of a module's metrics (a subset of the status report's `metrics`). */
export interface VersionMetrics {
  readonly ticks: number;
  readonly fuelPerTick: number;
  readonly memoryHighWaterPages: number;
  readonly traps: number;
}

export interface RegressionConfig {
  /** Halt when the new fuel per tick is, with the given confidence, more than (1 + margin) times the old. */
  readonly fuelMargin: number;
  /** Same for the memory high-water mark in pages. */
  readonly memoryMargin: number;
  /** Halt when the trap rate (traps per tick) is, with the given confidence, more than this much above the old. */
  readonly trapRateMargin: number;
  /** No verdict below this many devices with both versions measured. */
  readonly minDevices: number;
  /** One-sided confidence of the lower bound, in (0.5, 1). */
  readonly confidence: number;
  /** A version's metrics count on a device only once it ran this many ticks there. */
  readonly minTicks: number;
}

/** Margins of 25 % (fuel, memory) and 1 trap per 100 ticks, 99 % confidence, 8 devices, 20 ticks. */
export const DEFAULT_REGRESSION: RegressionConfig = {
  fuelMargin: 0.25,
  memoryMargin: 0.25,
  trapRateMargin: 0.01,
  minDevices: 8,
  confidence: 0.99,
  minTicks: 20,
};

/** One device measured on the old version (`before`) and on the new one (`after`). */
export interface DevicePair {
  readonly deviceId: string;
  readonly before: VersionMetrics;
  readonly after: VersionMetrics;
}

export type RegressionMetric = 'fuelPerTick' | 'memoryHighWaterPages' | 'trapRate';

/** The judgement of one metric: per-device values are ratios new/old (fuel, memory) or differences (trap rate). */
export interface MetricJudgement {
  readonly metric: RegressionMetric;
  readonly median: number;
  /** Lower confidence bound of the median per-device value. */
  readonly lowerBound: number;
  /** The bound must exceed this to halt: 1 + margin for ratios, the margin for the trap rate. */
  readonly threshold: number;
  readonly regressed: boolean;
}

export interface RegressionVerdict {
  readonly outcome: 'regressed' | 'no-regression' | 'not-enough-devices';
  /** Devices with both versions measured for at least `minTicks`. */
  readonly devices: number;
  readonly judgements: readonly MetricJudgement[];
  /** One sentence with the numbers, for the rollout's decision log. */
  readonly reason: string;
}

/** How each metric turns a device pair into one number, and the threshold it is judged against. */
const METRICS: readonly {
  readonly metric: RegressionMetric;
  readonly value: (p: DevicePair) => number;
  readonly threshold: (c: RegressionConfig) => number;
  readonly show: (v: number) => string;
}[] = [
  { metric: 'fuelPerTick', value: (p) => (p.after.fuelPerTick + 1) / (p.before.fuelPerTick + 1), threshold: (c) => 1 + c.fuelMargin, show: ratio },
  {
    metric: 'memoryHighWaterPages',
    value: (p) => (p.after.memoryHighWaterPages + 1) / (p.before.memoryHighWaterPages + 1),
    threshold: (c) => 1 + c.memoryMargin,
    show: ratio,
  },
  { metric: 'trapRate', value: (p) => p.after.traps / p.after.ticks - p.before.traps / p.before.ticks, threshold: (c) => c.trapRateMargin, show: perTick },
];

function ratio(v: number): string {
  return `${v.toFixed(3)}x`;
}
function perTick(v: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(4)}/tick`;
}

/** @throws RangeError when the configuration is out of range */
export function checkRegressionConfig(c: RegressionConfig): void {
  for (const k of ['fuelMargin', 'memoryMargin', 'trapRateMargin'] as const) {
    if (!Number.isFinite(c[k]) || c[k] < 0) throw new RangeError(`Invalid regression ${k} ${c[k]}: need a number >= 0`);
  }
  if (!(c.confidence > 0.5 && c.confidence < 1)) throw new RangeError(`Invalid regression confidence ${c.confidence}: need a number in (0.5, 1)`);
  if (!Number.isSafeInteger(c.minDevices) || c.minDevices < 1) throw new RangeError(`Invalid regression minDevices ${c.minDevices}: need an integer >= 1`);
  if (!Number.isSafeInteger(c.minTicks) || c.minTicks < 1) throw new RangeError(`Invalid regression minTicks ${c.minTicks}: need an integer >= 1`);
}

/**
 * The 1-based rank k of the order statistic that is a one-sided lower confidence bound of the median of n values:
 * the largest k with P(Binomial(n, 1/2) <= k - 1) <= 1 - confidence; 0 when even the smallest value is not a bound
 * at this confidence (too few values: n = 7 is the least for 99 %).
 */
export function signTestLowerRank(n: number, confidence: number): number {
  const alpha = 1 - confidence;
  let logTerm = -n * Math.LN2; // log P(X = 0)
  let cdf = 0;
  let k = 0;
  for (let i = 0; i <= n; i++) {
    cdf += Math.exp(logTerm); // P(X <= i)
    if (cdf > alpha) break;
    k = i + 1;
    logTerm += Math.log(n - i) - Math.log(i + 1);
  }
  return Math.min(k, n);
}

/** The sign test's lower confidence bound of the median of `values`, or undefined when there are too few. */
export function medianLowerBound(values: readonly number[], confidence: number): number | undefined {
  const k = signTestLowerRank(values.length, confidence);
  if (k === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[k - 1];
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Judges the new version against the old on every device measured on both. Pure; never throws for valid config. */
export function judgeRegression(pairs: readonly DevicePair[], config: RegressionConfig): RegressionVerdict {
  const usable = pairs.filter((p) => p.before.ticks >= config.minTicks && p.after.ticks >= config.minTicks);
  const n = usable.length;
  const rank = signTestLowerRank(n, config.confidence);
  if (n < config.minDevices || rank === 0) {
    const need = Math.max(config.minDevices, leastDevices(config.confidence));
    return { outcome: 'not-enough-devices', devices: n, judgements: [], reason: `regression not judged: ${n} of the ${need} devices needed have run both versions for ${config.minTicks} ticks` };
  }
  const judgements = METRICS.map((m): MetricJudgement => {
    const values = usable.map(m.value).sort((a, b) => a - b);
    const lowerBound = values[rank - 1]!;
    const threshold = m.threshold(config);
    return { metric: m.metric, median: median(values), lowerBound, threshold, regressed: lowerBound > threshold };
  });
  const bad = judgements.filter((j) => j.regressed);
  const pct = `${(config.confidence * 100).toFixed(1).replace(/\.0$/, '')} %`;
  const describe = (j: MetricJudgement): string => {
    const show = METRICS.find((m) => m.metric === j.metric)!.show;
    return `${j.metric} median ${show(j.median)}, ${pct} lower bound ${show(j.lowerBound)} vs limit ${show(j.threshold)}`;
  };
  if (bad.length > 0) {
    return { outcome: 'regressed', devices: n, judgements, reason: `regression on ${n} devices: ${bad.map(describe).join('; ')}` };
  }
  return { outcome: 'no-regression', devices: n, judgements, reason: `no regression on ${n} devices: ${judgements.map(describe).join('; ')}` };
}

/** The least number of devices for which the sign test gives any bound at this confidence. */
function leastDevices(confidence: number): number {
  let n = 1;
  while (signTestLowerRank(n, confidence) === 0) n++;
  return n;
}
