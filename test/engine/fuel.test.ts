// Fuel catalogue of fleetlet's engine: infinite loops, deep call trees and bulk operations must
// stop within their budget (run from an export and from `start`), fuel used is reported on every
// outcome, and consumption is deterministic however the budget is sliced.
//
// Costs below are computed by hand from the fuel table (agent/wasm/exec/fuel.ts): base, control 1;
// call 4; bulk 4 plus one unit per 8 bytes or per table element. A basic block is charged on entry,
// so the precise stopping rule checked for every case is:
//   fuelUsed <= budget  and  budget - fuelUsed < step
// where `step` is the cost of the next thing the engine refused to start: a basic block (bounded
// here by the summed cost of every instruction of the largest function body, `end`s included)
// or a bulk operation's proportional charge.

import { describe, expect, it } from 'vitest';
import type { CallResult } from '../../agent/wasm/api.ts';
import { Instance, Module, Store } from '../../agent/wasm/index.ts';
import { V8 } from '../fuzz/v8-api.ts';
import { wat } from '../fuzz/wat.ts';

const BYTES_PER_UNIT = 8;

interface Case {
  readonly name: string;
  /** Module fields besides the entry function `$run` (which takes no parameters). */
  readonly fields: string;
  readonly body: string;
  /** Hand-computed upper bound of the cost of any basic block or bulk charge the case meets. */
  readonly step: number;
  /** For bulk cases: the proportional charge, which the whole budget cannot cover. */
  readonly bulk?: number;
  /** Checks that a bulk operation has (or has not yet) taken effect. */
  readonly effect?: (inst: Instance, done: boolean) => void;
}

const tree = Array.from({ length: 16 }, (_, i) => `(func $f${i} call $f${i + 1} call $f${i + 1})`).join('\n') + '\n(func $f16)';
const data = 'a'.repeat(65536);
const elems = '$g '.repeat(20000);

function memByte(inst: Instance, at: number): number {
  return new Uint8Array(inst.memory('mem').buffer)[at]!;
}

const CASES: readonly Case[] = [
  // loop(1) br(1) end(1) end(1)
  { name: 'loop br 0', fields: '', body: 'loop br 0 end', step: 4 },
  // loop(1) i32.const(1) br_if(1) end(1) end(1)
  { name: 'loop br_if 0', fields: '', body: 'loop i32.const 1 br_if 0 end', step: 5 },
  { name: 'loop br_table 0', fields: '', body: 'loop i32.const 0 br_table 0 end', step: 5 },
  // $run calls $f0; each of $f0..$f15 is call(4) call(4) end(1)
  { name: 'binary call tree 17 deep', fields: tree, body: 'call $f0', step: 9 },
  {
    name: 'memory.fill of 64 KiB', fields: '(memory (export "mem") 1)',
    body: 'i32.const 0 i32.const 0x5a i32.const 65536 memory.fill', step: 8192, bulk: 8192,
    effect: (inst, done) => expect([memByte(inst, 0), memByte(inst, 65535)]).toEqual(done ? [0x5a, 0x5a] : [0, 0]),
  },
  {
    name: 'memory.copy of 64 KiB', fields: '(memory 1)',
    body: 'i32.const 0 i32.const 0 i32.const 65536 memory.copy', step: 8192, bulk: 8192,
  },
  {
    name: 'memory.init of 64 KiB', fields: `(memory (export "mem") 1) (data $d "${data}")`,
    body: 'i32.const 0 i32.const 0 i32.const 65536 memory.init $d', step: 8192, bulk: 8192,
    effect: (inst, done) => expect(memByte(inst, 65535)).toBe(done ? 0x61 : 0),
  },
  {
    name: 'table.fill of 20,000 elements', fields: '(table (export "tab") 20000 funcref) (func $g) (elem declare func $g)',
    body: 'i32.const 0 ref.func $g i32.const 20000 table.fill 0', step: 20000, bulk: 20000,
    effect: (inst, done) => expect(inst.table('tab').get(19999) === null).toBe(!done),
  },
  {
    name: 'table.copy of 20,000 elements', fields: '(table 20000 funcref)',
    body: 'i32.const 0 i32.const 0 i32.const 20000 table.copy', step: 20000, bulk: 20000,
  },
  {
    name: 'table.init of 20,000 elements', fields: `(table (export "tab") 20000 funcref) (func $g) (elem $e func ${elems})`,
    body: 'i32.const 0 i32.const 0 i32.const 20000 table.init $e', step: 20000, bulk: 20000,
    effect: (inst, done) => expect(inst.table('tab').get(19999) === null).toBe(!done),
  },
  {
    name: 'table.grow by 20,000 elements', fields: '(table (export "tab") 0 funcref)',
    body: 'ref.null func i32.const 20000 table.grow 0 drop', step: 20000, bulk: 20000,
    effect: (inst, done) => expect(inst.table('tab').size()).toBe(done ? 20000 : 0),
  },
];

