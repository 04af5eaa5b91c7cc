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
  /**
   * Fuel each call (and the start function) starts with; when it runs out the call suspends
   * with reason "fuel" and resumes after fuel is added. `UNLIMITED_FUEL` never runs out.
   */
  readonly fuelPerCall: number;
}

/** A fuel budget that no run can use up, so consumption stays exact (2^53 - 1 units). */
export const UNLIMITED_FUEL = Number.MAX_SAFE_INTEGER;

export const DEFAULT_LIMITS: Limits = {
  maxMemoryPages: 65536,
  maxTableElements: 10_000_000,
  maxCallDepth: 10_000,
  maxStackSlots: 1 << 20,
  fuelPerCall: UNLIMITED_FUEL,
};

/** Fills in defaults for the fields a caller left out. */
export function resolveLimits(partial: Partial<Limits> = {}): Limits {
  return { ...DEFAULT_LIMITS, ...partial };
}
