// Downloader over aedes with the real ChunkService: whole blobs, manifests of unknown size, resume after an abort and
// after a restart, clean-up.

import { readdir, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ChunkClient, Downloader, DOWNLOADS_DIR, DownloadFailed, openNodePartialFile, type OpenPartialFile } from '../../../agent/update/download/index.ts';
import { blob, onNthRequest, sha256Hex, startCloud, startDevice, tempDir, type Cloud } from './_kit.ts';

const KiB = 1024;

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud();
});
afterAll(async () => {
  await cloud.close();
});

describe('Downloader.download', () => {
  it('fetches a 200 KiB blob in 16 KiB chunks, each offset once, and keeps it as a finished blob', async () => {
    const bytes = blob(200 * KiB);
    const digest = await cloud.store.put(bytes);
    const dev = await startDevice(cloud);
    try {
      const got = await dev.downloader.download({ digest, size: bytes.length, maxChunk: 16 * KiB });
      expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true);
      const offsets = [...cloud.service.servedOffsets(dev.deviceId, digest).entries()].sort((a, b) => a[0] - b[0]);
      expect(offsets).toEqual(Array.from({ length: 13 }, (_, i) => [i * 16 * KiB, 1]));
      expect(dev.downloader.counters).toMatchObject({ chunksRequested: 13, chunksReceived: 13 });
      expect(await readdir(join(dev.dataDir, DOWNLOADS_DIR))).toEqual([`${digest}.blob`]);
      // a second call is answered from disk, without a request
      const again = await dev.downloader.download({ digest, size: bytes.length });
      expect(sha256Hex(again)).toBe(digest);
      expect(dev.downloader.counters.chunksRequested).toBe(13);
    } finally {
      await dev.close();
    }
  });

  it('shares one download between concurrent calls for the same digest', async () => {
    const bytes = blob(40 * KiB);
    const digest = await cloud.store.put(bytes);
    const dev = await startDevice(cloud);
    try {
      const [a, b] = await Promise.all([dev.downloader.download({ digest, size: bytes.length }), dev.downloader.download({ digest, size: bytes.length })]);
      expect(sha256Hex(a)).toBe(digest);
      expect(sha256Hex(b)).toBe(digest);
      expect(dev.downloader.counters.chunksRequested).toBe(3);
    } finally {
      await dev.close();
    }
  });
  it('starts its ChunkClient itself when the caller did not', async () => {
    const bytes = blob(20 * KiB);
    const digest = await cloud.store.put(bytes);
    const dev = await startDevice(cloud);
    const fresh = new ChunkClient(dev.bus, { deviceId: dev.deviceId, timeoutMs: 2000 });
    const dataDir = await tempDir();
    cloud.dirs.push(dataDir);
    try {
      const got = await new Downloader(dataDir, fresh).download({ digest, size: bytes.length });
      expect(sha256Hex(got)).toBe(digest);
    } finally {
      await fresh.stop();
      await dev.close();
    }
  });
});

describe('Downloader.fetchSmall', () => {
  it('fetches a manifest-sized blob in one request from its first total size', async () => {
    const bytes = blob(700);
    const digest = await cloud.store.put(bytes);
    const dev = await startDevice(cloud);
    try {
      const got = await dev.downloader.fetchSmall(digest, 4096);
      expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true);
      expect(dev.downloader.counters.chunksRequested).toBe(1);
    } finally {
      await dev.close();
    }
  });

  it('refuses a blob whose total size is above maxSize with "size-mismatch"', async () => {
    const bytes = blob(5000);
    const digest = await cloud.store.put(bytes);
    const dev = await startDevice(cloud);
    try {
      const e = await dev.downloader.fetchSmall(digest, 4096).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DownloadFailed);
      expect((e as DownloadFailed).code).toBe('size-mismatch');
      expect(await readdir(join(dev.dataDir, DOWNLOADS_DIR)).catch(() => [])).toEqual([]);
    } finally {
      await dev.close();
    }
  });

  it('continues in chunks when the blob is bigger than one request', async () => {
    const bytes = blob(100 * KiB);
    const digest = await cloud.store.put(bytes);
    const dev = await startDevice(cloud);
    try {
      const got = await dev.downloader.fetchSmall(digest, 128 * KiB);
      expect(sha256Hex(got)).toBe(digest);
    } finally {
      await dev.close();
    }
  });
});

