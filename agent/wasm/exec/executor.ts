// An executor: the value stack and frame stack one call runs on, plus the entry point that turns
// a call into a `CallResult` (done, trap or exhausted) with a Wasm backtrace.

import type { CallResult } from '../api.ts';
import { EngineBug, ExhaustionError, Trap, type Frame } from '../errors.ts';
import type { Limits } from '../runtime/limits.ts';
import type { FuncInst, StoreData, WasmFuncInst } from '../runtime/store.ts';
import type { CompiledFunc } from './code.ts';
import { callHostDirect } from './host-call.ts';
import { run } from './interp.ts';
import { readValue, writeValue } from './values.ts';

const INITIAL_WORDS = 1 << 14;

export class Executor {
  S: Int32Array;
  F32: Float32Array;
  F64: Float64Array;
  /** Caller frames: function, return code index, frame pointer (in words). */
  readonly fFunc: (WasmFuncInst | undefined)[] = [];
  readonly fPc: number[] = [];
  readonly fFp: number[] = [];
  depth = 0;
  maxDepth: number;
  maxWords: number;
  trapFunc: WasmFuncInst | undefined;
  trapPc = 0;
  store: StoreData | undefined;

  constructor(limits: Limits) {
    this.maxDepth = limits.maxCallDepth;
    this.maxWords = limits.maxStackSlots * 2;
    const buf = new ArrayBuffer(Math.min(INITIAL_WORDS, this.maxWords) * 4);
    this.S = new Int32Array(buf);
    this.F32 = new Float32Array(buf);
    this.F64 = new Float64Array(buf);
  }

  /**
   * Makes the value stack at least `words` long.
   * @throws ExhaustionError when that exceeds the stack limit
   */
  ensure(words: number): void {
    if (words <= this.S.length) return;
    if (words > this.maxWords) {
      throw new ExhaustionError('value-stack', `Value stack exhausted: more than ${this.maxWords >> 1} slots needed`);
    }
    let n = this.S.length * 2;
    while (n < words) n *= 2;
    n = Math.min(n, this.maxWords + (this.maxWords & 1));
    const buf = new ArrayBuffer(n * 4);
    new Int32Array(buf).set(this.S);
    this.S = new Int32Array(buf);
    this.F32 = new Float32Array(buf);
    this.F64 = new Float64Array(buf);
  }

  /** The Wasm frames at the point of the last trap, innermost first. */
  backtrace(baseDepth: number): Frame[] {
    const frames: Frame[] = [];
    if (this.trapFunc !== undefined) frames.push(frameOf(this.trapFunc, this.trapPc));
    for (let d = this.depth - 1; d >= baseDepth; d--) {
      const f = this.fFunc[d];
      if (f !== undefined) frames.push(frameOf(f, this.fPc[d]! - 1));
    }
    return frames;
  }
}

function frameOf(f: WasmFuncInst, pc: number): Frame {
  const c = f.code as CompiledFunc | undefined;
  let offset: number | undefined;
  if (c !== undefined) {
    for (let i = Math.min(pc, c.posAt.length - 1); i >= 0; i--) {
      const p = c.posAt[i]!;
      if (p >= 0) {
        offset = p;
        break;
      }
    }
  }
  return { funcIndex: f.index, name: f.instance.ast.names.funcs.get(f.index), offset };
}

const pool: Executor[] = [];

function acquire(limits: Limits): Executor {
  const ex = pool.pop() ?? new Executor(limits);
  ex.maxDepth = limits.maxCallDepth;
  ex.maxWords = limits.maxStackSlots * 2;
  return ex;
}

function release(ex: Executor): void {
  ex.depth = 0;
  ex.trapFunc = undefined;
  ex.store = undefined;
  ex.fFunc.length = 0;
  if (pool.length < 4) pool.push(ex);
}

/**
 * Calls a function with API values and returns how the call ended. Re-entrant: a host function
 * may call back into WebAssembly (it runs on another executor).
 * @throws TypeError when an argument does not fit its parameter type
 */
export function invoke(store: StoreData, f: FuncInst, args: readonly unknown[], raw: boolean, limits: Limits): CallResult<unknown[]> {
  const { params, results } = f.type;
  if (args.length !== params.length) {
    throw new TypeError(`Cannot call a function of ${params.length} parameters with ${args.length} arguments`);
  }
  const ex = acquire(limits);
  ex.store = store;
  try {
    ex.ensure(Math.max(params.length, results.length) * 2 + 2);
    for (let i = 0; i < params.length; i++) writeValue(ex.S, i * 2, params[i]!, args[i], raw, store);
    if (f.kind === 'host') callHostDirect(ex, f, 0);
    else run(ex, f as WasmFuncInst, 0);
    const out: unknown[] = [];
    for (let i = 0; i < results.length; i++) out.push(readValue(ex.S, i * 2, results[i]!, raw, store, store.funcRefFactory));
    return { kind: 'done', value: out };
  } catch (e) {
    if (e instanceof Trap) {
      if (e.backtrace.length === 0) e.backtrace = ex.backtrace(0);
      return { kind: 'trap', trap: e };
    }
    if (e instanceof ExhaustionError) {
      e.backtrace = ex.backtrace(0);
      return { kind: 'exhausted', error: e };
    }
    if (e instanceof TypeError || e instanceof EngineBug) throw e;
    if (e instanceof RangeError) {
      // The JavaScript stack ran out (a host function recursing through re-entrant calls).
      const x = new ExhaustionError('call-depth', `JavaScript stack exhausted: ${e.message}`);
      x.backtrace = ex.backtrace(0);
      return { kind: 'exhausted', error: x };
    }
    throw e;
  } finally {
    release(ex);
  }
}
