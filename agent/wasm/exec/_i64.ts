// Allocation-free 64-bit integer arithmetic for fleetlet's interpreter, on i64 values stored as two
// int32 words (low word first) in the value stack; no BigInt, no objects, nothing allocated per call.
//
// Every operation takes the stack view `s` and word indices: `d` (destination), `a`, `b` (operands).
// An i64 at word index w is `s[w]` (low 32 bits) and `s[w + 1]` (high 32 bits), both as int32.
// `d` may alias `a` or `b`: each function reads all of its inputs before writing.

import { Trap } from '../errors.ts';

const TWO32 = 4294967296;

/**
 * High 32 bits (as int32) of the 64-bit product of two unsigned 32-bit values. The arguments may be
 * int32 bit patterns or numbers in [0, 2^32); both are read modulo 2^32.
 */
function mulHi32(a: number, b: number): number {
  const au = a >>> 0;
  const t0 = au * (b & 0xffff); // < 2^48: exact
  const t1 = au * (b >>> 16); // < 2^48: exact
  // product = t0 + t1 * 2^16; dividing by powers of two and flooring step by step stays exact.
  return Math.floor((Math.floor(t0 / 65536) + t1) / 65536) | 0;
}

/** `s[d] = s[a] + s[b]` as i64, wrapping around. */
export function i64Add(s: Int32Array, d: number, a: number, b: number): void {
  const aLo = s[a]!, aHi = s[a + 1]!, bLo = s[b]!, bHi = s[b + 1]!;
  const lo = (aLo + bLo) | 0;
  s[d + 1] = (aHi + bHi + ((lo >>> 0) < (aLo >>> 0) ? 1 : 0)) | 0;
  s[d] = lo;
}

/** `s[d] = s[a] - s[b]` as i64, wrapping around. */
export function i64Sub(s: Int32Array, d: number, a: number, b: number): void {
  const aLo = s[a]!, aHi = s[a + 1]!, bLo = s[b]!, bHi = s[b + 1]!;
  s[d + 1] = (aHi - bHi - ((aLo >>> 0) < (bLo >>> 0) ? 1 : 0)) | 0;
  s[d] = (aLo - bLo) | 0;
}

/** `s[d] = s[a] * s[b]` as i64, keeping the low 64 bits of the product (the same for signed and unsigned). */
export function i64Mul(s: Int32Array, d: number, a: number, b: number): void {
  const aLo = s[a]!, aHi = s[a + 1]!, bLo = s[b]!, bHi = s[b + 1]!;
  s[d + 1] = (mulHi32(aLo, bLo) + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) | 0;
  s[d] = Math.imul(aLo, bLo);
}

// Division. The exported functions take one double division when both operands fit in 53 bits (as
// unsigned values below 2^53, or as signed values in [-2^53, 2^53)): the double quotient's floor (or
// truncation) is then the exact integer quotient. Why: with n = q * d + r (n, d >= 0), n / d lies
// (d - r) / d >= 1 / d below q + 1, and half an ulp below q + 1 is less than (q + 1) * 2^-53, so rounding
// up to q + 1 would need 2^53 * (d - r) < d * (q + 1) = n + d - r, that is (2^53 - 1) * (d - r) < n:
// impossible below 2^53. At n = 2^53 it needs r = d - 1 and d * 2^e = 2^53 for some 2^e < q + 1, so d
// is a power of two dividing 2^53 + 1: d = 1, an exact division. The quotient never rounds below q
// either, and |q * d| <= |n| is exact, so the remainder n - q * d is too. Wider operands go to divU64.

// Result of the last divU64 call. Module scalars rather than a returned object: nothing is allocated.
let qLo = 0;
let qHi = 0;
let rLo = 0;
let rHi = 0;

/**
 * Unsigned 64-bit division n / d for any operands (int32 word pairs, d not zero): sets qLo, qHi, rLo,
 * rHi. Meant for the operands the double fast path does not take: long division by a 32-bit divisor in
 * 16-bit steps, or for a wider divisor a double estimate of the quotient, corrected with word arithmetic.
 */
