// The spec runner's adapter for fleetlet's own engine (agent/wasm): raw values in and out, and
// failure kinds taken from the engine's typed errors and call results.

import {
  DecodeError,
  Func,
  Global,
  hostFunc,
  Instance,
  LinkError,
  Memory,
  Module,
  Store,
  Table,
  ValidationError,
  type CallResult,
  type Extern,
  type Imports,
  type RawValue,
} from '../../agent/wasm/index.ts';
import { ValType } from '../../agent/wasm/types.ts';
import { describeThrown, failed, ok, type Outcome, type SpecEngine, type SpecInstance, type SpecModule, type SpecSession } from './adapter.ts';
import type { SpecType, SpecValue } from './values.ts';

const TYPE_OF_CODE: ReadonlyMap<number, SpecType> = new Map<number, SpecType>([
  [ValType.I32, 'i32'],
  [ValType.I64, 'i64'],
  [ValType.F32, 'f32'],
  [ValType.F64, 'f64'],
  [ValType.FuncRef, 'funcref'],
  [ValType.ExternRef, 'externref'],
]);

/** @throws Error for a type the runner does not handle (v128) */
function specTypeOf(code: ValType): SpecType {
  const t = TYPE_OF_CODE.get(code);
  if (t === undefined) throw new Error(`Result type 0x${(code as number).toString(16)} is not supported by the spec runner`);
  return t;
}

/** A fresh `spectest` import namespace in `store` (README of the shared wasm-spec data). */
function makeSpectest(store: Store): Record<string, Extern> {
  const I32 = ValType.I32, I64 = ValType.I64, F32 = ValType.F32, F64 = ValType.F64;
  const print = (name: string, params: ValType[]): Extern => hostFunc({ params, results: [] }, () => undefined, { name, raw: true });
  return {
    print: print('print', []),
    print_i32: print('print_i32', [I32]),
    print_i64: print('print_i64', [I64]),
    print_f32: print('print_f32', [F32]),
    print_f64: print('print_f64', [F64]),
    print_i32_f32: print('print_i32_f32', [I32, F32]),
    print_f64_f64: print('print_f64_f64', [F64, F64]),
    global_i32: Global.create(store, { type: I32, mutable: false }, 666),
    global_i64: Global.create(store, { type: I64, mutable: false }, 666n),
    global_f32: Global.create(store, { type: F32, mutable: false }, 666.6),
    global_f64: Global.create(store, { type: F64, mutable: false }, 666.6),
    table: Table.create(store, { elem: ValType.FuncRef, bounds: { min: 10, max: 20 } }),
    memory: Memory.create(store, { bounds: { min: 1, max: 2 } }),
  };
}

function toRaw(v: SpecValue): RawValue {
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

/**
 * Reads a raw value of a known type.
 * @throws Error when the engine used the wrong JS form for the type
 */
function fromRaw(type: SpecType, raw: RawValue): SpecValue {
  switch (type) {
    case 'i32':
    case 'f32':
      if (typeof raw !== 'number' || !Number.isInteger(raw)) throw new Error(`Engine returned ${String(raw)} (${typeof raw}) as raw ${type}`);
      return { type, bits: raw >>> 0 };
    case 'i64':
    case 'f64':
      if (typeof raw !== 'bigint') throw new Error(`Engine returned ${String(raw)} (${typeof raw}) as raw ${type}`);
      return { type, bits: BigInt.asUintN(64, raw) };
    case 'funcref':
      if (raw !== null && !(raw instanceof Func)) throw new Error(`Engine returned ${String(raw)} as a funcref`);
      return { type, ref: raw };
    case 'externref':
      if (raw === undefined) throw new Error('Engine returned undefined as an externref');
      return { type, ref: raw };
  }
}

/** Turns a call or instantiation result into an outcome; exhaustion counts only for the stack. */
function settle<T, U>(r: CallResult<T>, map: (value: T) => U): Outcome<U> {
  switch (r.kind) {
    case 'done':
      return ok(map(r.value));
    case 'trap':
      return failed('trap', r.trap.message);
    case 'exhausted':
      if (r.error.kind === 'call-depth' || r.error.kind === 'value-stack') return failed('exhaustion', r.error.message);
      return failed('error', `Exhausted "${r.error.kind}": ${r.error.message}`);
    case 'suspended':
      // The runner gives unlimited fuel and no waiting host functions: a suspension is a bug.
      return failed('error', `Call suspended (${r.reason})`);
  }
}

function threw<T>(e: unknown, during: string): Outcome<T> {
  return failed('error', `${during} threw ${describeThrown(e)}`);
}

class FleetletInstance implements SpecInstance {
  constructor(readonly instance: Instance) {}

  invoke(field: string, args: readonly SpecValue[]): Outcome<SpecValue[]> {
    const f = this.instance.exports.get(field);
    if (!(f instanceof Func)) return failed('error', `No exported function "${field}"`);
    try {
      const results = f.type.results.map(specTypeOf);
      return settle(f.callRaw(args.map(toRaw)), (values) => {
        if (values.length !== results.length) throw new Error(`Call returned ${values.length} values for ${results.length} results`);
        return values.map((v, i) => fromRaw(results[i] as SpecType, v));
      });
    } catch (e) {
      return threw(e, 'Call');
    }
  }

  get(field: string, type: SpecType): Outcome<SpecValue> {
    const g = this.instance.exports.get(field);
    if (!(g instanceof Global)) return failed('error', `No exported global "${field}"`);
    try {
      return ok(fromRaw(type, g.getRaw()));
    } catch (e) {
      return threw(e, 'Global.getRaw');
    }
  }
}

class FleetletModule implements SpecModule {
  constructor(private readonly module: Module, private readonly session: FleetletSession) {}

  instantiate(registered: ReadonlyMap<string, SpecInstance>): Outcome<SpecInstance> {
    try {
      const imports: Record<string, Imports[string]> = { spectest: this.session.spectest() };
      for (const [name, inst] of registered) {
        if (!(inst instanceof FleetletInstance)) return failed('error', `Registered instance "${name}" does not belong to the fleetlet adapter`);
        imports[name] = Object.fromEntries(inst.instance.exports);
      }
      return settle(Instance.instantiate(this.session.store, this.module, imports), (i) => new FleetletInstance(i));
    } catch (e) {
      if (e instanceof LinkError) return failed('unlinkable', e.message);
      return threw(e, 'Instance.instantiate');
    }
  }
}

class FleetletSession implements SpecSession {
  readonly store = new Store();
  private spectestImports: Record<string, Extern> | undefined;

  /** Created on first use, then shared by every module of the script. */
  spectest(): Record<string, Extern> {
    this.spectestImports ??= makeSpectest(this.store);
    return this.spectestImports;
  }

  compile(bytes: Uint8Array): Outcome<SpecModule> {
    try {
      return ok(new FleetletModule(Module.compile(bytes), this));
    } catch (e) {
      if (e instanceof DecodeError) return failed('malformed', e.message);
      if (e instanceof ValidationError) return failed('invalid', e.message);
      return threw(e, 'Module.compile');
    }
  }
}

/** fleetlet's engine: the default engine of `npm run spec`. */
export const fleetletEngine: SpecEngine = {
  name: 'fleetlet',
  newSession: () => new FleetletSession(),
};
