// Tests of fleetlet's word-pair i64 kernels against BigInt references written here, on edge cases,
// operand pairs built to stress division's correction steps, and seeded random inputs.
import { describe, expect, it } from 'vitest';
import { Trap } from '../errors.ts';
import {
  i64Add, i64Clz, i64Ctz, i64DivS, i64DivU, i64LeS, i64LeU, i64LtS, i64LtU, i64Mul, i64Popcnt,
  i64RemS, i64RemU, i64Rotl, i64Rotr, i64Shl, i64ShrS, i64ShrU, i64Sub, popcnt32,
} from './_i64.ts';

type Binary = (s: Int32Array, d: number, a: number, b: number) => void;
type Unary = (s: Int32Array, d: number, a: number) => void;

const MIN = -(1n << 63n);
const MAX = (1n << 63n) - 1n;
const i64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

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

const EDGES: bigint[] = (() => {
  const base = [0n, 1n, 2n, 3n, 7n, 10n, 0xffffn, 0x10000n, MIN, MAX, MIN + 1n, MAX - 1n];
  for (const k of [15n, 16n, 31n, 32n, 33n, 48n, 52n, 53n, 54n, 62n, 63n]) {
    base.push(1n << k, (1n << k) - 1n, (1n << k) + 1n);
  }
  base.push(0x123456789abcdefn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n);
  const all = new Set<bigint>();
  for (const v of base) {
    all.add(i64(v));
    all.add(i64(-v));
  }
  return [...all];
})();

/** A random i64 of random width, so every fast and slow path is reached often. */
function randomI64(next: () => number): bigint {
  const full = (BigInt(next()) << 32n) | BigInt(next());
  const pick = next() % 8;
  if (pick === 0) return i64(full);
  if (pick === 1) return i64(EDGES[next() % EDGES.length]! + BigInt((next() % 5) - 2));
  const bits = BigInt(next() % 65);
  const v = bits === 0n ? 0n : full & ((1n << bits) - 1n);
  return i64(next() & 1 ? -v : v);
}

function put(s: Int32Array, w: number, v: bigint): void {
  s[w] = Number(BigInt.asIntN(32, v));
  s[w + 1] = Number(BigInt.asIntN(32, v >> 32n));
}

function get(s: Int32Array, w: number): bigint {
  return i64((BigInt(s[w + 1]!) << 32n) | BigInt(s[w]! >>> 0));
}

/** Runs op with a separate destination and with the destination aliasing each operand. */
function runBinary(op: Binary, a: bigint, b: bigint): bigint[] {
  const s = new Int32Array(8);
  const out: bigint[] = [];
  for (const [d, wa, wb] of [[4, 0, 2], [0, 0, 2], [2, 0, 2]] as const) {
    put(s, wa, a);
    put(s, wb, b);
    op(s, d, wa, wb);
    out.push(get(s, d));
  }
  return out;
}

/** Checks op against ref for one pair; ref returns the i64 result or the expected trap kind. */
function checkBinary(op: Binary, ref: (a: bigint, b: bigint) => bigint | string, a: bigint, b: bigint): void {
  const want = ref(a, b);
  if (typeof want === 'string') {
    const s = new Int32Array(8);
    put(s, 0, a);
    put(s, 2, b);
    let thrown: unknown;
    try {
      op(s, 4, 0, 2);
    } catch (e) {
      thrown = e;
    }
    expect(thrown, `${a} op ${b}`).toBeInstanceOf(Trap);
    expect((thrown as Trap).kind, `${a} op ${b}`).toBe(want);
    return;
  }
  const got = runBinary(op, a, b);
  for (const g of got) {
    if (g !== want) expect(`${g}`, `${a} op ${b}`).toBe(`${want}`);
  }
}

/** Edge x edge pairs, then seeded random pairs. */
function sweep(op: Binary, ref: (a: bigint, b: bigint) => bigint | string, randomPairs = 20000, seed = 1): void {
  for (const a of EDGES) for (const b of EDGES) checkBinary(op, ref, a, b);
  const next = prng(seed);
  for (let i = 0; i < randomPairs; i++) checkBinary(op, ref, randomI64(next), randomI64(next));
}

const divS = (a: bigint, b: bigint): bigint | string =>
  b === 0n ? 'integer-divide-by-zero' : a === MIN && b === -1n ? 'integer-overflow' : i64(a / b);