function divU64(nLo: number, nHi: number, dLo: number, dHi: number): void {
  const nh = nHi >>> 0, dh = dHi >>> 0;
  if (nh < dh || (nh === dh && nLo >>> 0 < dLo >>> 0)) {
    qLo = 0;
    qHi = 0;
    rLo = nLo;
    rHi = nHi;
    return;
  }
  if (dh === 0) {
    // Schoolbook division by a 32-bit divisor: 32 bits, then two 16-bit digits, every partial dividend < 2^48.
    const dv = dLo >>> 0;
    const q1 = Math.floor(nh / dv);
    let x = (nh - q1 * dv) * 65536 + (nLo >>> 16);
    const q2 = Math.floor(x / dv);
    x = (x - q2 * dv) * 65536 + (nLo & 0xffff);
    const q3 = Math.floor(x / dv);
    qLo = (q2 * 65536 + q3) | 0;
    qHi = q1 | 0;
    rLo = (x - q3 * dv) | 0;
    rHi = 0;
    return;
  }
  // d >= 2^32, so the quotient is below 2^32. The double quotient is within 2^-19 of n / d, so its floor
  // is q - 1, q or q + 1; one less never overshoots, and the remainder loop below runs at most twice.
  const est = Math.floor((nh * TWO32 + (nLo >>> 0)) / (dh * TWO32 + (dLo >>> 0))) - 1;
  let q = est < 0 ? 0 : est;
  const pLo = Math.imul(q, dLo);
  const pHi = (mulHi32(q, dLo) + Math.imul(q, dHi)) | 0; // q * d <= n: no bits lost
  let lo = (nLo - pLo) | 0;
  let hi = (nHi - pHi - ((nLo >>> 0) < (pLo >>> 0) ? 1 : 0)) | 0;
  while (hi >>> 0 > dh || (hi >>> 0 === dh && lo >>> 0 >= dLo >>> 0)) {
    hi = (hi - dHi - ((lo >>> 0) < (dLo >>> 0) ? 1 : 0)) | 0;
    lo = (lo - dLo) | 0;
    q++;
  }
  qLo = q | 0;
  qHi = 0;
  rLo = lo;
  rHi = hi;
}

/** divU64 on the absolute values of the signed i64 values a and b (-2^63 reads as 2^63). */
function divAbs(aLo: number, aHi: number, bLo: number, bHi: number): void {
  const nHi = aHi < 0 ? (~aHi + (aLo === 0 ? 1 : 0)) | 0 : aHi;
  const nLo = aHi < 0 ? -aLo | 0 : aLo;
  const dHi = bHi < 0 ? (~bHi + (bLo === 0 ? 1 : 0)) | 0 : bHi;
  const dLo = bHi < 0 ? -bLo | 0 : bLo;
  divU64(nLo, nHi, dLo, dHi);
}

/** Whether an i64 with high word `hi` lies in [-2^53, 2^53), where double division truncates exactly. */
function fitsS53(hi: number): boolean {
  return ((hi + 0x200000) >>> 22) === 0;
}

/**
 * `s[d] = s[a] / s[b]`, signed, rounding toward zero.
 * @throws Trap `integer-divide-by-zero` when b is 0, `integer-overflow` for -2^63 / -1.
 */
export function i64DivS(s: Int32Array, d: number, a: number, b: number): void {
  const aLo = s[a]!, aHi = s[a + 1]!, bLo = s[b]!, bHi = s[b + 1]!;
  if ((bLo | bHi) === 0) throw new Trap('integer-divide-by-zero');
  if (aHi === aLo >> 31 && bHi === bLo >> 31) {
    const q = Math.trunc(aLo / bLo); // in [-2^31, 2^31]: -2^31 / -1 does not overflow an i64
    s[d] = q | 0;
    s[d + 1] = q < 0 ? -1 : 0;
    return;
  }
  if (fitsS53(aHi) && fitsS53(bHi)) {
    const q = Math.trunc((aHi * TWO32 + (aLo >>> 0)) / (bHi * TWO32 + (bLo >>> 0)));
    s[d] = q | 0;
    s[d + 1] = Math.floor(q / TWO32) | 0;
    return;
  }
  if (aLo === 0 && aHi === -2147483648 && (bLo & bHi) === -1) throw new Trap('integer-overflow');
  divAbs(aLo, aHi, bLo, bHi);
  if ((aHi ^ bHi) < 0) {
    s[d] = -qLo | 0;
    s[d + 1] = (~qHi + (qLo === 0 ? 1 : 0)) | 0;
  } else {
    s[d] = qLo;
    s[d + 1] = qHi;
  }
}

/**
 * `s[d] = s[a] / s[b]`, unsigned.
 * @throws Trap `integer-divide-by-zero` when b is 0.
 */
