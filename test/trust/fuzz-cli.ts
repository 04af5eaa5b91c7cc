// `npm run fuzz:trust -- --count N [--seed S] [--target NAME]`: fuzzes the trust layer's decoders and verification
// pipeline and prints the outcomes per target; exits 1 on any exception outside UpdateRejected.

import { allTargets, fuzz, type FuzzReport } from './fuzz.ts';

function usage(problem: string): never {
  process.stderr.write(`fuzz:trust: ${problem}\nUsage: npm run fuzz:trust -- [--count N] [--seed S] [--target ${allTargets().map((t) => t.name).join('|')}]\n`);
  process.exit(2);
}

let count = 100_000;
let seed = 1;
let target: string | undefined;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = (): string => argv[++i] ?? usage(`option "${a}" needs a value`);
  const positive = (v: string): number => (Number.isSafeInteger(Number(v)) && Number(v) >= 1 ? Number(v) : usage(`option "${a}" is "${v}", not a positive integer`));
  if (a === '--count') count = positive(value());
  else if (a === '--seed') seed = positive(value());
  else if (a === '--target') target = value();
  else if (a === '--help' || a === '-h') usage('--count is the total number of inputs, split evenly over the targets');
  else usage(`unknown argument "${a}"`);
}
const targets = allTargets().filter((t) => target === undefined || t.name === target);
if (targets.length === 0) usage(`no target is named "${target}"`);
const each = Math.ceil(count / targets.length);
const reports: FuzzReport[] = [];
const started = performance.now();
for (const [i, t] of targets.entries()) {
  const t0 = performance.now();
  const r = fuzz(t, each, seed + i);
  reports.push(r);
  const codes = Object.entries(r.refused).sort((x, y) => y[1] - x[1]).map(([c, n]) => `${c} ${n}`).join(', ');
  process.stdout.write(`${t.name.padEnd(14)} ${String(r.runs).padStart(7)} inputs, ${String(r.accepted).padStart(6)} accepted, ${r.failures.length} failures, ${((performance.now() - t0) / 1000).toFixed(1)} s; refused: ${codes}\n`);
  for (const f of r.failures.slice(0, 5)) process.stdout.write(`  FAILURE ${f}\n`);
}
const runs = reports.reduce((n, r) => n + r.runs, 0);
const failures = reports.reduce((n, r) => n + r.failures.length, 0);
process.stdout.write(`fuzz:trust: ${runs} inputs over ${reports.length} targets in ${((performance.now() - started) / 1000).toFixed(1)} s, ${failures} exceptions outside UpdateRejected or accepted mutants (seed ${seed})\n`);
process.exit(failures === 0 ? 0 : 1);
