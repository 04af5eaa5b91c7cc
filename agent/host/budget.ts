// A module's host memory budget: every byte the host keeps on a module's behalf (serial receive
// buffers, log line buffers, key-value data, writes in flight) is reserved here first, so a
// module cannot grow the agent's memory through the host.

export class HostBudget {
  private usedBytes = 0;
  private high = 0;

  /** @throws RangeError when the limit is negative or not finite */
  constructor(readonly limitBytes: number) {
    if (!(limitBytes >= 0 && Number.isFinite(limitBytes))) throw new RangeError(`Cannot budget ${limitBytes} bytes: give a finite size >= 0`);
  }

  /** Reserves `bytes` if they fit (true), else reserves nothing (false). */
  reserve(bytes: number): boolean {
    if (this.usedBytes + bytes > this.limitBytes) return false;
    this.usedBytes += bytes;
    if (this.usedBytes > this.high) this.high = this.usedBytes;
    return true;
  }

  /** Gives back bytes reserved earlier. */
  release(bytes: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
  }

  get used(): number {
    return this.usedBytes;
  }

  /** The most bytes ever reserved at once. */
  get highWater(): number {
    return this.high;
  }
}