export function i64DivU(s: Int32Array, d: number, a: number, b: number): void {
  const aLo = s[a]!, aHi = s[a + 1]!, bLo = s[b]!, bHi = s[b + 1]!;
  if ((bLo | bHi) === 0) throw new Trap('integer-divide-by-zero');
  if ((aHi | bHi) === 0) {
    s[d] = Math.floor((aLo >>> 0) / (bLo >>> 0)) | 0;
    s[d + 1] = 0;
    return;
  }
  if (((aHi | bHi) >>> 21) === 0) {
    const q = Math.floor((aHi * TWO32 + (aLo >>> 0)) / (bHi * TWO32 + (bLo >>> 0)));
    s[d] = q | 0;
    s[d + 1] = (q / TWO32) | 0;
    return;
  }
  divU64(aLo, aHi, bLo, bHi);
  s[d] = qLo;
  s[d + 1] = qHi;
}

/**
 * `s[d] = s[a] % s[b]`, signed: the remainder has the sign of a; -2^63 % -1 is 0.
 * @throws Trap `integer-divide-by-zero` when b is 0.
 */
export function i64RemS(s: Int32Array, d: number, a: number, b: number): void {
  const aLo = s[a]!, aHi = s[a + 1]!, bLo = s[b]!, bHi = s[b + 1]!;
  if ((bLo | bHi) === 0) throw new Trap('integer-divide-by-zero');
  if (aHi === aLo >> 31 && bHi === bLo >> 31) {
    const r = aLo % bLo; // may be -0, which the | 0 and the sign test both treat as 0
    s[d] = r | 0;
    s[d + 1] = r < 0 ? -1 : 0;
    return;
  }
  if (fitsS53(aHi) && fitsS53(bHi)) {
    const x = aHi * TWO32 + (aLo >>> 0), y = bHi * TWO32 + (bLo >>> 0);
    const r = x - Math.trunc(x / y) * y;
    s[d] = r | 0;
    s[d + 1] = Math.floor(r / TWO32) | 0;
    return;
  }
  divAbs(aLo, aHi, bLo, bHi);
  if (aHi < 0) {
    s[d] = -rLo | 0;
    s[d + 1] = (~rHi + (rLo === 0 ? 1 : 0)) | 0;
  } else {
    s[d] = rLo;
    s[d + 1] = rHi;
  }
}

/**
 * `s[d] = s[a] % s[b]`, unsigned.
 * @throws Trap `integer-divide-by-zero` when b is 0.
 */
export function i64RemU(s: Int32Array, d: number, a: number, b: number): void {
  const aLo = s[a]!, aHi = s[a + 1]!, bLo = s[b]!, bHi = s[b + 1]!;
  if ((bLo | bHi) === 0) throw new Trap('integer-divide-by-zero');
  if ((aHi | bHi) === 0) {
    s[d] = (aLo >>> 0) % (bLo >>> 0) | 0;
    s[d + 1] = 0;
    return;
  }
  if (((aHi | bHi) >>> 21) === 0) {
    const x = aHi * TWO32 + (aLo >>> 0), y = bHi * TWO32 + (bLo >>> 0);
    const r = x - Math.floor(x / y) * y;
    s[d] = r | 0;
    s[d + 1] = (r / TWO32) | 0;
    return;
  }
  divU64(aLo, aHi, bLo, bHi);
  s[d] = rLo;
  s[d + 1] = rHi;
}

/** `s[d] = s[a] << (s[b] & 63)`. */
export function i64Shl(s: Int32Array, d: number, a: number, b: number): void {
  const lo = s[a]!, hi = s[a + 1]!, k = s[b]! & 63;
  if (k === 0) {
    s[d] = lo;
    s[d + 1] = hi;
  } else if (k < 32) {
    s[d + 1] = (hi << k) | (lo >>> (32 - k));
    s[d] = lo << k;
  } else {
    s[d + 1] = lo << (k - 32);
    s[d] = 0;
  }
}

/** `s[d] = s[a] >> (s[b] & 63)`, shifting in copies of the sign bit. */
export function i64ShrS(s: Int32Array, d: number, a: number, b: number): void {
  const lo = s[a]!, hi = s[a + 1]!, k = s[b]! & 63;
  if (k === 0) {
    s[d] = lo;
    s[d + 1] = hi;
  } else if (k < 32) {
    s[d] = (lo >>> k) | (hi << (32 - k));
    s[d + 1] = hi >> k;
  } else {
    s[d] = hi >> (k - 32);
    s[d + 1] = hi >> 31;
  }
}

