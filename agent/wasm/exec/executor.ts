// An executor: the value stack and frame stack one call runs on, its saved position while
// suspended, and the entry points that turn a call into a `CallResult` (done, trap, exhausted,
// or suspended with a resumable handle) with a Wasm backtrace.

import type { CallResult, Pending, SuspendReason, SuspendedCall } from '../api.ts';
import { EngineBug, ExhaustionError, Trap, type Frame } from '../errors.ts';
import type { Limits } from '../runtime/limits.ts';
import type { FuncInst, HostFuncInst, StoreData, WasmFuncInst } from '../runtime/store.ts';
import type { CompiledFunc } from './code.ts';
import { compiledOf } from './compile-cache.ts';
import { callHostDirect, writeHostResults } from './host-call.ts';
import { enterFrame, run, RUN_DONE, RUN_OUT_OF_FUEL } from './interp.ts';
import { captureState, encodeSnapshot, type StateData } from './snapshot-state.ts';
import { readValue, writeValue } from './values.ts';

const INITIAL_WORDS = 1 << 10; // 4 KiB; grows by doubling up to the limit

/** A host call that asked to wait: where its results go when it completes. */
export interface PendingHostCall {
  readonly callee: HostFuncInst;
  /** Word index of the callee's arguments (and of its results). */
  readonly fp: number;
  readonly wait: Pending;
}

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
  /** Saved position: the running function (undefined once the call finished), code index, frame pointer. */
  cur: WasmFuncInst | undefined;
  pc = 0;
  fp = 0;
  /** Fuel left for the current call; `fuelGiven` is all it was given, so used = given - left. */
  fuel = 0;
  fuelGiven = 0;
  pending: PendingHostCall | undefined;
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

  /** Records where execution stopped (or will continue). */
  save(f: WasmFuncInst, pc: number, fp: number, depth: number): void {
    this.cur = f;
    this.pc = pc;
    this.fp = fp;
    this.depth = depth;
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
  backtrace(): Frame[] {
    const frames: Frame[] = [];
    if (this.trapFunc !== undefined) frames.push(frameOf(this.trapFunc, this.trapPc));
    for (let d = this.depth - 1; d >= 0; d--) {
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
  ex.cur = undefined;
  ex.pending = undefined;
  ex.trapFunc = undefined;
  ex.store = undefined;
  ex.fFunc.length = 0;
  if (pool.length < 4 && ex.S.length <= 1 << 20) pool.push(ex);
}

/** Turns results at word 0 into API values. */
type Finish<T> = (ex: Executor) => T;

/** A suspended call: the executor stays reserved for it until it finishes. */
class Suspension<T> implements SuspendedCall<T> {
  private used = false;
  constructor(
    private readonly ex: Executor,
    readonly reason: SuspendReason,
    private readonly finish: Finish<T>,
    private readonly raw: boolean,
  ) {}

  snapshot(): Uint8Array {
    if (this.used) throw new Error('Cannot snapshot a call that was resumed');
    return encodeSnapshot(captureState(this.ex, this.reason, this.raw));
  }

  get pending(): Pending | undefined {
    return this.ex.pending?.wait;
  }

  fuelLeft(): number {
    return this.ex.fuel;
  }

  addFuel(units: number): void {
    if (!(units >= 0) || !Number.isSafeInteger(this.ex.fuelGiven + units)) {
      throw new RangeError(`Cannot add ${units} units of fuel: the total must stay a safe integer`);
    }
    this.ex.fuel += units;
    this.ex.fuelGiven += units;
  }

  fail(reason: unknown): CallResult<T> {
    if (this.used) throw new Error('Cannot fail a call twice from the same suspension');
    if (this.reason !== 'wait') throw new Error('Only a call waiting on a host function can fail');
    this.used = true;
    const p = this.ex.pending!;
    this.ex.pending = undefined;
    this.ex.trapFunc = this.ex.cur;
    this.ex.trapPc = this.ex.pc - 1;
    const msg = reason instanceof Error ? reason.message : String(reason);
    return settle(this.ex, new Trap('host-error', `"${p.callee.host.name}": ${msg}`, { cause: reason }), this.finish);
  }

  resume(hostResult?: unknown): CallResult<T> {
    if (this.used) throw new Error('Cannot resume a call twice from the same suspension');
    this.used = true;
    const ex = this.ex;
    if (this.reason === 'wait') {
      const p = ex.pending!;
      ex.pending = undefined;
      try {
        writeHostResults(ex, p.callee, p.fp, hostResult);
      } catch (e) {
        return settle(ex, e, this.finish);
      }
      if (ex.cur === undefined) return done(ex, this.finish); // the host function was the callee itself
    }
    return drive(ex, this.finish, this.raw);
  }
}

function fuelUsed(ex: Executor): number {
  return ex.fuelGiven - ex.fuel;
}

function done<T>(ex: Executor, finish: Finish<T>): CallResult<T> {
  try {
    const value = finish(ex);
    return { kind: 'done', value, fuelUsed: fuelUsed(ex) };
  } finally {
    release(ex);
  }
}

/** Turns what a run threw into a result (and frees the executor). */
function settle<T>(ex: Executor, e: unknown, _finish: Finish<T>): CallResult<T> {
  const used = fuelUsed(ex);
  try {
    if (e instanceof Trap) {
      if (e.backtrace.length === 0) e.backtrace = ex.backtrace();
      return { kind: 'trap', trap: e, fuelUsed: used };
    }
    if (e instanceof ExhaustionError) {
      e.backtrace = ex.backtrace();
      return { kind: 'exhausted', error: e, fuelUsed: used };
    }
    if (e instanceof RangeError) {
      // The JavaScript stack ran out (a host function recursing through re-entrant calls).
      const x = new ExhaustionError('call-depth', `JavaScript stack exhausted: ${e.message}`);
      x.backtrace = ex.backtrace();
      return { kind: 'exhausted', error: x, fuelUsed: used };
    }
    throw e instanceof EngineBug || e instanceof TypeError ? e : new EngineBug(`Unexpected error in the engine: ${String(e)}`, { cause: e });
  } finally {
    release(ex);
  }
}

/** Runs the executor from its saved position to the next stop. */
function drive<T>(ex: Executor, finish: Finish<T>, raw: boolean): CallResult<T> {
  let status: number;
  try {
    status = run(ex);
  } catch (e) {
    return settle(ex, e, finish);
  }
  if (status === RUN_DONE) return done(ex, finish);
  const reason: SuspendReason = status === RUN_OUT_OF_FUEL ? 'fuel' : 'wait';
  return { kind: 'suspended', reason, call: new Suspension(ex, reason, finish, raw), fuelUsed: fuelUsed(ex) };
}

/**
 * Calls a function and returns how the call ended (or that it is suspended). Re-entrant: a host
 * function may call back into WebAssembly (it runs on another executor).
 * @throws TypeError when an argument does not fit its parameter type
 */
export function invoke(store: StoreData, f: FuncInst, args: readonly unknown[], raw: boolean, limits: Limits): CallResult<unknown[]> {
  const { params, results } = f.type;
  if (args.length !== params.length) {
    throw new TypeError(`Cannot call a function of ${params.length} parameters with ${args.length} arguments`);
  }
  const ex = acquire(limits);
  ex.store = store;
  ex.fuel = limits.fuelPerCall;
  ex.fuelGiven = limits.fuelPerCall;
  const finish: Finish<unknown[]> = (e) => {
    const out: unknown[] = [];
    for (let i = 0; i < results.length; i++) out.push(readValue(e.S, i * 2, results[i]!, raw, store, store.funcRefFactory));
    return out;
  };
  try {
    ex.ensure(Math.max(params.length, results.length) * 2 + 2);
    for (let i = 0; i < params.length; i++) writeValue(ex.S, i * 2, params[i]!, args[i], raw, store);
  } catch (e) {
    release(ex);
    throw e;
  }
  if (f.kind === 'host') {
    ex.cur = undefined;
    try {
      if (callHostDirect(ex, f, 0)) {
        return { kind: 'suspended', reason: 'wait', call: new Suspension(ex, 'wait', finish, raw), fuelUsed: 0 };
      }
    } catch (e) {
      return settle(ex, e, finish);
    }
    return done(ex, finish);
  }
  try {
    const cf = compiledOf(f as WasmFuncInst);
    ex.ensure(cf.frameWords);
    enterFrame(ex.S, 0, cf);
  } catch (e) {
    return settle(ex, e, finish);
  }
  ex.save(f as WasmFuncInst, 0, 0, 0);
  return drive(ex, finish, raw);
}

/**
 * Turns an executor rebuilt from a snapshot into a suspended call. A pending host call is issued
 * again (the host reopens whatever it needs); if the host answers at once, the call is ready and
 * reported as suspended with reason "fuel" (resume it, adding fuel if none is left).
 */
export function suspendedFrom(ex: Executor, data: StateData): CallResult<unknown[]> {
  const store = ex.store!;
  const first = ex.depth > 0 ? ex.fFunc[0]! : ex.cur!;
  const results = first.type.results;
  const raw = data.raw;
  const finish: Finish<unknown[]> = (e) => results.map((t, i) => readValue(e.S, i * 2, t, raw, store, store.funcRefFactory));
  let reason: SuspendReason = 'fuel';
  if (data.reason === 'wait') {
    const p = data.pending!;
    const callee = ex.cur!.instance.funcs[p.func] as HostFuncInst;
    try {
      if (callHostDirect(ex, callee, p.fp)) reason = 'wait';
    } catch (e) {
      return settle(ex, e, finish);
    }
  }
  return { kind: 'suspended', reason, call: new Suspension(ex, reason, finish, raw), fuelUsed: fuelUsed(ex) };
}

/** Maps the value of a finished call, keeping suspensions chained (instantiation uses it for the start function). */
export function mapResult<A, B>(r: CallResult<A>, f: (a: A) => B): CallResult<B> {
  switch (r.kind) {
    case 'done':
      return { kind: 'done', value: f(r.value), fuelUsed: r.fuelUsed };
    case 'suspended': {
      const call = r.call;
      const mapped: SuspendedCall<B> = {
        reason: call.reason,
        get pending() { return call.pending; },
        fuelLeft: () => call.fuelLeft(),
        addFuel: (n) => call.addFuel(n),
        resume: (v) => mapResult(call.resume(v), f),
        fail: (e) => mapResult(call.fail(e), f),
        snapshot: () => call.snapshot(),
      };
      return { kind: 'suspended', reason: r.reason, call: mapped, fuelUsed: r.fuelUsed };
    }
    default:
      return r;
  }
}
