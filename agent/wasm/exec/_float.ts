// Allocation-free float conversions and the float operators JavaScript lacks, for fleetlet's
// interpreter: i64 to float with correct rounding, float to integer with traps or saturation,
// round-half-to-even, and Wasm's min/max.
//
// Floats arrive as JS numbers; an f32 was read from a Float32Array, so it is an exact double. What
// needs no helper: f32 add, sub, mul, div and sqrt are `Math.fround` of the double operation (a double
// holds more than twice the bits of an f32, so rounding twice gives the correctly rounded f32);
// f64 sqrt is `Math.sqrt`; ceil, floor and trunc are the `Math` ones for both widths; promotion is
// exact and demotion is `Math.fround`. Moves, abs, neg and copysign are bit operations on the stack
// words in the interpreter, never number operations, so NaN payloads survive them.
//
// NaN results here are always JavaScript's canonical NaN, an arithmetic NaN as the spec requires.

import { Trap } from '../errors.ts';

const TWO32 = 4294967296;
const TWO52 = 4503599627370496;
const TWO63 = 9223372036854775808;
const TWO64 = 18446744073709551616;

/** The i64 (lo, hi), read as signed, rounded to the nearest f64 (ties to even). */
export function f64ConvertI64S(lo: number, hi: number): number {
  // hi * 2^32 is exact; the one addition rounds once, correctly.
  return hi * TWO32 + (lo >>> 0);
}

/** The i64 (lo, hi), read as unsigned, rounded to the nearest f64 (ties to even). */
export function f64ConvertI64U(lo: number, hi: number): number {
  return (hi >>> 0) * TWO32 + (lo >>> 0);
}

/**
 * The low word of an i64 whose magnitude is at least 2^53, with bits 0 to 28 folded into one sticky bit.
 * From 2^53 up the f32 rounding point lies at bit 29 or above, so the value keeps its f32 rounding, and it
 * now spans at most 36 bits: converting it to a double is exact, and `Math.fround` then rounds only once.
 */
function stickyLow(lo: number): number {
  return ((lo & 0xe0000000) | ((lo & 0x1fffffff) !== 0 ? 0x10000000 : 0)) >>> 0;
}

/** The i64 (lo, hi), read as signed, rounded to the nearest f32 (ties to even), as a number. */
export function f32ConvertI64S(lo: number, hi: number): number {
  if (((hi + 0x200000) >>> 22) === 0) return Math.fround(hi * TWO32 + (lo >>> 0)); // in [-2^53, 2^53): exact
  return Math.fround(hi * TWO32 + stickyLow(lo));
}

/** The i64 (lo, hi), read as unsigned, rounded to the nearest f32 (ties to even), as a number. */
export function f32ConvertI64U(lo: number, hi: number): number {
  if (hi >>> 21 === 0) return Math.fround(hi * TWO32 + (lo >>> 0)); // below 2^53: exact
  return Math.fround((hi >>> 0) * TWO32 + stickyLow(lo));
}

/** The trap for a float with no integer in range: NaN, or a value out of range. */
function truncTrap(x: number): Trap {
  return new Trap(x !== x ? 'invalid-conversion-to-integer' : 'integer-overflow');
}

/** Writes the integral double t, in [-2^63, 2^64), to the i64 at word index d (two's complement, modulo 2^64). */
function writeI64(s: Int32Array, d: number, t: number): void {
  s[d] = t | 0;
  s[d + 1] = Math.floor(t / TWO32) | 0;
}

/**
 * `s[d]` = x truncated toward zero to a signed i64.
 * @throws Trap `invalid-conversion-to-integer` for NaN, `integer-overflow` outside [-2^63, 2^63).
 */
export function i64TruncF64S(s: Int32Array, d: number, x: number): void {
  if (!(x >= -TWO63 && x < TWO63)) throw truncTrap(x);
  writeI64(s, d, Math.trunc(x));
}

/**
 * `s[d]` = x truncated toward zero to an unsigned i64.
 * @throws Trap `invalid-conversion-to-integer` for NaN, `integer-overflow` unless -1 < x < 2^64.
 */
export function i64TruncF64U(s: Int32Array, d: number, x: number): void {
  if (!(x > -1 && x < TWO64)) throw truncTrap(x);
  writeI64(s, d, Math.trunc(x));
}

/** i64.trunc_f32_s: an f32 is an exact double and the range tests are exact, so it is i64TruncF64S. */
export const i64TruncF32S = i64TruncF64S;
/** i64.trunc_f32_u: the same as i64TruncF64U (see i64TruncF32S). */
export const i64TruncF32U = i64TruncF64U;

