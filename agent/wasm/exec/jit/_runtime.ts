// The functions that generated fast-tier code may call, passed to it as one object (the code is
// built by `new Function` and sees no module scope): the interpreter's own i64 and float helpers,
// so both tiers compute identical bits, plus the few value-based helpers only the fast tier needs.

import { EngineBug } from '../../errors.ts';
import {
  f32ConvertI64S, f32ConvertI64U, f64ConvertI64S, f64ConvertI64U, fMax, fMin, fNearest,
  i32TruncSatF64S, i32TruncSatF64U, i64TruncF64S, i64TruncF64U, i64TruncSatF64S, i64TruncSatF64U,
} from '../_float.ts';
import {
  i64DivS, i64DivU, i64RemS, i64RemU, i64Rotl, i64Rotr, i64Shl, i64ShrS, i64ShrU, popcnt32,
} from '../_i64.ts';

/**
 * High 32 bits (as int32) of the unsigned 64-bit product of two 32-bit words: the product is
 * summed from 16-bit partial products, each below 2^32, so every step is exact in a double.
 */
export function mulHi32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const low = a0 * b0; // < 2^32
  const mid1 = a1 * b0; // < 2^32
  const mid2 = a0 * b1; // < 2^32
  // Bits 16 and up of the low 32 bits plus the two middle products: below 3 * 2^32, exact.
  const carry = Math.floor(((low >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) / 65536);
  return (a1 * b1 + Math.floor(mid1 / 65536) + Math.floor(mid2 / 65536) + carry) | 0;
}

// Moves between a double and its words go through one scratch buffer: typed array moves keep
// every bit pattern, NaNs included (the interpreter moves f64 values the same way).
const f64Scratch = new Float64Array(1);
const f32Scratch = new Float32Array(f64Scratch.buffer, 0, 1);
const i32Scratch = new Int32Array(f64Scratch.buffer);

/** The low word of the f64 x's bits. */
export function f64Lo(x: number): number {
  f64Scratch[0] = x;
  return i32Scratch[0]!;
}

/** The high word of the f64 x's bits. */
export function f64Hi(x: number): number {
  f64Scratch[0] = x;
  return i32Scratch[1]!;
}

/** The f64 whose bits are the words (lo, hi). */
export function bitsToF64(lo: number, hi: number): number {
  i32Scratch[0] = lo;
  i32Scratch[1] = hi;
  return f64Scratch[0]!;
}

/** The f32 whose bits are the word w, as a number (read through a Float32Array, as the interpreter reads it). */
export function bitsToF32(w: number): number {
  i32Scratch[0] = w;
  return f32Scratch[0]!;
}

/** Thrown by generated code where control can only arrive through an engine bug. */
function bug(pc: number): never {
  throw new EngineBug(`fast-tier code ran off its blocks at code index ${pc}`);
}

/** Everything generated code can call, by the names it uses. */
export const RUNTIME = {
  f32ConvertI64S, f32ConvertI64U, f64ConvertI64S, f64ConvertI64U, fMax, fMin, fNearest,
  i32TruncSatF64S, i32TruncSatF64U, i64TruncF64S, i64TruncF64U, i64TruncSatF64S, i64TruncSatF64U,
  i64DivS, i64DivU, i64RemS, i64RemU, i64Rotl, i64Rotr, i64Shl, i64ShrS, i64ShrU, popcnt32,
  mulHi32, f64Lo, f64Hi, bitsToF64, bitsToF32, bug,
} as const;

/** Names of RUNTIME's members, for the generated code's prologue. */
export const RUNTIME_NAMES: readonly string[] = Object.keys(RUNTIME);
