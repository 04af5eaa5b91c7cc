// Reconnect delays for the agent's MQTT session: exponential backoff with full jitter, so that a fleet that lost its
// broker at the same instant does not come back at the same instant.

/** Backoff bounds: delay before attempt n+1 = random() * min(maxMs, initialMs * factor^n). */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 60_000, factor: 2 };

/**
 * The "full jitter" delay after `attempt` consecutive failures (0 for the first): uniform in [0, cap) where
 * cap = min(maxMs, initialMs * factor^attempt). `random` returns a number in [0, 1].
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const cap = Math.min(options.maxMs, options.initialMs * Math.pow(options.factor, attempt));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(r * cap);
}

/**
 * @throws RangeError when the bounds are not finite, non-negative, or factor < 1
 */
export function checkBackoff(o: BackoffOptions): BackoffOptions {
  const ok = Number.isFinite(o.initialMs) && Number.isFinite(o.maxMs) && Number.isFinite(o.factor) && o.initialMs >= 0 && o.maxMs >= o.initialMs && o.factor >= 1;
  if (!ok) throw new RangeError(`Invalid backoff ${JSON.stringify(o)}: need 0 <= initialMs <= maxMs and factor >= 1`);
  return o;
}

/** Counts consecutive failures and answers the next delay; `reset()` once a connection has stayed up. */
export class Backoff {
  #attempt = 0;
  constructor(
    readonly options: BackoffOptions,
    private readonly random: () => number,
  ) {
    checkBackoff(options);
  }

  /** Failures since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; counts one more failure. */
  next(): number {
    const d = backoffDelay(this.#attempt, this.options, this.random);
    // Stop counting once the cap is reached, so factor^attempt never overflows on a device that stays offline for weeks.
    if (this.options.initialMs * Math.pow(this.options.factor, this.#attempt) < this.options.maxMs) this.#attempt++;
    return d;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
