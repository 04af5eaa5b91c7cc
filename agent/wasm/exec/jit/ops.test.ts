// Every numeric, load and store instruction compiled by the fast tier gives the interpreter's
// exact bits (or the same trap at the same instruction), with operands from parameters, from
// constants (which the fast tier inlines as literals) and through locals, on edge-case values.

import { describe, expect, it } from 'vitest';
import { funcBody, funcType, moduleBytes, name, section, sleb, uleb, vec } from '../../../../test/fuzz/wasm-encode.ts';
import type { CallResult } from '../../api.ts';
import { Instance, Module, Store, type RawValue } from '../../index.ts';
import { OPCODES, type OpInfo } from '../../opcodes.ts';
import { ValType } from '../../types.ts';
import { setTierMode, type TierMode } from './tier.ts';

const I = ValType.I32 as number, L = ValType.I64 as number, F = ValType.F32 as number, D = ValType.F64 as number;

/** Edge cases per type, in raw form (f32 and f64 as bit patterns). */
const SPECIALS: Readonly<Record<number, readonly RawValue[]>> = {
  [I]: [0, 1, -1, 2, 31, 32, 33, 0x7fffffff, -0x80000000, 0xffff, 0x12345678],
  [L]: [0n, 1n, -1n, 31n, 32n, 63n, 64n, 0x7fffffffffffffffn, -0x8000000000000000n, 0xffffffffn, 0x100000000n, 0x123456789abcdefn],
  [F]: [0, 0x80000000 | 0, 0x3f800000, 0xbf000000 | 0, 0x3fc00000, 0x7f800000, 0xff800000 | 0, 0x7fc00000, 0x7fa00001, 1,
    0x4f000000, 0xcf000000 | 0, 0x5f000000, 0x4effffff],
  [D]: [0n, -0x8000000000000000n, 0x3ff0000000000000n, -0x4020000000000000n, 0x3ff8000000000000n, 0x7ff0000000000000n,
    -0x10000000000000n, 0x7ff8000000000000n, 0x7ff4000000000001n, 1n, 0x41e0000000000000n, 0x43e0000000000000n,
    -0x3e20000000000000n, 0x41dfffffffc00000n, 0x4330000000000001n],
};

/** The bytes of a `T.const` of a raw value. */
function constOf(t: number, v: RawValue): number[] {
  switch (t) {
    case I: return [0x41, ...sleb(v as number)];
    case L: return [0x42, ...sleb(v as bigint)];
    case F: {
      const b = new DataView(new ArrayBuffer(4));
      b.setInt32(0, v as number, true);
      return [0x43, ...new Uint8Array(b.buffer)];
    }
    default: {
      const b = new DataView(new ArrayBuffer(8));
      b.setBigInt64(0, v as bigint, true);
      return [0x44, ...new Uint8Array(b.buffer)];
    }
  }
}

function opBytes(op: number): number[] {
  return op >= 0xfc00 ? [0xfc, ...uleb(op & 0xff)] : [op];
}

interface Fn {
  readonly params: readonly number[];
  readonly results: readonly number[];
  readonly locals: readonly (readonly [number, number])[];
  readonly code: readonly number[];
}

/** Bytes 11, 48, 85, ...: no two neighbours alike, and both signs in every width. */
const PATTERN = Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);

/**
 * A module exporting each function as f0, f1, ...; with `memory`, one page whose first and last
 * 64 bytes hold PATTERN.
 */
function build(fns: readonly Fn[], memory: boolean): Uint8Array {
  const sections = [
    section(1, vec(fns.map((f) => funcType(f.params, f.results)))),
    section(3, vec(fns.map((_, i) => uleb(i)))),
  ];
  if (memory) sections.push(section(5, vec([[0x00, 0x01]])));
  sections.push(section(7, vec(fns.map((_, i) => [...name(`f${i}`), 0x00, ...uleb(i)]))));
  sections.push(section(10, vec(fns.map((f) => funcBody(f.locals, f.code)))));
  if (memory) {
    const seg = (at: number): number[] => [0x00, 0x41, ...sleb(at), 0x0b, ...vec(PATTERN.map((b) => [b]))];
    sections.push(section(11, vec([seg(0), seg(65536 - 64)])));
  }
  return moduleBytes(sections);
}

/** Operand shapes for an instruction: from parameters, from constants, and through a local. */
function shapes(info: OpInfo): Fn[] {
  const { params, results } = info.sig!;
  const op = opBytes(info.op);
  const fns: Fn[] = [];
  const get = (i: number): number[] => [0x20, i];
  fns.push({ params, results, locals: [], code: [...params.flatMap((_, i) => get(i)), ...op] });
  // The result set into a local and read back: the producer writes the local directly.
  fns.push({ params, results, locals: [[1, results[0]!]], code: [...params.flatMap((_, i) => get(i)), ...op, 0x21, params.length, 0x20, params.length] });
  if (params.length === 1) {
    for (const c of SPECIALS[params[0]!]!) fns.push({ params: [], results, locals: [], code: [...constOf(params[0]!, c), ...op] });
  } else {
    for (const c of SPECIALS[params[0]!]!) fns.push({ params: [params[1]!], results, locals: [], code: [...constOf(params[0]!, c), ...get(0), ...op] });
    for (const c of SPECIALS[params[1]!]!) fns.push({ params: [params[0]!], results, locals: [], code: [...get(0), ...constOf(params[1]!, c), ...op] });
  }
  return fns;
}

