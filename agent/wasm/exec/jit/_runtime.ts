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

/** Thrown by generated code where control can only arrive through an engine bug. */
function bug(pc: number): never {
  throw new EngineBug(`fast-tier code ran off its blocks at code index ${pc}`);
}

/** Everything generated code can call, by the names it uses. */
export const RUNTIME = {
  f32ConvertI64S, f32ConvertI64U, f64ConvertI64S, f64ConvertI64U, fMax, fMin, fNearest,
  i32TruncSatF64S, i32TruncSatF64U, i64TruncF64S, i64TruncF64U, i64TruncSatF64S, i64TruncSatF64U,
  i64DivS, i64DivU, i64RemS, i64RemU, i64Rotl, i64Rotr, i64Shl, i64ShrS, i64ShrU, popcnt32,
  mulHi32, bug,
} as const;

/** Names of RUNTIME's members, for the generated code's prologue. */
export const RUNTIME_NAMES: readonly string[] = Object.keys(RUNTIME);