type Entry = 'export' | 'start';

function moduleText(c: Case, entry: Entry): string {
  const hook = entry === 'start' ? '(start $run)' : '(export "run" (func $run))';
  return `(module ${c.fields}\n(func $run ${c.body})\n${hook})`;
}

const compiled = new Map<string, Module>();
function compile(text: string): Module {
  let m = compiled.get(text);
  if (m === undefined) {
    m = Module.compile(wat(text));
    compiled.set(text, m);
  }
  return m;
}

/**
 * Starts the case's entry with `budget` units. From `start`, the instance is only handed out
 * when the start function finishes (the done result's value); from an export it is known at once.
 */
function start(c: Case, entry: Entry, budget: number): { inst: Instance | undefined; r: CallResult<unknown> } {
  const ir = Instance.instantiate(new Store(), compile(moduleText(c, entry)), {}, { limits: { fuelPerCall: budget }, metering: true });
  if (entry === 'start') return { inst: undefined, r: ir };
  if (ir.kind !== 'done') throw new Error(`Instantiation ended as "${ir.kind}"`);
  return { inst: ir.value, r: ir.value.func('run').call() };
}

function expectFuelStop(r: CallResult<unknown>, budget: number, step: number): asserts r is Extract<CallResult<unknown>, { kind: 'suspended' }> {
  expect(r.kind).toBe('suspended');
  if (r.kind !== 'suspended') return;
  expect(r.reason).toBe('fuel');
  expect(r.fuelUsed).toBeLessThanOrEqual(budget);
  expect(budget - r.fuelUsed).toBeLessThan(step);
  expect(r.call.fuelLeft()).toBe(budget - r.fuelUsed);
}

describe('fuel catalogue (Wasmtime iloop cases, WebAssembly 2.0 subset)', () => {
  for (const c of CASES) {
    for (const entry of ['export', 'start'] as const) {
      for (const budget of [1, 5_000]) {
        it(`${c.name} from ${entry} stops with fuelUsed <= ${budget} and less than one step of it left`, () => {
          const { r } = start(c, entry, budget);
          expectFuelStop(r, budget, c.step);
          // Resuming without fuel makes no progress and charges nothing: it stopped at one exact place.
          const again = r.call.resume();
          expectFuelStop(again, budget, c.step);
          expect(again.fuelUsed).toBe(r.fuelUsed);
          // More fuel: the loops run on and stop again by the same rule; the bulk cases still lack enough.
          again.call.addFuel(1_000);
          const more = again.call.resume();
          expectFuelStop(more, budget + 1_000, c.step);
        });
      }

      if (c.bulk !== undefined) {
        const bulk = c.bulk;
        it(`${c.name} from ${entry} needs exactly ${bulk} units beyond its block, and runs whole once it has them`, () => {
          const budget = 5_000;
          const { inst, r } = start(c, entry, budget);
          expectFuelStop(r, budget, bulk);
          // The block before the operation is paid: three operands, the operation, `end` (8 units).
          expect(r.fuelUsed).toBe(8);
          if (inst !== undefined) c.effect?.(inst, false);
          r.call.addFuel(bulk - r.call.fuelLeft() - 1);
          // Given bulk + 7 units in all: the block's 8 are paid and bulk - 1 are left, one too few.
          const short = r.call.resume();
          expectFuelStop(short, bulk + 7, bulk);
          expect(short.fuelUsed).toBe(8);
          if (inst !== undefined) c.effect?.(inst, false);
          short.call.addFuel(1);
          const end = short.call.resume();
          expect(end.kind).toBe('done');
          expect(end.fuelUsed).toBe(8 + bulk);
          if (end.kind === 'done') c.effect?.(inst ?? (end.value as Instance), true);
        });
      }
    }
  }
});

