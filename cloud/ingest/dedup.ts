// The cloud's event de-duplicator: devices deliver events at least once (a lost PUBACK means a resend), so ingest
// remembers the last ids seen per device and counts a redelivered event once. Bounded in ids per device and in devices.

/** Bounds: ids remembered per device (a ring) and devices remembered (least recently heard from is forgotten first). */
export interface DedupOptions {
  readonly perDevice: number;
  readonly maxDevices: number;
}

/** A device's outbox holds at most 1,000 events by default, so a resend is never older than that many ids. */
export const DEFAULT_DEDUP: DedupOptions = { perDevice: 4096, maxDevices: 100_000 };

/** The last `capacity` ids of one device: a set for lookups, a ring for the order they leave in. */
class SeenRing {
  readonly #set = new Set<string>();
  readonly #ring: (string | undefined)[];
  #next = 0;

  constructor(capacity: number) {
    this.#ring = new Array<string | undefined>(capacity).fill(undefined);
  }

  has(id: string): boolean {
    return this.#set.has(id);
  }

  add(id: string): void {
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#set.delete(evicted);
    this.#ring[this.#next] = id;
    this.#next = (this.#next + 1) % this.#ring.length;
    this.#set.add(id);
  }

  get size(): number {
    return this.#set.size;
  }
}

export class EventDeduplicator {
  readonly #o: DedupOptions;
  /** Map order is recency: a device heard from moves to the end; the first is evicted. */
  readonly #devices = new Map<string, SeenRing>();
  #accepted = 0;
  #duplicates = 0;

  /** @throws RangeError when a bound is not an integer >= 1 */
  constructor(options: Partial<DedupOptions> = {}) {
    this.#o = { ...DEFAULT_DEDUP, ...options };
    for (const [k, v] of Object.entries(this.#o)) {
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`Invalid dedup bound ${k} = ${v}: need an integer >= 1`);
    }
  }

  /** True the first time `id` is seen for `deviceId` (count the event), false for a redelivery (drop it). */
  accept(deviceId: string, id: string): boolean {
    let ring = this.#devices.get(deviceId);
    if (ring !== undefined) {
      this.#devices.delete(deviceId);
      this.#devices.set(deviceId, ring);
    } else {
      ring = new SeenRing(this.#o.perDevice);
      this.#devices.set(deviceId, ring);
      if (this.#devices.size > this.#o.maxDevices) this.#devices.delete(this.#devices.keys().next().value as string);
    }
    if (ring.has(id)) {
      this.#duplicates++;
      return false;
    }
    ring.add(id);
    this.#accepted++;
    return true;
  }

  /** Devices remembered now. */
  get devices(): number {
    return this.#devices.size;
  }

  /** Ids remembered now for one device. */
  remembered(deviceId: string): number {
    return this.#devices.get(deviceId)?.size ?? 0;
  }

  get stats(): { readonly accepted: number; readonly duplicates: number } {
    return { accepted: this.#accepted, duplicates: this.#duplicates };
  }
}