const remS = (a: bigint, b: bigint): bigint | string => (b === 0n ? 'integer-divide-by-zero' : i64(a % b));
const divU = (a: bigint, b: bigint): bigint | string => (b === 0n ? 'integer-divide-by-zero' : i64(u64(a) / u64(b)));
const remU = (a: bigint, b: bigint): bigint | string => (b === 0n ? 'integer-divide-by-zero' : i64(u64(a) % u64(b)));

describe('i64 add, sub and mul', () => {
  it('i64Add wraps like BigInt.asIntN(64, a + b)', () => sweep(i64Add, (a, b) => i64(a + b)));
  it('i64Sub wraps like BigInt.asIntN(64, a - b)', () => sweep(i64Sub, (a, b) => i64(a - b)));
  it('i64Mul keeps the low 64 bits like BigInt.asIntN(64, a * b)', () => sweep(i64Mul, (a, b) => i64(a * b), 40000));
});

describe('i64 division and remainder', () => {
  it('i64DivS truncates toward zero and traps on zero and on MIN / -1', () => sweep(i64DivS, divS, 30000, 2));
  it('i64RemS takes the sign of the dividend and gives 0 for MIN % -1', () => sweep(i64RemS, remS, 30000, 3));
  it('i64DivU divides the unsigned readings and traps on zero', () => sweep(i64DivU, divU, 30000, 4));
  it('i64RemU gives the unsigned remainder and traps on zero', () => sweep(i64RemU, remU, 30000, 5));

  it('i64DivU and i64RemU are exact when the quotient estimate sits next to an integer', () => {
    // n = q * d + r with r at 0, 1, d - 2 or d - 1: the double estimate of n / d is then closest to an
    // integer boundary, where it can be off by one in either direction.
    const next = prng(6);
    let checked = 0;
    while (checked < 20000) {
      const dBits = BigInt(1 + (next() % 64));
      const d = ((BigInt(next()) << 32n) | BigInt(next())) & ((1n << dBits) - 1n) | (1n << (dBits - 1n));
      const qBits = BigInt(next() % 65);
      const q = qBits === 0n ? 0n : ((BigInt(next()) << 32n) | BigInt(next())) & ((1n << qBits) - 1n);
      const rs = [0n, 1n, d - 2n, d - 1n];
      const r = rs[next() % 4]!;
      if (r < 0n) continue;
      const n = q * d + r;
      if (n >= 1n << 64n) continue;
      checkBinary(i64DivU, divU, i64(n), i64(d));
      checkBinary(i64RemU, remU, i64(n), i64(d));
      checkBinary(i64DivS, divS, i64(n), i64(d));
      checkBinary(i64RemS, remS, i64(n), i64(d));
      checked++;
    }
  });

  it('i64DivS and i64RemS are exact at the edges of the 53-bit fast path', () => {
    const near: bigint[] = [];
    for (const k of [52n, 53n]) near.push(1n << k, (1n << k) - 1n, (1n << k) - 2n, (1n << k) + 1n);
    near.push(...near.map((v) => -v));
    // 2^53 + 1 = 3 * 107 * 28059810762433: divisors whose quotients of 2^53 end just below an integer.
    const divisors = [1n, 2n, 3n, 107n, 321n, 28059810762433n, 3n * 28059810762433n, (1n << 52n) - 3n, 0x7fffffffn, 0x80000000n];
    for (const a of near) {
      for (const b of [...near, ...divisors, ...divisors.map((v) => -v)]) {
        checkBinary(i64DivS, divS, a, b);
        checkBinary(i64RemS, remS, a, b);
        checkBinary(i64DivU, divU, a, b);
        checkBinary(i64RemU, remU, a, b);
      }
    }
  });

  it('division traps carry the trap kinds the interpreter reports', () => {
    expect(() => runBinary(i64DivS, 5n, 0n)).toThrow(new Trap('integer-divide-by-zero'));
    expect(() => runBinary(i64DivU, 5n, 0n)).toThrow(new Trap('integer-divide-by-zero'));
    expect(() => runBinary(i64RemS, MIN, 0n)).toThrow(new Trap('integer-divide-by-zero'));
    expect(() => runBinary(i64RemU, -1n, 0n)).toThrow(new Trap('integer-divide-by-zero'));
    expect(() => runBinary(i64DivS, MIN, -1n)).toThrow(new Trap('integer-overflow'));
    expect(runBinary(i64RemS, MIN, -1n)).toEqual([0n, 0n, 0n]);
    expect(runBinary(i64DivU, MIN, -1n)).toEqual([0n, 0n, 0n]);
  });
});

