// `npm run fuzz:schemas -- --count N [--seed S] [--target NAME]`: fuzzes every decoder of
// untrusted bytes in schemas/ and prints the outcomes per decoder; exits 1 on any failure.

import { allTargets, fuzz, type FuzzReport } from './run.ts';

function usage(problem: string): never {
  process.stderr.write(`fuzz:schemas: ${problem}\nUsage: npm run fuzz:schemas -- [--count N] [--seed S] [--target NAME]\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): { count: number; seed: number; target: string | undefined } {
  let count = 100_000;
  let seed = 1;
  let target: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`option "${a}" needs a value`);
      return v;
    };
    const positive = (v: string): number => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1) usage(`option "${a}" is "${v}", not a positive integer`);
      return n;
    };
    if (a === '--count') count = positive(value());
    else if (a === '--seed') seed = positive(value());
    else if (a === '--target') target = value();
    else if (a === '--help' || a === '-h') usage('fuzzes the CBOR decoder and every message decoder; --count is the total number of inputs, split evenly');
    else usage(`unknown argument "${a}"`);
  }
  return { count, seed, target };
}

const { count, seed, target } = parseArgs(process.argv.slice(2));
const targets = allTargets().filter((t) => target === undefined || t.name === target);
if (targets.length === 0) usage(`no decoder is named "${target}" (${allTargets().map((t) => t.name).join(', ')})`);
const each = Math.ceil(count / targets.length);
const reports: FuzzReport[] = [];
const started = performance.now();
for (const [i, t] of targets.entries()) {
  const t0 = performance.now();
  const r = fuzz(t, each, seed + i);
  reports.push(r);
  const top = Object.entries(r.refused)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const codes = Object.keys(r.refused).length;
  process.stdout.write(`${t.name.padEnd(19)} ${String(r.runs).padStart(8)} inputs, ${String(r.accepted).padStart(7)} accepted, ${r.runs - r.accepted - r.failureCount} refused with ${codes} codes (${top}), ${r.failureCount} failures, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  for (const f of r.failures.slice(0, 5)) process.stdout.write(`  FAILURE ${f.error}\n    input: ${f.input.slice(0, 400)}\n`);
}
const runs = reports.reduce((n, r) => n + r.runs, 0);
const failures = reports.reduce((n, r) => n + r.failureCount, 0);
process.stdout.write(`fuzz:schemas: ${runs} inputs over ${reports.length} decoders in ${((performance.now() - started) / 1000).toFixed(1)} s, ${failures} exceptions outside CborError and SchemaError or broken invariants (seed ${seed})\n`);
process.exit(failures === 0 ? 0 : 1);
