// A bounded FIFO for the session's offline telemetry and log batches: when full, the oldest item makes room for the
// newest (fresh readings matter more than stale ones) and the loss is counted.

export class BoundedQueue<T> {
  readonly #items: T[] = [];
  #dropped = 0;

  /** @throws RangeError when `max` is not a non-negative integer */
  constructor(readonly max: number) {
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`Invalid queue bound ${max}: need an integer >= 0`);
  }

  get length(): number {
    return this.#items.length;
  }

  /** Items dropped since the queue was made. */
  get dropped(): number {
    return this.#dropped;
  }

  push(item: T): void {
    this.#items.push(item);
    while (this.#items.length > this.max) {
      this.#items.shift();
      this.#dropped++;
    }
  }

  shift(): T | undefined {
    return this.#items.shift();
  }
}
