// Instances and the external values they import and export: Store, Instance, Func, Memory,
// Table, Global. (Stub surface; the implementation follows.)

import type { CallResult, FuncRef, HostFunc, RawValue, Value } from './api.ts';
import type { FuncType, GlobalType, MemType, TableType } from './types.ts';
import type { Module } from './module.ts';

/** Owns every function, memory, table and global that its instances create or import. */
export class Store {
  constructor() {}
}

export class Func implements FuncRef {
  readonly kind = 'funcref' as const;
  constructor(readonly store: Store, readonly addr: number, readonly type: FuncType) {}
  /** Calls with convenient values (i64 as bigint, floats as numbers). */
  call(...args: Value[]): CallResult<Value[]> { void args; throw new Error('not implemented yet'); }
  /** Calls with raw values (f32 as int32 bits, f64 as bigint bits): exact for every NaN. */
  callRaw(args: readonly RawValue[]): CallResult<RawValue[]> { void args; throw new Error('not implemented yet'); }
}

export class Memory {
  private constructor() {}
  static create(store: Store, type: MemType): Memory { void store; void type; throw new Error('not implemented yet'); }
  /** The current bytes (a new ArrayBuffer after each growth). */
  get buffer(): ArrayBuffer { throw new Error('not implemented yet'); }
  /** Size in 64 KiB pages. */
  size(): number { throw new Error('not implemented yet'); }
  /** Grows by delta pages; returns the old size, or -1 when it cannot grow. */
  grow(delta: number): number { void delta; throw new Error('not implemented yet'); }
}

export class Table {
  private constructor() {}
  static create(store: Store, type: TableType, init?: Value): Table { void store; void type; void init; throw new Error('not implemented yet'); }
  size(): number { throw new Error('not implemented yet'); }
  get(index: number): Value { void index; throw new Error('not implemented yet'); }
}

export class Global {
  private constructor() {}
  static create(store: Store, type: GlobalType, value: Value): Global { void store; void type; void value; throw new Error('not implemented yet'); }
  get(): Value { throw new Error('not implemented yet'); }
  getRaw(): RawValue { throw new Error('not implemented yet'); }
  set(value: Value): void { void value; throw new Error('not implemented yet'); }
}

export type Extern = Func | HostFunc | Memory | Table | Global;

/** Import object: module name → field name → external value. */
export type Imports = Readonly<Record<string, Readonly<Record<string, Extern>>>>;

export type InstantiateResult = CallResult<Instance>;

export class Instance {
  private constructor(readonly module: Module, readonly exports: ReadonlyMap<string, Func | Memory | Table | Global>) {}

  /**
   * Links imports, creates the module's entities, initialises segments and runs the start
   * function. A trap in a segment or the start function is a `trap` result (writes already made
   * to imported memories and tables persist, as the spec requires).
   * @throws LinkError when an import is missing or does not match
   */
  static instantiate(store: Store, module: Module, imports: Imports = {}): InstantiateResult {
    void store; void module; void imports;
    throw new Error('not implemented yet');
  }

  func(name: string): Func { void name; throw new Error('not implemented yet'); }
  memory(name: string): Memory { void name; throw new Error('not implemented yet'); }
  table(name: string): Table { void name; throw new Error('not implemented yet'); }
  global(name: string): Global { void name; throw new Error('not implemented yet'); }
}
