// One half-done download on disk: the partial data file `<digest>.part` and the record `<digest>.bitmap` of the chunks
// it holds. Data is fsynced before the bitmap that claims it is replaced (atomically), so after a power cut the
// bitmap never claims bytes that are not on disk.

import { open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileIfExists, syncDirectory, writeFileAtomic } from '../atomic-file.ts';

/** The record's schema version; the field names are a wire format (never rename them). */
const RECORD_VERSION = 1;

interface BitmapRecord {
  readonly v: number;
  readonly size: number;
  readonly chunkSize: number;
  /** One bit per chunk, chunk i in byte i >> 3, bit i & 7; base64. */
  readonly bits: string;
}

/** The partial data file's operations (a seam: tests may inject a file system that fails like a full disk). */
export interface PartialFileHandle {
  writeAt(data: Uint8Array, position: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creating when absent, never truncating) the partial data file at `path`. */
export type OpenPartialFile = (path: string) => Promise<PartialFileHandle>;

export const openNodePartialFile: OpenPartialFile = async (path) => {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    fh = await open(path, 'w+', 0o600);
  }
  return {
    async writeAt(data, position) {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
        done += bytesWritten;
      }
    },
    sync: () => fh.sync(),
    close: () => fh.close(),
  };
};

export const partPath = (dir: string, hex: string): string => join(dir, `${hex}.part`);
export const bitmapPath = (dir: string, hex: string): string => join(dir, `${hex}.bitmap`);
export const blobPath = (dir: string, hex: string): string => join(dir, `${hex}.blob`);

function readRecord(bytes: Uint8Array | undefined): BitmapRecord | undefined {
  if (bytes === undefined) return undefined;
  try {
    const r = JSON.parse(Buffer.from(bytes).toString('utf8')) as BitmapRecord;
    if (r.v !== RECORD_VERSION || !Number.isSafeInteger(r.size) || !Number.isSafeInteger(r.chunkSize) || typeof r.bits !== 'string') return undefined;
    return r;
  } catch {
    return undefined;
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw e;
  }
}

/** The end of the last chunk a bitmap claims (0 when it claims none). */
function claimedEnd(bits: Uint8Array, chunkSize: number, size: number): number {
  for (let i = bits.length * 8 - 1; i >= 0; i--) if ((bits[i >> 3]! & (1 << (i & 7))) !== 0) return Math.min(size, (i + 1) * chunkSize);
  return 0;
}

export class PartialDownload {
  private dirty = false;
  private flushing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly hex: string,
    readonly size: number,
    readonly chunkSize: number,
    /** Chunks written to the data file (durable or not yet). */
    private readonly have: Uint8Array,
    private file: PartialFileHandle,
  ) {}

  /**
   * Opens the partial download of `hex`, resuming from its bitmap when the record describes the same size (its chunk
   * size wins over `chunkSize`), else starting afresh.
   * @throws the file system's error
   */
  static async open(dir: string, hex: string, size: number, chunkSize: number, openFile: OpenPartialFile): Promise<PartialDownload> {
    const record = readRecord(await readFileIfExists(bitmapPath(dir, hex)));
    let have: Uint8Array | undefined;
    let cs = chunkSize;
    if (record !== undefined && record.size === size && record.chunkSize >= 1) {
      const bits = new Uint8Array(Buffer.from(record.bits, 'base64'));
      if (bits.length === Math.ceil(Math.ceil(size / record.chunkSize) / 8) && (await fileSize(partPath(dir, hex))) >= claimedEnd(bits, record.chunkSize, size)) {
        have = bits;
        cs = record.chunkSize;
      }
    }
    if (have === undefined) {
      await rm(bitmapPath(dir, hex), { force: true });
      await rm(partPath(dir, hex), { force: true });
      have = new Uint8Array(Math.ceil(Math.ceil(size / cs) / 8));
    }
    return new PartialDownload(dir, hex, size, cs, have, await openFile(partPath(dir, hex)));
  }

  get chunkCount(): number {
    return Math.ceil(this.size / this.chunkSize);
  }

  /** Length of chunk `i` (the last one may be short). */
  lengthOf(i: number): number {
    return Math.min(this.chunkSize, this.size - i * this.chunkSize);
  }

  has(i: number): boolean {
    return (this.have[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  get received(): number {
    let n = 0;
    for (let i = 0; i < this.chunkCount; i++) if (this.has(i)) n++;
    return n;
  }

  get complete(): boolean {
    return this.received === this.chunkCount;
  }

  /**
   * Writes chunk `i` into the data file and marks it; `flush` makes the mark durable.
   * @throws the file system's error (ENOSPC included)
   */
  async write(i: number, data: Uint8Array): Promise<void> {
    await this.file.writeAt(data, i * this.chunkSize);
    this.have[i >> 3]! |= 1 << (i & 7);
    this.dirty = true;
  }

  /**
   * Fsyncs the data file, then atomically replaces the bitmap with every chunk written before that fsync. Concurrent
   * calls share one pass (and a pass picks up what was written while the previous one ran).
   * @throws the file system's error
   */
  flush(): Promise<void> {
    if (this.flushing === undefined) {
      this.flushing = (async () => {
        try {
          while (this.dirty && !this.closed) {
            this.dirty = false;
            const snapshot = Uint8Array.from(this.have);
            await this.file.sync();
            const record: BitmapRecord = { v: RECORD_VERSION, size: this.size, chunkSize: this.chunkSize, bits: Buffer.from(snapshot).toString('base64') };
            await writeFileAtomic(bitmapPath(this.dir, this.hex), new TextEncoder().encode(JSON.stringify(record)));
          }
        } finally {
          this.flushing = undefined;
        }
      })();
    }
    return this.flushing;
  }

  /** Closes the data file (the partial stays on disk for a resume). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flushing?.catch(() => {});
    this.closed = true;
    await this.file.close().catch(() => {});
  }

  /** Closes and removes the data file and the bitmap. */
  async discard(): Promise<void> {
    await this.close();
    await rm(bitmapPath(this.dir, this.hex), { force: true });
    await rm(partPath(this.dir, this.hex), { force: true });
  }

  /** The data file's bytes (call once complete and flushed). */
  async read(): Promise<Uint8Array> {
    return new Uint8Array(await readFile(partPath(this.dir, this.hex)));
  }

  /**
   * Turns the verified partial into the finished blob `<digest>.blob` (rename, directory fsync) and drops the bitmap.
   * @throws the file system's error
   */
  async promote(): Promise<void> {
    await this.close();
    await rename(partPath(this.dir, this.hex), blobPath(this.dir, this.hex));
    await rm(bitmapPath(this.dir, this.hex), { force: true });
    await syncDirectory(this.dir);
  }
}
