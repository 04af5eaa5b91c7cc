// Fetches content-addressed blobs (module bytes, signed manifests) from the cloud in chunks over MQTT, resumable across
// disconnects and restarts, and gives up by clear rules instead of looping. Owns `<dataDir>/downloads/`.

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_CHUNK_BYTES, type ChunkResponse } from '../../../schemas/messages/chunk.ts';
import { MAX_MODULE_BYTES } from '../../../schemas/messages/manifest.ts';
import { ChunkRequestFailed, type ChunkClient } from './chunk-client.ts';
import { DownloadFailed, type DownloadFailureCode } from './errors.ts';
import { blobPath, openNodePartialFile, PartialDownload, type OpenPartialFile } from './_partial.ts';

/** The folder below the data directory that the Downloader owns. */
export const DOWNLOADS_DIR = 'downloads';

export interface DownloaderOptions {
  /** Chunk requests in flight at once per download; default 4. */
  readonly window?: number;
  /** Chunk size when a download does not say; default 32 KiB (at most 64 KiB, the schema's bound). */
  readonly maxChunk?: number;
  /** Requests per chunk (timeouts and cloud errors) before `too-many-attempts`; offline time costs none; default 6. */
  readonly attemptsPerChunk?: number;
  /** Connected time without a new chunk before `stalled`; default 60 s. */
  readonly stallTimeoutMs?: number;
  /** Pause before asking again after a timeout or an error answer (doubles per attempt, at most 8x); default 250 ms. */
  readonly retryDelayMs?: number;
  /** How the partial data file is opened and written (a seam for tests); default the real file system. */
  readonly openPartialFile?: OpenPartialFile;
}

/** One blob to fetch: its SHA-256 and its size, both from a verified manifest. */
export interface DownloadRequest {
  /** SHA-256 of the blob, as bytes or lowercase hex. */
  readonly digest: Uint8Array | string;
  readonly size: number;
  /** Chunk size for a new download (a resumed one keeps its own). */
  readonly maxChunk?: number;
}

export interface DownloadOptions {
  /** Stops the download with `DownloadFailed('aborted')`; what arrived stays on disk for a resume. */
  readonly signal?: AbortSignal;
}

/** What the Downloader did (tests and status reports read it). */
export interface DownloaderCounters {
  /** Chunk requests made (each retry counts). */
  chunksRequested: number;
  /** Chunks accepted and written. */
  chunksReceived: number;
  /** Answers that came after their request was answered or given up (re-sent requests, late answers). */
  duplicates: number;
  /** Requests that timed out. */
  timeouts: number;
}

const hexOf = (d: Uint8Array | string): string => (typeof d === 'string' ? d.toLowerCase() : Buffer.from(d).toString('hex'));
const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** A full disk as `DownloadFailed('no-space')`; undefined for any other error. */
function noSpace(hex: string, dir: string, e: unknown, what: string): DownloadFailed | undefined {
  if ((e as NodeJS.ErrnoException | undefined)?.code !== 'ENOSPC') return undefined;
  return new DownloadFailed('no-space', hex, `Cannot ${what} of ${hex} in "${dir}": no space left on the device`, { cause: e });
}

/** Answers from the cloud that end a download at once. */
const FATAL_ERROR_ANSWERS: Readonly<Record<string, DownloadFailureCode>> = { 'not-found': 'not-found', cancelled: 'cancelled', 'bad-range': 'bad-response' };

/** A chunk to ask for: where, how long, and what the answer must say. */
interface Ask {
  readonly offset: number;
  readonly length: number;
  /** The blob's size when known (a `fetchSmall` probe does not know it). */
  readonly size: number | undefined;
}

/** One running download: its give-up state, shared by its window of workers. */
class Job {
  failure: DownloadFailed | undefined;
  /** An unexpected error (a file system fault other than a full disk): rethrown as it is. */
  crashed: { error: unknown } | undefined;
  readonly stop = new AbortController();
  private quietMs = 0;
  private readonly watchdog: NodeJS.Timeout;

