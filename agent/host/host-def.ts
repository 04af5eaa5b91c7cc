// How fleetlet implements one importable function, as data beside its code: how the call rate
// limit applies to it, whether it suspends, the error results it can give and the call-time
// capability check it makes (for docs/host-api.md), and the factory of its implementation.

import type { HostFn } from '../wasm/api.ts';
import type { HostContext } from './host-context.ts';
import type { ERRNO, StatusName } from './status.ts';

/**
 * How the per-second host call limit applies to a function:
 * - "refuse": the call takes a token; with none left it does nothing and returns E_RATE_LIMITED
 *   (WASI: EAGAIN)
 * - "drop": the call takes a token; with none left the output is dropped and counted, and the
 *   call reports success (log lines: a log flood must not change what the module does)
 * - "free": not counted (clocks, sleeps, arguments: no side effect and no device behind them)
 */
export type RateClass = 'refuse' | 'drop' | 'free';

export interface HostDef {
  readonly module: string;
  readonly name: string;
  readonly rate: RateClass;
  /** Whether the implementation can return `Pending`. */
  readonly suspends: boolean;
  /** Error statuses (fleetlet) or errno names (WASI) it can return, besides the rate limit's. */
  readonly errors: readonly (StatusName | keyof typeof ERRNO)[];
  /** The call-time check against the grants, in words ("" when the import check is all). */
  readonly check: string;
  /** What a trap means for this function, in words ("" when it never traps). */
  readonly traps: string;
  /** Builds the implementation for one app. */
  readonly make: (ctx: HostContext) => HostFn;
}
