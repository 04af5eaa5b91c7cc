// The Downloader's give-up rules over aedes with the real ChunkService: an impossible download stops with a typed
// reason (stalled, cancelled, not-found, too many attempts) instead of looping; offline time and the cloud's pacing
// cost no attempts.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOWNLOADS_DIR, DownloadFailed } from '../../../agent/update/download/index.ts';
import { blob, onNthRequest, sha256Hex, startCloud, startDevice, waitFor, type Cloud } from './_kit.ts';

const KiB = 1024;

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud();
});
afterAll(async () => {
  await cloud.close();
});

async function failure(p: Promise<unknown>): Promise<DownloadFailed> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DownloadFailed)) throw new Error(`Expected a DownloadFailed, got ${String(e)}`);
  return e;
}

const files = async (dataDir: string): Promise<string[]> => (await readdir(join(dataDir, DOWNLOADS_DIR)).catch(() => [])).sort();

describe('Downloader give-up rules', () => {
  it('stops with "stalled" when a silent cloud sends nothing for the stall timeout, keeping the partial for later', async () => {
    const bytes = blob(64 * KiB);
    const digest = await cloud.store.put(bytes);
    const dev = await startDevice(cloud, { client: { timeoutMs: 5000 }, downloader: { maxChunk: 8 * KiB, stallTimeoutMs: 300, attemptsPerChunk: 100 } });
    try {
      cloud.service.pause(true);
      const e = await failure(dev.downloader.download({ digest, size: bytes.length }));
      expect(e.code).toBe('stalled');
      expect(e.digest).toBe(digest);
      expect(dev.chunks.inFlight).toBe(0);
      expect(await files(dev.dataDir)).toEqual([`${digest}.part`]);
      cloud.service.pause(false);
      expect(sha256Hex(await dev.downloader.download({ digest, size: bytes.length }))).toBe(digest);
    } finally {
      cloud.service.pause(false);
      await dev.close();
    }
  });

  it('stops with "too-many-attempts" after the allowed requests for one chunk time out', async () => {
    const bytes = blob(16 * KiB);
    const digest = await cloud.store.put(bytes);
    const dev = await startDevice(cloud, { client: { timeoutMs: 40 }, downloader: { maxChunk: 8 * KiB, window: 1, attemptsPerChunk: 3, stallTimeoutMs: 60_000 } });
    try {
      cloud.service.pause(true);
      const e = await failure(dev.downloader.download({ digest, size: bytes.length }));
      expect(e.code).toBe('too-many-attempts');
      expect([...dev.downloader.fetchCounts(digest)]).toEqual([[0, 3]]);
      expect(dev.downloader.counters.timeouts).toBe(3);
    } finally {
      cloud.service.pause(false);
      await dev.close();
    }
  });

  it('stops with "cancelled" when the cloud cancels mid-way, and removes the partial', async () => {
    const bytes = blob(128 * KiB);
    const digest = await cloud.store.put(bytes);
    const dev = await startDevice(cloud, { downloader: { maxChunk: 8 * KiB, window: 1 } });
    try {
      const remove = onNthRequest(cloud, dev.deviceId, 4, () => cloud.service.cancel(dev.deviceId, digest));
      const running = dev.downloader.download({ digest, size: bytes.length });
      const e = await failure(running);
      remove();
      expect(e.code).toBe('cancelled');
      // the service saw the 4th request before the cancel (its listener on the cloud client comes first)
      expect(dev.downloader.counters.chunksReceived).toBe(4);
      expect(cloud.service.counters.errors.cancelled).toBeGreaterThanOrEqual(1);
      expect(await files(dev.dataDir)).toEqual([]);
      // the next request is refused at once: no retry loop
      const again = await failure(dev.downloader.download({ digest, size: bytes.length }));
      expect(again.code).toBe('cancelled');
    } finally {
      await dev.close();
    }
  });

  it('stops with "not-found" when the cloud holds no such blob, after one request', async () => {
    const digest = sha256Hex(blob(100));
    const dev = await startDevice(cloud);
    try {
      const e = await failure(dev.downloader.download({ digest, size: 100 }));
      expect(e.code).toBe('not-found');
      expect(dev.downloader.counters.chunksRequested).toBe(1);
      expect(await files(dev.dataDir)).toEqual([]);
      expect((await failure(dev.downloader.fetchSmall(digest, 4096))).code).toBe('not-found');
    } finally {
      await dev.close();
    }
  });

  it('spends no attempts while the link is down: a long outage then completes with 2 attempts per chunk allowed', async () => {
    const bytes = blob(64 * KiB);
    const digest = await cloud.store.put(bytes);
    const dev = await startDevice(cloud, { throughProxy: true, client: { timeoutMs: 150 }, downloader: { maxChunk: 8 * KiB, window: 2, attemptsPerChunk: 2, stallTimeoutMs: 60_000 } });
    try {
      const remove = onNthRequest(cloud, dev.deviceId, 3, () => {
        cloud.proxy.refuse(true);
        cloud.proxy.cut();
      });
      const running = dev.downloader.download({ digest, size: bytes.length });
      await waitFor(() => cloud.proxy.accepted >= 4, 'failed reconnects');
      await new Promise((r) => setTimeout(r, 500)); // more than the 2 attempts' worth of request timeouts
      cloud.proxy.refuse(false);
      expect(sha256Hex(await running)).toBe(digest);
      remove();
      expect(Math.max(...dev.downloader.fetchCounts(digest).values())).toBeLessThanOrEqual(2);
    } finally {
      cloud.proxy.refuse(false);
      await dev.close();
    }
  });
});

describe('ChunkService rate limit', () => {
  it('answers "rate-limited" past the bucket, and the device waits without spending attempts', async () => {
    const limited = await startCloud({ rateLimit: { perSecond: 50, burst: 2 } });
    const bytes = blob(80 * KiB);
    const digest = await limited.store.put(bytes);
    const dev = await startDevice(limited, { downloader: { maxChunk: 8 * KiB, window: 4, attemptsPerChunk: 1, retryDelayMs: 20 } });
    try {
      expect(sha256Hex(await dev.downloader.download({ digest, size: bytes.length }))).toBe(digest);
      expect(limited.service.counters.errors['rate-limited']).toBeGreaterThan(0);
      expect(limited.service.counters.served).toBe(10);
    } finally {
      await dev.close();
      await limited.close();
    }
  });
});