  constructor(
    readonly hex: string,
    private readonly d: Downloader,
    signal: AbortSignal | undefined,
  ) {
    const onAbort = (): void => this.fail('aborted', `Download of ${hex} aborted`);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.stop.signal.addEventListener('abort', () => signal?.removeEventListener('abort', onAbort), { once: true });
    const tick = Math.max(5, Math.min(1000, Math.floor(d.stallTimeoutMs / 10)));
    this.watchdog = setInterval(() => {
      if (!d.client.connected) return;
      this.quietMs += tick;
      if (this.quietMs >= d.stallTimeoutMs) this.fail('stalled', `Download of ${hex} stalled: no chunk for ${d.stallTimeoutMs} ms while connected`);
    }, tick);
  }

  progress(): void {
    this.quietMs = 0;
  }

  fail(code: DownloadFailureCode, message: string, cause?: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = new DownloadFailed(code, this.hex, message, cause === undefined ? undefined : { cause });
    this.stop.abort();
  }

  crash(error: unknown): void {
    if (this.failure !== undefined || this.crashed !== undefined) return;
    this.crashed = { error };
    this.fail('aborted', `Download of ${this.hex} stopped by an error: ${(error as Error)?.message ?? String(error)}`, error);
  }

  end(): void {
    clearInterval(this.watchdog);
    if (!this.stop.signal.aborted) this.stop.abort();
  }

  /**
   * Asks for one chunk until an acceptable answer arrives, by the give-up rules; undefined when the job failed.
   */
  async fetch(ask: Ask): Promise<Extract<ChunkResponse['result'], { status: 'ok' }> | undefined> {
    const { d } = this;
    const digest = Buffer.from(this.hex, 'hex');
    let attempts = 0;
    while (this.failure === undefined) {
      try {
        await d.client.waitOnline(this.stop.signal);
      } catch {
        return undefined;
      }
      if (attempts >= d.attemptsPerChunk) {
        this.fail('too-many-attempts', `Download of ${this.hex} gave up on the chunk at ${ask.offset}: ${attempts} requests without an acceptable answer`);
        return undefined;
      }
      attempts++;
      d.count(this.hex, ask.offset);
      let r: ChunkResponse;
      try {
        r = await d.client.request(digest, ask.offset, ask.length, { signal: this.stop.signal });
      } catch (e) {
        if (!(e instanceof ChunkRequestFailed)) throw e;
        if (e.code === 'offline') attempts--; // the link dropped between the wait and the request: no answer was possible
        else if (e.code === 'timeout') d.own.timeouts++;
        else if (e.code === 'stopped') this.fail('aborted', `Download of ${this.hex} stopped: the chunk client stopped`);
        if (e.code === 'timeout') await sleep(d.backoff(attempts), this.stop.signal);
        continue;
      }
      const where = `the answer for ${this.hex} at ${ask.offset}`;
      if (hexOf(r.digest) !== this.hex || r.offset !== ask.offset) {
        this.fail('bad-response', `Refused ${where}: it names ${hexOf(r.digest)} at ${r.offset}`);
        return undefined;
      }
      const res = r.result;
      if (res.status === 'error') {
        const fatal = FATAL_ERROR_ANSWERS[res.code];
        if (fatal !== undefined) {
          this.fail(fatal, `The cloud answered "${res.code}" for ${this.hex} at ${ask.offset}${res.message === undefined ? '' : `: ${res.message}`}`);
          return undefined;
        }
        if (res.code === 'rate-limited') attempts--; // the cloud is pacing this device: wait, it is not a failed attempt
        await sleep(d.backoff(Math.max(1, attempts)), this.stop.signal);
        continue;
      }
      if (ask.size !== undefined && res.totalSize !== ask.size) {
        this.fail('size-mismatch', `Refused ${where}: total size ${res.totalSize}, the signed size is ${ask.size}`);
        return undefined;
      }
      const expected = Math.min(ask.length, res.totalSize - ask.offset);
      if (res.data.length !== expected) {
        this.fail('size-mismatch', `Refused ${where}: ${res.data.length} bytes, expected ${expected}`);
        return undefined;
      }
      this.progress();
      d.own.chunksReceived++;
      return res;
    }
    return undefined;
  }
}

export class Downloader {
  /** @internal counted by the jobs */
  readonly own = { chunksRequested: 0, chunksReceived: 0, timeouts: 0 };
  readonly dir: string;
  readonly window: number;
  readonly maxChunk: number;
  readonly attemptsPerChunk: number;
  readonly stallTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly openPartialFile: OpenPartialFile;
  private readonly running = new Map<string, Promise<Uint8Array>>();
  private readonly fetches = new Map<string, Map<number, number>>();
  private readonly lateBase: number;