describe('Downloader resume', () => {
  it('a new Downloader on the same directory fetches only the chunks an aborted one did not get', async () => {
    const bytes = blob(256 * KiB);
    const digest = await cloud.store.put(bytes);
    const dev = await startDevice(cloud, { downloader: { window: 2 } });
    try {
      // with two requests in flight, the 10th request goes out once at least 8 chunks arrived
      const abort = new AbortController();
      const remove = onNthRequest(cloud, dev.deviceId, 10, () => abort.abort());
      const first = dev.downloader.download({ digest, size: bytes.length, maxChunk: 16 * KiB }, { signal: abort.signal });
      const e = await first.catch((x: unknown) => x);
      remove();
      expect((e as DownloadFailed).code).toBe('aborted');
      const kept = dev.downloader.counters.chunksReceived;
      expect(kept).toBeGreaterThanOrEqual(8);
      expect(kept).toBeLessThan(16);
      const files = (await readdir(join(dev.dataDir, DOWNLOADS_DIR))).sort();
      expect(files).toEqual([`${digest}.bitmap`, `${digest}.part`]);

      const second = dev.restart();
      const got = await second.download({ digest, size: bytes.length, maxChunk: 16 * KiB });
      expect(sha256Hex(got)).toBe(digest);
      expect(second.counters.chunksRequested).toBe(16 - kept);
      const served = cloud.service.servedOffsets(dev.deviceId, digest);
      expect(served.size).toBe(16);
      // a chunk is served twice only when it was in flight at the abort (its answer came too late to be kept)
      const twice = [...served.values()].filter((n) => n === 2).length;
      expect(Math.max(...served.values())).toBeLessThanOrEqual(2);
      expect(twice).toBeLessThanOrEqual(2);
    } finally {
      await dev.close();
    }
  });
  it('restarts from scratch when the bitmap claims more than the partial file holds (a damaged data directory)', async () => {
    const bytes = blob(128 * KiB);
    const digest = await cloud.store.put(bytes);
    const dev = await startDevice(cloud, { downloader: { window: 1 } });
    try {
      const abort = new AbortController();
      const remove = onNthRequest(cloud, dev.deviceId, 5, () => abort.abort());
      const first = dev.downloader.download({ digest, size: bytes.length, maxChunk: 16 * KiB }, { signal: abort.signal });
      expect(((await first.catch((x: unknown) => x)) as DownloadFailed).code).toBe('aborted');
      remove();
      expect(dev.downloader.counters.chunksReceived).toBeGreaterThanOrEqual(4);
      await truncate(join(dev.dataDir, DOWNLOADS_DIR, `${digest}.part`), 16 * KiB);
      const second = dev.restart();
      expect(sha256Hex(await second.download({ digest, size: bytes.length }))).toBe(digest);
      expect(second.counters.chunksRequested).toBe(8);
    } finally {
      await dev.close();
    }
  });
});

describe('Downloader persistence order', () => {
  it('the bitmap on disk never claims a chunk whose data was not fsynced before it', async () => {
    const bytes = blob(96 * KiB);
    const digest = await cloud.store.put(bytes);
    const dataDir = await tempDir();
    cloud.dirs.push(dataDir);
    const bitmap = join(dataDir, DOWNLOADS_DIR, `${digest}.bitmap`);
    const written = new Set<number>();
    const synced = new Set<number>();
    const violations: string[] = [];
    let checks = 0;
    // every call into the data file looks at the bitmap as it is on disk at that instant
    const check = (): void => {
      let rec: { chunkSize: number; bits: string };
      try {
        rec = JSON.parse(readFileSync(bitmap, 'utf8')) as typeof rec;
      } catch {
        return;
      }
      checks++;
      const bits = Buffer.from(rec.bits, 'base64');
      for (let i = 0; i < bits.length * 8; i++) if ((bits[i >> 3]! & (1 << (i & 7))) !== 0 && !synced.has(i * rec.chunkSize)) violations.push(`chunk ${i}`);
    };
    const watched: OpenPartialFile = async (path) => {
      const f = await openNodePartialFile(path);
      return {
        writeAt: async (data, position) => {
          check();
          await f.writeAt(data, position);
          written.add(position);
        },
        sync: async () => {
          check();
          const now = [...written];
          await f.sync();
          for (const o of now) synced.add(o);
        },
        close: () => f.close(),
      };
    };
    const dev = await startDevice(cloud, { dataDir, downloader: { window: 4, openPartialFile: watched } });
    try {
      const abort = new AbortController();
      const remove = onNthRequest(cloud, dev.deviceId, 9, () => abort.abort());
      await dev.downloader.download({ digest, size: bytes.length, maxChunk: 8 * KiB }, { signal: abort.signal }).catch(() => {});
      remove();
      check();
      expect(checks).toBeGreaterThan(3);
      expect(violations).toEqual([]);
      expect(synced.size).toBeGreaterThanOrEqual(5);
    } finally {
      await dev.close();
    }
  });
});

describe('Downloader.remove and prune', () => {
  it('prune keeps the listed digests and removes other blobs and partials', async () => {
    const dev = await startDevice(cloud);
    try {
      const a = blob(3000);
      const b = blob(3000);
      const da = await cloud.store.put(a);
      const db = await cloud.store.put(b);
      await dev.downloader.download({ digest: da, size: a.length });
      await dev.downloader.download({ digest: db, size: b.length });
      expect((await dev.downloader.prune([da])).sort()).toEqual([db]);
      expect(await readdir(join(dev.dataDir, DOWNLOADS_DIR))).toEqual([`${da}.blob`]);
      await dev.downloader.remove(da);
      expect(await readdir(join(dev.dataDir, DOWNLOADS_DIR))).toEqual([]);
    } finally {
      await dev.close();
    }
  });
});
