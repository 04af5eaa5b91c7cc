// Durable snapshots: a call suspended by fuel in one process finishes in another with the same
// result and the same total fuel; bad snapshots are rejected with typed errors.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostFunc, Instance, Module, Pending, SnapshotError, Store } from '../../agent/wasm/index.ts';
import { wat } from '../fuzz/wat.ts';
import { benchDir, KERNELS, smallN } from './kernels.ts';

function kernel(k: string): Module {
  return Module.compile(readFileSync(join(benchDir(), 'kernels', `${k}.wasm`)));
}

/** Uninterrupted metered run on our engine, and the checksum V8 computes at the same n. */
function reference(k: string): { checksum: number; fuel: number; v8: number } {
  const r = Instance.instantiate(new Store(), kernel(k), {});
  if (r.kind !== 'done') throw new Error(r.kind);
  const c = r.value.func('run').call(smallN(k));
  if (c.kind !== 'done') throw new Error(c.kind);
  const v8 = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(join(benchDir(), 'kernels', `${k}.wasm`))), {});
  return { checksum: (c.value as number[])[0]!, fuel: c.fuelUsed, v8: (v8.exports.run as (n: number) => number)(smallN(k)) };
}

function child(args: string[]): Record<string, Record<string, number>> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'snapshot-child.ts'), ...args], { encoding: 'utf8' });
  return JSON.parse(out) as Record<string, Record<string, number>>;
}

describe('snapshot and restore across processes', () => {
  it('every bench kernel finishes in a new process with the same checksum and total fuel', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetlet-snap-'));
    const refs = Object.fromEntries(KERNELS.map((k) => [k, reference(k)]));
    writeFileSync(join(dir, 'budgets.json'), JSON.stringify(Object.fromEntries(KERNELS.map((k) => [k, refs[k]!.fuel]))));
    const taken = child(['take', dir, '0.4']);
    const restored = child(['restore', dir]);
    for (const k of KERNELS) {
      expect(refs[k]!.checksum, `${k} checksum on our engine vs V8`).toBe(refs[k]!.v8);
      expect(taken[k]!.fuelUsed, `${k} stopped part-way`).toBeLessThan(refs[k]!.fuel);
      expect(taken[k]!.fuelUsed).toBeGreaterThan(0);
      expect(restored[k]!.checksum, `${k} checksum after restore`).toBe(refs[k]!.checksum);
      expect(restored[k]!.fuelUsed, `${k} total fuel after restore`).toBe(refs[k]!.fuel);
    }
  });
});

describe('Instance.restore rejects bad snapshots', () => {
  const text = `(module (memory (export "memory") 1)
    (func (export "spin") (param i32) (result i32) (local i32)
      (loop $l (i32.store (i32.const 0) (local.get 1))
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
      (local.get 1)))`;
  const module = Module.compile(wat(text));
  const r = Instance.instantiate(new Store(), module, {}, { limits: { fuelPerCall: 5000 } });
  if (r.kind !== 'done') throw new Error(r.kind);
  const c = r.value.func('spin').call(100000);
  if (c.kind !== 'suspended') throw new Error(c.kind);
  const snap = c.call.snapshot();

  function restoreError(bytes: Uint8Array, m: Module = module): SnapshotError {
    try {
      Instance.restore(new Store(), m, bytes, {});
    } catch (e) {
      if (e instanceof SnapshotError) return e;
      throw e;
    }
    throw new Error('restore accepted the snapshot');
  }

  it('restores the good snapshot and finishes the loop', () => {
    const { instance, call } = Instance.restore(new Store(), module, snap, {});
    let x = call;
    while (x.kind === 'suspended') {
      x.call.addFuel(5000);
      x = x.call.resume();
    }
    expect(x).toMatchObject({ kind: 'done', value: [100000] });
    expect(new DataView(instance.memory('memory').buffer).getInt32(0, true)).toBe(99999);
  });

  it('rejects a snapshot of another module as wrong-module', () => {
    const other = Module.compile(wat(text.replace('100000', '1').replace('(i32.const 1)', '(i32.const 2)')));
    expect(restoreError(snap, other).code).toBe('wrong-module');
  });

  it('rejects every truncation as corrupt', () => {
    for (const n of [0, 1, 10, Math.floor(snap.length / 2), snap.length - 1]) {
      expect(restoreError(snap.subarray(0, n)).code).toBe('corrupt');
    }
  });

  it('rejects a flipped bit anywhere as corrupt', () => {
    for (let i = 0; i < snap.length; i += Math.max(1, Math.floor(snap.length / 200))) {
      const bad = new Uint8Array(snap);
      bad[i]! ^= 0x10;
      const e = restoreError(bad);
      expect(['corrupt', 'wrong-module']).toContain(e.code);
    }
  });

  it('re-issues a pending host call on restore, then resumes with its value', () => {
    const waitText = `(module (import "host" "read" (func $read (param i32) (result i32)))
      (func (export "main") (result i32) (i32.add (call $read (i32.const 7)) (i32.const 1))))`;
    const m = Module.compile(wat(waitText));
    const seen: number[] = [];
    const read = hostFunc({ params: [0x7f], results: [0x7f] }, (x) => {
      seen.push(x as number);
      return new Pending(undefined, { port: 'ttyS0', want: x });
    });
    const r1 = Instance.instantiate(new Store(), m, { host: { read } });
    if (r1.kind !== 'done') throw new Error(r1.kind);
    const c1 = r1.value.func('main').call();
    expect(c1.kind).toBe('suspended');
    if (c1.kind !== 'suspended') return;
    const bytes = c1.call.snapshot();
    const { call } = Instance.restore(new Store(), m, bytes, { host: { read } });
    expect(seen).toEqual([7, 7]);
    expect(call.kind).toBe('suspended');
    if (call.kind !== 'suspended') return;
    expect(call.reason).toBe('wait');
    expect(call.call.pending?.detail).toEqual({ port: 'ttyS0', want: 7 });
    expect(call.call.resume(41)).toMatchObject({ kind: 'done', value: [42] });
  });
});