/** A call's outcome, traps with their kind and the byte offsets of their frames. */
function outcome(r: CallResult<RawValue[]>): unknown {
  switch (r.kind) {
    case 'done': return { done: r.value };
    case 'trap': return { trap: r.trap.kind, at: r.trap.backtrace.map((f) => f.offset) };
    default: return { kind: r.kind };
  }
}

/** All argument lists to try: every combination of edge cases (pairs for two parameters). */
function argLists(params: readonly number[]): RawValue[][] {
  if (params.length === 0) return [[]];
  if (params.length === 1) return SPECIALS[params[0]!]!.map((v) => [v]);
  return SPECIALS[params[0]!]!.flatMap((a) => SPECIALS[params[1]!]!.map((b) => [a, b]));
}

/** Runs every function of `bytes` on every argument list under `tier`, with memory after each. */
function runAll(bytes: Uint8Array, fns: readonly Fn[], tier: TierMode, args: (f: Fn) => RawValue[][]): unknown[] {
  setTierMode(tier);
  const r = Instance.instantiate(new Store(), Module.compile(bytes), {}, { metering: true });
  if (r.kind !== 'done') throw new Error(`Instantiation ended as "${r.kind}"`);
  const inst = r.value;
  const out: unknown[] = [];
  fns.forEach((f, i) => {
    const fn = inst.func(`f${i}`);
    for (const a of args(f)) out.push(outcome(fn.callRaw(a)));
  });
  setTierMode('auto');
  return out;
}

const numeric = OPCODES.filter((o) => o.sig !== undefined && o.imm === 'none' && o.sig.results.length === 1 &&
  o.sig.params.length >= 1 && o.sig.params.length <= 2 && [...o.sig.params, ...o.sig.results].every((t) => t in SPECIALS));

describe('fast tier numeric instructions', () => {
  it('covers every numeric instruction of the opcode table', () => {
    // 0x45..0xc4 is 128 instructions and the saturating truncations 0xfc00..0xfc07 are 8 more.
    expect(numeric.length).toBe(136);
  });

  for (const info of numeric) {
    it(`${info.name} gives the interpreter's bits and traps on edge cases`, () => {
      const fns = shapes(info);
      const bytes = build(fns, false);
      const args = (f: Fn): RawValue[][] => argLists(f.params);
      const interp = runAll(bytes, fns, 'interp', args);
      const jit = runAll(bytes, fns, 'jit', args);
      expect(jit).toEqual(interp);
    });
  }
});

describe('fast tier memory instructions', () => {
  const memOps = OPCODES.filter((o) => o.imm === 'memarg');
  const ADDRS = [0, 1, 3, 8, 65528, 65529, 65532, 65535, 65536, -1, -8];
  const OFFSETS = [0, 1, 7, 65535, 0xfffffff0];

  for (const info of memOps) {
    it(`${info.name} reads and writes the interpreter's bytes and traps at the same bounds`, () => {
      const { params, results } = info.sig!;
      const fns: Fn[] = OFFSETS.map((off) => ({
        params, results, locals: [],
        code: [...params.flatMap((_, i) => [0x20, i]), ...opBytes(info.op), info.align!, ...uleb(off)],
      }));
      // A reader of the whole page as i64 words, to compare memory after the stores.
      const sum: Fn = {
        params: [], results: [L], locals: [[1, I], [1, L]],
        code: [0x03, 0x40, 0x20, 1, 0x20, 0, 0x29, 3, 0, 0x85, 0x42, 31, 0x89, 0x21, 1,
          0x20, 0, 0x41, 8, 0x6a, 0x22, 0, 0x41, ...sleb(65536), 0x49, 0x0d, 0, 0x0b, 0x20, 1],
      };
      const bytes = build([...fns, sum], true);
      const values = params.length === 2 ? SPECIALS[params[1]!]! : [undefined];
      const args = (f: Fn): RawValue[][] => f === sum ? [[]] : ADDRS.flatMap((a) => values.map((v) => (v === undefined ? [a] : [a, v])));
      const all = [...fns, sum];
      const interp = runAll(bytes, all, 'interp', args);
      const jit = runAll(bytes, all, 'jit', args);
      expect(jit).toEqual(interp);
      expect(interp.some((o) => (o as { trap?: string }).trap === 'memory-out-of-bounds')).toBe(true);
    });
  }
});
