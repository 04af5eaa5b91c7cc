// `npm run fuzz:diff -- --seeds N [--start S] [--workers W] [--subject fleetlet|v8] [--tier T] [--no-save]`:
// compares fleetlet's engine with V8 on N binaryen seeds and prints progress and a summary.

import { parseArgs } from 'node:util';
import { formatSummary, runSeeds, type SubjectName, type Tier } from './diff-run.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    start: { type: 'string', default: '1' },
    workers: { type: 'string', default: '2' },
    subject: { type: 'string', default: 'fleetlet' },
    calls: { type: 'string', default: '2' },
    tier: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('Usage: npm run fuzz:diff -- --seeds N [--start S] [--workers W] [--subject fleetlet|v8] [--tier interp|jit|auto] [--calls K] [--no-save]');
  process.exit(0);
}
const count = Number(values.seeds);
const start = Number(values.start);
const subject = values.subject as SubjectName;
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(start)) {
  console.error(`Cannot run: --seeds "${values.seeds}" and --start "${values.start}" must be integers`);
  process.exit(2);
}
if (subject !== 'fleetlet' && subject !== 'v8') {
  console.error(`Cannot run: unknown --subject "${values.subject}"`);
  process.exit(2);
}
if (subject === 'fleetlet') {
  const notReady = (await import('./fleetlet-engine.ts')).engineNotReady();
  if (notReady !== undefined) {
    console.error(`Cannot compare: fleetlet's engine cannot run a trivial module yet (${notReady}); try --subject v8`);
    process.exit(2);
  }
}
const tier = values.tier as Tier | undefined;
if (tier !== undefined && !['interp', 'jit', 'auto'].includes(tier)) {
  console.error(`Cannot run: unknown --tier "${values.tier}"`);
  process.exit(2);
}
const seeds = Array.from({ length: count }, (_, i) => start + i);
const every = Math.max(1, Math.floor(count / 20));
const summary = await runSeeds(seeds, {
  subject,
  ...(tier === undefined ? {} : { tier }),
  workers: Number(values.workers),
  callsPerExport: Number(values.calls),
  saveRegressions: !values['no-save'],
  onSeed: (r, done) => {
    if (r.result.status === 'mismatch') console.log(`seed ${r.seed}: MISMATCH ${r.result.detail}`);
    if (done % every === 0 || done === count) console.log(`[${done}/${count}]`);
  },
});
console.log(formatSummary(summary));
if (summary.mismatches.length > 0 && !values['no-save']) console.log('Mismatching modules saved under test/fuzz/regressions/');
process.exit(summary.mismatches.length > 0 ? 1 : 0);
