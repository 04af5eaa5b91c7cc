// Per-instance resource limits with their defaults: the one place every cap the engine enforces
// is named (the names match what the signed manifest will carry).

export interface Limits {
  /** Maximum linear memory size in 64 KiB pages (may be lower than a module's own maximum). */
  readonly maxMemoryPages: number;
  /** Maximum number of elements in any one table. */
  readonly maxTableElements: number;
  /** Maximum depth of nested WebAssembly calls. */
  readonly maxCallDepth: number;
  /** Maximum number of 8-byte value-stack slots (locals plus operands, over all frames). */
  readonly maxStackSlots: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxMemoryPages: 65536,
  maxTableElements: 10_000_000,
  maxCallDepth: 10_000,
  maxStackSlots: 1 << 20,
};

/** Fills in defaults for the fields a caller left out. */
export function resolveLimits(partial: Partial<Limits> = {}): Limits {
  return { ...DEFAULT_LIMITS, ...partial };
}