describe('fuelUsed on every outcome', () => {
  function instance(text: string, limits: Record<string, number> = {}): Instance {
    const r = Instance.instantiate(new Store(), compile(text), {}, { limits, metering: true });
    if (r.kind !== 'done') throw new Error(`Instantiation ended as "${r.kind}"`);
    return r.value;
  }

  it('a done call reports the summed cost of its instructions: i32.const, i32.const, i32.add, end = 4', () => {
    const r = instance('(module (func (export "f") (result i32) i32.const 1 i32.const 2 i32.add))').func('f').call();
    expect(r).toEqual({ kind: 'done', value: [3], fuelUsed: 4 });
  });

  it('a trap reports the block it was charged for, even past the trapping load (const, load, drop, end = 4)', () => {
    const r = instance('(module (memory 0) (func (export "f") i32.const 0 i32.load drop))').func('f').call();
    expect(r.kind).toBe('trap');
    expect(r.fuelUsed).toBe(4);
  });

  it('exhausted call depth reports 5 units for each of the 101 frames entered (call 4, end 1)', () => {
    const r = instance('(module (func $f (export "f") call $f))', { maxCallDepth: 100 }).func('f').call();
    expect(r.kind).toBe('exhausted');
    expect(r.fuelUsed).toBe(505);
  });

  it('a suspended call reports what it used so far, and the total over resumptions when done', () => {
    const f = instance('(module (func (export "f") (result i32) i32.const 1 i32.const 2 i32.add))', { fuelPerCall: 3 }).func('f');
    const r = f.call();
    expect(r).toMatchObject({ kind: 'suspended', reason: 'fuel', fuelUsed: 0 });
    if (r.kind !== 'suspended') return;
    r.call.addFuel(1);
    expect(r.call.resume()).toEqual({ kind: 'done', value: [3], fuelUsed: 4 });
  });

  it('the binary call tree uses exactly 9 * (2^16 - 1) + 2^16 + 5 units when unlimited', () => {
    // $f0..$f15 are entered 2^i times at 9 units, $f16 2^16 times at 1 unit, $run once at 5.
    const r = instance(`(module ${tree} (func (export "run") call $f0))`).func('run').call();
    expect(r).toEqual({ kind: 'done', value: [], fuelUsed: 9 * (2 ** 16 - 1) + 2 ** 16 + 5 });
  });

  it('memory.fill of 64 KiB cannot run on one unit: fed one unit at a time it waits for all 8,192', () => {
    const inst = instance(`(module (memory (export "mem") 1)
      (func (export "fill") (memory.fill (i32.const 0) (i32.const 0x5a) (i32.const 65536))))`, { fuelPerCall: 1 });
    let r = inst.func('fill').call();
    let resumes = 0;
    while (r.kind === 'suspended') {
      expect(memByte(inst, 0)).toBe(0);
      r.call.addFuel(1);
      r = r.call.resume();
      resumes++;
    }
    expect(r.kind).toBe('done');
    // 8 units of block, then 65536 / 8 units of operation; the first unit came with the call.
    expect(r.fuelUsed).toBe(8 + 65536 / BYTES_PER_UNIT);
    expect(resumes).toBe(r.fuelUsed - 1);
    expect(new Uint8Array(inst.memory('mem').buffer).every((b) => b === 0x5a)).toBe(true);
  });
});