describe('i64 shifts and rotations', () => {
  const k = (b: bigint): bigint => u64(b) & 63n;
  const rotl = (a: bigint, n: bigint): bigint => (n === 0n ? a : i64((u64(a) << n) | (u64(a) >> (64n - n))));
  it('i64Shl uses the count modulo 64', () => sweep(i64Shl, (a, b) => i64(a << k(b))));
  it('i64ShrS shifts in sign bits', () => sweep(i64ShrS, (a, b) => a >> k(b)));
  it('i64ShrU shifts in zeros', () => sweep(i64ShrU, (a, b) => i64(u64(a) >> k(b))));
  it('i64Rotl rotates left', () => sweep(i64Rotl, (a, b) => rotl(a, k(b))));
  it('i64Rotr rotates right', () => sweep(i64Rotr, (a, b) => rotl(a, (64n - k(b)) & 63n)));
  it('every count from 0 to 127 is taken modulo 64', () => {
    for (let c = 0n; c < 128n; c++) {
      for (const a of [0x0123456789abcdefn, MIN, -1n, 1n]) {
        checkBinary(i64Shl, (x) => i64(x << (c & 63n)), a, c);
        checkBinary(i64ShrS, (x) => x >> (c & 63n), a, c);
        checkBinary(i64ShrU, (x) => i64(u64(x) >> (c & 63n)), a, c);
        checkBinary(i64Rotl, (x) => rotl(x, c & 63n), a, c);
        checkBinary(i64Rotr, (x) => rotl(x, (64n - (c & 63n)) & 63n), a, c);
      }
    }
  });
});

describe('i64 bit counts', () => {
  const bitsOf = (a: bigint): string => u64(a).toString(2).padStart(64, '0');
  const refs: [string, Unary, (a: bigint) => bigint][] = [
    ['i64Clz', i64Clz, (a) => BigInt(bitsOf(a).indexOf('1') === -1 ? 64 : bitsOf(a).indexOf('1'))],
    ['i64Ctz', i64Ctz, (a) => BigInt(bitsOf(a).lastIndexOf('1') === -1 ? 64 : 63 - bitsOf(a).lastIndexOf('1'))],
    ['i64Popcnt', i64Popcnt, (a) => BigInt(bitsOf(a).split('').filter((c) => c === '1').length)],
  ];
  for (const [name, op, ref] of refs) {
    it(`${name} matches a count over the binary digits`, () => {
      const next = prng(7);
      const inputs = [...EDGES];
      for (let i = 0; i < 10000; i++) inputs.push(randomI64(next));
      for (let i = 0; i < 64; i++) inputs.push(i64(1n << BigInt(i)), i64(-(1n << BigInt(i))));
      const s = new Int32Array(4);
      for (const a of inputs) {
        put(s, 0, a);
        s[2] = 12345;
        s[3] = 6789;
        op(s, 2, 0);
        expect(get(s, 2), `${name}(${a})`).toBe(ref(a));
        op(s, 0, 0); // destination aliasing the operand
        expect(get(s, 0), `${name}(${a}) in place`).toBe(ref(a));
      }
    });
  }
  it('popcnt32 counts the bits of a 32-bit word', () => {
    const next = prng(8);
    for (let i = 0; i < 10000; i++) {
      const x = next() | 0;
      expect(popcnt32(x)).toBe((x >>> 0).toString(2).split('').filter((c) => c === '1').length);
    }
    expect(popcnt32(-1)).toBe(32);
    expect(popcnt32(0)).toBe(0);
  });
});

describe('i64 comparisons', () => {
  it('i64LtS, i64LtU, i64LeS and i64LeU order like BigInt comparisons', () => {
    const next = prng(9);
    const values = [...EDGES];
    for (let i = 0; i < 300; i++) values.push(randomI64(next));
    const w = (v: bigint): [number, number] => [Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n))];
    for (const a of values) {
      const [aLo, aHi] = w(a);
      for (const b of values) {
        const [bLo, bHi] = w(b);
        if (i64LtS(aLo, aHi, bLo, bHi) !== a < b) expect([a, b, 'lt_s']).toBe(a < b);
        if (i64LeS(aLo, aHi, bLo, bHi) !== a <= b) expect([a, b, 'le_s']).toBe(a <= b);
        if (i64LtU(aLo, aHi, bLo, bHi) !== u64(a) < u64(b)) expect([a, b, 'lt_u']).toBe(u64(a) < u64(b));
        if (i64LeU(aLo, aHi, bLo, bHi) !== u64(a) <= u64(b)) expect([a, b, 'le_u']).toBe(u64(a) <= u64(b));
      }
    }
  });
});
