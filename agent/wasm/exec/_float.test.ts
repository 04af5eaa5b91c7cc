// Tests of fleetlet's float kernels (i64 to float conversions, truncations, nearest, min and max)
// against V8's own WebAssembly on edge cases and seeded random inputs, comparing exact bit patterns.
import { describe, expect, it } from 'vitest';
import { Trap } from '../errors.ts';
import type { TrapKind } from '../errors.ts';
import {
  f32ConvertI64S, f32ConvertI64U, f32Max, f32Min, f64ConvertI64S, f64ConvertI64U, f64Max, f64Min, fNearest,
  i32TruncF32S, i32TruncF32U, i32TruncF64S, i32TruncF64U, i32TruncSatF32S, i32TruncSatF32U, i32TruncSatF64S,
  i32TruncSatF64U, i64TruncF32S, i64TruncF32U, i64TruncF64S, i64TruncF64U, i64TruncSatF32S, i64TruncSatF32U,
  i64TruncSatF64S, i64TruncSatF64U,
} from './_float.ts';

// The reference module, one export per operator (wat2wasm 1.0.32 of this text):
//   (module
//     (func (export "f64_convert_i64_s") (param i64) (result f64) local.get 0 f64.convert_i64_s)
//     (func (export "f64_convert_i64_u") (param i64) (result f64) local.get 0 f64.convert_i64_u)
//     (func (export "f32_convert_i64_s") (param i64) (result f32) local.get 0 f32.convert_i64_s)
//     (func (export "f32_convert_i64_u") (param i64) (result f32) local.get 0 f32.convert_i64_u)
//     (func (export "i64_trunc_f64_s") (param f64) (result i64) local.get 0 i64.trunc_f64_s)
//     (func (export "i64_trunc_f64_u") (param f64) (result i64) local.get 0 i64.trunc_f64_u)
//     (func (export "i64_trunc_f32_s") (param f32) (result i64) local.get 0 i64.trunc_f32_s)
//     (func (export "i64_trunc_f32_u") (param f32) (result i64) local.get 0 i64.trunc_f32_u)
//     (func (export "i64_trunc_sat_f64_s") (param f64) (result i64) local.get 0 i64.trunc_sat_f64_s)
//     (func (export "i64_trunc_sat_f64_u") (param f64) (result i64) local.get 0 i64.trunc_sat_f64_u)
//     (func (export "i64_trunc_sat_f32_s") (param f32) (result i64) local.get 0 i64.trunc_sat_f32_s)
//     (func (export "i64_trunc_sat_f32_u") (param f32) (result i64) local.get 0 i64.trunc_sat_f32_u)
//     (func (export "i32_trunc_f64_s") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
//     (func (export "i32_trunc_f64_u") (param f64) (result i32) local.get 0 i32.trunc_f64_u)
//     (func (export "i32_trunc_f32_s") (param f32) (result i32) local.get 0 i32.trunc_f32_s)
//     (func (export "i32_trunc_f32_u") (param f32) (result i32) local.get 0 i32.trunc_f32_u)
//     (func (export "i32_trunc_sat_f64_s") (param f64) (result i32) local.get 0 i32.trunc_sat_f64_s)
//     (func (export "i32_trunc_sat_f64_u") (param f64) (result i32) local.get 0 i32.trunc_sat_f64_u)
//     (func (export "i32_trunc_sat_f32_s") (param f32) (result i32) local.get 0 i32.trunc_sat_f32_s)
//     (func (export "i32_trunc_sat_f32_u") (param f32) (result i32) local.get 0 i32.trunc_sat_f32_u)
//     (func (export "f64_nearest") (param f64) (result f64) local.get 0 f64.nearest)
//     (func (export "f32_nearest") (param f32) (result f32) local.get 0 f32.nearest)
//     (func (export "f64_min") (param f64 f64) (result f64) local.get 0 local.get 1 f64.min)
//     (func (export "f64_max") (param f64 f64) (result f64) local.get 0 local.get 1 f64.max)
//     (func (export "f32_min") (param f32 f32) (result f32) local.get 0 local.get 1 f32.min)
//     (func (export "f32_max") (param f32 f32) (result f32) local.get 0 local.get 1 f32.max)
//   )
const REFERENCE_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x35, 0x0a, 0x60, 0x01, 0x7e, 0x01, 0x7c,
  0x60, 0x01, 0x7e, 0x01, 0x7d, 0x60, 0x01, 0x7c, 0x01, 0x7e, 0x60, 0x01, 0x7d, 0x01, 0x7e, 0x60,
  0x01, 0x7c, 0x01, 0x7f, 0x60, 0x01, 0x7d, 0x01, 0x7f, 0x60, 0x01, 0x7c, 0x01, 0x7c, 0x60, 0x01,
  0x7d, 0x01, 0x7d, 0x60, 0x02, 0x7c, 0x7c, 0x01, 0x7c, 0x60, 0x02, 0x7d, 0x7d, 0x01, 0x7d, 0x03,
  0x1b, 0x1a, 0x00, 0x00, 0x01, 0x01, 0x02, 0x02, 0x03, 0x03, 0x02, 0x02, 0x03, 0x03, 0x04, 0x04,
  0x05, 0x05, 0x04, 0x04, 0x05, 0x05, 0x06, 0x07, 0x08, 0x08, 0x09, 0x09, 0x07, 0xd5, 0x03, 0x1a,
  0x11, 0x66, 0x36, 0x34, 0x5f, 0x63, 0x6f, 0x6e, 0x76, 0x65, 0x72, 0x74, 0x5f, 0x69, 0x36, 0x34,
  0x5f, 0x73, 0x00, 0x00, 0x11, 0x66, 0x36, 0x34, 0x5f, 0x63, 0x6f, 0x6e, 0x76, 0x65, 0x72, 0x74,
  0x5f, 0x69, 0x36, 0x34, 0x5f, 0x75, 0x00, 0x01, 0x11, 0x66, 0x33, 0x32, 0x5f, 0x63, 0x6f, 0x6e,
  0x76, 0x65, 0x72, 0x74, 0x5f, 0x69, 0x36, 0x34, 0x5f, 0x73, 0x00, 0x02, 0x11, 0x66, 0x33, 0x32,
  0x5f, 0x63, 0x6f, 0x6e, 0x76, 0x65, 0x72, 0x74, 0x5f, 0x69, 0x36, 0x34, 0x5f, 0x75, 0x00, 0x03,
  0x0f, 0x69, 0x36, 0x34, 0x5f, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x66, 0x36, 0x34, 0x5f, 0x73,
  0x00, 0x04, 0x0f, 0x69, 0x36, 0x34, 0x5f, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x66, 0x36, 0x34,
  0x5f, 0x75, 0x00, 0x05, 0x0f, 0x69, 0x36, 0x34, 0x5f, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x66,
  0x33, 0x32, 0x5f, 0x73, 0x00, 0x06, 0x0f, 0x69, 0x36, 0x34, 0x5f, 0x74, 0x72, 0x75, 0x6e, 0x63,
  0x5f, 0x66, 0x33, 0x32, 0x5f, 0x75, 0x00, 0x07, 0x13, 0x69, 0x36, 0x34, 0x5f, 0x74, 0x72, 0x75,
  0x6e, 0x63, 0x5f, 0x73, 0x61, 0x74, 0x5f, 0x66, 0x36, 0x34, 0x5f, 0x73, 0x00, 0x08, 0x13, 0x69,
  0x36, 0x34, 0x5f, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x73, 0x61, 0x74, 0x5f, 0x66, 0x36, 0x34,
  0x5f, 0x75, 0x00, 0x09, 0x13, 0x69, 0x36, 0x34, 0x5f, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x73,
  0x61, 0x74, 0x5f, 0x66, 0x33, 0x32, 0x5f, 0x73, 0x00, 0x0a, 0x13, 0x69, 0x36, 0x34, 0x5f, 0x74,
  0x72, 0x75, 0x6e, 0x63, 0x5f, 0x73, 0x61, 0x74, 0x5f, 0x66, 0x33, 0x32, 0x5f, 0x75, 0x00, 0x0b,
  0x0f, 0x69, 0x33, 0x32, 0x5f, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x66, 0x36, 0x34, 0x5f, 0x73,
  0x00, 0x0c, 0x0f, 0x69, 0x33, 0x32, 0x5f, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x66, 0x36, 0x34,
  0x5f, 0x75, 0x00, 0x0d, 0x0f, 0x69, 0x33, 0x32, 0x5f, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x66,
  0x33, 0x32, 0x5f, 0x73, 0x00, 0x0e, 0x0f, 0x69, 0x33, 0x32, 0x5f, 0x74, 0x72, 0x75, 0x6e, 0x63,
  0x5f, 0x66, 0x33, 0x32, 0x5f, 0x75, 0x00, 0x0f, 0x13, 0x69, 0x33, 0x32, 0x5f, 0x74, 0x72, 0x75,
  0x6e, 0x63, 0x5f, 0x73, 0x61, 0x74, 0x5f, 0x66, 0x36, 0x34, 0x5f, 0x73, 0x00, 0x10, 0x13, 0x69,
  0x33, 0x32, 0x5f, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x73, 0x61, 0x74, 0x5f, 0x66, 0x36, 0x34,
  0x5f, 0x75, 0x00, 0x11, 0x13, 0x69, 0x33, 0x32, 0x5f, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x73,
  0x61, 0x74, 0x5f, 0x66, 0x33, 0x32, 0x5f, 0x73, 0x00, 0x12, 0x13, 0x69, 0x33, 0x32, 0x5f, 0x74,
  0x72, 0x75, 0x6e, 0x63, 0x5f, 0x73, 0x61, 0x74, 0x5f, 0x66, 0x33, 0x32, 0x5f, 0x75, 0x00, 0x13,
  0x0b, 0x66, 0x36, 0x34, 0x5f, 0x6e, 0x65, 0x61, 0x72, 0x65, 0x73, 0x74, 0x00, 0x14, 0x0b, 0x66,
  0x33, 0x32, 0x5f, 0x6e, 0x65, 0x61, 0x72, 0x65, 0x73, 0x74, 0x00, 0x15, 0x07, 0x66, 0x36, 0x34,
  0x5f, 0x6d, 0x69, 0x6e, 0x00, 0x16, 0x07, 0x66, 0x36, 0x34, 0x5f, 0x6d, 0x61, 0x78, 0x00, 0x17,
  0x07, 0x66, 0x33, 0x32, 0x5f, 0x6d, 0x69, 0x6e, 0x00, 0x18, 0x07, 0x66, 0x33, 0x32, 0x5f, 0x6d,
  0x61, 0x78, 0x00, 0x19, 0x0a, 0xad, 0x01, 0x1a, 0x05, 0x00, 0x20, 0x00, 0xb9, 0x0b, 0x05, 0x00,
  0x20, 0x00, 0xba, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xb4, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xb5, 0x0b,
  0x05, 0x00, 0x20, 0x00, 0xb0, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xb1, 0x0b, 0x05, 0x00, 0x20, 0x00,
  0xae, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xaf, 0x0b, 0x06, 0x00, 0x20, 0x00, 0xfc, 0x06, 0x0b, 0x06,
  0x00, 0x20, 0x00, 0xfc, 0x07, 0x0b, 0x06, 0x00, 0x20, 0x00, 0xfc, 0x04, 0x0b, 0x06, 0x00, 0x20,
  0x00, 0xfc, 0x05, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xaa, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xab, 0x0b,
  0x05, 0x00, 0x20, 0x00, 0xa8, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xa9, 0x0b, 0x06, 0x00, 0x20, 0x00,
  0xfc, 0x02, 0x0b, 0x06, 0x00, 0x20, 0x00, 0xfc, 0x03, 0x0b, 0x06, 0x00, 0x20, 0x00, 0xfc, 0x00,
  0x0b, 0x06, 0x00, 0x20, 0x00, 0xfc, 0x01, 0x0b, 0x05, 0x00, 0x20, 0x00, 0x9e, 0x0b, 0x05, 0x00,
  0x20, 0x00, 0x90, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0xa4, 0x0b, 0x07, 0x00, 0x20, 0x00,
  0x20, 0x01, 0xa5, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x96, 0x0b, 0x07, 0x00, 0x20, 0x00,
  0x20, 0x01, 0x97, 0x0b,
]);

