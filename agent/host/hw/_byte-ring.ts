// A fixed-capacity byte buffer that keeps the newest bytes: when full, the oldest are dropped and
// counted. The serial backends' receive buffer. Private to hw/.

export class ByteRing {
  private readonly buf: Uint8Array;
  private head = 0;
  private len = 0;
  /** Bytes dropped (overwritten) since creation. */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`Cannot make a ring of ${capacity} bytes`);
    this.buf = new Uint8Array(capacity);
  }

  get size(): number {
    return this.len;
  }

  /** Appends bytes; when they do not fit, drops the oldest. */
  push(data: Uint8Array): void {
    const cap = this.capacity;
    let src = data;
    if (src.length >= cap) {
      // Only the last `cap` bytes can stay: everything buffered and the rest of data goes.
      this.dropped += this.len + src.length - cap;
      src = src.subarray(src.length - cap);
      this.buf.set(src, 0);
      this.head = 0;
      this.len = cap;
      return;
    }
    const over = this.len + src.length - cap;
    if (over > 0) {
      this.head = (this.head + over) % cap;
      this.len -= over;
      this.dropped += over;
    }
    let tail = (this.head + this.len) % cap;
    const first = Math.min(src.length, cap - tail);
    this.buf.set(src.subarray(0, first), tail);
    if (first < src.length) this.buf.set(src.subarray(first), 0);
    tail = (tail + src.length) % cap;
    this.len += src.length;
  }

  /** Removes and returns up to `max` of the oldest bytes. */
  take(max: number): Uint8Array {
    const n = Math.min(max, this.len);
    const out = new Uint8Array(n);
    const first = Math.min(n, this.capacity - this.head);
    out.set(this.buf.subarray(this.head, this.head + first), 0);
    if (first < n) out.set(this.buf.subarray(0, n - first), first);
    this.head = (this.head + n) % this.capacity;
    this.len -= n;
    return out;
  }
}
