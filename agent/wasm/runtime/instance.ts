// The runtime record of a module instance: the addresses and entities its index spaces resolve
// to (the spec's moduleinst), plus segment state for bulk operations.

import type { ModuleAst } from '../types.ts';
import type { GlobalInst } from './global.ts';
import type { Limits } from './limits.ts';
import type { MemoryInst } from './memory.ts';
import type { CompiledCode, FuncInst, StoreData } from './store.ts';
import type { TableInst } from './table.ts';

export interface ModuleInstance {
  readonly store: StoreData;
  readonly ast: ModuleAst;
  /** SHA-256 of the module binary (hex). */
  readonly moduleDigest: string;
  readonly limits: Limits;
  /** Function index space (imports first). */
  readonly funcs: FuncInst[];
  readonly tables: TableInst[];
  readonly mems: MemoryInst[];
  readonly globals: GlobalInst[];
  /** Canonical type id per type index of the module. */
  readonly typeIds: Int32Array;
  /** Element segments as encoded references; a dropped segment is empty. */
  readonly elems: Int32Array[];
  /** Data segments' bytes; a dropped segment is empty. */
  readonly datas: Uint8Array[];
  /** Whether this instance's code charges fuel (devices always meter; benchmarks compare). */
  readonly metering: boolean;
  /** Translated code per defined function, filled lazily; shared by every instance of one Module with the same metering. */
  readonly codeCache: (CompiledCode | undefined)[];
}
