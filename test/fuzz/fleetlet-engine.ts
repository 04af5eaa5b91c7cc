// fleetlet's own WebAssembly engine behind the differential fuzzer's `Engine` interface: compile,
// instantiate with raw logging host functions, call exports with raw values, read memory.

import { DecodeError, ExhaustionError, Instance, LinkError, Module, Store, Trap, ValidationError, hostFunc } from '../../agent/wasm/index.ts';
import type { CallResult, Func, FuncType, HostFunc, RawValue } from '../../agent/wasm/index.ts';
import { loggingImports, zeroOf, type Engine, type LoadResult, type LogEntry, type Outcome, type Raw, type Session } from './engine-types.ts';
import type { ModuleSummary, Signature } from './wasm-reader.ts';

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function fromResult<T>(r: CallResult<T>, done: (value: T) => Outcome): Outcome {
  switch (r.kind) {
    case 'done': return done(r.value);
    case 'trap': return { kind: 'trap', kinds: [r.trap.kind], message: r.trap.message };
    case 'exhausted': return { kind: 'exhausted', message: r.error.message };
    default: return { kind: 'error', message: `Call ended as "${r.kind}", though no fuel limit or suspending host function was set` };
  }
}

/** Exceptions other than the typed results: a trap or exhaustion thrown instead of returned still counts as one. */
function fromException(e: unknown): Exclude<Outcome, { kind: 'done' }> {
  if (e instanceof Trap) return { kind: 'trap', kinds: [e.kind], message: `${e.message} (thrown, not returned)` };
  if (e instanceof ExhaustionError) return { kind: 'exhausted', message: `${e.message} (thrown, not returned)` };
  return { kind: 'error', message: describe(e) };
}

class FleetletSession implements Session {
  constructor(private readonly instance: Instance, private readonly memoryName: string | undefined) {}

  call(name: string, _sig: Signature, args: readonly Raw[]): Outcome {
    let f: Func;
    try {
      f = this.instance.func(name);
      return fromResult(f.callRaw(args as RawValue[]), (values) => ({ kind: 'done', values: values as Raw[] }));
    } catch (e) {
      return fromException(e);
    }
  }

  memory(): Uint8Array | undefined {
    if (this.memoryName === undefined) return undefined;
    return new Uint8Array(this.instance.memory(this.memoryName).buffer).slice();
  }
}

export const fleetletEngine: Engine = {
  name: 'fleetlet',
  load(bytes: Uint8Array, summary: ModuleSummary, log: (entry: LogEntry) => void): LoadResult {
    let module: Module;
    try {
      module = Module.compile(bytes);
    } catch (e) {
      if (e instanceof DecodeError || e instanceof ValidationError) return { kind: 'rejected', message: describe(e) };
      return { kind: 'error', message: describe(e) };
    }
    const fields: Record<string, HostFunc> = {};
    for (const imp of loggingImports(summary)) {
      const sig = imp.sig as Signature;
      const zeros = sig.results.map(zeroOf);
      const fn = (...args: RawValue[]): RawValue[] | undefined => {
        log({ name: imp.name, sig, args: args as Raw[] });
        return zeros.length === 0 ? undefined : zeros;
      };
      fields[imp.name] = hostFunc(sig as FuncType, fn, { raw: true, name: imp.name });
    }
    let instance: Instance;
    try {
      const r = Instance.instantiate(new Store(), module, { 'fuzzing-support': fields });
      if (r.kind !== 'done') return fromResult(r, () => ({ kind: 'error', message: 'unreachable' })) as LoadResult;
      instance = r.value;
    } catch (e) {
      if (e instanceof LinkError) return { kind: 'error', message: describe(e) };
      return fromException(e);
    }
    const memoryName = summary.exports.find((e) => e.kind === 2)?.name;
    return { kind: 'ready', session: new FleetletSession(instance, memoryName) };
  },
};

/**
 * Why fleetlet's engine cannot run the fuzzers yet, or undefined when it can: compiles,
 * instantiates and calls a one-function module, and reports the first exception.
 */
export function engineNotReady(): string | undefined {
  // (module (func (export "f") (result i32) i32.const 7))
  const bytes = Uint8Array.from([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 7, 5, 1, 1, 0x66, 0, 0, 10, 6, 1, 4, 0, 0x41, 7, 0x0b,
  ]);
  try {
    const r = Instance.instantiate(new Store(), Module.compile(bytes), {});
    if (r.kind !== 'done') return `Instantiating a trivial module gave "${r.kind}"`;
    const c = r.value.func('f').callRaw([]);
    if (c.kind !== 'done' || c.value[0] !== 7) return 'Calling a trivial function did not return 7';
    return undefined;
  } catch (e) {
    return describe(e);
  }
}
