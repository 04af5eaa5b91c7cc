// Benchmarks the shared C kernels (../shared/bench/kernels) on fleetlet's engine and on V8 in one
// process: picks n per kernel so that fleetlet runs for about half a second, checks every result
// against V8's checksum at that n, interleaves and repeats the engines, and reports median ratios.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Instance, Module, Store } from '../../agent/wasm/index.ts';
import { V8, callExport } from '../fuzz/v8-api.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The kernels folder: `dir` (or `FLEETLET_BENCH_DIR`, or `../shared/bench` beside the repository), or its `kernels/`. */
export function kernelsDir(dir?: string): string {
  const base = resolve(dir ?? process.env['FLEETLET_BENCH_DIR'] ?? join(REPO_ROOT, '..', 'shared', 'bench'));
  return existsSync(join(base, 'checksums.json')) ? base : join(base, 'kernels');
}

export interface Kernel {
  readonly name: string;
  readonly stresses: string;
  readonly smallN: number;
  readonly defaultN: number;
  /** Checksums listed in checksums.json, by n. */
  readonly knownChecksums: ReadonlyMap<number, number>;
  readonly bytes: Uint8Array;
}

/**
 * Every kernel listed in the folder's checksums.json, in its order.
 * @throws Error when the folder or a listed module is missing
 */
export function loadKernels(dir: string): Kernel[] {
  const file = join(dir, 'checksums.json');
  if (!existsSync(file)) throw new Error(`Cannot find the benchmark kernels: no "${file}" (use --dir or FLEETLET_BENCH_DIR)`);
  const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, {
    stresses: string; default_n: number; small_n: number; default_checksum: string; small_checksum: string;
  }>;
  return Object.entries(meta).map(([name, m]) => ({
    name,
    stresses: m.stresses,
    smallN: m.small_n,
    defaultN: m.default_n,
    knownChecksums: new Map([[m.small_n, Number(m.small_checksum)], [m.default_n, Number(m.default_checksum)]]),
    bytes: new Uint8Array(readFileSync(join(dir, `${name}.wasm`))),
  }));
}

/** A kernel's `run(n)` on one engine, instantiated once (the kernels reinitialise their state per call). */
export type RunFn = (n: number) => number;

export interface EngineOptions {
  /** Fuel metering in fleetlet's engine (default true, as devices run). */
  readonly metering?: boolean;
}

/**
 * `run` of a kernel on fleetlet's engine.
 * @throws Error when the module does not compile or instantiate, or a call does not return a value
 */
export function fleetletRun(bytes: Uint8Array, options: EngineOptions = {}): RunFn {
  const r = Instance.instantiate(new Store(), Module.compile(bytes), {}, { metering: options.metering ?? true });
  if (r.kind !== 'done') throw new Error(`Cannot instantiate the kernel on fleetlet: ${r.kind}`);
  const run = r.value.func('run');
  return (n) => {
    const c = run.callRaw([n]);
    if (c.kind !== 'done') throw new Error(`run(${n}) on fleetlet ended as "${c.kind}"${c.kind === 'trap' ? `: ${c.trap.message}` : ''}`);
    return c.value[0] as number;
  };
}

/** `run` of a kernel on V8. */
export function v8Run(bytes: Uint8Array): RunFn {
  const instance = new V8.Instance(new V8.Module(bytes), {});
  const run = instance.exports['run'];
  if (run === undefined) throw new Error('Cannot benchmark: the kernel exports no "run"');
  return (n) => callExport(run, [n]) as number;
}

