// Runs the differential fuzzer over many binaryen seeds (in child processes, with a watchdog) and
// totals the outcome: modules and calls compared, mismatches, NaN-only differences, skips.

import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateModule } from './binaryen.ts';
import { diffModule, type DiffResult } from './diff.ts';
import type { Engine } from './engine-types.ts';
import { runPool } from './pool.ts';
import { v8Engine } from './v8-engine.ts';

export type SubjectName = 'fleetlet' | 'v8';

export interface SeedJob {
  readonly seed: number;
  /** The engine under test; 'v8' compares V8 with itself, to prove the harness. */
  readonly subject: SubjectName;
  readonly callsPerExport: number;
}

export interface SeedResult {
  readonly seed: number;
  readonly result: DiffResult;
  readonly ms: number;
}

export const REGRESSIONS_DIR = fileURLToPath(new URL('./regressions/', import.meta.url));

async function subjectEngine(name: SubjectName): Promise<Engine> {
  if (name === 'v8') return v8Engine;
  return (await import('./fleetlet-engine.ts')).fleetletEngine;
}

let loadedSubject: { name: SubjectName; engine: Engine } | undefined;

/** Loads the subject engine once per process (the fleetlet engine is imported lazily). */
export async function prepareSubject(name: SubjectName): Promise<void> {
  if (loadedSubject?.name !== name) loadedSubject = { name, engine: await subjectEngine(name) };
}

/** Generates and compares one seed's module; `prepareSubject` must have run first. */
export function runSeed(job: SeedJob): SeedResult {
  const t0 = performance.now();
  if (loadedSubject?.name !== job.subject) throw new Error(`Subject "${job.subject}" is not prepared`);
  const generated = generateModule(job.seed);
  const result: DiffResult = generated.ok
    ? diffModule(generated.bytes, loadedSubject.engine, v8Engine, { argSeed: job.seed, callsPerExport: job.callsPerExport })
    : { status: 'skipped', reason: `wasm-opt produced no module: ${generated.reason}` };
  return { seed: job.seed, result, ms: performance.now() - t0 };
}

export interface DiffSummary {
  readonly seeds: number;
  readonly matched: number;
  readonly compared: number;
  readonly inconclusive: number;
  readonly unsupported: number;
  readonly mismatches: { readonly seed: number; readonly detail: string }[];
  readonly nanOnly: { readonly seed: number; readonly detail: string }[];
  /** Skip reasons (their first words) and how many seeds each skipped. */
  readonly skipped: Map<string, number>;
  readonly slowest: { readonly seed: number; readonly ms: number };
  readonly wallMs: number;
}

/** fleetlet's execution tier (`FLEETLET_TIER`): interpreter only, every function compiled to JavaScript, or by heat. */
export type Tier = 'interp' | 'jit' | 'auto';

export interface RunSeedsOptions {
  readonly subject: SubjectName;
  /** The tier the child processes run fleetlet's engine in (default: the environment's). */
  readonly tier?: Tier;
  readonly workers: number;
  readonly callsPerExport?: number;
  /** Per-seed watchdog; a seed without an answer by then is a mismatch (hang). */
  readonly timeoutMs?: number;
  /** Write each mismatching module to `REGRESSIONS_DIR`. */
  readonly saveRegressions?: boolean;
  readonly onSeed?: (r: SeedResult, done: number) => void;
}

function skipCategory(reason: string): string {
  return reason.replace(/:.*/s, '').replace(/"[^"]*"/g, '"…"');
}

export function saveRegression(seed: number, note: string): string | undefined {
  const g = generateModule(seed);
  if (!g.ok) return undefined;
  mkdirSync(REGRESSIONS_DIR, { recursive: true });
  const path = `${REGRESSIONS_DIR}seed-${seed}.wasm`;
  writeFileSync(path, g.bytes);
  writeFileSync(`${REGRESSIONS_DIR}seed-${seed}.txt`, `${note}\n`);
  return path;
}

/** Runs the given seeds and totals their results. */
export async function runSeeds(seeds: readonly number[], options: RunSeedsOptions): Promise<DiffSummary> {
  const t0 = performance.now();
  const summary = {
    seeds: seeds.length, matched: 0, compared: 0, inconclusive: 0, unsupported: 0,
    mismatches: [] as { seed: number; detail: string }[], nanOnly: [] as { seed: number; detail: string }[],
    skipped: new Map<string, number>(), slowest: { seed: -1, ms: 0 }, wallMs: 0,
  };
  let done = 0;
  const record = (r: SeedResult): void => {
    done++;
    const res = r.result;
    if (r.ms > summary.slowest.ms) summary.slowest = { seed: r.seed, ms: r.ms };
    if (res.status === 'skipped') {
      const k = skipCategory(res.reason);
      summary.skipped.set(k, (summary.skipped.get(k) ?? 0) + 1);
    } else {
      summary.compared += res.compared;
      summary.inconclusive += res.inconclusive;
      summary.unsupported += res.unsupported;
      if (res.status === 'match') summary.matched++;
      if (res.status === 'nan-only') summary.nanOnly.push({ seed: r.seed, detail: res.detail });
      if (res.status === 'mismatch') {
        summary.mismatches.push({ seed: r.seed, detail: res.detail });
        if (options.saveRegressions === true) saveRegression(r.seed, res.detail);
      }
    }
    options.onSeed?.(r, done);
  };
  const jobs = seeds.map((seed): SeedJob => ({ seed, subject: options.subject, callsPerExport: options.callsPerExport ?? 2 }));
  if (options.workers <= 0) {
    if (options.tier !== undefined && options.tier !== (process.env['FLEETLET_TIER'] || 'auto')) {
      throw new Error(`Cannot run tier "${options.tier}" in process: set FLEETLET_TIER or use workers`);
    }
    await prepareSubject(options.subject);
  }
  await runPool<SeedJob, SeedResult>(jobs, {
    workerScript: fileURLToPath(new URL('./diff-worker.ts', import.meta.url)),
    workers: options.workers,
    timeoutMs: options.timeoutMs ?? 120_000,
    env: { FUZZ_SUBJECT: options.subject, ...(options.tier === undefined ? {} : { FLEETLET_TIER: options.tier }) },
    inProcess: runSeed,
    onResult: (_job, r) => record(r),
    onFailure: (job, reason) => record({ seed: job.seed, result: { status: 'mismatch', detail: reason, compared: 0, inconclusive: 0, unsupported: 0 }, ms: 0 }),
  });
  summary.wallMs = performance.now() - t0;
  return summary;
}

export function formatSummary(s: DiffSummary): string {
  const skipped = [...s.skipped.values()].reduce((a, b) => a + b, 0);
  const lines = [
    `seeds ${s.seeds}: ${s.matched} matched, ${s.mismatches.length} mismatched, ${s.nanOnly.length} differed only in NaN bits, ${skipped} skipped`,
    `export calls compared ${s.compared}, inconclusive (stack exhausted) ${s.inconclusive}, exports with non-numeric types ${s.unsupported}`,
    `mismatches ${s.mismatches.length}`,
    ...s.mismatches.slice(0, 20).map((m) => `  seed ${m.seed}: ${m.detail}`),
    ...s.nanOnly.slice(0, 5).map((m) => `  NaN-only seed ${m.seed}: ${m.detail}`),
    ...[...s.skipped].map(([k, n]) => `  skipped ${n}: ${k}`),
    `time ${(s.wallMs / 1000).toFixed(1)} s, slowest seed ${s.slowest.seed} (${s.slowest.ms.toFixed(0)} ms)`,
  ];
  return lines.join('\n');
}
