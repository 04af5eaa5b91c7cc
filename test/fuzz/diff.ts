// Differential comparison of one module on two engines (fleetlet's against V8): every exported
// function, called after `hangLimitInitializer` as binaryen's harness does, must log the same
// values, return the same results (NaNs canonicalised) or trap alike; final memories must match.

import { denanModule } from './binaryen.ts';
import { F32, F64, I32, I64, formatLog, formatValues, isNumeric, loggingImports, zeroOf, type Engine, type LogEntry, type Outcome, type Raw, type Session } from './engine-types.ts';
import { Prng } from './prng.ts';
import { ReadFailure, summarize, type ExportInfo, type ModuleSummary, type Signature } from './wasm-reader.ts';

export const HANG_LIMIT_EXPORT = 'hangLimitInitializer';

export interface DiffCounts {
  /** Export calls whose outcome was compared on both engines. */
  readonly compared: number;
  /** Export calls left uncompared because an engine ran out of stack (or an earlier call did). */
  readonly inconclusive: number;
  /** Function exports not called because a parameter or result type is not numeric. */
  readonly unsupported: number;
}

export type DiffResult =
  | ({ readonly status: 'match' } & DiffCounts)
  | ({ readonly status: 'mismatch'; readonly detail: string } & DiffCounts)
  /** Differed only where NaN bit patterns can (the `--denan` build of the module matches). */
  | ({ readonly status: 'nan-only'; readonly detail: string } & DiffCounts)
  | { readonly status: 'skipped'; readonly reason: string };

export interface DiffOptions {
  /** Seeds the non-zero arguments. */
  readonly argSeed: number;
  /** Calls per export: the first with zeros, the others with seeded values. Default 2. */
  readonly callsPerExport?: number;
}

const i32Specials = [0, 1, -1, 0x7fffffff, -0x80000000, 0x80, 0xffff, 65536];
const i64Specials = [0n, 1n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n, 0xffffffffn, 0x100000000n];
const f32Specials = [0x3f800000, 0x80000000 | 0, 0x7f800000, 0xff800000 | 0, 0x7fc00000, 0x7fa00001, 0xffc00123 | 0, 1, 0x4f000000, 0xcf000000 | 0];
const f64Specials = [0x3ff0000000000000n, -0x8000000000000000n, 0x7ff0000000000000n, -0x10000000000000n, 0x7ff8000000000000n, 0x7ff4000000000001n, 1n, 0x41e0000000000000n, -0x3e20000000000000n];

/** Argument values for call `k` of an export: zeros first, then special and random bit patterns. */
export function argumentsFor(sig: Signature, rng: Prng, k: number): Raw[] {
  if (k === 0) return sig.params.map(zeroOf);
  return sig.params.map((t) => {
    const special = rng.chance(0.6);
    switch (t) {
      case I32: return special ? rng.pick(i32Specials) : rng.next() | 0;
      case I64: return special ? rng.pick(i64Specials) : rng.bigint64();
      case F32: return special ? rng.pick(f32Specials) : rng.next() | 0;
      case F64: return special ? rng.pick(f64Specials) : rng.bigint64();
      default: throw new Error(`Cannot make an argument of type "0x${t.toString(16)}"`);
    }
  });
}

function describeOutcome(o: Outcome, sig: Signature): string {
  switch (o.kind) {
    case 'done': return `returned ${formatValues(sig.results, o.values)}`;
    case 'trap': return `trapped (${o.kinds?.join(' or ') ?? 'unknown kind'}: ${o.message})`;
    case 'exhausted': return `exhausted (${o.message})`;
    case 'error': return `threw ${o.message}`;
  }
}

function outcomesAgree(a: Outcome, b: Outcome, sig: Signature): boolean {
  if (a.kind === 'trap' && b.kind === 'trap') {
    if (a.kinds === undefined || b.kinds === undefined) return true;
    return a.kinds.some((k) => b.kinds?.includes(k));
  }
  if (a.kind === 'done' && b.kind === 'done') return formatValues(sig.results, a.values) === formatValues(sig.results, b.values);
  return false;
}

