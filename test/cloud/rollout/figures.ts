// Figures for cloud/rollout/DESIGN.md: how often candidate regression statistics halt (per-device fuel ratios new/old,
// limit 1.25x, 99 % one-sided) for several fleet sizes, noise levels and true slowdowns, including fleets where a
// few devices measure far off (a sensor stuck in a busy state). Run: npx tsx test/cloud/rollout/figures.ts
import { medianLowerBound } from '../../../cloud/rollout/regression.ts';
import { mulberry32 } from './_sim.ts';

const LIMIT = 1.25;
const Z99 = 2.3263;

type Rule = (ratios: number[]) => boolean;

const rules: Record<string, Rule> = {
  'sign test (ours)': (r) => (medianLowerBound(r, 0.99) ?? 0) > LIMIT,
  'Hodges-Lehmann': (r) => {
    const l = r.map(Math.log);
    const walsh: number[] = [];
    for (let i = 0; i < l.length; i++) for (let j = i; j < l.length; j++) walsh.push((l[i]! + l[j]!) / 2);
    walsh.sort((a, b) => a - b);
    const n = l.length;
    const c = Math.floor((n * (n + 1)) / 4 - Z99 * Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24));
    return c >= 0 && walsh[c]! > Math.log(LIMIT);
  },
  't bound on log ratio': (r) => {
    const l = r.map(Math.log);
    const mean = l.reduce((a, b) => a + b, 0) / l.length;
    const sd = Math.sqrt(l.reduce((a, b) => a + (b - mean) ** 2, 0) / (l.length - 1));
    return mean - Z99 * (sd / Math.sqrt(l.length)) > Math.log(LIMIT);
  },
  'mean ratio': (r) => r.reduce((a, b) => a + b, 0) / r.length > LIMIT,
  'any device': (r) => r.some((x) => x > LIMIT),
};

function trial(rng: () => number, n: number, factor: number, noise: number, outliers: number): number[] {
  const j = () => 1 + (2 * rng() - 1) * noise;
  return Array.from({ length: n }, () => {
    const busy = rng() < outliers ? 3 : 1;
    return (factor * busy * j()) / j();
  });
}

const TRIALS = 2000;
const rows: string[] = [];
rows.push(`| devices | noise | outliers | slowdown | ${Object.keys(rules).join(' | ')} |`);
rows.push(`| --- | --- | --- | --- | ${Object.keys(rules).map(() => '---').join(' | ')} |`);
for (const [n, noise, outliers] of [
  [8, 0.2, 0],
  [14, 0.2, 0],
  [40, 0.2, 0],
  [40, 0.4, 0],
  [40, 0.2, 0.1],
  [40, 0.2, 0.3],
] as const) {
  for (const factor of [1, 1.25, 1.5, 2]) {
    const rng = mulberry32(n * 1000 + Math.round(noise * 100) + factor * 7 + outliers * 13);
    const hits = Object.fromEntries(Object.keys(rules).map((k) => [k, 0]));
    for (let t = 0; t < TRIALS; t++) {
      const r = trial(rng, n, factor, noise, outliers);
      for (const [k, rule] of Object.entries(rules)) if (rule(r)) hits[k]!++;
    }
    const pct = (k: string) => `${((100 * hits[k]!) / TRIALS).toFixed(1)} %`;
    rows.push(`| ${n} | ±${noise * 100} % | ${outliers * 100} % | ${factor}x | ${Object.keys(rules).map(pct).join(' | ')} |`);
  }
}
console.log(rows.join('\n'));
