// The events outbox: events the agent has published but the broker has not acknowledged yet, bounded and kept in the
// data directory so they survive an agent restart. It does not send anything (the session does).
//
// Layout under `dir`: one file per event, `e-<16-digit sequence>.cbor`, holding the encoded event (the exact MQTT
// payload), written with temp file + fsync + rename + directory fsync; `meta.cbor` holds the drop counter.

import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCbor, decodeEvent, encodeCbor } from '../../schemas/index.ts';
import { readFileIfExists, syncDirectory, writeFileAtomic } from '../update/atomic-file.ts';
import { describeError, SessionError } from './errors.ts';

/** Outbox bounds; beyond either, the oldest events are dropped (and counted). */
export interface OutboxLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = { maxEvents: 1000, maxBytes: 1024 * 1024 };

/** One queued event. */
export interface OutboxEntry {
  readonly seq: number;
  /** The event's idempotency key. */
  readonly id: string;
  readonly payload: Uint8Array;
}

const FILE = /^e-(\d{16})\.cbor$/;
const META = 'meta.cbor';
const META_VERSION = 1;

function fileName(seq: number): string {
  return `e-${String(seq).padStart(16, '0')}.cbor`;
}

export class Outbox {
  readonly #dir: string;
  readonly #limits: OutboxLimits;
  readonly #report: (e: SessionError) => void;
  readonly #entries: OutboxEntry[] = [];
  #bytes = 0;
  #dropped = 0;
  #damaged = 0;
  #nextSeq = 0;
  /** File operations run one at a time, in call order, so the files always match `#entries`. */
  #chain: Promise<unknown> = Promise.resolve();
  readonly #added = new Set<() => void>();

  private constructor(dir: string, limits: OutboxLimits, report: (e: SessionError) => void) {
    this.#dir = dir;
    this.#limits = limits;
    this.#report = report;
  }

  /**
   * Opens (creating) the outbox in `dir` and loads the events a previous run left. A damaged event file is reported
   * ("outbox-damaged"), renamed to `damaged-*` for inspection and skipped; a damaged meta file resets the counter.
   * @throws SessionError "bad-options" for bad limits; the file system's error when `dir` cannot be created or read
   */
  static async open(dir: string, limits: OutboxLimits = DEFAULT_OUTBOX_LIMITS, report: (e: SessionError) => void = () => {}): Promise<Outbox> {
    if (!(Number.isSafeInteger(limits.maxEvents) && limits.maxEvents >= 1 && Number.isSafeInteger(limits.maxBytes) && limits.maxBytes >= 1)) {
      throw new SessionError('bad-options', dir, `Invalid outbox limits ${JSON.stringify(limits)}: need maxEvents >= 1 and maxBytes >= 1`);
    }
    const box = new Outbox(dir, limits, report);
    await box.#load();
    return box;
  }

  /** Events waiting for their PUBACK. */
  get size(): number {
    return this.#entries.length;
  }

  /** Bytes of the events waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Events dropped because the outbox was full, over the device's lifetime (persisted). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Damaged files found when the outbox was opened. */
  get damaged(): number {
    return this.#damaged;
  }

  /** The oldest event, the next to send. */
  peek(): OutboxEntry | undefined {
    return this.#entries[0];
  }

  /** Whether `entry` is still queued (it may have been dropped while in flight). */
  has(entry: OutboxEntry): boolean {
    return this.#entries.includes(entry);
  }

  /** Calls `listener` each time an event is added; returns a remover. */
  onAdded(listener: () => void): () => void {
    this.#added.add(listener);
    return () => this.#added.delete(listener);
  }