/** `s[d]` = x truncated toward zero to a signed i64, saturating: NaN gives 0, out-of-range values clamp. */
export function i64TruncSatF64S(s: Int32Array, d: number, x: number): void {
  if (x >= -TWO63 && x < TWO63) {
    writeI64(s, d, Math.trunc(x));
  } else if (x < 0) {
    s[d] = 0;
    s[d + 1] = -2147483648;
  } else if (x > 0) {
    s[d] = -1;
    s[d + 1] = 2147483647;
  } else {
    s[d] = 0; // NaN
    s[d + 1] = 0;
  }
}

/** `s[d]` = x truncated toward zero to an unsigned i64, saturating: NaN and negatives give 0, large values 2^64 - 1. */
export function i64TruncSatF64U(s: Int32Array, d: number, x: number): void {
  if (x > -1 && x < TWO64) {
    writeI64(s, d, Math.trunc(x));
  } else if (x > 0) {
    s[d] = -1;
    s[d + 1] = -1;
  } else {
    s[d] = 0; // NaN or at most -1
    s[d + 1] = 0;
  }
}

/** i64.trunc_sat_f32_s: the same as i64TruncSatF64S. */
export const i64TruncSatF32S = i64TruncSatF64S;
/** i64.trunc_sat_f32_u: the same as i64TruncSatF64U. */
export const i64TruncSatF32U = i64TruncSatF64U;

/**
 * x truncated toward zero to a signed i32.
 * @throws Trap `invalid-conversion-to-integer` for NaN, `integer-overflow` unless -2^31 - 1 < x < 2^31.
 */
export function i32TruncF64S(x: number): number {
  if (!(x > -2147483649 && x < 2147483648)) throw truncTrap(x);
  return x | 0;
}

/**
 * x truncated toward zero to an unsigned i32, returned as its int32 bit pattern.
 * @throws Trap `invalid-conversion-to-integer` for NaN, `integer-overflow` unless -1 < x < 2^32.
 */
export function i32TruncF64U(x: number): number {
  if (!(x > -1 && x < 4294967296)) throw truncTrap(x);
  return x | 0;
}

/** i32.trunc_f32_s: the same as i32TruncF64S. */
export const i32TruncF32S = i32TruncF64S;
/** i32.trunc_f32_u: the same as i32TruncF64U. */
export const i32TruncF32U = i32TruncF64U;

/** x truncated toward zero to a signed i32, saturating: NaN gives 0, out-of-range values clamp. */
export function i32TruncSatF64S(x: number): number {
  if (x > -2147483649 && x < 2147483648) return x | 0;
  if (x < 0) return -2147483648;
  if (x > 0) return 2147483647;
  return 0; // NaN
}

/** x truncated toward zero to an unsigned i32 (as its int32 bit pattern), saturating: NaN and negatives give 0. */
export function i32TruncSatF64U(x: number): number {
  if (x > -1 && x < 4294967296) return x | 0;
  if (x > 0) return -1;
  return 0; // NaN or at most -1
}

/** i32.trunc_sat_f32_s: the same as i32TruncSatF64S. */
export const i32TruncSatF32S = i32TruncSatF64S;
/** i32.trunc_sat_f32_u: the same as i32TruncSatF64U. */
export const i32TruncSatF32U = i32TruncSatF64U;

/**
 * f32.nearest and f64.nearest: x rounded to an integer, ties to even, keeping the sign (-0.5 gives -0).
 * The result of an f32 is again an f32, so one function serves both widths.
 */
export function fNearest(x: number): number {
  if (!(Math.abs(x) < TWO52)) return x !== x ? NaN : x; // NaN, infinities and values already integral
  const r = Math.round(x); // ties toward +infinity, keeps -0 for -0.5 <= x <= -0
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r; // r - x is exact here
}

/**
 * f64.min and f32.min: NaN if either operand is NaN, -0 below +0. The result is one of the operands, so
 * f32 values need no rounding and one function serves both widths.
 */
export function fMin(a: number, b: number): number {
  if (a !== a || b !== b) return NaN; // canonical, whatever payload the operand had
  return Math.min(a, b); // Math.min orders -0 below +0
}

/** f64.max and f32.max: NaN if either operand is NaN, +0 above -0 (see fMin). */
export function fMax(a: number, b: number): number {
  if (a !== a || b !== b) return NaN;
  return Math.max(a, b);
}

/** f64.min (see fMin). */
export const f64Min = fMin;
/** f64.max (see fMax). */
export const f64Max = fMax;
/** f32.min (see fMin). */
export const f32Min = fMin;
/** f32.max (see fMax). */
export const f32Max = fMax;
