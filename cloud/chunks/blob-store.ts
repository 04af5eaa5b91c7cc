// The cloud's content-addressed store of module and manifest bytes: one file per blob, named by its SHA-256 hex, in
// one directory, each written atomically (temp file, fsync, rename, directory fsync), so a reader never sees half.

import { createHash } from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../agent/update/atomic-file.ts';

const HEX = /^[0-9a-f]{64}$/;

/** A digest that is not 32 bytes / 64 lowercase hex digits. */
export class BadDigest extends Error {
  override readonly name = 'BadDigest';
  readonly code = 'bad-digest';
  constructor(readonly digest: string) {
    super(`Cannot use "${digest}" as a blob name: not a SHA-256 digest (64 hex digits)`);
  }
}

/** Lowercase hex of a digest given as bytes or hex. @throws BadDigest */
export function digestHex(digest: Uint8Array | string): string {
  const hex = typeof digest === 'string' ? digest.toLowerCase() : Buffer.from(digest).toString('hex');
  if (!HEX.test(hex)) throw new BadDigest(hex);
  return hex;
}

export class BlobStore {
  private constructor(readonly dir: string) {}

  /** Opens (creating) the store in `dir`. @throws the file system's error */
  static async open(dir: string): Promise<BlobStore> {
    await mkdir(dir, { recursive: true });
    return new BlobStore(dir);
  }

  private path(hex: string): string {
    return join(this.dir, hex);
  }

  /** Stores `bytes` (once: an existing blob is not rewritten) and returns their SHA-256 hex. @throws the file system's error */
  async put(bytes: Uint8Array): Promise<string> {
    const hex = createHash('sha256').update(bytes).digest('hex');
    if (!(await this.has(hex))) await writeFileAtomic(this.path(hex), bytes, { mode: 0o644 });
    return hex;
  }

  /** The blob's bytes, or undefined when the store does not hold it. @throws BadDigest; file system errors but ENOENT */
  async get(digest: Uint8Array | string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.path(digestHex(digest))));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Whether the store holds the blob. @throws BadDigest */
  async has(digest: Uint8Array | string): Promise<boolean> {
    return (await this.size(digest)) !== undefined;
  }

  /** The blob's size, or undefined when absent. @throws BadDigest */
  async size(digest: Uint8Array | string): Promise<number | undefined> {
    try {
      return (await stat(this.path(digestHex(digest)))).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /**
   * Up to `length` bytes of the blob from `offset` and its total size, or undefined when absent (reads only the range).
   * @throws BadDigest; file system errors but ENOENT
   */
  async read(digest: Uint8Array | string, offset: number, length: number): Promise<{ data: Uint8Array; totalSize: number } | undefined> {
    let fh;
    try {
      fh = await open(this.path(digestHex(digest)), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const totalSize = (await fh.stat()).size;
      const n = Math.max(0, Math.min(length, totalSize - offset));
      const data = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const { bytesRead } = await fh.read(data, done, n - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return { data: data.subarray(0, done), totalSize };
    } finally {
      await fh.close();
    }
  }
}
