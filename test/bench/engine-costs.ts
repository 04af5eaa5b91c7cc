// `npm run bench:costs`: what the engine costs beyond the guest's own linear memory: bytes per
// instance (idle and with a suspended call), snapshot size and time for 1 MiB of memory, and
// internal code size per byte of Wasm code.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Instance, Module, Store } from '../../agent/wasm/index.ts';
import { compiledOf } from '../../agent/wasm/exec/compile-cache.ts';
import { benchDir, KERNELS } from '../engine/kernels.ts';
import { wat } from '../fuzz/wat.ts';

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function heap(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const spin = Module.compile(wat(`(module (memory (export "memory") 1)
  (func (export "spin") (param i32) (result i32) (local i32)
    (loop $l (i32.store (i32.const 0) (local.get 1))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1)))`));

const N = 2000;
const PAGE = 65536;
{
  const keep: unknown[] = [];
  const before = heap();
  for (let i = 0; i < N; i++) {
    const r = Instance.instantiate(new Store(), spin, {});
    if (r.kind !== 'done') throw new Error(r.kind);
    keep.push(r.value);
  }
  const idle = (heap() - before) / N - PAGE;
  const calls: unknown[] = [];
  const before2 = heap();
  for (const inst of keep as Instance[]) {
    const r = Instance.instantiate(new Store(), spin, {}, { limits: { fuelPerCall: 100 } });
    void inst;
    if (r.kind !== 'done') throw new Error(r.kind);
    const c = r.value.func('spin').call(1e9);
    if (c.kind !== 'suspended') throw new Error(c.kind);
    calls.push(c);
  }
  const suspended = (heap() - before2) / N - PAGE;
  console.log(`engine overhead per instance beyond linear memory: ${Math.round(idle)} bytes idle, ${Math.round(suspended)} bytes with a suspended call (${N} instances)`);
  void calls.length;
}

{
  const big = Module.compile(wat(`(module (memory (export "memory") 16)
    (func (export "spin") (param i32) (result i32) (local i32)
      (loop $l (i32.store (i32.and (i32.mul (local.get 1) (i32.const 4)) (i32.const 0xffffc)) (local.get 1))
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
      (local.get 1)))`));
  const r = Instance.instantiate(new Store(), big, {}, { limits: { fuelPerCall: 5_000_000 } });
  if (r.kind !== 'done') throw new Error(r.kind);
  const c = r.value.func('spin').call(1e9);
  if (c.kind !== 'suspended') throw new Error(c.kind);
  const times: number[] = [];
  let bytes: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    bytes = c.call.snapshot();
    times.push(performance.now() - t0);
  }
  const rtimes: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    Instance.restore(new Store(), big, bytes, {});
    rtimes.push(performance.now() - t0);
  }
  const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1]!;
  console.log(`snapshot of an instance with 1 MiB of memory: ${bytes.length} bytes, snapshot ${med(times).toFixed(2)} ms, restore ${med(rtimes).toFixed(2)} ms (medians of 7)`);
}

{
  let wasmBytes = 0;
  let codeBytes = 0;
  for (const k of KERNELS) {
    const m = Module.compile(readFileSync(join(benchDir(), 'kernels', `${k}.wasm`)));
    const r = Instance.instantiate(new Store(), m, {});
    if (r.kind !== 'done') throw new Error(r.kind);
    for (const b of m.ast.codes) wasmBytes += b.code.length > 0 ? b.code[b.code.length - 1]!.pos - b.pos + 1 : 0;
    for (const f of r.value.rt.funcs) if (f.kind === 'wasm') {
      const c = compiledOf(f);
      codeBytes += c.code.byteLength + c.posAt.byteLength + c.consts.byteLength;
    }
  }
  console.log(`internal code: ${(codeBytes / wasmBytes).toFixed(1)} bytes per byte of Wasm code (${codeBytes} for ${wasmBytes}, kernels, with the position map)`);
}
