// Tests of suspension on host waits: a host function returning `Pending` suspends the call with
// reason "wait", and resuming delivers the host's result into WebAssembly with every frame intact.

import { describe, expect, it } from 'vitest';
import { wat } from '../../test/fuzz/wat.ts';
import { Pending, type CallResult } from './api.ts';
import { hostFunc, Instance, Module, Store, Trap, type Imports } from './index.ts';
import { ValType } from './types.ts';

const I32 = ValType.I32;

/** Instantiates text with `env` host functions; the result may be suspended (start functions). */
function instantiate(text: string, env: Imports[string] = {}, limits: Record<string, number> = {}): CallResult<Instance> {
  return Instance.instantiate(new Store(), Module.compile(wat(text, ['--debug-names'])), { env }, { limits, metering: true });
}

function mustInstance(text: string, env: Imports[string] = {}, limits: Record<string, number> = {}): Instance {
  const r = instantiate(text, env, limits);
  if (r.kind !== 'done') throw new Error(`Instantiation ended as "${r.kind}"`);
  return r.value;
}

function suspended<T>(r: CallResult<T>): Extract<CallResult<T>, { kind: 'suspended' }> {
  if (r.kind !== 'suspended') throw new Error(`Expected a suspended call, got "${r.kind}"`);
  return r;
}

/** `read() -> i32` that always asks to wait, saying which device it waits on. */
const read = (detail: unknown = { device: 'uart0', bytes: 1 }) =>
  hostFunc({ params: [], results: [I32] }, () => new Pending(undefined, detail), { name: 'read' });

describe('host wait', () => {
  const text = `(module (import "env" "read" (func $read (result i32)))
    (func (export "run") (result i32) (i32.add (call $read) (i32.const 1))))`;

  it('a host function returning Pending suspends the call with reason "wait" and the host\'s detail', () => {
    const r = suspended(mustInstance(text, { read: read({ device: 'uart0', bytes: 1 }) }).func('run').call());
    expect(r.reason).toBe('wait');
    expect(r.call.reason).toBe('wait');
    expect(r.call.pending).toBeInstanceOf(Pending);
    expect(r.call.pending?.detail).toEqual({ device: 'uart0', bytes: 1 });
  });

  it('resume delivers the host result to WebAssembly, which continues after the call', () => {
    const r = suspended(mustInstance(text, { read: read() }).func('run').call());
    expect(r.call.resume(41)).toMatchObject({ kind: 'done', value: [42] });
  });

  it('the Pending promise and the sleep duration the host recorded reach the caller', () => {
    const promise = Promise.resolve();
    const sleep = hostFunc({ params: [I32], results: [] }, (ms) => new Pending(promise, { sleepMs: ms }), { name: 'sleep' });
    const inst = mustInstance(`(module (import "env" "sleep" (func $sleep (param i32)))
      (global $woke (export "woke") (mut i32) (i32.const 0))
      (func (export "run") (call $sleep (i32.const 250)) (global.set $woke (i32.const 1))))`, { sleep });
    const r = suspended(inst.func('run').call());
    expect(r.call.pending?.promise).toBe(promise);
    expect(r.call.pending?.detail).toEqual({ sleepMs: 250 });
    expect(inst.global('woke').get()).toBe(0);
    expect(r.call.resume()).toMatchObject({ kind: 'done', value: [] });
    expect(inst.global('woke').get()).toBe(1);
  });

  it('a host function with several results resumes with an array', () => {
    const pair = hostFunc({ params: [], results: [I32, I32] }, () => new Pending(), { name: 'pair' });
    const inst = mustInstance(`(module (import "env" "pair" (func $pair (result i32 i32)))
      (func (export "run") (result i32) (i32.sub (call $pair))))`, { pair });
    expect(suspended(inst.func('run').call()).call.resume([10, 3])).toMatchObject({ kind: 'done', value: [7] });
  });

  it('an exported host function that waits suspends before any fuel is used', () => {
    const inst = mustInstance('(module (import "env" "read" (func $read (result i32))) (export "read" (func $read)))', { read: read() });
    const r = suspended(inst.func('read').call());
    expect(r.fuelUsed).toBe(0);
    expect(r.call.resume(5)).toEqual({ kind: 'done', value: [5], fuelUsed: 0 });
  });

  it('a call that waits many times in a loop gets each result in order', () => {
    let asked = 0;
    const next = hostFunc({ params: [], results: [I32] }, () => new Pending(undefined, { n: asked++ }), { name: 'next' });
    const inst = mustInstance(`(module (import "env" "next" (func $next (result i32)))
      (func (export "sum") (param $n i32) (result i32) (local $s i32)
        (loop $l
          (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 10)) (call $next)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $s)))`, { next });
    let r = inst.func('sum').call(4);
    const details: unknown[] = [];
    for (let digit = 1; r.kind === 'suspended'; digit++) {
      details.push(r.call.pending?.detail);
      r = r.call.resume(digit);
    }
    expect(r).toMatchObject({ kind: 'done', value: [1234] });
    expect(details).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }]);
  });
});