  constructor(
    dataDir: string,
    readonly client: ChunkClient,
    options: DownloaderOptions = {},
  ) {
    this.dir = join(dataDir, DOWNLOADS_DIR);
    this.window = Math.max(1, options.window ?? 4);
    this.maxChunk = Math.min(MAX_CHUNK_BYTES, Math.max(1, options.maxChunk ?? 32 * 1024));
    this.attemptsPerChunk = Math.max(1, options.attemptsPerChunk ?? 6);
    this.stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.openPartialFile = options.openPartialFile ?? openNodePartialFile;
    this.lateBase = client.counters.late;
  }

  /** A snapshot of what this Downloader did. */
  get counters(): Readonly<DownloaderCounters> {
    return { ...this.own, duplicates: this.client.counters.late - this.lateBase };
  }

  /** How many times each offset of `digest` was asked for by this Downloader. */
  fetchCounts(digest: Uint8Array | string): ReadonlyMap<number, number> {
    return this.fetches.get(hexOf(digest)) ?? new Map();
  }

  /** @internal for the Job */
  count(hex: string, offset: number): void {
    this.own.chunksRequested++;
    let m = this.fetches.get(hex);
    if (m === undefined) this.fetches.set(hex, (m = new Map()));
    m.set(offset, (m.get(offset) ?? 0) + 1);
  }

  /** @internal for the Job */
  backoff(attempt: number): number {
    return this.retryDelayMs * Math.min(8, 2 ** Math.max(0, attempt - 1));
  }

  /**
   * Fetches the blob `digest` of `size` bytes (resuming what an earlier run left in the downloads folder) and returns
   * its bytes once their SHA-256 matches; the finished blob stays on disk until `remove` or `prune`. Concurrent calls
   * for one digest share one download (and the first caller's signal).
   * @throws DownloadFailed with the reason it stopped; RangeError for a digest or size out of bounds; the file
   * system's error for a fault other than a full disk (the partial is kept)
   */
  download(req: DownloadRequest, options: DownloadOptions = {}): Promise<Uint8Array> {
    const hex = hexOf(req.digest);
    if (!/^[0-9a-f]{64}$/.test(hex)) return Promise.reject(new RangeError(`Cannot download "${hex}": not a SHA-256 digest`));
    if (!Number.isSafeInteger(req.size) || req.size < 1 || req.size > MAX_MODULE_BYTES) {
      return Promise.reject(new RangeError(`Cannot download ${hex}: size ${req.size} is not between 1 and ${MAX_MODULE_BYTES}`));
    }
    const shared = this.running.get(hex);
    if (shared !== undefined) return shared;
    const p = this.run(hex, req.size, Math.min(MAX_CHUNK_BYTES, Math.max(1, req.maxChunk ?? this.maxChunk)), options.signal).finally(() => this.running.delete(hex));
    this.running.set(hex, p);
    return p;
  }

