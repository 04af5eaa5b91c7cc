// The spec runner's adapter for Node's own WebAssembly (V8): proves the runner on an engine
// that passes the whole core suite. Exact values cross through wrapper modules (v8-wrappers.ts).

import { describeThrown, failed, ok, type Outcome, type SpecEngine, type SpecInstance, type SpecModule, type SpecSession } from './adapter.ts';
import { boundaryType, callWrapper, globalWrapper, typedHostFuncs } from './v8-wrappers.ts';
import type { SpecType, SpecValue } from './values.ts';

/** The part of the JS WebAssembly API used here (the project compiles without the DOM library). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Global: new (desc: { value: string; mutable: boolean }, value: unknown) => object;
  Table: new (desc: { element: string; initial: number; maximum: number }) => object;
  Memory: new (desc: { initial: number; maximum: number }) => object;
  CompileError: new () => Error;
  LinkError: new () => Error;
  RuntimeError: new () => Error;
}

const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const SPECTEST_FUNCS: readonly { readonly name: string; readonly params: readonly SpecType[] }[] = [
  { name: 'print', params: [] },
  { name: 'print_i32', params: ['i32'] },
  { name: 'print_i64', params: ['i64'] },
  { name: 'print_f32', params: ['f32'] },
  { name: 'print_f64', params: ['f64'] },
  { name: 'print_i32_f32', params: ['i32', 'f32'] },
  { name: 'print_f64_f64', params: ['f64', 'f64'] },
];

let hostFuncModule: object | undefined;

/** A fresh `spectest` import namespace (README of the shared wasm-spec data). */
function makeSpectest(): Record<string, unknown> {
  hostFuncModule ??= new WA.Module(typedHostFuncs(SPECTEST_FUNCS));
  const host = Object.fromEntries(SPECTEST_FUNCS.map((f) => [f.name, () => undefined]));
  const funcs = new WA.Instance(hostFuncModule, { host }).exports;
  return {
    ...funcs,
    global_i32: new WA.Global({ value: 'i32', mutable: false }, 666),
    global_i64: new WA.Global({ value: 'i64', mutable: false }, 666n),
    global_f32: new WA.Global({ value: 'f32', mutable: false }, 666.6),
    global_f64: new WA.Global({ value: 'f64', mutable: false }, 666.6),
    table: new WA.Table({ element: 'anyfunc', initial: 10, maximum: 20 }),
    memory: new WA.Memory({ initial: 1, maximum: 2 }),
  };
}

/** Maps an exception from V8 to a failure kind by class. */
function classify<T>(e: unknown): Outcome<T> {
  if (e instanceof WA.CompileError) return failed('rejected', e.message);
  if (e instanceof WA.LinkError) return failed('unlinkable', e.message);
  if (e instanceof WA.RuntimeError) return failed('trap', e.message);
  if (e instanceof RangeError) return failed('exhaustion', e.message);
  return failed('error', describeThrown(e));
}

function toBoundary(v: SpecValue): unknown {
  switch (v.type) {
    case 'i32':
    case 'f32':
      return v.bits | 0;
    case 'i64':
    case 'f64':
      return BigInt.asIntN(64, v.bits);
    case 'funcref':
    case 'externref':
      return v.ref;
  }
}

function fromBoundary(type: SpecType, x: unknown): SpecValue {
  switch (type) {
    case 'i32':
    case 'f32':
      if (typeof x !== 'number') throw new Error(`V8 returned a ${typeof x} for an ${boundaryType(type)}`);
      return { type, bits: x >>> 0 };
    case 'i64':
    case 'f64':
      if (typeof x !== 'bigint') throw new Error(`V8 returned a ${typeof x} for an ${boundaryType(type)}`);
      return { type, bits: BigInt.asUintN(64, x) };
    case 'funcref':
    case 'externref':
      return { type, ref: x };
  }
}

type Run = (...args: unknown[]) => unknown;

class V8Instance implements SpecInstance {
  /** Wrapper `run` functions by export and signature. */
  private readonly wrappers = new Map<string, Run>();

  constructor(readonly exports: Record<string, unknown>) {}

  invoke(field: string, args: readonly SpecValue[], resultTypes: readonly SpecType[]): Outcome<SpecValue[]> {
    const target = this.exports[field];
    if (typeof target !== 'function') return failed('error', `No exported function "${field}"`);
    const params = args.map((a) => a.type);
    const key = `call ${field} ${params.join(',')} -> ${resultTypes.join(',')}`;
    let run = this.wrappers.get(key);
    if (run === undefined) {
      try {
        run = new WA.Instance(new WA.Module(callWrapper(params, resultTypes)), { t: { f: target } }).exports['run'] as Run;
      } catch (e) {
        return failed('error', `Cannot wrap "${field}" as (${params.join(', ')}) -> (${resultTypes.join(', ')}): ${describeThrown(e)}`);
      }
      this.wrappers.set(key, run);
    }
    let raw: unknown;
    try {
      raw = run(...args.map(toBoundary));
    } catch (e) {
      return classify(e);
    }
    const values = resultTypes.length === 0 ? [] : resultTypes.length === 1 ? [raw] : (raw as unknown[]);
    return ok(resultTypes.map((t, i) => fromBoundary(t, values[i])));
  }

  get(field: string, type: SpecType): Outcome<SpecValue> {
    const target = this.exports[field];
    if (target === undefined) return failed('error', `No exported global "${field}"`);
    const key = `get ${field} ${type}`;
    let run = this.wrappers.get(key);
    if (run === undefined) {
      // Mutability must match to import a global; the script does not say which it is.
      for (const mutable of [false, true]) {
        try {
          run = new WA.Instance(new WA.Module(globalWrapper(type, mutable)), { t: { g: target } }).exports['run'] as Run;
          break;
        } catch (e) {
          if (mutable) return failed('error', `Cannot read "${field}" as a ${type} global: ${describeThrown(e)}`);
        }
      }
      if (run === undefined) return failed('error', `Cannot read "${field}" as a ${type} global`);
      this.wrappers.set(key, run);
    }
    try {
      return ok(fromBoundary(type, run()));
    } catch (e) {
      return classify(e);
    }
  }
}

class V8Module implements SpecModule {
  constructor(private readonly module: object, private readonly spectest: () => Record<string, unknown>) {}

  instantiate(registered: ReadonlyMap<string, SpecInstance>): Outcome<SpecInstance> {
    const namespaces: Record<string, unknown> = { spectest: this.spectest() };
    for (const [name, inst] of registered) {
      if (!(inst instanceof V8Instance)) return failed('error', `Registered instance "${name}" does not belong to the V8 adapter`);
      namespaces[name] = inst.exports;
    }
    // An unknown module name must be a link error (as in the spec), not the JS API's TypeError.
    const imports = new Proxy(namespaces, { get: (t, k) => (typeof k === 'string' && k in t ? t[k] : {}) });
    try {
      return ok(new V8Instance(new WA.Instance(this.module, imports).exports));
    } catch (e) {
      return classify(e);
    }
  }
}

class V8Session implements SpecSession {
  private spectest: Record<string, unknown> | undefined;
  private readonly getSpectest = (): Record<string, unknown> => (this.spectest ??= makeSpectest());

  compile(bytes: Uint8Array): Outcome<SpecModule> {
    try {
      return ok(new V8Module(new WA.Module(bytes), this.getSpectest));
    } catch (e) {
      return classify(e);
    }
  }
}

/** Node's WebAssembly, for proving the runner. */
export const v8Engine: SpecEngine = {
  name: 'v8',
  newSession: () => new V8Session(),
};
