// `npm run bench [-- --quick] [--dir PATH] [--target MS] [--repeats R] [--no-metering] [--no-sleepers] [names...]`:
// the shared benchmark kernels on fleetlet's engine and on V8, as a table of medians and ratios.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchKernel, formatMetering, formatTable, kernelsDir, loadKernels, type KernelResult } from './kernel-bench.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    dir: { type: 'string' },
    target: { type: 'string', default: '500' },
    repeats: { type: 'string', default: '3' },
    'no-metering': { type: 'boolean', default: false },
    'no-sleepers': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('Usage: npm run bench -- [--quick] [--dir PATH] [--target MS] [--repeats R] [--no-metering] [--no-sleepers] [kernel names...]');
  console.log('  --dir      the bench folder (default: $FLEETLET_BENCH_DIR, else ../shared/bench beside the repository)');
  console.log('  --quick    small_n, one run per engine: a smoke run, not a measurement');
  console.log('  --target   fleetlet run time to aim for when picking n, in ms');
  process.exit(0);
}
const dir = kernelsDir(values.dir);
let kernels;
try {
  kernels = loadKernels(dir).filter((k) => positionals.length === 0 || positionals.includes(k.name));
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(2);
}
if (kernels.length === 0) {
  console.error(`Cannot benchmark: no kernel named ${positionals.map((p) => `"${p}"`).join(', ')} in "${dir}"`);
  process.exit(2);
}
const metering = !values['no-metering'];
console.log(`kernels from ${dir}; fleetlet tier ${process.env['FLEETLET_TIER'] || 'auto'}, fuel metering ${metering ? 'on' : 'off'}; ${values.quick ? 'quick (small_n, 1 run)' : `n picked for ~${values.target} ms on fleetlet, median of ${values.repeats}`}`);
const results: KernelResult[] = [];
let failed = false;
for (const k of kernels) {
  try {
    const r = benchKernel(k, { quick: values.quick, targetMs: Number(values.target), repeats: Number(values.repeats), metering, compareMetering: metering && !values.quick });
    results.push(r);
    console.log(`  ${k.name}: n=${r.n} ours ${r.oursMs.toFixed(1)} ms, V8 ${r.v8Ms.toFixed(1)} ms`);
  } catch (e) {
    failed = true;
    console.error(`  ${k.name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
if (results.length > 0) {
  console.log(formatTable(results));
  const m = formatMetering(results);
  if (m !== '') console.log(m);
}
console.log(`peak RSS of the bench process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);

// What 100 modules that sleep and wake on timers cost one agent process (CPU and RSS), in its own
// process so that the kernels' memory does not count.
if (!values['no-sleepers'] && !values.quick) {
  console.log('');
  const script = fileURLToPath(new URL('../../agent/host/bench-sleepers.ts', import.meta.url));
  execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, '100', '5', '100'], { stdio: 'inherit' });
}
process.exit(failed ? 1 : 0);