/** The slice of V8's WebAssembly API these tests use (the project's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, (...args: (number | bigint)[]) => number | bigint> };
  RuntimeError: new () => Error;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const v8 = new wasm.Instance(new wasm.Module(REFERENCE_WASM), {}).exports;

/** V8's result for export `name`, or 'trap' when it throws a WebAssembly.RuntimeError. */
function v8Call(name: string, ...args: (number | bigint)[]): number | bigint | 'trap' {
  try {
    return v8[name]!(...args);
  } catch (e) {
    if (e instanceof wasm.RuntimeError) return 'trap';
    throw e;
  }
}

/** Our result, or the trap kind. */
function ours<T>(f: () => T): T | TrapKind {
  try {
    return f();
  } catch (e) {
    if (e instanceof Trap) return e.kind;
    throw e;
  }
}

/** A seeded PRNG (mulberry32), so failures reproduce. */
function prng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) | 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return (x ^ (x >>> 14)) >>> 0;
  };
}

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);
const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

function fromBits64(lo: number, hi: number): number {
  f64Words[0] = lo;
  f64Words[1] = hi;
  return f64[0]!;
}

/** The neighbouring double of x toward +infinity (up) or -infinity (down); x finite. */
function nextF64(x: number, up: boolean): number {
  if (x === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  f64[0] = x;
  const big = (BigInt(f64Words[1]!) << 32n) | BigInt(f64Words[0]!);
  const n = (x > 0) === up ? big + 1n : big - 1n;
  return fromBits64(Number(n & 0xffffffffn), Number(n >> 32n));
}

/** The neighbouring f32 of the f32 x toward +infinity (up) or -infinity (down); x finite. */
function nextF32(x: number, up: boolean): number {
  if (x === 0) return up ? 1.401298464324817e-45 : -1.401298464324817e-45;
  f32[0] = x;
  f32Bits[0] = (x > 0) === up ? f32Bits[0]! + 1 : f32Bits[0]! - 1;
  return f32[0]!;
}

/** A random double: random bits, a random magnitude from 2^-4 to 2^70, or a random integer plus a fraction. */
function randomF64(next: () => number): number {
  const pick = next() % 3;
  if (pick === 0) return fromBits64(next(), next());
  const sign = next() & 1 ? -1 : 1;
  if (pick === 1) return sign * 2 ** ((next() % 75) - 4) * (1 + next() / 4294967296);
  const base = Math.floor((next() / 4294967296) * 2 ** (next() % 66));
  return sign * (base + [0, 0.25, 0.5, 0.75][next() % 4]!);
}

function randomF32(next: () => number): number {
  if (next() % 3 === 0) {
    f32Bits[0] = next();
    return f32[0]!;
  }
  return Math.fround(randomF64(next));
}

/** Same value, telling -0 from +0; any NaN equals any NaN (its bits are checked separately). */
function same(a: unknown, b: unknown): boolean {
  return Object.is(a, b) || (typeof a === 'number' && typeof b === 'number' && a !== a && b !== b);
}

/** Whether the NaN x, stored as an f64 (or an f32), has its quiet bit set: an arithmetic NaN. */
function isArithmeticNaN(x: number, width: 32 | 64): boolean {
  if (width === 64) {
    f64[0] = x;
    return x !== x && (f64Words[1]! & 0x00080000) !== 0;
  }
  f32[0] = x;
  return x !== x && (f32Bits[0]! & 0x00400000) !== 0;
}

const MIN = -(1n << 63n);
const MAX = (1n << 63n) - 1n;

/** i64 inputs: edges, values at and beside f32 and f64 rounding ties, random values of random width. */
const I64_INPUTS: bigint[] = (() => {
  const out = new Set<bigint>([0n, 1n, -1n, MIN, MAX, MIN + 1n, MAX - 1n]);
  for (let k = 0n; k < 64n; k++) {
    for (const v of [1n << k, (1n << k) - 1n, (1n << k) + 1n]) {
      out.add(BigInt.asIntN(64, v));
      out.add(BigInt.asIntN(64, -v));
    }
  }
  // 2^63 + 2^39 + 1 lies just above an f32 tie; converting through an f64 would lose the 1 and round down.
  out.add(BigInt.asIntN(64, (1n << 63n) + (1n << 39n) + 1n));
  out.add(-((1n << 62n) + (1n << 38n) + 1n));
  const next = prng(11);
  const rand64 = (): bigint => (BigInt(next()) << 32n) | BigInt(next());
  for (let i = 0; i < 6000; i++) {
    // A 25-bit (f32) or 54-bit (f64) odd mantissa shifted so its last bit is the rounding bit: an exact tie,
    // then nudged by 0, +-1 or +-2^j to land just beside it.
    const width = next() & 1 ? 25n : 54n;
    const top = width + BigInt(next() % Number(64n - width));
    const m = (rand64() & ((1n << width) - 1n)) | (1n << (width - 1n)) | 1n;
    const tie = m << (top - width + 1n);
    const j = BigInt(next() % Number(top - width + 1n));
    for (const delta of [0n, 1n, -1n, 1n << j, -(1n << j)]) {
      const v = BigInt.asIntN(64, tie + delta);
      out.add(v);
      out.add(BigInt.asIntN(64, -v));
    }
  }
  for (let i = 0; i < 10000; i++) {
    const bits = BigInt(next() % 65);
    out.add(BigInt.asIntN(64, bits === 0n ? 0n : rand64() & ((1n << bits) - 1n)) * (next() & 1 ? 1n : -1n));
  }
  return [...out];
})();

const words = (v: bigint): [number, number] => [Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n))];