/** `s[d] = s[a] >>> (s[b] & 63)`, shifting in zeros. */
export function i64ShrU(s: Int32Array, d: number, a: number, b: number): void {
  const lo = s[a]!, hi = s[a + 1]!, k = s[b]! & 63;
  if (k === 0) {
    s[d] = lo;
    s[d + 1] = hi;
  } else if (k < 32) {
    s[d] = (lo >>> k) | (hi << (32 - k));
    s[d + 1] = hi >>> k;
  } else {
    s[d] = hi >>> (k - 32);
    s[d + 1] = 0;
  }
}

/** `s[d] = s[a]` rotated left by `s[b] & 63`. */
export function i64Rotl(s: Int32Array, d: number, a: number, b: number): void {
  rotl(s, d, s[a]!, s[a + 1]!, s[b]! & 63);
}

/** `s[d] = s[a]` rotated right by `s[b] & 63`. */
export function i64Rotr(s: Int32Array, d: number, a: number, b: number): void {
  rotl(s, d, s[a]!, s[a + 1]!, (64 - (s[b]! & 63)) & 63);
}

function rotl(s: Int32Array, d: number, lo: number, hi: number, k: number): void {
  // Rotating by 32 or more swaps the words first; the remaining count is below 32.
  const x = k < 32 ? lo : hi;
  const y = k < 32 ? hi : lo;
  const j = k & 31;
  if (j === 0) {
    s[d] = x;
    s[d + 1] = y;
  } else {
    s[d] = (x << j) | (y >>> (32 - j));
    s[d + 1] = (y << j) | (x >>> (32 - j));
  }
}

/** `s[d]` = number of leading zero bits of `s[a]` (0 to 64), as an i64. */
export function i64Clz(s: Int32Array, d: number, a: number): void {
  const lo = s[a]!, hi = s[a + 1]!;
  s[d] = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
  s[d + 1] = 0;
}

/** `s[d]` = number of trailing zero bits of `s[a]` (0 to 64), as an i64. */
export function i64Ctz(s: Int32Array, d: number, a: number): void {
  const lo = s[a]!, hi = s[a + 1]!;
  s[d] = lo !== 0 ? 31 - Math.clz32(lo & -lo) : hi !== 0 ? 63 - Math.clz32(hi & -hi) : 64;
  s[d + 1] = 0;
}

/** `s[d]` = number of one bits of `s[a]`, as an i64. */
export function i64Popcnt(s: Int32Array, d: number, a: number): void {
  const lo = s[a]!, hi = s[a + 1]!;
  s[d] = popcnt32(lo) + popcnt32(hi);
  s[d + 1] = 0;
}

/** Number of one bits of a 32-bit word (the interpreter's i32.popcnt can use it too). */
export function popcnt32(x: number): number {
  x = (x - ((x >>> 1) & 0x55555555)) | 0;
  x = ((x & 0x33333333) + ((x >>> 2) & 0x33333333)) | 0;
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

// Comparisons, on words the interpreter has already read: a = (aLo, aHi), b = (bLo, bHi), each an int32.
// Greater-than is a less-than with the operands swapped; greater-or-equal likewise from less-or-equal;
// eq, ne and eqz compare both words directly.

/** a < b, both read as signed i64. */
export function i64LtS(aLo: number, aHi: number, bLo: number, bHi: number): boolean {
  return aHi < bHi || (aHi === bHi && aLo >>> 0 < bLo >>> 0);
}

/** a < b, both read as unsigned i64. */
export function i64LtU(aLo: number, aHi: number, bLo: number, bHi: number): boolean {
  return aHi >>> 0 < bHi >>> 0 || (aHi === bHi && aLo >>> 0 < bLo >>> 0);
}

/** a <= b, both read as signed i64. */
export function i64LeS(aLo: number, aHi: number, bLo: number, bHi: number): boolean {
  return aHi < bHi || (aHi === bHi && aLo >>> 0 <= bLo >>> 0);
}

/** a <= b, both read as unsigned i64. */
export function i64LeU(aLo: number, aHi: number, bLo: number, bHi: number): boolean {
  return aHi >>> 0 < bHi >>> 0 || (aHi === bHi && aLo >>> 0 <= bLo >>> 0);
}
