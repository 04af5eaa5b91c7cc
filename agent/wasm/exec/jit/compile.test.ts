// The compiled code's contract with the interpreter, checked on one function called directly
// with a stand-in executor: entry points, where it hands back control (calls, returns, fuel,
// traps), what it leaves in the frame, and source built from numbers only.

import { describe, expect, it } from 'vitest';
import { wat } from '../../../../test/fuzz/wat.ts';
import { Module } from '../../index.ts';
import { IOp, type CompiledFunc, type JitFn } from '../code.ts';
import { DEFAULT_FUEL_COSTS } from '../fuel.ts';
import { funcTypesOf, translateFunction } from '../translate.ts';
import { instrLength } from './_instr.ts';
import { RUNTIME_NAMES } from './_runtime.ts';
import { compileFunction, MAX_CODE_WORDS } from './compile.ts';

const text = `(module (memory 1)
  (func $id (param i32) (result i32) (local.get 0))
  (func (export "evil\\"); globalThis.x = 1; //") (param i32 i32) (result i32) (local i32)
    (local.set 2 (i32.add (local.get 0) (local.get 1)))
    (drop (i32.load (i32.sub (local.get 1) (local.get 0))))
    (local.set 2 (call $id (local.get 2)))
    (local.get 2)))`;

const ast = Module.compile(wat(text)).ast;
const cf: CompiledFunc = translateFunction(ast, funcTypesOf(ast), 1, DEFAULT_FUEL_COSTS);

/** Code index of the first instruction with opcode op. */
function pcOf(op: number): number {
  for (let pc = 0; pc < cf.code.length; pc += instrLength(cf.code, pc)) if (cf.code[pc] === op) return pc;
  throw new Error(`No opcode ${op} in the function`);
}

function compiled(): { fn: JitFn; source: string } {
  const r = compileFunction(cf);
  if (!r.ok) throw new Error(`Not compiled: ${r.why}`);
  return r;
}

/** A stand-in for the executor and the instance: a value stack, fuel, one page of memory. */
function machine(fuel: number, p0: number, p1: number) {
  const buf = new ArrayBuffer(4096);
  const ex = { S: new Int32Array(buf), F32: new Float32Array(buf), F64: new Float64Array(buf), fuel };
  const inst = { mems: [{ dv: new DataView(new ArrayBuffer(65536)), pages: 1 }], globals: [] };
  const fp = 16; // a frame that does not start at word 0
  ex.S[fp] = p0;
  ex.S[fp + 2] = p1;
  cf.consts.forEach((w, i) => { ex.S[fp + cf.localWords + i] = w; });
  return { ex, inst, fp };
}

describe('compiled code contract', () => {
  const LOAD = 0x28;

  it('returns a code index that is not an entry point unchanged, touching nothing', () => {
    const { fn } = compiled();
    const m = machine(1000, 5, 7);
    const before = m.ex.S.slice();
    expect(fn(m.ex, m.inst, m.fp, pcOf(LOAD))).toBe(pcOf(LOAD));
    expect(m.ex.S).toEqual(before);
    expect(m.ex.fuel).toBe(1000);
  });

  it('runs from entry 0 to the call and leaves it to the interpreter, with the argument in the frame', () => {
    const { fn } = compiled();
    const m = machine(1000, 5, 7);
    const call = pcOf(IOp.Call);
    expect(fn(m.ex, m.inst, m.fp, 0)).toBe(call);
    expect(m.ex.S[m.fp + cf.code[call + 2]!]).toBe(12); // the callee's parameter: local 2 = 5 + 7
    expect(m.ex.fuel).toBeLessThan(1000);
  });

  it('continues after the call (an entry point) up to the return', () => {
    const { fn } = compiled();
    const m = machine(1000, 5, 7);
    const call = pcOf(IOp.Call);
    const base = cf.code[call + 2]!;
    m.ex.S[m.fp + base] = 99; // the callee's result
    expect(fn(m.ex, m.inst, m.fp, call + 3)).toBe(pcOf(IOp.Return));
    expect(m.ex.S[m.fp]).toBe(99); // the result in slot 0
  });

  it('stops at a Fuel instruction it cannot pay for, charging nothing', () => {
    const { fn } = compiled();
    const k = cf.code[1]!;
    expect(cf.code[0]).toBe(IOp.Fuel);
    const m = machine(k - 1, 5, 7);
    expect(fn(m.ex, m.inst, m.fp, 0)).toBe(0);
    expect(m.ex.fuel).toBe(k - 1);
    const paid = machine(k, 5, 7);
    expect(fn(paid.ex, paid.inst, paid.fp, 0)).toBe(pcOf(IOp.Call));
    expect(paid.ex.fuel).toBe(0);
  });

  it('hands a trapping load back at its own code index, with its computed address in the frame', () => {
    const { fn } = compiled();
    const m = machine(1000, 5, 65538);
    const load = pcOf(LOAD);
    expect(cf.code[load + 2]).toBeGreaterThanOrEqual(cf.localWords); // the address is a temporary
    expect(fn(m.ex, m.inst, m.fp, 0)).toBe(load);
    expect(m.ex.S[m.fp + cf.code[load + 2]!]).toBe(65533); // 65533 + 4 bytes is past the page
  });

  it('builds source from numbers and its own names only, never from the module', () => {
    const { source } = compiled();
    expect(source).not.toContain('evil');
    expect(source).not.toContain('globalThis');
    const allowed = new Set([
      ...RUNTIME_NAMES, 'use', 'strict', 'return', 'function', 'jit', 'ex', 'inst', 'fp', 'pc', 'let', 'blk', 'switch',
      'case', 'break', 'default', 'const', 'S', 'F32', 'F64', 'fh', 'dv', 'mems', 'fuel', 'r', 'p', 'try', 'out', 'for',
      'continue', 'if', 'getInt32', 'true', 'x', 'y', 'ea', 'lo', 'hi', 'byteLength',
    ]);
    const words = source.replace(/"use strict"/, '').match(/[A-Za-z_$][\w$]*/g) ?? [];
    const unknown = [...new Set(words)].filter((w) => !allowed.has(w) && !/^[wtudgmL]\d+$/.test(w));
    expect(unknown).toEqual([]);
    expect(source).not.toMatch(/['`]/);
  });

  it('refuses functions whose source would exceed MAX_SOURCE_CHARS (V8 would not optimise them)', () => {
    let body = '';
    for (let i = 0; i < 1200; i++) body += `(local.set 1 (i32.add (i32.mul (local.get 1) (i32.const ${i})) (local.get 0)))`;
    const m = Module.compile(wat(`(module (func (param i32) (result i32) (local i32) ${body} (local.get 1)))`)).ast;
    const big = translateFunction(m, funcTypesOf(m), 0, DEFAULT_FUEL_COSTS);
    expect(big.code.length).toBeLessThan(MAX_CODE_WORDS);
    expect(compileFunction(big)).toEqual({ ok: false, why: 'source-too-large' });
  });

  it('refuses functions with more internal code than MAX_CODE_WORDS', () => {
    const big: CompiledFunc = { ...cf, code: new Int32Array(MAX_CODE_WORDS + 1) };
    expect(compileFunction(big)).toEqual({ ok: false, why: 'too-large' });
  });
});