describe('i64 to float conversions', () => {
  const cases: [string, (lo: number, hi: number) => number][] = [
    ['f64_convert_i64_s', f64ConvertI64S],
    ['f64_convert_i64_u', f64ConvertI64U],
    ['f32_convert_i64_s', f32ConvertI64S],
    ['f32_convert_i64_u', f32ConvertI64U],
  ];
  for (const [name, f] of cases) {
    it(`${name} rounds to nearest, ties to even, exactly like V8`, () => {
      let mismatches = 0;
      for (const v of I64_INPUTS) {
        const [lo, hi] = words(v);
        const got = f(lo, hi);
        const want = v8Call(name, v);
        if (!same(got, want)) {
          mismatches++;
          expect(got, `${name}(${v})`).toBe(want);
        }
      }
      expect(mismatches).toBe(0);
    });
  }

  it('f32ConvertI64U rounds 2^63 + 2^39 + 1 up, where rounding through an f64 would round down', () => {
    const v = (1n << 63n) + (1n << 39n) + 1n;
    const [lo, hi] = words(v);
    expect(f32ConvertI64U(lo, hi)).toBe(2 ** 63 + 2 ** 40);
    expect(Math.fround(Number(v))).toBe(2 ** 63); // the double-rounding answer this kernel avoids
  });
});

