// Child process for the cross-process snapshot test: `take DIR FRACTION` runs every bench kernel
// part-way by fuel and writes snapshots; `restore DIR` restores each in this new process and
// finishes it, printing checksums and total fuel as JSON.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Instance, Module, Store } from '../../agent/wasm/index.ts';
import { benchDir, KERNELS, smallN } from './kernels.ts';

const [mode, dir, fraction] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: take|restore DIR [FRACTION]');

function moduleOf(k: string): Module {
  return Module.compile(readFileSync(join(benchDir(), 'kernels', `${k}.wasm`)));
}

const out: Record<string, unknown> = {};
if (mode === 'take') {
  const budgets = JSON.parse(readFileSync(join(dir, 'budgets.json'), 'utf8')) as Record<string, number>;
  for (const k of KERNELS) {
    const budget = Math.floor(budgets[k]! * Number(fraction));
    const r = Instance.instantiate(new Store(), moduleOf(k), {}, { limits: { fuelPerCall: budget } });
    if (r.kind !== 'done') throw new Error(`${k}: instantiate ${r.kind}`);
    const c = r.value.func('run').call(smallN(k));
    if (c.kind !== 'suspended') throw new Error(`${k}: expected a suspension, got ${c.kind}`);
    const t0 = performance.now();
    const bytes = c.call.snapshot();
    out[k] = { fuelUsed: c.fuelUsed, bytes: bytes.length, ms: performance.now() - t0 };
    writeFileSync(join(dir, `${k}.snap`), bytes);
  }
} else if (mode === 'restore') {
  for (const k of KERNELS) {
    const t0 = performance.now();
    const { call } = Instance.restore(new Store(), moduleOf(k), readFileSync(join(dir, `${k}.snap`)), {});
    const ms = performance.now() - t0;
    let c = call;
    while (c.kind === 'suspended') {
      c.call.addFuel(1_000_000_000);
      c = c.call.resume();
    }
    if (c.kind !== 'done') throw new Error(`${k}: restored call ended as ${c.kind}`);
    out[k] = { checksum: (c.value as number[])[0], fuelUsed: c.fuelUsed, restoreMs: ms };
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
process.stdout.write(JSON.stringify(out));