/** Feeds a suspended call `k` units per slice until it finishes or has been given `cap` in all. */
function sliced(first: CallResult<unknown[]>, k: number, cap = Infinity): CallResult<unknown[]> {
  let r = first;
  let given = k;
  while (r.kind === 'suspended' && r.reason === 'fuel' && given < cap) {
    const add = Math.min(k, cap - given);
    r.call.addFuel(add);
    given += add;
    r = r.call.resume();
  }
  return r;
}

describe('fuel determinism', () => {
  const counter = `(module (global $n (export "n") (mut i32) (i32.const 0))
    ${tree.replace('(func $f16)', '(func $f16 (global.set $n (i32.add (global.get $n) (i32.const 1))))')}
    (func (export "run") (loop $l (call $f0) (br $l))))`;
  const mixed = `(module (memory 1)
    (func $fib (param $n i32) (result i32)
      (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
        (then (local.get $n))
        (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
    (func (export "run") (param $n i32) (result i32) (local $i i32) (local $h i32)
      (memory.fill (i32.const 0) (i32.const 7) (i32.const 4096))
      (loop $l
        (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.mul (local.get $i) (local.get $i)))
        (local.set $h (i32.add (i32.mul (local.get $h) (i32.const 31)) (i32.load (i32.shl (local.get $i) (i32.const 2)))))
        (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
      (i32.add (local.get $h) (call $fib (i32.const 15)))))`;

  function counterRun(budget: number, k: number): { fuelUsed: number; leaves: number; kind: string } {
    const r = Instance.instantiate(new Store(), compile(counter), {}, { limits: { fuelPerCall: k }, metering: true });
    if (r.kind !== 'done') throw new Error(`Instantiation ended as "${r.kind}"`);
    const out = sliced(r.value.func('run').call(), k, budget);
    return { fuelUsed: out.fuelUsed, leaves: r.value.global('n').get() as number, kind: out.kind };
  }

  it('the same module and budget stop at the same place twice (same fuel, same leaves counted)', () => {
    for (const budget of [1_000, 4_321, 50_000]) {
      const a = counterRun(budget, budget);
      const b = counterRun(budget, budget);
      expect(b).toEqual(a);
      expect(a.kind).toBe('suspended');
      expect(a.leaves).toBeGreaterThan(0);
    }
  });

  it('a budget given in slices of K stops where the whole budget stops, for several K', () => {
    for (const budget of [1_000, 4_321, 50_000]) {
      const whole = counterRun(budget, budget);
      for (const k of [1, 3, 8, 9, 10, 97, 1_000]) {
        if (k > budget) continue;
        expect({ k, ...counterRun(budget, k) }).toEqual({ k, ...whole });
      }
    }
  });

  it('a terminating run in slices of K uses the same fuel and returns what V8 returns', () => {
    const bytes = wat(mixed);
    const v8 = new V8.Instance(new V8.Module(bytes)).exports as unknown as { run(n: number): number };
    const expected = v8.run(200);
    const once = Instance.instantiate(new Store(), compile(mixed), {}, { metering: true });
    if (once.kind !== 'done') throw new Error('instantiation failed');
    const whole = once.value.func('run').call(200);
    expect(whole).toMatchObject({ kind: 'done', value: [expected] });
    for (const k of [1, 2, 9, 64, 1_000]) {
      const r = Instance.instantiate(new Store(), compile(mixed), {}, { limits: { fuelPerCall: k }, metering: true });
      if (r.kind !== 'done') throw new Error('instantiation failed');
      const out = sliced(r.value.func('run').call(200), k);
      expect({ k, kind: out.kind, fuelUsed: out.fuelUsed, value: out.kind === 'done' ? out.value : undefined })
        .toEqual({ k, kind: 'done', fuelUsed: whole.fuelUsed, value: [expected] });
    }
  });
});