/** Float inputs for truncations: both sides of every range boundary, halves, specials, random values. */
function truncInputs(width: 32 | 64, seed: number): number[] {
  const round = width === 32 ? Math.fround : (x: number): number => x;
  const next1 = width === 32 ? nextF32 : nextF64;
  const out: number[] = [NaN, -NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 0.9999999, -0.9999999, 1, -1, 1.5, -1.5];
  f64Words[0] = 1;
  f64Words[1] = 0x7ff00000;
  out.push(f64[0]!); // a signalling NaN
  for (const e of [31, 32, 52, 53, 63, 64]) {
    for (const sign of [1, -1]) {
      const b = round(sign * 2 ** e);
      out.push(b, next1(b, true), next1(b, false), round(b - sign), round(b + sign), round(b - sign * 0.5));
    }
  }
  const next = prng(seed);
  for (let i = 0; i < 20000; i++) out.push(width === 32 ? randomF32(next) : randomF64(next));
  return out;
}

describe('float to integer truncations', () => {
  const i64Cases: [string, (s: Int32Array, d: number, x: number) => void, 32 | 64][] = [
    ['i64_trunc_f64_s', i64TruncF64S, 64],
    ['i64_trunc_f64_u', i64TruncF64U, 64],
    ['i64_trunc_f32_s', i64TruncF32S, 32],
    ['i64_trunc_f32_u', i64TruncF32U, 32],
    ['i64_trunc_sat_f64_s', i64TruncSatF64S, 64],
    ['i64_trunc_sat_f64_u', i64TruncSatF64U, 64],
    ['i64_trunc_sat_f32_s', i64TruncSatF32S, 32],
    ['i64_trunc_sat_f32_u', i64TruncSatF32U, 32],
  ];
  for (const [name, f, width] of i64Cases) {
    it(`${name} gives V8's i64 or traps where V8 traps`, () => {
      const s = new Int32Array(4);
      for (const x of truncInputs(width, 21)) {
        const want = v8Call(name, x);
        s[2] = 0x5a5a5a5a;
        s[3] = 0x5a5a5a5a;
        const got = ours(() => {
          f(s, 2, x);
          return BigInt.asIntN(64, (BigInt(s[3]!) << 32n) | BigInt(s[2]! >>> 0));
        });
        // V8 says only that it trapped; the spec names the kind: NaN is invalid, anything else overflows.
        const wantKind = want === 'trap' ? (x !== x ? 'invalid-conversion-to-integer' : 'integer-overflow') : want;
        if (got !== wantKind) expect(got, `${name}(${x})`).toBe(wantKind);
      }
    });
  }

  const i32Cases: [string, (x: number) => number, 32 | 64][] = [
    ['i32_trunc_f64_s', i32TruncF64S, 64],
    ['i32_trunc_f64_u', i32TruncF64U, 64],
    ['i32_trunc_f32_s', i32TruncF32S, 32],
    ['i32_trunc_f32_u', i32TruncF32U, 32],
    ['i32_trunc_sat_f64_s', i32TruncSatF64S, 64],
    ['i32_trunc_sat_f64_u', i32TruncSatF64U, 64],
    ['i32_trunc_sat_f32_s', i32TruncSatF32S, 32],
    ['i32_trunc_sat_f32_u', i32TruncSatF32U, 32],
  ];
  for (const [name, f, width] of i32Cases) {
    it(`${name} gives V8's i32 bit pattern or traps where V8 traps`, () => {
      for (const x of truncInputs(width, 22)) {
        const want = v8Call(name, x);
        const got = ours(() => f(x));
        const wantKind = want === 'trap' ? (x !== x ? 'invalid-conversion-to-integer' : 'integer-overflow') : want;
        if (!Object.is(got, wantKind)) expect(got, `${name}(${x})`).toBe(wantKind);
      }
    });
  }

  it('i64 truncation accepts -2^63 and traps from 2^63, with the trap kinds the spec names', () => {
    const s = new Int32Array(2);
    i64TruncF64S(s, 0, -(2 ** 63));
    expect([s[0], s[1]]).toEqual([0, -2147483648]);
    expect(ours(() => i64TruncF64S(s, 0, 2 ** 63))).toBe('integer-overflow');
    expect(ours(() => i64TruncF64S(s, 0, NaN))).toBe('invalid-conversion-to-integer');
    expect(ours(() => i64TruncF64U(s, 0, -1))).toBe('integer-overflow');
    i64TruncF64U(s, 0, -0.75);
    expect([s[0], s[1]]).toEqual([0, 0]);
    expect(ours(() => i32TruncF64S(2147483648))).toBe('integer-overflow');
    expect(i32TruncF64S(-2147483648.9)).toBe(-2147483648);
    expect(i32TruncF64U(4294967295.5)).toBe(-1);
  });
});

