// A token bucket on the injected clock: `ratePerSecond` tokens a second, at most one second's
// worth banked, so a module may burst up to its per-second limit and then runs at that rate.

import type { Clock } from '../sched/scheduler.ts';

export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @throws RangeError when the rate is not a positive finite number
   */
  constructor(
    private readonly clock: Clock,
    readonly ratePerSecond: number,
  ) {
    if (!(ratePerSecond > 0 && Number.isFinite(ratePerSecond))) {
      throw new RangeError(`Cannot limit to ${ratePerSecond} per second: give a positive finite rate`);
    }
    this.tokens = ratePerSecond;
    this.last = clock.now();
  }

  /** Takes `n` tokens if there are that many (true), else takes none (false). */
  take(n = 1): boolean {
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Tokens available now. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.clock.now();
    const dt = now - this.last;
    if (dt > 0) {
      this.tokens = Math.min(this.ratePerSecond, this.tokens + (dt * this.ratePerSecond) / 1000);
      this.last = now;
    }
  }
}
