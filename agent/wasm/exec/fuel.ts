// Fuel costs: the one table that says how many units each class of operation costs. The
// translator sums them per basic block; bulk operations add a charge proportional to length.

import type { FuelClass } from '../opcodes.ts';

export interface FuelCosts {
  /** Units per WebAssembly instruction, by the opcode table's fuel class. */
  readonly perClass: Readonly<Record<FuelClass, number>>;
  /** Bytes of memory.fill/copy/init covered by one unit. */
  readonly bytesPerUnit: number;
  /** Table elements of table.fill/copy/init/grow covered by one unit. */
  readonly elementsPerUnit: number;
}

export const DEFAULT_FUEL_COSTS: FuelCosts = {
  perClass: {
    base: 1, control: 1, call: 4, load: 1, store: 1, div: 2, float: 1, memory: 4, bulk: 4, table: 2,
  },
  bytesPerUnit: 8,
  elementsPerUnit: 1,
};
