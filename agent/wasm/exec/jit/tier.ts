// The tiering policy: which functions the fast tier compiles, and when. `FLEETLET_TIER` picks
// it: `interp` never compiles, `jit` compiles every function when it is first translated, `auto`
// (the default) compiles a function once the interpreter has run enough of its instructions.

import { ValType, type FuncType, type ModuleAst } from '../../types.ts';
import type { CompiledFunc, JitFn } from '../code.ts';
import { compileFunction, MAX_CODE_WORDS, type FuncInfo } from './compile.ts';

export type TierMode = 'interp' | 'jit' | 'auto';

const MODES: readonly TierMode[] = ['interp', 'jit', 'auto'];

/**
 * Instructions the interpreter runs in a function (over all its calls and instances) before
 * `auto` compiles it: enough that code run once (start functions, spec assertions) is never
 * compiled, few enough that a hot loop spends almost all its time compiled.
 */
export const HOT_STEPS = 2_000;

/**
 * The mode named by a `FLEETLET_TIER` value (undefined or empty means `auto`).
 * @throws Error for any other value
 */
export function parseTierMode(v: string | undefined): TierMode {
  if (v === undefined || v === '') return 'auto';
  const m = MODES.find((x) => x === v);
  if (m === undefined) throw new Error(`Unknown FLEETLET_TIER "${v}": use "interp", "jit" or "auto"`);
  return m;
}

let mode: TierMode = parseTierMode(process.env['FLEETLET_TIER']);

/** The current tiering mode. */
export function tierMode(): TierMode {
  return mode;
}

/**
 * Changes the mode for functions translated from now on (tests force a tier with it; already
 * translated functions keep what they have).
 */
export function setTierMode(m: TierMode): void {
  mode = m;
}

/** Functions compiled and refused since the process started (tests check the tier really ran). */
export interface TierStats {
  compiled: number;
  refused: number;
  /** Compilations that threw (an engine bug: the function stays interpreted), and the last error. */
  failed: number;
  lastError: unknown;
}

const stats: TierStats = { compiled: 0, refused: 0, failed: 0, lastError: undefined };

/** A copy of the counts of compiled and refused functions. */
export function tierStats(): TierStats {
  return { ...stats };
}

/** Compiled code for cf, or undefined when the fast tier leaves it to the interpreter. */
function compiled(cf: CompiledFunc, info: FuncInfo | undefined): JitFn | undefined {
  let r;
  try {
    r = compileFunction(cf, info);
  } catch (e) {
    // A bug in the fast tier must not fail the guest's call: the interpreter runs the function.
    stats.failed++;
    stats.lastError = e;
    return undefined;
  }
  if (r.ok) stats.compiled++;
  else stats.refused++;
  return r.ok ? r.fn : undefined;
}

/**
 * A stand-in for compiled code that only counts: the interpreter calls it before every
 * instruction of the function, so once it has seen `HOT_STEPS` of them it compiles the function
 * and hands over (the interpreter keeps calling it until the current call returns: from then on
 * it forwards to the compiled code).
 */
/** The counting stand-ins now installed (to tell them from compiled code). */
const counting = new WeakSet<JitFn>();

/** How a translated function runs now: interpreted, interpreted while counting, or compiled. */
export function tierOf(cf: CompiledFunc): 'interp' | 'counting' | 'compiled' {
  if (cf.jit === undefined) return 'interp';
  return counting.has(cf.jit) ? 'counting' : 'compiled';
}

function counter(cf: CompiledFunc, info: (() => FuncInfo) | undefined): JitFn {
  let left = HOT_STEPS;
  let fn: JitFn | undefined;
  const stub: JitFn = (ex, inst, fp, pc) => {
    if (fn !== undefined) return fn(ex, inst, fp, pc);
    if (--left > 0) return pc;
    fn = compiled(cf, info?.());
    if (fn === undefined) {
      fn = (_ex, _inst, _fp, p) => p; // not compilable after all: the interpreter keeps it
      cf.jit = undefined;
    } else {
      cf.jit = fn;
    }
    return fn(ex, inst, fp, pc);
  };
  counting.add(stub);
  return stub;
}

/**
 * Sets up a freshly translated function for the current mode (called once per translation, by
 * compile-cache.ts): compiles it now (`jit`), installs the counting stand-in (`auto`) or leaves
 * it to the interpreter (`interp`, or code too large to compile). `info` (see `funcInfo`) tells
 * the compiler which slots each call reads and which locals are 32 bits wide.
 */
export function prepareTier(cf: CompiledFunc, info?: FuncInfo | (() => FuncInfo)): void {
  if (mode === 'interp' || cf.code.length > MAX_CODE_WORDS) return;
  // `info` may be a function: most translated functions never get hot, so the counting stand-in asks for it only
  // when it compiles (the agent then holds no FuncInfo for the functions that stay interpreted).
  const get = typeof info === 'function' ? info : info === undefined ? undefined : () => info;
  cf.jit = mode === 'jit' ? compiled(cf, get?.()) : counter(cf, get);
}

/** What the compiler may know about defined function `defIndex` of a module (numbers only). */
export function funcInfo(ast: ModuleAst, funcTypes: readonly FuncType[], defIndex: number): FuncInfo {
  const own = funcTypes[funcTypes.length - ast.funcs.length + defIndex]!;
  const types: ValType[] = [...own.params];
  for (const run of ast.codes[defIndex]!.locals) for (let i = 0; i < run.count; i++) types.push(run.type);
  const wide = (t: ValType): boolean => t === ValType.I64 || t === ValType.F64 || t === ValType.V128;
  // Results are copied to the first slots before returning, whatever the locals there hold.
  const narrow = Uint8Array.from(types, (t, i) => (wide(t) || (i < own.results.length && wide(own.results[i]!)) ? 0 : 1));
  return {
    funcParams: (idx) => funcTypes[idx]?.params.length ?? 0,
    typeParams: (idx) => ast.types[idx]?.params.length ?? 0,
    narrow,
  };
}
