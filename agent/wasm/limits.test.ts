// Tests of per-instance Limits: caps on memory and tables at instantiation and on growth, call
// depth and value-stack exhaustion, and fuel per call.

import { describe, expect, it } from 'vitest';
import { wat } from '../../test/fuzz/wat.ts';
import { ExhaustionError, Instance, Module, Store } from './index.ts';

function instantiate(text: string, limits: Record<string, number> = {}) {
  return Instance.instantiate(new Store(), Module.compile(wat(text)), {}, { limits });
}

function mustInstance(text: string, limits: Record<string, number> = {}): Instance {
  const r = instantiate(text, limits);
  if (r.kind !== 'done') throw new Error(`instantiation ended as ${r.kind}`);
  return r.value;
}

describe('Limits', () => {
  it('rejects a module whose initial memory exceeds maxMemoryPages, stating the numbers', () => {
    const r = instantiate('(module (memory 11))', { maxMemoryPages: 10 });
    expect(r.kind).toBe('exhausted');
    if (r.kind !== 'exhausted') return;
    expect(r.error).toBeInstanceOf(ExhaustionError);
    expect(r.error.kind).toBe('memory');
    expect(r.error.message).toContain('memory minimum 11 pages exceeds the limit of 10');
  });

  it('rejects a module whose initial table exceeds maxTableElements', () => {
    const r = instantiate('(module (table 1001 funcref))', { maxTableElements: 1000 });
    expect(r.kind).toBe('exhausted');
    if (r.kind === 'exhausted') expect(r.error.message).toContain('table minimum 1001 elements exceeds the limit of 1000');
  });

  it('memory.grow returns -1 when the page limit is exceeded, below the module maximum', () => {
    const inst = mustInstance(`(module (memory 1 100)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`, { maxMemoryPages: 4 });
    const grow = inst.func('grow');
    expect(grow.call(2)).toMatchObject({ kind: 'done', value: [1] });
    expect(grow.call(2)).toMatchObject({ kind: 'done', value: [-1] });
    expect(grow.call(1)).toMatchObject({ kind: 'done', value: [3] });
  });

  it('table.grow returns -1 when the element limit is exceeded', () => {
    const inst = mustInstance(`(module (table 2 funcref)
      (func (export "grow") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get 0))))`, { maxTableElements: 10 });
    const grow = inst.func('grow');
    expect(grow.call(8)).toMatchObject({ kind: 'done', value: [2] });
    expect(grow.call(1)).toMatchObject({ kind: 'done', value: [-1] });
  });

  it('deep recursion is exhausted at maxCallDepth, as a typed result', () => {
    const inst = mustInstance(`(module (func $f (export "f") (param i32) (result i32)
      (if (result i32) (local.get 0) (then (call $f (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 7)))))`, { maxCallDepth: 100 });
    expect(inst.func('f').call(50)).toMatchObject({ kind: 'done', value: [7] });
    const r = inst.func('f').call(1000);
    expect(r.kind).toBe('exhausted');
    if (r.kind === 'exhausted') expect(r.error.kind).toBe('call-depth');
  });

  it('a frame too large for maxStackSlots is exhausted, not a JS RangeError', () => {
    const inst = mustInstance(`(module (func $f (export "f") (param i32) (result i32)
      (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
      (if (result i32) (local.get 0) (then (call $f (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 7)))))`, { maxStackSlots: 1000, maxCallDepth: 100000 });
    const r = inst.func('f').call(5000);
    expect(r.kind).toBe('exhausted');
    if (r.kind === 'exhausted') expect(r.error.kind).toBe('value-stack');
  });

  it('fuelPerCall suspends a busy loop, and added fuel resumes it to completion', () => {
    const inst = mustInstance(`(module (func (export "count") (param i32) (result i32) (local i32)
      (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
      (local.get 1)))`, { fuelPerCall: 1000 });
    let r = inst.func('count').call(100000);
    let slices = 1;
    while (r.kind === 'suspended') {
      expect(r.reason).toBe('fuel');
      expect(r.fuelUsed).toBeLessThanOrEqual(1000 * slices);
      r.call.addFuel(1000);
      r = r.call.resume();
      slices++;
    }
    expect(r).toMatchObject({ kind: 'done', value: [100000] });
    expect(slices).toBeGreaterThan(100);
    expect(r.fuelUsed).toBeLessThanOrEqual(1000 * slices);
  });
});