function timed(f: RunFn, n: number): { ms: number; value: number } {
  const t0 = performance.now();
  const value = f(n);
  return { ms: performance.now() - t0, value };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface KernelResult {
  readonly name: string;
  readonly n: number;
  readonly oursMs: number;
  readonly v8Ms: number;
  readonly ratio: number;
  readonly checksum: number;
  /** fleetlet with fuel metering off, same n, same interleaved loop (when compared). */
  readonly unmeteredMs?: number;
}

export interface BenchOptions extends EngineOptions {
  /** fleetlet's run time to aim for when picking n, in ms (default 500). */
  readonly targetMs?: number;
  /** Timed repetitions per engine (default 3). */
  readonly repeats?: number;
  /** Use small_n without searching, one repetition: a smoke run. */
  readonly quick?: boolean;
  /** Also time fleetlet with metering off in the same loop, to report what fuel costs. */
  readonly compareMetering?: boolean;
  readonly log?: (line: string) => void;
}

interface Point { readonly n: number; readonly t: number }

/** n where the curve through a and b reaches `target`: as a power law (t = c n^p) or an exponential (t = c b^n). */
function solve(model: 'power' | 'exp', a: Point, b: Point, target: number): number {
  if (model === 'power') return b.n * Math.pow(target / b.t, Math.log(b.n / a.n) / Math.log(b.t / a.t));
  return b.n + (Math.log(target / b.t) * (b.n - a.n)) / Math.log(b.t / a.t);
}

/** How far (in log time) the model through a and b misses c. */
function miss(model: 'power' | 'exp', a: Point, b: Point, c: Point): number {
  const predicted = model === 'power'
    ? b.t * Math.pow(c.n / b.n, Math.log(b.t / a.t) / Math.log(b.n / a.n))
    : b.t * Math.pow(b.t / a.t, (c.n - b.n) / (b.n - a.n));
  return Math.abs(Math.log(predicted / c.t));
}

/**
 * The n at which `run` takes at least `targetMs`, searched from `startN` (timing each try). The
 * cost may grow like a power of n (most kernels) or exponentially (fib): the next n comes from
 * whichever model predicted the last timing better, or the more cautious one until three timings exist.
 * `measure` times one call (tests pass a model of the cost instead of a clock).
 */
export function chooseN(run: RunFn, startN: number, targetMs: number, measure: (run: RunFn, n: number) => number = (r, n) => timed(r, n).ms): number {
  const points: Point[] = [{ n: startN, t: measure(run, startN) }];
  for (let step = 0; step < 20; step++) {
    const b = points[points.length - 1] as Point;
    if (b.t >= targetMs) return b.n;
    const a = points[points.length - 2];
    let next = b.n + Math.max(1, Math.round(b.n * 0.1));
    if (a !== undefined && b.t > a.t * 1.05) {
      const prior = points[points.length - 3];
      const models = ['power', 'exp'] as const;
      const goal = prior !== undefined && b.t > prior.t && a.t > prior.t
        ? solve(miss('power', prior, a, b) <= miss('exp', prior, a, b) ? 'power' : 'exp', a, b, targetMs)
        : Math.min(...models.map((m) => solve(m, a, b, targetMs)));
      if (Number.isFinite(goal)) next = Math.min(Math.max(Math.ceil(goal), b.n + 1), b.n * 4);
    }
    points.push({ n: next, t: measure(run, next) });
  }
  return (points[points.length - 1] as Point).n;
}

/**
 * Runs one kernel on both engines at the same n, interleaved, and checks every result against
 * V8's first result (and against checksums.json where it lists that n).
 * @throws Error on any checksum mismatch
 */
export function benchKernel(k: Kernel, options: BenchOptions = {}): KernelResult {
  const ours = fleetletRun(k.bytes, options);
  const v8 = v8Run(k.bytes);
  const quick = options.quick ?? false;
  const target = options.targetMs ?? 500;
  // Searched twice: the second pass starts warm, in case the engine sped up during the first
  // (fleetlet may tier up hot code), so that the measured runs still last about the target.
  const n = quick ? k.smallN : chooseN(ours, chooseN(ours, k.smallN, target), target);
  const expected = v8(n);
  const listed = k.knownChecksums.get(n);
  if (listed !== undefined && listed !== expected) throw new Error(`${k.name}: V8 returned "${expected}" for run(${n}), checksums.json lists "${listed}"`);
  const check = (engine: string, value: number): void => {
    if (value !== expected) throw new Error(`${k.name}: ${engine} returned "${value}" for run(${n}), V8's checksum is "${expected}"`);
  };
  if (!quick) {
    check('fleetlet', timed(ours, n).value); // warm-up, as V8's first call above
  }
  const oursMs: number[] = [];
  const v8Ms: number[] = [];
  const offMs: number[] = [];
  const off = options.compareMetering === true ? fleetletRun(k.bytes, { ...options, metering: false }) : undefined;
  if (off !== undefined && !quick) check('fleetlet (metering off)', timed(off, n).value);
  const repeats = quick ? 1 : options.repeats ?? 3;
  for (let i = 0; i < repeats; i++) {
    // Alternate which engine goes first, so neither always runs on a machine the other just warmed or loaded.
    const order: [string, RunFn, number[]][] = i % 2 === 0 ? [['fleetlet', ours, oursMs], ['v8', v8, v8Ms]] : [['v8', v8, v8Ms], ['fleetlet', ours, oursMs]];
    if (off !== undefined) order.splice(i % 2 === 0 ? 1 : 0, 0, ['fleetlet (metering off)', off, offMs]);
    for (const [engine, f, times] of order) {
      const r = timed(f, n);
      check(engine, r.value);
      times.push(r.ms);
    }
  }
  const o = median(oursMs);
  const v = median(v8Ms);
  const result = { name: k.name, n, oursMs: o, v8Ms: v, ratio: o / Math.max(v, 1e-3), checksum: expected };
  return off === undefined ? result : { ...result, unmeteredMs: median(offMs) };
}

export function geomean(xs: readonly number[]): number {
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}

/** The cost of fuel metering per kernel (metered / unmetered, same run) and its geometric mean. */
export function formatMetering(results: readonly KernelResult[]): string {
  const rows = results.filter((r) => r.unmeteredMs !== undefined);
  if (rows.length === 0) return '';
  const ratios = rows.map((r) => r.oursMs / Math.max(r.unmeteredMs!, 1e-3));
  const lines = rows.map((r, i) => `  ${r.name.padEnd(11)} metering off ${r.unmeteredMs!.toFixed(1).padStart(8)} ms  (on/off ${ratios[i]!.toFixed(2)}, off/V8 ${(r.unmeteredMs! / Math.max(r.v8Ms, 1e-3)).toFixed(1)}x)`);
  return ['fuel metering cost (same runs):', ...lines, `metering on/off geomean: ${geomean(ratios).toFixed(2)} (max ${Math.max(...ratios).toFixed(2)})`].join('\n');
}

export function formatTable(results: readonly KernelResult[]): string {
  const head = ['kernel', 'n', 'ours ms', 'V8 ms', 'ours/V8', 'checksum'];
  const rows = results.map((r) => [r.name, String(r.n), r.oursMs.toFixed(1), r.v8Ms.toFixed(1), `${r.ratio.toFixed(1)}x`, String(r.checksum)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(head), ...rows.map(line), `geomean ours/V8: ${geomean(results.map((r) => r.ratio)).toFixed(1)}x over ${results.length} kernels`].join('\n');
}
