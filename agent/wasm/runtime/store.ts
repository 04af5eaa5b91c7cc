// The store: owns every function instance and extern (host) reference of the instances created in
// it; instances and tables refer to functions by address (an index into `funcs`).

import type { HostFunc } from '../api.ts';
import type { FuncType } from '../types.ts';
import type { ModuleInstance } from './instance.ts';

/** Translated code of a function; runtime/ treats it as opaque (exec/ defines it). */
export interface CompiledCode {
  readonly compiled: true;
}

export interface WasmFuncInst {
  readonly kind: 'wasm';
  readonly type: FuncType;
  /** Canonical id of `type`: equal ids mean structurally equal types. */
  readonly typeId: number;
  readonly instance: ModuleInstance;
  /** Index in the module's function index space. */
  readonly index: number;
  readonly addr: number;
  /** Translated code, set by exec/ on the first call (translation is lazy and happens once per module). */
  code: CompiledCode | undefined;
}

export interface HostFuncInst {
  readonly kind: 'host';
  readonly type: FuncType;
  readonly typeId: number;
  readonly host: HostFunc;
  readonly addr: number;
}

export type FuncInst = WasmFuncInst | HostFuncInst;

const typeIds = new Map<string, number>();

/** Canonical id of a function type, shared by every store of the process. */
export function typeIdOf(t: FuncType): number {
  const key = `${t.params.join(',')}:${t.results.join(',')}`;
  let id = typeIds.get(key);
  if (id === undefined) {
    id = typeIds.size;
    typeIds.set(key, id);
  }
  return id;
}

export class StoreData {
  readonly funcs: FuncInst[] = [];
  /** Host values passed in as externref, by id (the id + 1 is the encoded reference). */
  readonly externs: unknown[] = [];
  private readonly externIds = new Map<unknown, number>();
  /** Builds the API object for a function address (the embedding API installs its own). */
  funcRefFactory: (addr: number) => unknown = (addr) => ({ kind: 'funcref', addr });
  /** Host function instances, reused when the same HostFunc is imported again. */
  private readonly hostAddrs = new Map<HostFunc, number>();

  addWasmFunc(type: FuncType, instance: ModuleInstance, index: number): WasmFuncInst {
    const f: WasmFuncInst = { kind: 'wasm', type, typeId: typeIdOf(type), instance, index, addr: this.funcs.length, code: undefined };
    this.funcs.push(f);
    return f;
  }

  hostFunc(host: HostFunc): HostFuncInst {
    const known = this.hostAddrs.get(host);
    if (known !== undefined) return this.funcs[known] as HostFuncInst;
    const f: HostFuncInst = { kind: 'host', type: host.type, typeId: typeIdOf(host.type), host, addr: this.funcs.length };
    this.funcs.push(f);
    this.hostAddrs.set(host, f.addr);
    return f;
  }

  /** Encodes an externref host value (null is the null reference, 0). */
  externToRef(value: unknown): number {
    if (value === null) return 0;
    let id = this.externIds.get(value);
    if (id === undefined) {
      id = this.externs.length;
      this.externs.push(value);
      this.externIds.set(value, id);
    }
    return id + 1;
  }

  refToExtern(ref: number): unknown {
    return ref === 0 ? null : this.externs[ref - 1];
  }
}
