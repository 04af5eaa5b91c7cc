// `npm run fuzz:mutate -- --count N [--seed S] [--workers W] [--subject fleetlet|v8]`: feeds N
// mutated modules to fleetlet's decoder and validator and compares verdicts with WABT and V8.
// Crashing, hanging and disagreeing inputs are written to .fuzz-out/mutate/.

import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { formatMutateSummary, runMutants, type MutateSubject } from './mutate-run.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
    workers: { type: 'string', default: '2' },
    subject: { type: 'string', default: 'fleetlet' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('Usage: npm run fuzz:mutate -- --count N [--seed S] [--workers W] [--subject fleetlet|v8]');
  process.exit(0);
}
const count = Number(values.count);
const seed = Number(values.seed);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
  console.error(`Cannot run: --count "${values.count}" and --seed "${values.seed}" must be integers`);
  process.exit(2);
}
if (values.subject !== 'fleetlet' && values.subject !== 'v8') {
  console.error(`Cannot run: unknown --subject "${values.subject}"`);
  process.exit(2);
}
const saveDir = fileURLToPath(new URL('../../.fuzz-out/mutate', import.meta.url));
const every = Math.max(1, Math.floor(count / 10));
const summary = await runMutants({
  count,
  seed,
  subject: values.subject as MutateSubject,
  workers: Number(values.workers),
  saveDir,
  onProgress: (done, total) => { if (done % every === 0 || done === total) console.log(`[${done}/${total}]`); },
});
console.log(formatMutateSummary(summary));
const bad = summary.crashes.length + summary.hangs.length + summary.wabtDisagreements.length;
if (bad > 0) console.log(`Failing inputs written to ${saveDir}`);
process.exit(bad > 0 ? 1 : 0);
