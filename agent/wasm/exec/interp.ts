// The interpreter: one loop that runs internal code (code.ts) over an explicit value stack and
// an explicit frame stack, so WebAssembly calls never recurse on the JavaScript stack, call depth
// is a configured limit, and execution state is plain data (the dispatch loop may exceed the
// usual file size: it is one of the two allowed exceptions).
//
// Case labels are numeric literals, not `IOp.X`: an imported const enum is a property read
// under per-file transpilers (tsx, vitest), and a switch with non-literal cases compiles to a
// chain of comparisons instead of a jump table. code.ts gives the names.

import { EngineBug, ExhaustionError, Trap } from '../errors.ts';
import type { ModuleInstance } from '../runtime/instance.ts';
import type { FuncInst, WasmFuncInst } from '../runtime/store.ts';
import type { CompiledFunc } from './code.ts';
import { callHost } from './host-call.ts';
import { compiledOf } from './compile-cache.ts';
import { DEFAULT_FUEL_COSTS } from './fuel.ts';
import type { Executor } from './executor.ts';
import {
  f32ConvertI64S, f32ConvertI64U, f64ConvertI64S, f64ConvertI64U, fMax, fMin, fNearest,
  i32TruncF64S, i32TruncF64U, i32TruncSatF64S, i32TruncSatF64U,
  i64TruncF64S, i64TruncF64U, i64TruncSatF64S, i64TruncSatF64U,
} from './_float.ts';
import {
  i64Add, i64Clz, i64Ctz, i64DivS, i64DivU, i64Mul, i64Popcnt, i64RemS, i64RemU, i64Rotl, i64Rotr,
  i64Shl, i64ShrS, i64ShrU, i64Sub, popcnt32,
} from './_i64.ts';

const NO_MEMORY = new DataView(new ArrayBuffer(0));
const BYTES = DEFAULT_FUEL_COSTS.bytesPerUnit;
const ELEMENTS = DEFAULT_FUEL_COSTS.elementsPerUnit;

/**
 * Charges a bulk operation over n bytes or elements (one unit per `per`); false, charging
 * nothing, when the fuel left does not cover it (the operation then suspends before running).
 */
function chargeBulk(ex: Executor, n: number, per: number): boolean {
  const cost = Math.ceil(n / per);
  if (ex.fuel < cost) return false;
  ex.fuel -= cost;
  return true;
}

/** Zeroes a new frame's locals and fills in its constant pool. */
export function enterFrame(S: Int32Array, fp: number, cf: CompiledFunc): void {
  const end = fp + cf.localWords;
  for (let i = fp + cf.paramWords; i < end; i++) S[i] = 0;
  const k = cf.consts;
  for (let i = 0; i < k.length; i++) S[end + i] = k[i]!;
}

function memOf(inst: ModuleInstance): DataView {
  const m = inst.mems[0];
  return m === undefined ? NO_MEMORY : m.dv;
}

/** How `run` stopped: the outermost function returned, or the call is suspended. */
export const RUN_DONE = 0;
export const RUN_OUT_OF_FUEL = 1;
export const RUN_WAITING = 2;

/**
 * Runs from the executor's saved state (`ex.cur`, `ex.pc`, `ex.fp`, `ex.depth`; the frame is
 * already entered) until the outermost function returns (its results are then at word 0) or the
 * call suspends (out of fuel at a block start or a bulk operation, or a host function asked to
 * wait); the state is then saved in `ex`, so a later `run(ex)` continues at the exact instruction.
 * On a trap or exhaustion, records where it happened in `ex` and throws.
 * @throws Trap, ExhaustionError
 */
