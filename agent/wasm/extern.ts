// The external values of the embedding API: Store, Func, Memory, Table and Global, thin handles
// over the runtime entities that instances import and export.

import type { CallResult, RawValue, Value } from './api.ts';
import { invoke } from './exec/executor.ts';
import { readValue, writeValue } from './exec/values.ts';
import { GlobalInst } from './runtime/global.ts';
import { DEFAULT_LIMITS, type Limits } from './runtime/limits.ts';
import { MemoryInst } from './runtime/memory.ts';
import { StoreData, type FuncInst } from './runtime/store.ts';
import { TableInst } from './runtime/table.ts';
import type { FuncType, GlobalType, MemType, TableType } from './types.ts';

/** Owns every function, memory, table and global that its instances create or import. */
export class Store {
  readonly data = new StoreData();
  private readonly funcObjs: (Func | undefined)[] = [];

  constructor() {
    this.data.funcRefFactory = (addr) => this.funcAt(addr);
  }

  /** The API handle of the function at a store address (one object per address). */
  funcAt(addr: number): Func {
    let f = this.funcObjs[addr];
    if (f === undefined) {
      f = new Func(this, this.data.funcs[addr]!);
      this.funcObjs[addr] = f;
    }
    return f;
  }
}

export class Func {
  readonly kind = 'funcref' as const;
  readonly addr: number;
  readonly type: FuncType;

  constructor(readonly store: Store, readonly inst: FuncInst) {
    this.addr = inst.addr;
    this.type = inst.type;
  }

  private limits(): Limits {
    return this.inst.kind === 'wasm' ? this.inst.instance.limits : DEFAULT_LIMITS;
  }

  /**
   * Calls with convenient values (i64 as bigint, floats as numbers).
   * @throws TypeError when the arguments do not match the parameters
   */
  call(...args: Value[]): CallResult<Value[]> {
    return invoke(this.store.data, this.inst, args, false, this.limits());
  }

  /** Calls with raw values (f32 as int32 bits, f64 as bigint bits): exact for every NaN. */
  callRaw(args: readonly RawValue[]): CallResult<RawValue[]> {
    return invoke(this.store.data, this.inst, args, true, this.limits());
  }
}

export class Memory {
  constructor(readonly inst: MemoryInst) {}

  static create(store: Store, type: MemType, limits: Limits = DEFAULT_LIMITS): Memory {
    void store;
    return new Memory(new MemoryInst(type, limits.maxMemoryPages));
  }

  /** The current bytes (a new ArrayBuffer after each growth). */
  get buffer(): ArrayBuffer {
    return this.inst.buffer;
  }

  /** Size in 64 KiB pages. */
  size(): number {
    return this.inst.pages;
  }

  /** Grows by delta pages; returns the old size, or -1 when it cannot grow. */
  grow(delta: number): number {
    return this.inst.grow(delta);
  }
}

export class Table {
  constructor(readonly store: Store, readonly inst: TableInst) {}

  static create(store: Store, type: TableType, init: Value = null, limits: Limits = DEFAULT_LIMITS): Table {
    const word = new Int32Array(2);
    writeValue(word, 0, type.elem, init, false, store.data);
    return new Table(store, new TableInst(type, limits.maxTableElements, word[0]!));
  }

  size(): number {
    return this.inst.size;
  }

  /** @throws RangeError when the index is out of bounds */
  get(index: number): Value {
    if (index < 0 || index >= this.inst.size) throw new RangeError(`Table index ${index} is out of bounds (size ${this.inst.size})`);
    return readValue(this.inst.elements, index, this.inst.type.elem, false, this.store.data, this.store.data.funcRefFactory);
  }

  /** @throws RangeError when the index is out of bounds */
  set(index: number, value: Value): void {
    if (index < 0 || index >= this.inst.size) throw new RangeError(`Table index ${index} is out of bounds (size ${this.inst.size})`);
    writeValue(this.inst.elements, index, this.inst.type.elem, value, false, this.store.data);
  }
}

export class Global {
  constructor(readonly store: Store, readonly inst: GlobalInst) {}

  static create(store: Store, type: GlobalType, value: Value): Global {
    const g = new GlobalInst(type);
    writeValue(g.v, 0, type.type, value, false, store.data);
    return new Global(store, g);
  }

  get type(): GlobalType {
    return this.inst.type;
  }

  get(): Value {
    return readValue(this.inst.v, 0, this.inst.type.type, false, this.store.data, this.store.data.funcRefFactory);
  }

  getRaw(): RawValue {
    return readValue(this.inst.v, 0, this.inst.type.type, true, this.store.data, this.store.data.funcRefFactory);
  }

  /** @throws TypeError when the global is immutable */
  set(value: Value): void {
    if (!this.inst.type.mutable) throw new TypeError('Cannot set an immutable global');
    writeValue(this.inst.v, 0, this.inst.type.type, value, false, this.store.data);
  }
}
