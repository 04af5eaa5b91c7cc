// Runs the mutation fuzzer: builds N mutants, gets fleetlet's verdict on each (in child processes
// with a watchdog), WABT's (batched, cached) and V8's, and totals crashes, hangs, slow inputs and
// disagreements, with WABT's known spec deviations and V8's expected differences set apart.

import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCorpus, makeMutant, type CorpusEntry, type Mutant } from './mutate.ts';
import { runPool } from './pool.ts';
import { V8 } from './v8-api.ts';
import { explainV8Difference, type V8Difference } from './v8-differences.ts';
import { wabtVerdicts, type WabtVerdict } from './wabt.ts';
import { explainWabtDifference, withoutCustomSections, type WabtDifference } from './wabt-differences.ts';

export type Verdict = 'valid' | 'decode-error' | 'validation-error' | 'crash' | 'hang';

export interface CompileResult {
  readonly verdict: Verdict;
  readonly message: string;
  readonly ms: number;
}

export type MutateSubject = 'fleetlet' | 'v8';

type Compile = (bytes: Uint8Array) => CompileResult;

let compiler: Compile | undefined;

/** Loads the subject's compile function once per process. */
export async function prepareCompiler(subject: MutateSubject): Promise<Compile> {
  if (subject === 'v8') {
    compiler = (bytes) => {
      const t0 = performance.now();
      const ok = V8.validate(bytes);
      return { verdict: ok ? 'valid' : 'validation-error', message: '', ms: performance.now() - t0 };
    };
    return compiler;
  }
  const { Module, DecodeError, ValidationError } = await import('../../agent/wasm/index.ts');
  compiler = (bytes) => {
    const t0 = performance.now();
    try {
      Module.compile(bytes);
      return { verdict: 'valid', message: '', ms: performance.now() - t0 };
    } catch (e) {
      const ms = performance.now() - t0;
      if (e instanceof DecodeError) return { verdict: 'decode-error', message: e.message, ms };
      if (e instanceof ValidationError) return { verdict: 'validation-error', message: e.message, ms };
      const text = e instanceof Error ? `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(e);
      return { verdict: 'crash', message: text, ms };
    }
  };
  return compiler;
}

/** The subject's verdict on one input; `prepareCompiler` must have run in this process. */
export function compileJob(bytes: Uint8Array): CompileResult {
  if (compiler === undefined) throw new Error('Cannot compile: no subject prepared');
  return compiler(bytes);
}

export interface Finding {
  readonly index: number;
  readonly base: string;
  readonly ops: readonly string[];
  readonly detail: string;
}

export interface MutateSummary {
  readonly inputs: number;
  readonly verdicts: Record<Verdict, number>;
  /** Inputs the subject judged otherwise than WABT, with no documented WABT deviation to explain it. */
  readonly wabtDisagreements: Finding[];
  readonly wabtExplained: Map<WabtDifference, number>;
  readonly v8Disagreements: Map<V8Difference, number>;
  readonly v8Unexplained: Finding[];
  readonly crashes: Finding[];
  readonly hangs: Finding[];
  /** Inputs that took more than a second to compile. */
  readonly slow: Finding[];
  maxMs: number;
  /** Inputs on which wasm-validate itself crashed (no reference verdict). */
  wabtCrashed: number;
  readonly timings: { generateMs: number; oursMs: number; wabtMs: number; wabtRan: number; wabtCached: number; v8Ms: number; wallMs: number };
}

export interface RunMutantsOptions {
  readonly count: number;
  readonly seed: number;
  readonly subject?: MutateSubject;
  /** Child processes compiling the mutants; 0 compiles in this process (no hang protection). */
  readonly workers?: number;
  /** Concurrent wasm-validate processes. */
  readonly wabtConcurrency?: number;
  /** Watchdog per input: generous, it only catches real infinite loops. */
  readonly timeoutMs?: number;
  readonly corpus?: readonly CorpusEntry[];
  /** Folder to write every crashing, hanging or disagreeing input to. */
  readonly saveDir?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function runMutants(options: RunMutantsOptions): Promise<MutateSummary> {
  const t0 = performance.now();
  const subject = options.subject ?? 'fleetlet';
  const corpus = options.corpus ?? loadCorpus();
  const mutants: Mutant[] = Array.from({ length: options.count }, (_, i) => makeMutant(corpus, options.seed, i));
  const generateMs = performance.now() - t0;

  const t1 = performance.now();
  const v8 = mutants.map((m) => {
    if (V8.validate(m.bytes)) return { valid: true, message: '' };
    try {
      new V8.Module(m.bytes);
      return { valid: false, message: 'rejected by validate only' };
    } catch (e) {
      return { valid: false, message: e instanceof Error ? e.message : String(e) };
    }
  });
  const v8Ms = performance.now() - t1;

  const ours: CompileResult[] = new Array<CompileResult>(mutants.length);
  let done = 0;
  const tOurs = performance.now();
  let oursMs = 0;
  if ((options.workers ?? 2) <= 0) await prepareCompiler(subject);
  const oursDone = runPool<Uint8Array, CompileResult>(mutants.map((m) => m.bytes), {
    workerScript: fileURLToPath(new URL('./mutate-worker.ts', import.meta.url)),
    workers: options.workers ?? 2,
    timeoutMs: options.timeoutMs ?? 60_000,
    env: { FUZZ_SUBJECT: subject },
    inProcess: compileJob,
    onResult: (_b, r, i) => { ours[i] = r; options.onProgress?.(++done, mutants.length); },
    onFailure: (_b, reason, i) => {
      ours[i] = { verdict: /hang/.test(reason) ? 'hang' : 'crash', message: reason, ms: /hang/.test(reason) ? options.timeoutMs ?? 60_000 : 0 };
      options.onProgress?.(++done, mutants.length);
    },
  }).then(() => { oursMs = performance.now() - tOurs; });
  const wabtRun = wabtVerdicts(mutants.map((m) => m.bytes), { concurrency: options.wabtConcurrency ?? 2 });
  const [, wabt] = await Promise.all([oursDone, wabtRun]);

  // Where fleetlet accepts and WABT rejects, WABT's verdict on the binary without custom sections.
  const stripped = new Map<number, Uint8Array>();
  mutants.forEach((m, i) => {
    if (ours[i]?.verdict !== 'valid' || wabt.verdicts[i]?.valid !== false) return;
    const s = withoutCustomSections(m.bytes);
    if (s !== undefined) stripped.set(i, s);
  });
  const strippedRun = await wabtVerdicts([...stripped.values()]);
  const withoutCustom = new Map([...stripped.keys()].map((i, k) => [i, strippedRun.verdicts[k] as WabtVerdict]));

  const summary: MutateSummary = {
    inputs: mutants.length,
    verdicts: { 'valid': 0, 'decode-error': 0, 'validation-error': 0, 'crash': 0, 'hang': 0 },
    wabtDisagreements: [], wabtExplained: new Map(), v8Disagreements: new Map(), v8Unexplained: [],
    crashes: [], hangs: [], slow: [], maxMs: 0, wabtCrashed: 0,
    timings: { generateMs, oursMs, wabtMs: wabt.ms + strippedRun.ms, wabtRan: wabt.ran + strippedRun.ran, wabtCached: wabt.cached, v8Ms, wallMs: 0 },
  };
  const save = (f: Finding, kind: string): void => {
    if (options.saveDir === undefined) return;
    mkdirSync(options.saveDir, { recursive: true });
    writeFileSync(`${options.saveDir}/${kind}-${options.seed}-${f.index}.wasm`, (mutants[f.index] as Mutant).bytes);
    writeFileSync(`${options.saveDir}/${kind}-${options.seed}-${f.index}.txt`, `${f.base}\n${f.ops.join('\n')}\n${f.detail}\n`);
  };
  mutants.forEach((m, i) => {
    const r = ours[i] as CompileResult;
    const w = wabt.verdicts[i] as WabtVerdict;
    const finding = (detail: string): Finding => ({ index: i, base: m.base, ops: m.ops, detail });
    summary.verdicts[r.verdict]++;
    summary.maxMs = Math.max(summary.maxMs, r.ms);
    if (r.ms > 1000) summary.slow.push(finding(`${r.ms.toFixed(0)} ms`));
    if (r.verdict === 'crash') { const f = finding(r.message); summary.crashes.push(f); save(f, 'crash'); return; }
    if (r.verdict === 'hang') { const f = finding(r.message); summary.hangs.push(f); save(f, 'hang'); return; }
    const ourValid = r.verdict === 'valid';
    if (w.valid === undefined) summary.wabtCrashed++;
    else if (ourValid !== w.valid) {
      const known = explainWabtDifference(m.bytes, ourValid, w, withoutCustom.get(i));
      if (known !== undefined) summary.wabtExplained.set(known, (summary.wabtExplained.get(known) ?? 0) + 1);
      else {
        const f = finding(`fleetlet: ${ourValid ? 'valid' : r.message}; wabt: ${w.valid ? 'valid' : w.message}`);
        summary.wabtDisagreements.push(f);
        save(f, 'wabt');
      }
    }
    const v = v8[i] as { valid: boolean; message: string };
    if (ourValid !== v.valid) {
      const why = explainV8Difference(m.bytes, v.valid, v.message);
      summary.v8Disagreements.set(why, (summary.v8Disagreements.get(why) ?? 0) + 1);
      if (why === 'unexplained') summary.v8Unexplained.push(finding(`fleetlet: ${ourValid ? 'valid' : r.message}; v8: ${v.valid ? 'valid' : v.message}`));
    }
  });
  summary.timings.wallMs = performance.now() - t0;
  return summary;
}

function describeFinding(f: Finding): string {
  return `  #${f.index} ${f.base} [${f.ops.join('; ')}]: ${f.detail.split('\n')[0]}`;
}

export function formatMutateSummary(s: MutateSummary): string {
  const t = s.timings;
  const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  return [
    `inputs ${s.inputs}: valid ${s.verdicts.valid}, decode errors ${s.verdicts['decode-error']}, validation errors ${s.verdicts['validation-error']}, crashes ${s.verdicts.crash}, hangs ${s.verdicts.hang}`,
    `unexpected exceptions ${s.crashes.length}`, ...s.crashes.slice(0, 10).map(describeFinding),
    `hangs ${s.hangs.length}`, ...s.hangs.slice(0, 10).map(describeFinding),
    `inputs over 1 s ${s.slow.length} (slowest ${s.maxMs.toFixed(0)} ms)`, ...s.slow.slice(0, 5).map(describeFinding),
    `disagreements with wabt ${s.wabtDisagreements.length}`, ...s.wabtDisagreements.slice(0, 20).map(describeFinding),
    `known wabt deviations from the spec: ${[...s.wabtExplained].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; wasm-validate crashed on ${s.wabtCrashed}`,
    `V8 second opinion, disagreements by reason: ${[...s.v8Disagreements].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    ...s.v8Unexplained.slice(0, 10).map(describeFinding),
    `time ${sec(t.wallMs)}: generate ${sec(t.generateMs)}, fleetlet ${sec(t.oursMs)}, wabt ${sec(t.wabtMs)} (${t.wabtRan} run, ${t.wabtCached} cached), V8 ${sec(t.v8Ms)}`,
  ].join('\n');
}