describe('resume', () => {
  it('throws when the same suspension is resumed twice (after a wait)', () => {
    const inst = mustInstance('(module (import "env" "read" (func $read (result i32))) (func (export "run") (result i32) (call $read)))', { read: read() });
    const r = suspended(inst.func('run').call());
    expect(r.call.resume(1)).toMatchObject({ kind: 'done', value: [1] });
    expect(() => r.call.resume(2)).toThrow(/twice/);
  });

  it('throws when the same suspension is resumed twice (after running out of fuel)', () => {
    const inst = mustInstance('(module (func (export "spin") (loop $l (br $l))))', {}, { fuelPerCall: 10 });
    const r = suspended(inst.func('spin').call());
    r.call.addFuel(10);
    expect(r.call.resume()).toMatchObject({ kind: 'suspended', reason: 'fuel' });
    expect(() => r.call.resume()).toThrow(/twice/);
  });

  it('a trap after resume is a trap result with the frames that were live', () => {
    const inst = mustInstance(`(module (import "env" "read" (func $read (result i32)))
      (func $div (export "div") (param $x i32) (result i32) (i32.div_s (local.get $x) (call $read))))`, { read: read() });
    const r = suspended(inst.func('div').call(84));
    const t = r.call.resume(0);
    expect(t.kind).toBe('trap');
    if (t.kind !== 'trap') return;
    expect(t.trap).toBeInstanceOf(Trap);
    expect(t.trap.kind).toBe('integer-divide-by-zero');
    expect(t.trap.backtrace.map((f) => f.name)).toEqual(['div']);
    // The same call with a usable result completes.
    expect(suspended(inst.func('div').call(84)).call.resume(2)).toMatchObject({ kind: 'done', value: [42] });
  });

  it('resuming with a result of the wrong shape (one value for two results) is a host-error trap', () => {
    const pair = hostFunc({ params: [], results: [I32, I32] }, () => new Pending(), { name: 'pair' });
    const inst = mustInstance(`(module (import "env" "pair" (func $pair (result i32 i32)))
      (func (export "run") (result i32) (i32.sub (call $pair))))`, { pair });
    const r = suspended(inst.func('run').call()).call.resume(5);
    expect(r.kind).toBe('trap');
    if (r.kind === 'trap') {
      expect(r.trap.kind).toBe('host-error');
      expect(r.trap.message).toContain('"pair"');
    }
  });

  it('two suspended calls resume independently, in either order', () => {
    const text = `(module (import "env" "read" (func $read (result i32)))
      (func (export "run") (param $k i32) (result i32) (i32.mul (local.get $k) (call $read))))`;
    const a = mustInstance(text, { read: read() });
    const b = mustInstance(text, { read: read() });
    const ra = suspended(a.func('run').call(3));
    const rb = suspended(b.func('run').call(5));
    const rc = suspended(a.func('run').call(7));
    expect(rb.call.resume(10)).toMatchObject({ kind: 'done', value: [50] });
    expect(rc.call.resume(10)).toMatchObject({ kind: 'done', value: [70] });
    expect(ra.call.resume(10)).toMatchObject({ kind: 'done', value: [30] });
  });
});