interface Side {
  readonly engine: Engine;
  readonly session: Session;
  readonly logs: LogEntry[];
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function hex(bytes: Uint8Array, at: number): string {
  return [...bytes.subarray(at, at + 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

function supported(e: ExportInfo): e is ExportInfo & { sig: Signature } {
  return e.sig !== undefined && e.sig.params.every(isNumeric) && e.sig.results.every(isNumeric);
}

/** Compares one module on `subject` and `reference` (no NaN fallback: see `diffModule`). */
export function compareModule(bytes: Uint8Array, subject: Engine, reference: Engine, options: DiffOptions): DiffResult {
  let summary: ModuleSummary;
  try {
    summary = summarize(bytes);
  } catch (e) {
    if (e instanceof ReadFailure) return { status: 'skipped', reason: `Cannot read the module: ${e.message}` };
    throw e;
  }
  const logging = loggingImports(summary);
  if (logging.length !== summary.imports.length) {
    const other = summary.imports.find((i) => !logging.includes(i));
    return { status: 'skipped', reason: `Unsupported import "${other?.module}" "${other?.name}"` };
  }
  const refLogs: LogEntry[] = [];
  const refLoad = reference.load(bytes, summary, (e) => refLogs.push(e));
  if (refLoad.kind === 'rejected') return { status: 'skipped', reason: `${reference.name} rejects the module: ${refLoad.message}` };
  if (refLoad.kind === 'error') return { status: 'skipped', reason: `${reference.name} failed to load the module: ${refLoad.message}` };
  const subLogs: LogEntry[] = [];
  const subLoad = subject.load(bytes, summary, (e) => subLogs.push(e));

  const counts = { compared: 0, inconclusive: 0, unsupported: 0 };
  const calls: { exp: ExportInfo & { sig: Signature }; k: number }[] = [];
  const perExport = options.callsPerExport ?? 2;
  for (const exp of summary.exports) {
    if (exp.kind !== 0 || exp.name === HANG_LIMIT_EXPORT) continue;
    if (!supported(exp)) { counts.unsupported++; continue; }
    for (let k = 0; k < perExport; k++) calls.push({ exp, k });
  }
  const mismatch = (detail: string): DiffResult => ({ status: 'mismatch', detail, ...counts });

  if (refLoad.kind !== 'ready' || subLoad.kind !== 'ready') {
    counts.inconclusive = calls.length;
    if (refLoad.kind === 'exhausted' || subLoad.kind === 'exhausted') return { status: 'match', ...counts };
    const show = (l: typeof refLoad | typeof subLoad): string => (l.kind === 'ready' ? 'instantiated' : `${l.kind}: ${'message' in l ? l.message : ''}`);
    if (refLoad.kind === 'trap' && subLoad.kind === 'trap' && outcomesAgree(refLoad, subLoad, { params: [], results: [] })) {
      return { status: 'match', ...counts };
    }
    return mismatch(`Instantiation differs: ${subject.name} ${show(subLoad)}; ${reference.name} ${show(refLoad)}`);
  }
  const sub: Side = { engine: subject, session: subLoad.session, logs: subLogs };
  const ref: Side = { engine: reference, session: refLoad.session, logs: refLogs };
  const logDiff = (what: string): DiffResult | undefined => {
    const subText = sub.logs.map(formatLog);
    const refText = ref.logs.map(formatLog);
    const at = subText.findIndex((t, i) => t !== refText[i]);
    if (at < 0 && subText.length === refText.length) return undefined;
    const i = at >= 0 ? at : Math.min(subText.length, refText.length);
    return mismatch(`${what}: log entry ${i} differs: ${subject.name} ${subText[i] ?? '(none)'}, ${reference.name} ${refText[i] ?? '(none)'}`);
  };
  const startLogs = logDiff('Instantiation (start function)');
  if (startLogs !== undefined) return startLogs;
  const hangLimit = summary.exports.find((e) => e.name === HANG_LIMIT_EXPORT && e.kind === 0);
  const rng = new Prng(options.argSeed, 0xa465);

  for (let c = 0; c < calls.length; c++) {
    const { exp, k } = calls[c] as (typeof calls)[number];
    const args = argumentsFor(exp.sig, rng, k);
    const what = `"${exp.name}"${formatValues(exp.sig.params, args)}`;
    const run = (side: Side): Outcome => {
      if (hangLimit !== undefined) {
        const h = side.session.call(HANG_LIMIT_EXPORT, { params: [], results: [] }, []);
        if (h.kind !== 'done') return { kind: 'error', message: `${HANG_LIMIT_EXPORT} ${describeOutcome(h, { params: [], results: [] })}` };
      }
      side.logs.length = 0;
      return side.session.call(exp.name, exp.sig, args);
    };
    const subOut = run(sub);
    const refOut = run(ref);
    if (subOut.kind === 'exhausted' || refOut.kind === 'exhausted') {
      // The engines' states may differ from here on: nothing after this call is comparable.
      counts.inconclusive += calls.length - c;
      return { status: 'match', ...counts };
    }
    const logs = logDiff(`Call ${what}`);
    if (logs !== undefined) return logs;
    if (subOut.kind === 'error' || !outcomesAgree(subOut, refOut, exp.sig)) {
      return mismatch(`Call ${what}: ${subject.name} ${describeOutcome(subOut, exp.sig)}, ${reference.name} ${describeOutcome(refOut, exp.sig)}`);
    }
    counts.compared++;
  }
  const subMem = sub.session.memory();
  const refMem = ref.session.memory();
  if (subMem !== undefined && refMem !== undefined) {
    const at = firstDifference(subMem, refMem);
    if (at >= 0) {
      return mismatch(`Final memory differs at byte ${at} (sizes ${subMem.length} and ${refMem.length}): ${subject.name} ${hex(subMem, at)}, ${reference.name} ${hex(refMem, at)}`);
    }
  } else if (subMem !== refMem) {
    return mismatch(`Only one engine exports a memory`);
  }
  return { status: 'match', ...counts };
}

/**
 * Compares one module; when it differs, compares its `--denan` build too, and calls the
 * difference NaN-only if that build matches (the spec leaves arithmetic NaN bits open, and they
 * can reach integers, memory and control flow through reinterpretation).
 */
export function diffModule(bytes: Uint8Array, subject: Engine, reference: Engine, options: DiffOptions): DiffResult {
  const first = compareModule(bytes, subject, reference, options);
  if (first.status !== 'mismatch') return first;
  const denanned = denanModule(bytes);
  if (!denanned.ok) return { ...first, detail: `${first.detail} (no --denan build: ${denanned.reason})` };
  const second = compareModule(denanned.bytes, subject, reference, options);
  if (second.status === 'match') return { ...first, status: 'nan-only' };
  const note = second.status === 'skipped' ? second.reason : second.detail;
  return { ...first, detail: `${first.detail} (--denan build: ${note})` };
}