export function run(ex: Executor): number {
  let fi: WasmFuncInst = ex.cur!;
  let cf: CompiledFunc = compiledOf(fi);
  let code = cf.code;
  let jit = cf.jit;
  let pc = ex.pc;
  let fp = ex.fp;
  let depth = ex.depth;
  let inst = fi.instance;
  let dv = memOf(inst);
  let globals = inst.globals;
  let funcs = inst.funcs;
  let S = ex.S, F32 = ex.F32, F64 = ex.F64;

  try {
    for (;;) {
      if (jit !== undefined) {
        // Compiled code never grows the stack or the memory (it leaves memory.grow and calls
        // to this loop), so the views cached here stay valid.
        pc = jit(ex, inst, fp, pc);
      }
      switch (code[pc]) {
      case 0x45: { // i32.eqz
        const x = S[fp + code[pc + 2]];
        S[fp + code[pc + 1]] = x === 0 ? 1 : 0;
        pc += 3; break;
      }
      case 0x46: { // i32.eq
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x === y ? 1 : 0;
        pc += 4; break;
      }
      case 0x47: { // i32.ne
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x !== y ? 1 : 0;
        pc += 4; break;
      }
      case 0x48: { // i32.lt_s
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x < y ? 1 : 0;
        pc += 4; break;
      }
      case 0x49: { // i32.lt_u
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = (x >>> 0) < (y >>> 0) ? 1 : 0;
        pc += 4; break;
      }
      case 0x4a: { // i32.gt_s
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x > y ? 1 : 0;
        pc += 4; break;
      }
      case 0x4b: { // i32.gt_u
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = (x >>> 0) > (y >>> 0) ? 1 : 0;
        pc += 4; break;
      }
      case 0x4c: { // i32.le_s
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x <= y ? 1 : 0;
        pc += 4; break;
      }
      case 0x4d: { // i32.le_u
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = (x >>> 0) <= (y >>> 0) ? 1 : 0;
        pc += 4; break;
      }
      case 0x4e: { // i32.ge_s
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x >= y ? 1 : 0;
        pc += 4; break;
      }
      case 0x4f: { // i32.ge_u
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = (x >>> 0) >= (y >>> 0) ? 1 : 0;
        pc += 4; break;
      }
      case 0x50: { // i64.eqz
        const a = fp + code[pc + 2];
        S[fp + code[pc + 1]] = (S[a] | S[a + 1]) === 0 ? 1 : 0;
        pc += 3; break;
      }
      case 0x51: { // i64.eq
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        S[fp + code[pc + 1]] = xl === yl && xh === yh ? 1 : 0;
        pc += 4; break;
      }
      case 0x52: { // i64.ne
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        S[fp + code[pc + 1]] = xl !== yl || xh !== yh ? 1 : 0;
        pc += 4; break;
      }
      case 0x53: { // i64.lt_s
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        S[fp + code[pc + 1]] = xh < yh || (xh === yh && (xl >>> 0) < (yl >>> 0)) ? 1 : 0;
        pc += 4; break;
      }
      case 0x54: { // i64.lt_u
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        S[fp + code[pc + 1]] = (xh >>> 0) < (yh >>> 0) || (xh === yh && (xl >>> 0) < (yl >>> 0)) ? 1 : 0;
        pc += 4; break;
      }
      case 0x55: { // i64.gt_s
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        S[fp + code[pc + 1]] = xh > yh || (xh === yh && (xl >>> 0) > (yl >>> 0)) ? 1 : 0;
        pc += 4; break;
      }
      case 0x56: { // i64.gt_u
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        S[fp + code[pc + 1]] = (xh >>> 0) > (yh >>> 0) || (xh === yh && (xl >>> 0) > (yl >>> 0)) ? 1 : 0;
        pc += 4; break;
      }
      case 0x57: { // i64.le_s
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        S[fp + code[pc + 1]] = xh < yh || (xh === yh && (xl >>> 0) <= (yl >>> 0)) ? 1 : 0;
        pc += 4; break;
      }
      case 0x58: { // i64.le_u
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        S[fp + code[pc + 1]] = (xh >>> 0) < (yh >>> 0) || (xh === yh && (xl >>> 0) <= (yl >>> 0)) ? 1 : 0;
        pc += 4; break;
      }
      case 0x59: { // i64.ge_s
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        S[fp + code[pc + 1]] = xh > yh || (xh === yh && (xl >>> 0) >= (yl >>> 0)) ? 1 : 0;
        pc += 4; break;
      }
      case 0x5a: { // i64.ge_u
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        S[fp + code[pc + 1]] = (xh >>> 0) > (yh >>> 0) || (xh === yh && (xl >>> 0) >= (yl >>> 0)) ? 1 : 0;
        pc += 4; break;
      }
      case 0x5b: { // f32.eq
        const x = F32[fp + code[pc + 2]], y = F32[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x === y ? 1 : 0;
        pc += 4; break;
      }
      case 0x5c: { // f32.ne
        const x = F32[fp + code[pc + 2]], y = F32[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x !== y ? 1 : 0;
        pc += 4; break;
      }
      case 0x5d: { // f32.lt
        const x = F32[fp + code[pc + 2]], y = F32[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x < y ? 1 : 0;
        pc += 4; break;
      }
      case 0x5e: { // f32.gt
        const x = F32[fp + code[pc + 2]], y = F32[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x > y ? 1 : 0;
        pc += 4; break;
      }
      case 0x5f: { // f32.le
        const x = F32[fp + code[pc + 2]], y = F32[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x <= y ? 1 : 0;
        pc += 4; break;
      }
      case 0x60: { // f32.ge
        const x = F32[fp + code[pc + 2]], y = F32[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x >= y ? 1 : 0;
        pc += 4; break;
      }
      case 0x61: { // f64.eq
        const x = F64[(fp + code[pc + 2]) >> 1], y = F64[(fp + code[pc + 3]) >> 1];
        S[fp + code[pc + 1]] = x === y ? 1 : 0;
        pc += 4; break;
      }
      case 0x62: { // f64.ne
        const x = F64[(fp + code[pc + 2]) >> 1], y = F64[(fp + code[pc + 3]) >> 1];
        S[fp + code[pc + 1]] = x !== y ? 1 : 0;
        pc += 4; break;
      }
      case 0x63: { // f64.lt
        const x = F64[(fp + code[pc + 2]) >> 1], y = F64[(fp + code[pc + 3]) >> 1];
        S[fp + code[pc + 1]] = x < y ? 1 : 0;
        pc += 4; break;
      }
      case 0x64: { // f64.gt
        const x = F64[(fp + code[pc + 2]) >> 1], y = F64[(fp + code[pc + 3]) >> 1];
        S[fp + code[pc + 1]] = x > y ? 1 : 0;
        pc += 4; break;
      }
      case 0x65: { // f64.le
        const x = F64[(fp + code[pc + 2]) >> 1], y = F64[(fp + code[pc + 3]) >> 1];
        S[fp + code[pc + 1]] = x <= y ? 1 : 0;
        pc += 4; break;
      }
      case 0x66: { // f64.ge
        const x = F64[(fp + code[pc + 2]) >> 1], y = F64[(fp + code[pc + 3]) >> 1];
        S[fp + code[pc + 1]] = x >= y ? 1 : 0;
        pc += 4; break;
      }
      case 0x67: { // i32.clz
        const x = S[fp + code[pc + 2]];
        S[fp + code[pc + 1]] = Math.clz32(x);
        pc += 3; break;
      }
      case 0x68: { // i32.ctz
        const x = S[fp + code[pc + 2]];
        S[fp + code[pc + 1]] = x === 0 ? 32 : 31 - Math.clz32(x & -x);
        pc += 3; break;
      }
      case 0x69: { // i32.popcnt
        const x = S[fp + code[pc + 2]];
        S[fp + code[pc + 1]] = popcnt32(x);
        pc += 3; break;
      }
      case 0x6a: { // i32.add
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = (x + y) | 0;
        pc += 4; break;
      }
      case 0x6b: { // i32.sub
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = (x - y) | 0;
        pc += 4; break;
      }
      case 0x6c: { // i32.mul
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = Math.imul(x, y);
        pc += 4; break;
      }
      case 0x6d: { // i32.div_s
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        if (y === 0) throw new Trap('integer-divide-by-zero');
        if (x === -0x80000000 && y === -1) throw new Trap('integer-overflow');
        S[fp + code[pc + 1]] = (x / y) | 0;
        pc += 4; break;
      }
      case 0x6e: { // i32.div_u
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        if (y === 0) throw new Trap('integer-divide-by-zero');
        S[fp + code[pc + 1]] = ((x >>> 0) / (y >>> 0)) | 0;
        pc += 4; break;
      }
      case 0x6f: { // i32.rem_s
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        if (y === 0) throw new Trap('integer-divide-by-zero');
        S[fp + code[pc + 1]] = (x % y) | 0;
        pc += 4; break;
      }
      case 0x70: { // i32.rem_u
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        if (y === 0) throw new Trap('integer-divide-by-zero');
        S[fp + code[pc + 1]] = ((x >>> 0) % (y >>> 0)) | 0;
        pc += 4; break;
      }
      case 0x71: { // i32.and
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x & y;
        pc += 4; break;
      }
      case 0x72: { // i32.or
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x | y;
        pc += 4; break;
      }
      case 0x73: { // i32.xor
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x ^ y;
        pc += 4; break;
      }
      case 0x74: { // i32.shl
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x << y;
        pc += 4; break;
      }
      case 0x75: { // i32.shr_s
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = x >> y;
        pc += 4; break;
      }
      case 0x76: { // i32.shr_u
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = (x >>> y) | 0;
        pc += 4; break;
      }
      case 0x77: { // i32.rotl
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = (x << y) | (x >>> (32 - (y & 31)));
        pc += 4; break;
      }
      case 0x78: { // i32.rotr
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = (x >>> y) | (x << (32 - (y & 31)));
        pc += 4; break;
      }
      case 0x79: { // i64.clz
        i64Clz(S, fp + code[pc + 1], fp + code[pc + 2]);
        pc += 3; break;
      }
      case 0x7a: { // i64.ctz
        i64Ctz(S, fp + code[pc + 1], fp + code[pc + 2]);
        pc += 3; break;
      }
      case 0x7b: { // i64.popcnt
        i64Popcnt(S, fp + code[pc + 1], fp + code[pc + 2]);
        pc += 3; break;
      }
      case 0x7c: { // i64.add
        i64Add(S, fp + code[pc + 1], fp + code[pc + 2], fp + code[pc + 3]);
        pc += 4; break;
      }
      case 0x7d: { // i64.sub
        i64Sub(S, fp + code[pc + 1], fp + code[pc + 2], fp + code[pc + 3]);
        pc += 4; break;
      }
      case 0x7e: { // i64.mul
        i64Mul(S, fp + code[pc + 1], fp + code[pc + 2], fp + code[pc + 3]);
        pc += 4; break;
      }
      case 0x7f: { // i64.div_s
        i64DivS(S, fp + code[pc + 1], fp + code[pc + 2], fp + code[pc + 3]);
        pc += 4; break;
      }
      case 0x80: { // i64.div_u
        i64DivU(S, fp + code[pc + 1], fp + code[pc + 2], fp + code[pc + 3]);
        pc += 4; break;
      }
      case 0x81: { // i64.rem_s
        i64RemS(S, fp + code[pc + 1], fp + code[pc + 2], fp + code[pc + 3]);
        pc += 4; break;
      }
      case 0x82: { // i64.rem_u
        i64RemU(S, fp + code[pc + 1], fp + code[pc + 2], fp + code[pc + 3]);
        pc += 4; break;
      }
      case 0x83: { // i64.and
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        const d = fp + code[pc + 1];
        S[d] = xl & yl; S[d + 1] = xh & yh;
        pc += 4; break;
      }
      case 0x84: { // i64.or
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        const d = fp + code[pc + 1];
        S[d] = xl | yl; S[d + 1] = xh | yh;
        pc += 4; break;
      }
      case 0x85: { // i64.xor
        const a = fp + code[pc + 2], b = fp + code[pc + 3];
        const xl = S[a], xh = S[a + 1], yl = S[b], yh = S[b + 1];
        const d = fp + code[pc + 1];
        S[d] = xl ^ yl; S[d + 1] = xh ^ yh;
        pc += 4; break;
      }
      case 0x86: { // i64.shl
        i64Shl(S, fp + code[pc + 1], fp + code[pc + 2], fp + code[pc + 3]);
        pc += 4; break;
      }
      case 0x87: { // i64.shr_s
        i64ShrS(S, fp + code[pc + 1], fp + code[pc + 2], fp + code[pc + 3]);
        pc += 4; break;
      }
      case 0x88: { // i64.shr_u
        i64ShrU(S, fp + code[pc + 1], fp + code[pc + 2], fp + code[pc + 3]);
        pc += 4; break;
      }
      case 0x89: { // i64.rotl
        i64Rotl(S, fp + code[pc + 1], fp + code[pc + 2], fp + code[pc + 3]);
        pc += 4; break;
      }
      case 0x8a: { // i64.rotr
        i64Rotr(S, fp + code[pc + 1], fp + code[pc + 2], fp + code[pc + 3]);
        pc += 4; break;
      }
      case 0x8b: { // f32.abs
        S[fp + code[pc + 1]] = S[fp + code[pc + 2]] & 0x7fffffff;
        pc += 3; break;
      }
      case 0x8c: { // f32.neg
        S[fp + code[pc + 1]] = S[fp + code[pc + 2]] ^ -0x80000000;
        pc += 3; break;
      }
      case 0x8d: { // f32.ceil
        const x = F32[fp + code[pc + 2]];
        F32[fp + code[pc + 1]] = Math.ceil(x);
        pc += 3; break;
      }
      case 0x8e: { // f32.floor
        const x = F32[fp + code[pc + 2]];
        F32[fp + code[pc + 1]] = Math.floor(x);
        pc += 3; break;
      }
      case 0x8f: { // f32.trunc
        const x = F32[fp + code[pc + 2]];
        F32[fp + code[pc + 1]] = Math.trunc(x);
        pc += 3; break;
      }
      case 0x90: { // f32.nearest
        const x = F32[fp + code[pc + 2]];
        F32[fp + code[pc + 1]] = fNearest(x);
        pc += 3; break;
      }
      case 0x91: { // f32.sqrt
        const x = F32[fp + code[pc + 2]];
        F32[fp + code[pc + 1]] = Math.sqrt(x);
        pc += 3; break;
      }
      case 0x92: { // f32.add
        const x = F32[fp + code[pc + 2]], y = F32[fp + code[pc + 3]];
        F32[fp + code[pc + 1]] = x + y;
        pc += 4; break;
      }
      case 0x93: { // f32.sub
        const x = F32[fp + code[pc + 2]], y = F32[fp + code[pc + 3]];
        F32[fp + code[pc + 1]] = x - y;
        pc += 4; break;
      }
      case 0x94: { // f32.mul
        const x = F32[fp + code[pc + 2]], y = F32[fp + code[pc + 3]];
        F32[fp + code[pc + 1]] = x * y;
        pc += 4; break;
      }
      case 0x95: { // f32.div
        const x = F32[fp + code[pc + 2]], y = F32[fp + code[pc + 3]];
        F32[fp + code[pc + 1]] = x / y;
        pc += 4; break;
      }
      case 0x96: { // f32.min
        const x = F32[fp + code[pc + 2]], y = F32[fp + code[pc + 3]];
        F32[fp + code[pc + 1]] = fMin(x, y);
        pc += 4; break;
      }
      case 0x97: { // f32.max
        const x = F32[fp + code[pc + 2]], y = F32[fp + code[pc + 3]];
        F32[fp + code[pc + 1]] = fMax(x, y);
        pc += 4; break;
      }
      case 0x98: { // f32.copysign
        const x = S[fp + code[pc + 2]], y = S[fp + code[pc + 3]];
        S[fp + code[pc + 1]] = (x & 0x7fffffff) | (y & -0x80000000);
        pc += 4; break;
      }
      case 0x99: { // f64.abs
        const a = fp + code[pc + 2], d = fp + code[pc + 1];
        const lo = S[a], hi = S[a + 1];
        S[d] = lo; S[d + 1] = hi & 0x7fffffff;
        pc += 3; break;
      }
      case 0x9a: { // f64.neg
        const a = fp + code[pc + 2], d = fp + code[pc + 1];
        const lo = S[a], hi = S[a + 1];
        S[d] = lo; S[d + 1] = hi ^ -0x80000000;
        pc += 3; break;
      }
      case 0x9b: { // f64.ceil
        const x = F64[(fp + code[pc + 2]) >> 1];
        F64[(fp + code[pc + 1]) >> 1] = x === x ? Math.ceil(x) : NaN; // V8 passes a signalling NaN through
        pc += 3; break;
      }
      case 0x9c: { // f64.floor
        const x = F64[(fp + code[pc + 2]) >> 1];
        F64[(fp + code[pc + 1]) >> 1] = x === x ? Math.floor(x) : NaN; // V8 passes a signalling NaN through
        pc += 3; break;
      }
      case 0x9d: { // f64.trunc
        const x = F64[(fp + code[pc + 2]) >> 1];
        F64[(fp + code[pc + 1]) >> 1] = x === x ? Math.trunc(x) : NaN; // V8 passes a signalling NaN through
        pc += 3; break;
      }
      case 0x9e: { // f64.nearest
        const x = F64[(fp + code[pc + 2]) >> 1];
        F64[(fp + code[pc + 1]) >> 1] = fNearest(x);
        pc += 3; break;
      }
      case 0x9f: { // f64.sqrt
        const x = F64[(fp + code[pc + 2]) >> 1];
        F64[(fp + code[pc + 1]) >> 1] = Math.sqrt(x);
        pc += 3; break;
      }
      case 0xa0: { // f64.add
        const x = F64[(fp + code[pc + 2]) >> 1], y = F64[(fp + code[pc + 3]) >> 1];
        F64[(fp + code[pc + 1]) >> 1] = x + y;
        pc += 4; break;
      }
      case 0xa1: { // f64.sub
        const x = F64[(fp + code[pc + 2]) >> 1], y = F64[(fp + code[pc + 3]) >> 1];
        F64[(fp + code[pc + 1]) >> 1] = x - y;
        pc += 4; break;
      }
      case 0xa2: { // f64.mul
        const x = F64[(fp + code[pc + 2]) >> 1], y = F64[(fp + code[pc + 3]) >> 1];
        F64[(fp + code[pc + 1]) >> 1] = x * y;
        pc += 4; break;
      }
      case 0xa3: { // f64.div
        const x = F64[(fp + code[pc + 2]) >> 1], y = F64[(fp + code[pc + 3]) >> 1];
        F64[(fp + code[pc + 1]) >> 1] = x / y;
        pc += 4; break;
      }
      case 0xa4: { // f64.min
        const x = F64[(fp + code[pc + 2]) >> 1], y = F64[(fp + code[pc + 3]) >> 1];
        F64[(fp + code[pc + 1]) >> 1] = fMin(x, y);
        pc += 4; break;
      }
      case 0xa5: { // f64.max
        const x = F64[(fp + code[pc + 2]) >> 1], y = F64[(fp + code[pc + 3]) >> 1];
        F64[(fp + code[pc + 1]) >> 1] = fMax(x, y);
        pc += 4; break;
      }
      case 0xa6: { // f64.copysign
        const a = fp + code[pc + 2], b = fp + code[pc + 3], d = fp + code[pc + 1];
        const lo = S[a], hi = S[a + 1], sign = S[b + 1];
        S[d] = lo; S[d + 1] = (hi & 0x7fffffff) | (sign & -0x80000000);
        pc += 4; break;
      }
      case 0xa7: { // i32.wrap_i64
        S[fp + code[pc + 1]] = S[fp + code[pc + 2]];
        pc += 3; break;
      }
      case 0xa8: { // i32.trunc_f32_s
        S[fp + code[pc + 1]] = i32TruncF64S(F32[fp + code[pc + 2]]);
        pc += 3; break;
      }
      case 0xa9: { // i32.trunc_f32_u
        S[fp + code[pc + 1]] = i32TruncF64U(F32[fp + code[pc + 2]]);
        pc += 3; break;
      }
      case 0xaa: { // i32.trunc_f64_s
        S[fp + code[pc + 1]] = i32TruncF64S(F64[(fp + code[pc + 2]) >> 1]);
        pc += 3; break;
      }
      case 0xab: { // i32.trunc_f64_u
        S[fp + code[pc + 1]] = i32TruncF64U(F64[(fp + code[pc + 2]) >> 1]);
        pc += 3; break;
      }
      case 0xac: { // i64.extend_i32_s
        const x = S[fp + code[pc + 2]], d = fp + code[pc + 1];
        S[d] = x; S[d + 1] = x >> 31;
        pc += 3; break;
      }
      case 0xad: { // i64.extend_i32_u
        const x = S[fp + code[pc + 2]], d = fp + code[pc + 1];
        S[d] = x; S[d + 1] = 0;
        pc += 3; break;
      }
      case 0xae: { // i64.trunc_f32_s
        i64TruncF64S(S, fp + code[pc + 1], F32[fp + code[pc + 2]]);
        pc += 3; break;
      }
      case 0xaf: { // i64.trunc_f32_u
        i64TruncF64U(S, fp + code[pc + 1], F32[fp + code[pc + 2]]);
        pc += 3; break;
      }
      case 0xb0: { // i64.trunc_f64_s
        i64TruncF64S(S, fp + code[pc + 1], F64[(fp + code[pc + 2]) >> 1]);
        pc += 3; break;
      }
      case 0xb1: { // i64.trunc_f64_u
        i64TruncF64U(S, fp + code[pc + 1], F64[(fp + code[pc + 2]) >> 1]);
        pc += 3; break;
      }
      case 0xb2: { // f32.convert_i32_s
        F32[fp + code[pc + 1]] = S[fp + code[pc + 2]];
        pc += 3; break;
      }
      case 0xb3: { // f32.convert_i32_u
        F32[fp + code[pc + 1]] = S[fp + code[pc + 2]] >>> 0;
        pc += 3; break;
      }
      case 0xb4: { // f32.convert_i64_s
        const a = fp + code[pc + 2];
        F32[fp + code[pc + 1]] = f32ConvertI64S(S[a], S[a + 1]);
        pc += 3; break;
      }
      case 0xb5: { // f32.convert_i64_u
        const a = fp + code[pc + 2];
        F32[fp + code[pc + 1]] = f32ConvertI64U(S[a], S[a + 1]);
        pc += 3; break;
      }
      case 0xb6: { // f32.demote_f64
        F32[fp + code[pc + 1]] = F64[(fp + code[pc + 2]) >> 1];
        pc += 3; break;
      }
      case 0xb7: { // f64.convert_i32_s
        F64[(fp + code[pc + 1]) >> 1] = S[fp + code[pc + 2]];
        pc += 3; break;
      }
      case 0xb8: { // f64.convert_i32_u
        F64[(fp + code[pc + 1]) >> 1] = S[fp + code[pc + 2]] >>> 0;
        pc += 3; break;
      }
      case 0xb9: { // f64.convert_i64_s
        const a = fp + code[pc + 2];
        F64[(fp + code[pc + 1]) >> 1] = f64ConvertI64S(S[a], S[a + 1]);
        pc += 3; break;
      }
      case 0xba: { // f64.convert_i64_u
        const a = fp + code[pc + 2];
        F64[(fp + code[pc + 1]) >> 1] = f64ConvertI64U(S[a], S[a + 1]);
        pc += 3; break;
      }
      case 0xbb: { // f64.promote_f32
        F64[(fp + code[pc + 1]) >> 1] = F32[fp + code[pc + 2]];
        pc += 3; break;
      }
      case 0xbc: { // i32.reinterpret_f32
        S[fp + code[pc + 1]] = S[fp + code[pc + 2]];
        pc += 3; break;
      }
      case 0xbd: { // i64.reinterpret_f64
        const a = fp + code[pc + 2], d = fp + code[pc + 1];
        const lo = S[a], hi = S[a + 1];
        S[d] = lo; S[d + 1] = hi;
        pc += 3; break;
      }
      case 0xbe: { // f32.reinterpret_i32
        S[fp + code[pc + 1]] = S[fp + code[pc + 2]];
        pc += 3; break;
      }
      case 0xbf: { // f64.reinterpret_i64
        const a = fp + code[pc + 2], d = fp + code[pc + 1];
        const lo = S[a], hi = S[a + 1];
        S[d] = lo; S[d + 1] = hi;
        pc += 3; break;
      }
      case 0xc0: { // i32.extend8_s
        const x = S[fp + code[pc + 2]];
        S[fp + code[pc + 1]] = (x << 24) >> 24;
        pc += 3; break;
      }
      case 0xc1: { // i32.extend16_s
        const x = S[fp + code[pc + 2]];
        S[fp + code[pc + 1]] = (x << 16) >> 16;
        pc += 3; break;
      }
      case 0xc2: { // i64.extend8_s
        const x = (S[fp + code[pc + 2]] << 24) >> 24, d = fp + code[pc + 1];
        S[d] = x; S[d + 1] = x >> 31;
        pc += 3; break;
      }
      case 0xc3: { // i64.extend16_s
        const x = (S[fp + code[pc + 2]] << 16) >> 16, d = fp + code[pc + 1];
        S[d] = x; S[d + 1] = x >> 31;
        pc += 3; break;
      }
      case 0xc4: { // i64.extend32_s
        const x = S[fp + code[pc + 2]], d = fp + code[pc + 1];
        S[d] = x; S[d + 1] = x >> 31;
        pc += 3; break;
      }
      case 0xe0: { // i32.trunc_sat_f32_s
        S[fp + code[pc + 1]] = i32TruncSatF64S(F32[fp + code[pc + 2]]);
        pc += 3; break;
      }
      case 0xe1: { // i32.trunc_sat_f32_u
        S[fp + code[pc + 1]] = i32TruncSatF64U(F32[fp + code[pc + 2]]);
        pc += 3; break;
      }
      case 0xe2: { // i32.trunc_sat_f64_s
        S[fp + code[pc + 1]] = i32TruncSatF64S(F64[(fp + code[pc + 2]) >> 1]);
        pc += 3; break;
      }
      case 0xe3: { // i32.trunc_sat_f64_u
        S[fp + code[pc + 1]] = i32TruncSatF64U(F64[(fp + code[pc + 2]) >> 1]);
        pc += 3; break;
      }
      case 0xe4: { // i64.trunc_sat_f32_s
        i64TruncSatF64S(S, fp + code[pc + 1], F32[fp + code[pc + 2]]);
        pc += 3; break;
      }
      case 0xe5: { // i64.trunc_sat_f32_u
        i64TruncSatF64U(S, fp + code[pc + 1], F32[fp + code[pc + 2]]);
        pc += 3; break;
      }
      case 0xe6: { // i64.trunc_sat_f64_s
        i64TruncSatF64S(S, fp + code[pc + 1], F64[(fp + code[pc + 2]) >> 1]);
        pc += 3; break;
      }
      case 0xe7: { // i64.trunc_sat_f64_u
        i64TruncSatF64U(S, fp + code[pc + 1], F64[(fp + code[pc + 2]) >> 1]);
        pc += 3; break;
      }
      case 0x28: { // i32.load
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        S[fp + code[pc + 1]] = dv.getInt32(ea, true);
        pc += 4; break;
      }
      case 0x29: { // i64.load
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        const lo = dv.getInt32(ea, true), hi = dv.getInt32(ea + 4, true), d = fp + code[pc + 1];
        S[d] = lo; S[d + 1] = hi;
        pc += 4; break;
      }
      case 0x2a: { // f32.load
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        S[fp + code[pc + 1]] = dv.getInt32(ea, true);
        pc += 4; break;
      }
      case 0x2b: { // f64.load
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        F64[(fp + code[pc + 1]) >> 1] = dv.getFloat64(ea, true);
        pc += 4; break;
      }
      case 0x2c: { // i32.load8_s
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        S[fp + code[pc + 1]] = dv.getInt8(ea);
        pc += 4; break;
      }
      case 0x2d: { // i32.load8_u
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        S[fp + code[pc + 1]] = dv.getUint8(ea);
        pc += 4; break;
      }
      case 0x2e: { // i32.load16_s
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        S[fp + code[pc + 1]] = dv.getInt16(ea, true);
        pc += 4; break;
      }
      case 0x2f: { // i32.load16_u
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        S[fp + code[pc + 1]] = dv.getUint16(ea, true);
        pc += 4; break;
      }
      case 0x30: { // i64.load8_s
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        const x = dv.getInt8(ea), d = fp + code[pc + 1];
        S[d] = x; S[d + 1] = x >> 31;
        pc += 4; break;
      }
      case 0x31: { // i64.load8_u
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        const x = dv.getUint8(ea), d = fp + code[pc + 1];
        S[d] = x; S[d + 1] = 0;
        pc += 4; break;
      }
      case 0x32: { // i64.load16_s
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        const x = dv.getInt16(ea, true), d = fp + code[pc + 1];
        S[d] = x; S[d + 1] = x >> 31;
        pc += 4; break;
      }
      case 0x33: { // i64.load16_u
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        const x = dv.getUint16(ea, true), d = fp + code[pc + 1];
        S[d] = x; S[d + 1] = 0;
        pc += 4; break;
      }
      case 0x34: { // i64.load32_s
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        const x = dv.getInt32(ea, true), d = fp + code[pc + 1];
        S[d] = x; S[d + 1] = x >> 31;
        pc += 4; break;
      }
      case 0x35: { // i64.load32_u
        const ea = (S[fp + code[pc + 2]] >>> 0) + (code[pc + 3] >>> 0);
        const x = dv.getInt32(ea, true), d = fp + code[pc + 1];
        S[d] = x; S[d + 1] = 0;
        pc += 4; break;
      }
      case 0x36: { // i32.store
        const ea = (S[fp + code[pc + 1]] >>> 0) + (code[pc + 3] >>> 0), v = fp + code[pc + 2];
        dv.setInt32(ea, S[v], true);
        pc += 4; break;
      }
      case 0x37: { // i64.store
        const ea = (S[fp + code[pc + 1]] >>> 0) + (code[pc + 3] >>> 0), v = fp + code[pc + 2];
        dv.setInt32(ea + 4, S[v + 1], true); // the high half first: a trap writes nothing
        dv.setInt32(ea, S[v], true);
        pc += 4; break;
      }
      case 0x38: { // f32.store
        const ea = (S[fp + code[pc + 1]] >>> 0) + (code[pc + 3] >>> 0), v = fp + code[pc + 2];
        dv.setInt32(ea, S[v], true);
        pc += 4; break;
      }
      case 0x39: { // f64.store
        const ea = (S[fp + code[pc + 1]] >>> 0) + (code[pc + 3] >>> 0);
        dv.setFloat64(ea, F64[(fp + code[pc + 2]) >> 1], true);
        pc += 4; break;
      }
      case 0x3a: { // i32.store8
        const ea = (S[fp + code[pc + 1]] >>> 0) + (code[pc + 3] >>> 0), v = fp + code[pc + 2];
        dv.setInt8(ea, S[v]);
        pc += 4; break;
      }
      case 0x3b: { // i32.store16
        const ea = (S[fp + code[pc + 1]] >>> 0) + (code[pc + 3] >>> 0), v = fp + code[pc + 2];
        dv.setInt16(ea, S[v], true);
        pc += 4; break;
      }
      case 0x3c: { // i64.store8
        const ea = (S[fp + code[pc + 1]] >>> 0) + (code[pc + 3] >>> 0), v = fp + code[pc + 2];
        dv.setInt8(ea, S[v]);
        pc += 4; break;
      }
      case 0x3d: { // i64.store16
        const ea = (S[fp + code[pc + 1]] >>> 0) + (code[pc + 3] >>> 0), v = fp + code[pc + 2];
        dv.setInt16(ea, S[v], true);
        pc += 4; break;
      }
      case 0x3e: { // i64.store32
        const ea = (S[fp + code[pc + 1]] >>> 0) + (code[pc + 3] >>> 0), v = fp + code[pc + 2];
        dv.setInt32(ea, S[v], true);
        pc += 4; break;
      }
      case 0x00 /* Unreachable */:
        throw new Trap('unreachable');
      case 0x01 /* Copy */:
        // One 64-bit move: two 32-bit halves would stall a later 64-bit read (store forwarding).
        // Float64Array moves keep every bit pattern, NaNs included (no arithmetic happens).
        F64[(fp + code[pc + 1]) >> 1] = F64[(fp + code[pc + 2]) >> 1];
        pc += 3; break;
      case 0x1d /* Copy32 */:
        S[fp + code[pc + 1]] = S[fp + code[pc + 2]];
        pc += 3; break;
      case 0x02 /* Const32 */:
        S[fp + code[pc + 1]] = code[pc + 2];
        pc += 3; break;
      case 0x03 /* Const64 */: {
        const d = fp + code[pc + 1];
        S[d] = code[pc + 2]; S[d + 1] = code[pc + 3];
        pc += 4; break;
      }
      case 0x04 /* Br */:
        pc = code[pc + 1];
        break;
      case 0x05 /* BrIf */:
        if (S[fp + code[pc + 1]] !== 0) pc = code[pc + 2];
        else pc += 3;
        break;
      case 0x06 /* BrUnless */:
        if (S[fp + code[pc + 1]] === 0) pc = code[pc + 2];
        else pc += 3;
        break;
      case 0xc8 /* BrI32Eq */: {
        const x = S[fp + code[pc + 1]], y = S[fp + code[pc + 2]];
        pc = x === y ? code[pc + 3] : pc + 4;
        break;
      }
      case 0xc9 /* BrI32Ne */: {
        const x = S[fp + code[pc + 1]], y = S[fp + code[pc + 2]];
        pc = x !== y ? code[pc + 3] : pc + 4;
        break;
      }
      case 0xca /* BrI32LtS */: {
        const x = S[fp + code[pc + 1]], y = S[fp + code[pc + 2]];
        pc = x < y ? code[pc + 3] : pc + 4;
        break;
      }
      case 0xcb /* BrI32LtU */: {
        const x = S[fp + code[pc + 1]], y = S[fp + code[pc + 2]];
        pc = (x >>> 0) < (y >>> 0) ? code[pc + 3] : pc + 4;
        break;
      }
      case 0xcc /* BrI32GtS */: {
        const x = S[fp + code[pc + 1]], y = S[fp + code[pc + 2]];
        pc = x > y ? code[pc + 3] : pc + 4;
        break;
      }
      case 0xcd /* BrI32GtU */: {
        const x = S[fp + code[pc + 1]], y = S[fp + code[pc + 2]];
        pc = (x >>> 0) > (y >>> 0) ? code[pc + 3] : pc + 4;
        break;
      }
      case 0xce /* BrI32LeS */: {
        const x = S[fp + code[pc + 1]], y = S[fp + code[pc + 2]];
        pc = x <= y ? code[pc + 3] : pc + 4;
        break;
      }
      case 0xcf /* BrI32LeU */: {
        const x = S[fp + code[pc + 1]], y = S[fp + code[pc + 2]];
        pc = (x >>> 0) <= (y >>> 0) ? code[pc + 3] : pc + 4;
        break;
      }
      case 0xd0 /* BrI32GeS */: {
        const x = S[fp + code[pc + 1]], y = S[fp + code[pc + 2]];
        pc = x >= y ? code[pc + 3] : pc + 4;
        break;
      }
      case 0xd1 /* BrI32GeU */: {
        const x = S[fp + code[pc + 1]], y = S[fp + code[pc + 2]];
        pc = (x >>> 0) >= (y >>> 0) ? code[pc + 3] : pc + 4;
        break;
      }
      case 0x07 /* BrTable */: {
        const i = S[fp + code[pc + 1]] >>> 0, n = code[pc + 2];
        pc = code[pc + 3 + (i < n ? i : n)];
        break;
      }
      case 0x08 /* Return */: {
        if (depth === 0) {
          ex.depth = 0;
          ex.cur = undefined;
          return RUN_DONE;
        }
        depth--;
        const caller = ex.fFunc[depth]!;
        pc = ex.fPc[depth]!;
        fp = ex.fFp[depth]!;
        ex.fFunc[depth] = undefined;
        fi = caller;
        cf = caller.code as CompiledFunc;
        code = cf.code;
        jit = cf.jit;
        if (caller.instance !== inst) {
          inst = caller.instance; globals = inst.globals; funcs = inst.funcs;
        }
        dv = memOf(inst); // a callee may have grown a shared memory
        break;
      }
      case 0x1e /* Fuel */: {
        const k = code[pc + 1];
        if (ex.fuel < k) {
          ex.save(fi, pc, fp, depth);
          return RUN_OUT_OF_FUEL;
        }
        ex.fuel -= k;
        pc += 2; break;
      }
      case 0x09 /* Call */:
      case 0x0a /* CallIndirect */: {
        let callee: FuncInst;
        let nfp: number;
        let next: number;
        if (code[pc] === 0x09 /* Call */) {
          callee = funcs[code[pc + 1]]!;
          nfp = fp + code[pc + 2];
          next = pc + 3;
        } else {
          const table = inst.tables[code[pc + 2]]!;
          const i = S[fp + code[pc + 3]] >>> 0;
          if (i >= table.size) throw new Trap('undefined-element');
          const ref = table.elements[i]!;
          if (ref === 0) throw new Trap('uninitialized-element');
          callee = inst.store.funcs[ref - 1]!;
          if (callee.typeId !== inst.typeIds[code[pc + 1]]) throw new Trap('indirect-call-type-mismatch');
          nfp = fp + code[pc + 4];
          next = pc + 5;
        }
        if (callee.kind === 'host') {
          ex.save(fi, next, fp, depth);
          if (callHost(ex, callee, nfp)) return RUN_WAITING;
          S = ex.S; F32 = ex.F32; F64 = ex.F64;
          dv = memOf(inst);
          pc = next;
          break;
        }
        if (depth >= ex.maxDepth) {
          throw new ExhaustionError('call-depth', `Call stack exhausted: more than ${ex.maxDepth} nested calls`);
        }
        ex.fFunc[depth] = fi;
        ex.fPc[depth] = next;
        ex.fFp[depth] = fp;
        depth++;
        fi = callee;
        cf = compiledOf(callee);
        code = cf.code;
        jit = cf.jit;
        fp = nfp;
        pc = 0;
        if (fp + cf.frameWords > S.length) {
          ex.ensure(fp + cf.frameWords);
          S = ex.S; F32 = ex.F32; F64 = ex.F64;
        }
        enterFrame(S, fp, cf);
        if (callee.instance !== inst) {
          inst = callee.instance; globals = inst.globals; funcs = inst.funcs;
          dv = memOf(inst);
        }
        break;
      }
      case 0x0b /* Select */: {
        const d = fp + code[pc + 1];
        const src = S[fp + code[pc + 4]] !== 0 ? fp + code[pc + 2] : fp + code[pc + 3];
        F64[d >> 1] = F64[src >> 1];
        pc += 5; break;
      }
      case 0x0c /* GlobalGet */: {
        const g = globals[code[pc + 2]]!.v, d = fp + code[pc + 1];
        S[d] = g[0]!; S[d + 1] = g[1]!;
        pc += 3; break;
      }
      case 0x0d /* GlobalSet */: {
        const g = globals[code[pc + 1]]!.v, a = fp + code[pc + 2];
        g[0] = S[a]!; g[1] = S[a + 1]!;
        pc += 3; break;
      }
      case 0x0e /* TableGet */: {
        const t = inst.tables[code[pc + 2]]!, i = S[fp + code[pc + 3]] >>> 0;
        if (i >= t.size) throw new Trap('table-out-of-bounds');
        S[fp + code[pc + 1]] = t.elements[i]!;
        pc += 4; break;
      }
      case 0x0f /* TableSet */: {
        const t = inst.tables[code[pc + 1]]!, i = S[fp + code[pc + 2]] >>> 0;
        if (i >= t.size) throw new Trap('table-out-of-bounds');
        t.elements[i] = S[fp + code[pc + 3]]!;
        pc += 4; break;
      }
      case 0x10 /* MemorySize */:
        S[fp + code[pc + 1]] = inst.mems[0]!.pages;
        pc += 2; break;
      case 0x11 /* MemoryGrow */: {
        const r = inst.mems[0]!.grow(S[fp + code[pc + 2]]!);
        dv = memOf(inst);
        S[fp + code[pc + 1]] = r;
        pc += 3; break;
      }
      case 0x12 /* RefFunc */:
        S[fp + code[pc + 1]] = funcs[code[pc + 2]]!.addr + 1;
        pc += 3; break;
      case 0x13 /* MemoryInit */: {
        const seg = inst.datas[code[pc + 1]]!;
        const dst = S[fp + code[pc + 2]]! >>> 0, src = S[fp + code[pc + 3]]! >>> 0, n = S[fp + code[pc + 4]]! >>> 0;
        if (!chargeBulk(ex, n, BYTES)) { ex.save(fi, pc, fp, depth); return RUN_OUT_OF_FUEL; }
        if (!inst.mems[0]!.init(dst, seg, src, n)) throw new Trap('memory-out-of-bounds');
        pc += 5; break;
      }
      case 0x14 /* DataDrop */:
        inst.datas[code[pc + 1]] = EMPTY_BYTES;
        pc += 2; break;
      case 0x15 /* MemoryCopy */: {
        const dst = S[fp + code[pc + 1]]! >>> 0, src = S[fp + code[pc + 2]]! >>> 0, n = S[fp + code[pc + 3]]! >>> 0;
        if (!chargeBulk(ex, n, BYTES)) { ex.save(fi, pc, fp, depth); return RUN_OUT_OF_FUEL; }
        if (!inst.mems[0]!.copy(dst, src, n)) throw new Trap('memory-out-of-bounds');
        pc += 4; break;
      }
      case 0x16 /* MemoryFill */: {
        const dst = S[fp + code[pc + 1]]! >>> 0, v = S[fp + code[pc + 2]]!, n = S[fp + code[pc + 3]]! >>> 0;
        if (!chargeBulk(ex, n, BYTES)) { ex.save(fi, pc, fp, depth); return RUN_OUT_OF_FUEL; }
        if (!inst.mems[0]!.fill(dst, v, n)) throw new Trap('memory-out-of-bounds');
        pc += 4; break;
      }
      case 0x17 /* TableInit */: {
        const t = inst.tables[code[pc + 1]]!, seg = inst.elems[code[pc + 2]]!;
        const dst = S[fp + code[pc + 3]]! >>> 0, src = S[fp + code[pc + 4]]! >>> 0, n = S[fp + code[pc + 5]]! >>> 0;
        if (!chargeBulk(ex, n, ELEMENTS)) { ex.save(fi, pc, fp, depth); return RUN_OUT_OF_FUEL; }
        if (!t.init(dst, seg, src, n)) throw new Trap('table-out-of-bounds');
        pc += 6; break;
      }
      case 0x18 /* ElemDrop */:
        inst.elems[code[pc + 1]] = EMPTY_REFS;
        pc += 2; break;
      case 0x19 /* TableCopy */: {
        const t = inst.tables[code[pc + 1]]!, s = inst.tables[code[pc + 2]]!;
        const dst = S[fp + code[pc + 3]]! >>> 0, src = S[fp + code[pc + 4]]! >>> 0, n = S[fp + code[pc + 5]]! >>> 0;
        if (!chargeBulk(ex, n, ELEMENTS)) { ex.save(fi, pc, fp, depth); return RUN_OUT_OF_FUEL; }
        if (!t.copy(dst, s, src, n)) throw new Trap('table-out-of-bounds');
        pc += 6; break;
      }
      case 0x1a /* TableGrow */: {
        const t = inst.tables[code[pc + 2]]!, n = S[fp + code[pc + 4]]! >>> 0;
        if (!chargeBulk(ex, n, ELEMENTS)) { ex.save(fi, pc, fp, depth); return RUN_OUT_OF_FUEL; }
        S[fp + code[pc + 1]] = t.grow(n, S[fp + code[pc + 3]]!);
        pc += 5; break;
      }
      case 0x1b /* TableSize */:
        S[fp + code[pc + 1]] = inst.tables[code[pc + 2]]!.size;
        pc += 3; break;
      case 0x1c /* TableFill */: {
        const t = inst.tables[code[pc + 1]]!;
        const i = S[fp + code[pc + 2]]! >>> 0, v = S[fp + code[pc + 3]]!, n = S[fp + code[pc + 4]]! >>> 0;
        if (!chargeBulk(ex, n, ELEMENTS)) { ex.save(fi, pc, fp, depth); return RUN_OUT_OF_FUEL; }
        if (!t.fill(i, v, n)) throw new Trap('table-out-of-bounds');
        pc += 5; break;
      }
      default:
        throw new EngineBug(`unknown internal opcode ${code[pc]} at ${pc}`);
      }
    }
  } catch (e) {
    ex.depth = depth;
    ex.trapFunc = fi;
    ex.trapPc = pc;
    ex.cur = undefined;
    if (e instanceof RangeError && /DataView/.test(e.message)) throw new Trap('memory-out-of-bounds');
    throw e;
  }
}

const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_REFS = new Int32Array(0);