  /**
   * Persists one event (its encoded payload) at the end of the queue; when that passes a bound, drops the oldest
   * events and counts them. Resolves once the event is on disk.
   * @throws SessionError "bad-options" when one event alone is over `maxBytes`; "outbox-io" when it cannot be written
   */
  add(id: string, payload: Uint8Array): Promise<void> {
    if (payload.byteLength > this.#limits.maxBytes) {
      return Promise.reject(new SessionError('bad-options', id, `Cannot queue event "${id}": ${payload.byteLength} bytes is over the outbox bound of ${this.#limits.maxBytes}`));
    }
    return this.#serial(async () => {
      const entry: OutboxEntry = { seq: this.#nextSeq++, id, payload };
      const path = join(this.#dir, fileName(entry.seq));
      try {
        await writeFileAtomic(path, payload);
      } catch (e) {
        throw new SessionError('outbox-io', path, `Cannot queue event "${id}": ${describeError(e)}`, { cause: e });
      }
      this.#entries.push(entry);
      this.#bytes += payload.byteLength;
      await this.#trim();
      for (const l of this.#added) l();
    });
  }

  /**
   * Removes an event once the broker acknowledged it (a no-op when it was dropped meanwhile). The file's removal is
   * not fsynced: after a power cut the event may be sent again, which its idempotency key makes harmless.
   */
  remove(entry: OutboxEntry): Promise<void> {
    return this.#serial(async () => {
      const i = this.#entries.indexOf(entry);
      if (i < 0) return;
      this.#entries.splice(i, 1);
      this.#bytes -= entry.payload.byteLength;
      await this.#unlink(entry.seq);
    });
  }

  /** Resolves once every file operation asked for so far has finished. */
  async settled(): Promise<void> {
    await this.#chain.catch(() => {});
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(op, op);
    this.#chain = run.catch(() => {});
    return run;
  }

  async #unlink(seq: number): Promise<void> {
    const path = join(this.#dir, fileName(seq));
    try {
      await rm(path, { force: true });
    } catch (e) {
      this.#report(new SessionError('outbox-io', path, `Cannot remove a sent event's file: ${describeError(e)}`, { cause: e }));
    }
  }

  async #writeMeta(): Promise<void> {
    const path = join(this.#dir, META);
    try {
      await writeFileAtomic(path, encodeCbor({ v: META_VERSION, dropped: this.#dropped }));
    } catch (e) {
      this.#report(new SessionError('outbox-io', path, `Cannot persist the outbox drop counter: ${describeError(e)}`, { cause: e }));
    }
  }

  async #load(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const metaPath = join(this.#dir, META);
    const meta = await readFileIfExists(metaPath);
    if (meta !== undefined) {
      try {
        const doc = decodeCbor(meta, { maxBytes: 256 }) as { v?: unknown; dropped?: unknown };
        if (doc.v !== META_VERSION || typeof doc.dropped !== 'number' || !Number.isSafeInteger(doc.dropped) || doc.dropped < 0) throw new Error('not an outbox meta record');
        this.#dropped = doc.dropped;
      } catch (e) {
        this.#damaged++;
        this.#report(new SessionError('outbox-damaged', metaPath, `Outbox drop counter "${metaPath}" is damaged (${describeError(e)}); counting from 0`, { cause: e }));
      }
    }
    const names = (await readdir(this.#dir)).sort();
    let moved = false;
    for (const name of names) {
      const path = join(this.#dir, name);
      if (name.endsWith('.tmp')) {
        // a write cut short by a crash: never renamed, so never part of the outbox
        await rm(path, { force: true });
        continue;
      }
      const m = FILE.exec(name);
      if (m === null) continue;
      const seq = Number(m[1]);
      this.#nextSeq = Math.max(this.#nextSeq, seq + 1);
      const payload = await readFileIfExists(path);
      if (payload === undefined) continue;
      const decoded = (() => {
        try {
          return { ok: true as const, id: decodeEvent(payload).id };
        } catch (e) {
          return { ok: false as const, error: e };
        }
      })();
      if (!decoded.ok) {
        this.#damaged++;
        this.#report(new SessionError('outbox-damaged', path, `Outbox event file "${path}" is damaged and was set aside: ${describeError(decoded.error)}`, { cause: decoded.error }));
        try {
          await rename(path, join(this.#dir, `damaged-${name}`));
          moved = true;
        } catch (e) {
          this.#report(new SessionError('outbox-io', path, `Cannot set aside a damaged outbox file: ${describeError(e)}`, { cause: e }));
        }
        continue;
      }
      this.#entries.push({ seq, id: decoded.id, payload });
      this.#bytes += payload.byteLength;
    }
    if (moved) await syncDirectory(this.#dir);
    // bounds may have shrunk since the files were written
    await this.#trim();
  }

  /** Drops the oldest events until both bounds hold, counting the drops durably. */
  async #trim(): Promise<void> {
    let drops = 0;
    while (this.#entries.length > this.#limits.maxEvents || this.#bytes > this.#limits.maxBytes) {
      const old = this.#entries.shift()!;
      this.#bytes -= old.payload.byteLength;
      await this.#unlink(old.seq);
      drops++;
    }
    if (drops > 0) {
      this.#dropped += drops;
      await this.#writeMeta();
    }
  }
}