describe('nested frames', () => {
  // run(x) = x*1000 + outer(x+1);  outer(y) = y*100 + inner(y+1);  inner(z) = z*10 + read()
  const text = `(module (import "env" "read" (func $read (result i32)))
    (func $inner (param $z i32) (result i32) (local $keep i64)
      (local.set $keep (i64.const 0x1122334455667788))
      (i32.add (i32.mul (local.get $z) (i32.const 10))
        (i32.add (call $read) (i32.wrap_i64 (i64.sub (local.get $keep) (i64.const 0x1122334455667788))))))
    (func $outer (param $y i32) (result i32) (local $f f64)
      (local.set $f (f64.const 0.5))
      (i32.add (i32.mul (local.get $y) (i32.const 100))
        (i32.add (call $inner (i32.add (local.get $y) (i32.const 1))) (i32.trunc_f64_s (local.get $f)))))
    (func $run (export "run") (param $x i32) (result i32)
      (i32.add (i32.mul (local.get $x) (i32.const 1000)) (call $outer (i32.add (local.get $x) (i32.const 1))))))`;

  it('wasm -> wasm -> wasm -> host wait resumes with every frame\'s locals and operands', () => {
    const inst = mustInstance(text, { read: read() });
    const r = suspended(inst.func('run').call(1));
    // 1*1000 + 2*100 + 3*10 + 4
    expect(r.call.resume(4)).toMatchObject({ kind: 'done', value: [1234] });
  });

  it('fuel suspensions between waits keep the frames too', () => {
    const inst = mustInstance(text, { read: read() }, { fuelPerCall: 3 });
    let r = inst.func('run').call(5);
    const reasons: string[] = [];
    while (r.kind === 'suspended') {
      reasons.push(r.reason);
      if (r.reason === 'fuel') {
        r.call.addFuel(3);
        r = r.call.resume();
      } else {
        r = r.call.resume(9);
      }
    }
    expect(r).toMatchObject({ kind: 'done', value: [5000 + 600 + 70 + 9] });
    expect(reasons).toContain('wait');
    expect(reasons.filter((x) => x === 'fuel').length).toBeGreaterThan(3);
  });

  it('a trap after resume in the innermost frame lists all the frames', () => {
    const inst = mustInstance(text.replace('(call $read)', '(i32.div_u (i32.const 1) (call $read))'), { read: read() });
    const r = suspended(inst.func('run').call(1)).call.resume(0);
    expect(r.kind).toBe('trap');
    if (r.kind === 'trap') expect(r.trap.backtrace.map((f) => f.name)).toEqual(['inner', 'outer', 'run']);
  });
});

describe('start function', () => {
  const text = `(module (import "env" "read" (func $read (result i32)))
    (global $config (export "config") (mut i32) (i32.const -1))
    (func $init (global.set $config (i32.mul (call $read) (i32.const 2))))
    (start $init))`;

  it('a start function that waits suspends instantiation; resuming finishes it', () => {
    const r = suspended(instantiate(text, { read: read({ key: 'config' }) }));
    expect(r.reason).toBe('wait');
    expect(r.call.pending?.detail).toEqual({ key: 'config' });
    const done = r.call.resume(21);
    expect(done.kind).toBe('done');
    if (done.kind !== 'done') return;
    expect(done.value).toBeInstanceOf(Instance);
    expect(done.value.global('config').get()).toBe(42);
  });

  it('a start function that traps after resume makes instantiation a trap', () => {
    const trapping = text.replace('(i32.mul (call $read) (i32.const 2))', '(i32.div_s (i32.const 2) (call $read))');
    const r = suspended(instantiate(trapping, { read: read() })).call.resume(0);
    expect(r.kind).toBe('trap');
    if (r.kind === 'trap') expect(r.trap.kind).toBe('integer-divide-by-zero');
  });

  it('a start function out of fuel and then waiting finishes after both are satisfied', () => {
    const spin = text.replace('(func $init', '(func $init (local $i i32) (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100))))');
    let r = instantiate(spin, { read: read() }, { fuelPerCall: 50 });
    const reasons: string[] = [];
    while (r.kind === 'suspended') {
      reasons.push(r.reason);
      if (r.reason === 'fuel') r.call.addFuel(50);
      r = r.call.resume(r.reason === 'wait' ? 4 : undefined);
    }
    expect(r.kind).toBe('done');
    expect(reasons[0]).toBe('fuel');
    expect(reasons.at(-1)).toBe('wait');
    if (r.kind === 'done') expect(r.value.global('config').get()).toBe(8);
  });
});