  private async run(hex: string, size: number, chunkSize: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
    await mkdir(this.dir, { recursive: true });
    const done = await this.finished(hex, size);
    if (done !== undefined) return done;
    await this.client.start();
    const job = new Job(hex, this, signal);
    let partial: PartialDownload | undefined;
    try {
      partial = await PartialDownload.open(this.dir, hex, size, chunkSize, this.openPartialFile);
      const part = partial;
      const queue: number[] = [];
      for (let i = 0; i < part.chunkCount; i++) if (!part.has(i)) queue.push(i);
      const worker = async (): Promise<void> => {
        for (let i = queue.shift(); i !== undefined && job.failure === undefined; i = queue.shift()) {
          const ask = { offset: i * part.chunkSize, length: part.lengthOf(i), size };
          let res;
          try {
            res = await job.fetch(ask);
          } catch (e) {
            job.crash(e);
            return;
          }
          if (res === undefined) return;
          try {
            await part.write(i, res.data);
            await part.flush();
          } catch (e) {
            const f = noSpace(hex, this.dir, e, 'write the partial file');
            if (f === undefined) job.crash(e);
            else job.fail(f.code, f.message, e);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.window, queue.length) }, worker));
      if (job.failure === undefined) {
        try {
          await part.flush();
        } catch (e) {
          const f = noSpace(hex, this.dir, e, 'write the bitmap');
          if (f === undefined) job.crash(e);
          else job.fail(f.code, f.message, e);
        }
      }
      if (job.crashed !== undefined) throw job.crashed.error;
      if (job.failure !== undefined) throw job.failure;
      const bytes = await part.read();
      const got = sha256Hex(bytes);
      if (bytes.length !== size || got !== hex) throw new DownloadFailed('digest-mismatch', hex, `Downloaded ${bytes.length} bytes hash to ${got}, not ${hex}`);
      await part.promote();
      return bytes;
    } catch (e) {
      const f = e instanceof DownloadFailed ? e : noSpace(hex, this.dir, e, 'download');
      const keep = f === undefined || (f.code === 'aborted' || f.code === 'stalled' || f.code === 'too-many-attempts');
      if (partial !== undefined) await (keep ? partial.close() : partial.discard()).catch(() => {});
      else if (!keep) await this.removePartial(hex).catch(() => {});
      throw f ?? e;
    } finally {
      job.end();
    }
  }

  /** The finished blob when it is on disk and still hashes right (a damaged one is removed). */
  private async finished(hex: string, size: number): Promise<Uint8Array | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(blobPath(this.dir, hex)));
    } catch {
      return undefined;
    }
    if (bytes.length === size && sha256Hex(bytes) === hex) return bytes;
    await rm(blobPath(this.dir, hex), { force: true });
    return undefined;
  }

  /**
   * Fetches a small blob whose size is not known in advance (a signed manifest): the first answer's total size is
   * refused above `maxSize`; the bytes are returned once their SHA-256 matches.
   * @throws DownloadFailed ("size-mismatch" above maxSize, and every reason of `download`)
   */
  async fetchSmall(digest: Uint8Array | string, maxSize: number, options: DownloadOptions = {}): Promise<Uint8Array> {
    const hex = hexOf(digest);
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new RangeError(`Cannot download "${hex}": not a SHA-256 digest`);
    const length = Math.min(MAX_CHUNK_BYTES, Math.max(1, maxSize));
    await this.client.start();
    const job = new Job(hex, this, options.signal);
    let first: Awaited<ReturnType<Job['fetch']>>;
    try {
      first = await job.fetch({ offset: 0, length, size: undefined });
    } finally {
      job.end();
    }
    if (first === undefined) throw job.failure ?? new DownloadFailed('aborted', hex, `Download of ${hex} stopped`);
    if (first.totalSize > maxSize) throw new DownloadFailed('size-mismatch', hex, `Refused ${hex}: its size ${first.totalSize} is above the ${maxSize} bytes allowed`);
    if (first.totalSize > length) return this.download({ digest: hex, size: first.totalSize }, options);
    const got = sha256Hex(first.data);
    if (got !== hex) throw new DownloadFailed('digest-mismatch', hex, `Downloaded ${first.data.length} bytes hash to ${got}, not ${hex}`);
    return Uint8Array.from(first.data);
  }

  /** Removes everything the downloads folder holds for `digest` (finished or partial). */
  async remove(digest: Uint8Array | string): Promise<void> {
    const hex = hexOf(digest);
    await rm(blobPath(this.dir, hex), { force: true });
    await this.removePartial(hex);
  }

  private async removePartial(hex: string): Promise<void> {
    await rm(join(this.dir, `${hex}.part`), { force: true });
    await rm(join(this.dir, `${hex}.bitmap`), { force: true });
  }

  /**
   * Removes every blob and partial download except those of `keep` (and those downloading now); returns the digests
   * removed.
   */
  async prune(keep: readonly (Uint8Array | string)[]): Promise<string[]> {
    const kept = new Set([...keep.map(hexOf), ...this.running.keys()]);
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const removed = new Set<string>();
    for (const n of names) {
      const m = /^([0-9a-f]{64})\.(blob|part|bitmap)$/.exec(n) ?? /^\.([0-9a-f]{64})\.bitmap\.[0-9a-f]+\.tmp$/.exec(n);
      if (m === null || kept.has(m[1]!)) continue;
      await rm(join(this.dir, n), { force: true });
      removed.add(m[1]!);
    }
    return [...removed];
  }
}
