// A module's persistent key-value store: one file per app in the data directory, replaced
// atomically (temp file, fsync, rename, directory fsync) by a write-behind that coalesces the
// changes of many calls into one write, with a byte quota that counts keys, values and a fixed
// cost per entry.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../update/atomic-file.ts';

/** What an entry costs beyond its key and value bytes (the host's own bookkeeping per entry). */
export const KV_ENTRY_OVERHEAD = 64;
/** Longest key in bytes. */
export const KV_MAX_KEY_BYTES = 128;

const MAGIC = [0x46, 0x4c, 0x4b, 0x56]; // "FLKV"
const VERSION = 1;
const DIGEST_BYTES = 32;

export type KvErrorCode = 'corrupt' | 'over-quota';

/** A store file that cannot be used: damaged, or larger than the quota it is opened with. */
export class KvError extends Error {
  override readonly name = 'KvError';
  constructor(
    readonly code: KvErrorCode,
    readonly file: string,
    detail: string,
  ) {
    super(`Cannot open key-value store "${file}": ${detail}`);
  }
}

/** Reserves and releases bytes (the module's host budget). */
export interface ByteReserver {
  reserve(bytes: number): boolean;
  release(bytes: number): void;
}

/** The file of an app's store in a data directory (app names are safe file names). */
export function kvFile(dataDir: string, app: string): string {
  return join(dataDir, `${app}.kv`);
}

const entryCost = (key: string, value: Uint8Array): number => Buffer.byteLength(key) + value.length + KV_ENTRY_OVERHEAD;

export class KvStore {
  private readonly entries = new Map<string, Uint8Array>();
  private usedBytes = 0;
  private writing: Promise<void> | undefined = undefined;
  private dirty = false;
  /** The last write's failure, cleared by a successful write. */
  lastError: Error | undefined = undefined;
  /** Completed writes (for tests and reports). */
  writes = 0;

  private constructor(
    readonly file: string,
    readonly quotaBytes: number,
    private readonly budget: ByteReserver | undefined,
  ) {}

  /**
   * Opens (or starts empty) the store in `file`.
   * @throws KvError "corrupt" (bad magic, version, length or digest), "over-quota" (more data than
   *   the quota, or than the budget can reserve), or the file system's error
   */
  static async open(file: string, quotaBytes: number, budget?: ByteReserver): Promise<KvStore> {
    const s = new KvStore(file, quotaBytes, budget);
    const bytes = await readFileIfExists(file);
    if (bytes !== undefined) s.load(bytes);
    return s;
  }

  /** Bytes counted against the quota. */
  get used(): number {
    return this.usedBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value (the store's own bytes: do not modify), or undefined. */
  get(key: string): Uint8Array | undefined {
    return this.entries.get(key);
  }

  /** Sets a value (copied); "quota" when it would not fit, and then nothing changes. */
  set(key: string, value: Uint8Array): 'ok' | 'quota' {
    const old = this.entries.get(key);
    const delta = entryCost(key, value) - (old === undefined ? 0 : entryCost(key, old));
    if (this.usedBytes + delta > this.quotaBytes) return 'quota';
    if (delta > 0 && this.budget !== undefined && !this.budget.reserve(delta)) return 'quota';
    if (delta < 0) this.budget?.release(-delta);
    this.usedBytes += delta;
    this.entries.set(key, value.slice());
    this.changed();
    return 'ok';
  }

  /** Deletes a key; false when there was none. */
  delete(key: string): boolean {
    const old = this.entries.get(key);
    if (old === undefined) return false;
    const cost = entryCost(key, old);
    this.usedBytes -= cost;
    this.budget?.release(cost);
    this.entries.delete(key);
    this.changed();
    return true;
  }

  /** Resolves once every change made so far is on disk (a failed write rejects). */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
    if (this.lastError !== undefined) throw this.lastError;
  }

  /** The store's bytes: magic, version, count, entries (u16 key length, key, u32 value length, value), SHA-256. */
  encode(): Uint8Array {
    const keys = [...this.entries.keys()].sort();
    let size = 4 + 1 + 4 + DIGEST_BYTES;
    const keyBytes = keys.map((k) => Buffer.from(k, 'utf8'));
    keys.forEach((k, i) => (size += 2 + keyBytes[i]!.length + 4 + this.entries.get(k)!.length));
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    out.set(MAGIC, 0);
    out[4] = VERSION;
    dv.setUint32(5, keys.length, true);
    let p = 9;
    keys.forEach((k, i) => {
      const kb = keyBytes[i]!;
      const v = this.entries.get(k)!;
      dv.setUint16(p, kb.length, true);
      out.set(kb, p + 2);
      p += 2 + kb.length;
      dv.setUint32(p, v.length, true);
      out.set(v, p + 4);
      p += 4 + v.length;
    });
    out.set(createHash('sha256').update(out.subarray(0, p)).digest(), p);
    return out;
  }

  private load(bytes: Uint8Array): void {
    const corrupt = (detail: string): KvError => new KvError('corrupt', this.file, detail);
    if (bytes.length < 9 + DIGEST_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) throw corrupt('not a fleetlet key-value file');
    if (bytes[4] !== VERSION) throw corrupt(`version ${bytes[4]} is not ${VERSION}`);
    const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
    const digest = createHash('sha256').update(body).digest();
    if (!digest.equals(bytes.subarray(bytes.length - DIGEST_BYTES))) throw corrupt('its digest does not match its content');
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const count = dv.getUint32(5, true);
    const dec = new TextDecoder('utf-8', { fatal: true });
    let p = 9;
    for (let i = 0; i < count; i++) {
      if (p + 2 > body.length) throw corrupt(`entry ${i} is truncated`);
      const kl = dv.getUint16(p, true);
      if (kl === 0 || kl > KV_MAX_KEY_BYTES || p + 2 + kl + 4 > body.length) throw corrupt(`entry ${i} has a bad key length`);
      let key: string;
      try {
        key = dec.decode(body.subarray(p + 2, p + 2 + kl));
      } catch {
        throw corrupt(`entry ${i} has a key that is not UTF-8`);
      }
      p += 2 + kl;
      const vl = dv.getUint32(p, true);
      if (p + 4 + vl > body.length) throw corrupt(`entry ${i} has a bad value length`);
      const value = body.slice(p + 4, p + 4 + vl);
      p += 4 + vl;
      const cost = entryCost(key, value);
      if (this.usedBytes + cost > this.quotaBytes) throw new KvError('over-quota', this.file, `it holds more than the quota of ${this.quotaBytes} bytes`);
      if (this.budget !== undefined && !this.budget.reserve(cost)) throw new KvError('over-quota', this.file, 'it holds more than the host budget allows');
      this.usedBytes += cost;
      this.entries.set(key, value);
    }
    if (p !== body.length) throw corrupt('it has bytes after its last entry');
  }

  /** Starts a write, or marks one to follow the running write. */
  private changed(): void {
    this.dirty = true;
    if (this.writing === undefined) this.writing = this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        try {
          await writeFileAtomic(this.file, this.encode());
          this.writes++;
          this.lastError = undefined;
        } catch (e) {
          this.lastError = e instanceof Error ? e : new Error(String(e));
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}
