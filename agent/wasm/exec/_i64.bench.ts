// Micro benchmark of fleetlet's i64 mul and div kernels (ns per operation by operand width), with a BigInt
// baseline for scale; run with `npx tsx agent/wasm/exec/_i64.bench.ts`. Not part of the test suite.
import { i64Add, i64DivS, i64DivU, i64Mul, i64RemU } from './_i64.ts';

const PAIRS = 4096;
const ROUNDS = 100;

/** A seeded PRNG (mulberry32), so runs compare. */
function prng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) | 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return (x ^ (x >>> 14)) >>> 0;
  };
}

/** Random nonzero unsigned values of the given bit width, as BigInt. */
function values(bits: number, next: () => number): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const full = (BigInt(next()) << 32n) | BigInt(next());
    const v = full & ((1n << BigInt(bits)) - 1n);
    out.push(v === 0n ? 1n : v);
  }
  return out;
}

/** A stack holding the pairs as (a, b, result) triples of i64 slots: words 6i, 6i + 2 and 6i + 4. */
function stackOf(as: bigint[], bs: bigint[]): Int32Array {
  const s = new Int32Array(PAIRS * 6);
  for (let i = 0; i < PAIRS; i++) {
    for (const [w, v] of [[6 * i, as[i]!], [6 * i + 2, bs[i]!]] as const) {
      s[w] = Number(BigInt.asIntN(32, v));
      s[w + 1] = Number(BigInt.asIntN(32, v >> 32n));
    }
  }
  return s;
}

/** Runs kernel k over every pair; one direct call site per kernel, as in the interpreter, so V8 can inline. */
function runKernel(k: number, s: Int32Array, rounds: number): void {
  for (let r = 0; r < rounds; r++) {
    for (let i = 0, w = 0; i < PAIRS; i++, w += 6) {
      switch (k) {
        case 0: i64Add(s, w + 4, w, w + 2); break;
        case 1: i64Mul(s, w + 4, w, w + 2); break;
        case 2: i64DivU(s, w + 4, w, w + 2); break;
        case 3: i64RemU(s, w + 4, w, w + 2); break;
        default: i64DivS(s, w + 4, w, w + 2);
      }
    }
  }
}

/** Best of five timings: the machine is shared, and the minimum is the least disturbed estimate. */
function timeKernel(k: number, s: Int32Array): number {
  runKernel(k, s, 20); // warm up
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = process.hrtime.bigint();
    runKernel(k, s, ROUNDS);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / (ROUNDS * PAIRS));
  }
  return best;
}

function timeBigInt(op: (a: bigint, b: bigint) => bigint, as: bigint[], bs: bigint[]): number {
  let sink = 0n;
  for (let i = 0; i < PAIRS; i++) sink ^= op(as[i]!, bs[i]!);
  const rounds = ROUNDS / 10;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < PAIRS; i++) sink ^= op(as[i]!, bs[i]!);
  const ns = Number(process.hrtime.bigint() - t0) / (rounds * PAIRS);
  if (sink === -1n) console.log('');
  return ns;
}

const next = prng(42);
const cases: [string, number, number][] = [
  ['32 / 32 bits', 32, 32],
  ['53 / 40 bits', 53, 40],
  ['64 / 32 bits', 64, 32],
  ['64 / 48 bits', 64, 48],
  ['64 / 64 bits', 64, 64],
];
const kernels: [string, (a: bigint, b: bigint) => bigint][] = [
  ['i64Add', (a, b) => BigInt.asIntN(64, a + b)],
  ['i64Mul', (a, b) => BigInt.asIntN(64, a * b)],
  ['i64DivU', (a, b) => BigInt.asUintN(64, a) / BigInt.asUintN(64, b)],
  ['i64RemU', (a, b) => BigInt.asUintN(64, a) % BigInt.asUintN(64, b)],
  ['i64DivS', (a, b) => BigInt.asIntN(64, a) / BigInt.asIntN(64, b)],
];

console.log('kernel   operands        ns/op   BigInt ns/op');
for (const [label, aBits, bBits] of cases) {
  const as = values(aBits, next);
  const bs = values(bBits, next);
  for (const [k, [name, ref]] of kernels.entries()) {
    const ns = timeKernel(k, stackOf(as, bs));
    const big = timeBigInt(ref, as, bs);
    console.log(`${name.padEnd(8)} ${label.padEnd(14)} ${ns.toFixed(1).padStart(7)}   ${big.toFixed(1).padStart(7)}`);
  }
}