describe('nearest, min and max', () => {
  function nearestInputs(width: 32 | 64, seed: number): number[] {
    const round = width === 32 ? Math.fround : (x: number): number => x;
    const out = [NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994];
    out.push(2 ** 52, 2 ** 52 - 0.5, -(2 ** 52) + 0.5, 2 ** 53 - 1, 2 ** 23, 2 ** 23 - 0.5, -(2 ** 23) + 0.5, 2 ** 22 + 0.5);
    const next = prng(seed);
    for (let i = 0; i < 20000; i++) {
      const k = Math.floor((next() / 4294967296) * 2 ** (next() % 54));
      const sign = next() & 1 ? -1 : 1;
      out.push(sign * (k + [0.5, 0.25, 0.75, 0][next() % 4]!), width === 32 ? randomF32(next) : randomF64(next));
    }
    return out.map(round);
  }

  for (const [name, width] of [['f64_nearest', 64], ['f32_nearest', 32]] as const) {
    it(`fNearest matches V8's ${name}, ties to even and signed zeros included`, () => {
      for (const x of nearestInputs(width, width)) {
        const got = fNearest(x);
        const want = v8Call(name, x);
        if (!same(got, want)) expect(got, `${name}(${x})`).toBe(want);
        if (got !== got) expect(isArithmeticNaN(got, width)).toBe(true);
      }
    });
  }

  const minMax: [string, (a: number, b: number) => number, 32 | 64][] = [
    ['f64_min', f64Min, 64],
    ['f64_max', f64Max, 64],
    ['f32_min', f32Min, 32],
    ['f32_max', f32Max, 32],
  ];
  for (const [name, f, width] of minMax) {
    it(`${name} matches V8: NaN wins, -0 is below +0`, () => {
      const next = prng(31);
      const base = [NaN, -NaN, Infinity, -Infinity, 0, -0, 1, -1, Number.MIN_VALUE, -Number.MAX_VALUE];
      for (let i = 0; i < 40; i++) base.push(width === 32 ? randomF32(next) : randomF64(next));
      const values = width === 32 ? base.map(Math.fround) : base;
      for (const a of values) {
        for (const b of values) {
          const got = f(a, b);
          const want = v8Call(name, a, b);
          if (!same(got, want)) expect(got, `${name}(${a}, ${b})`).toBe(want);
          if (got !== got) expect(isArithmeticNaN(got, width)).toBe(true);
        }
      }
    });
  }

  it('min and max return an arithmetic NaN even for a signalling NaN operand', () => {
    const sNaN = fromBits64(1, 0x7ff00000);
    expect(isArithmeticNaN(f64Min(sNaN, 1), 64)).toBe(true);
    expect(isArithmeticNaN(f64Max(1, sNaN), 64)).toBe(true);
    expect(isArithmeticNaN(fNearest(sNaN), 64)).toBe(true);
  });
});
