// The download over the agent's real MQTT session (agent/session): its own reconnect with backoff, a fresh client per
// connection and publishes failed on a dropped link. Downloads cut at a random point all complete, and no chunk is
// served more than twice.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../../agent/session/index.ts';
import { ChunkClient, Downloader } from '../../../agent/update/download/index.ts';
import { blob, onNthRequest, sha256Hex, startCloud, tempDir, uniqueDeviceId, waitFor, type Cloud } from './_kit.ts';

const KiB = 1024;
const DOWNLOADS = process.env.FLEETLET_PROFILE === 'ci' ? 10 : 20;
const CHUNKS = 8;

let cloud: Cloud;
let session: Session;
let chunks: ChunkClient;
let downloader: Downloader;
const deviceId = uniqueDeviceId();
beforeAll(async () => {
  cloud = await startCloud({ answerDelayMs: 3 });
  const dataDir = await tempDir();
  cloud.dirs.push(dataDir);
  session = await Session.open({ url: cloud.proxy.url, deviceId, dataDir, keepaliveS: 5, connectTimeoutMs: 2000, backoff: { initialMs: 10, maxMs: 50, factor: 2 }, stableAfterMs: 200 });
  await session.whenConnected();
  chunks = new ChunkClient(session, { deviceId, timeoutMs: 1000 });
  downloader = new Downloader(dataDir, chunks, { maxChunk: 8 * KiB, window: 4, retryDelayMs: 10, stallTimeoutMs: 5000 });
});
afterAll(async () => {
  await chunks.stop();
  await session.close();
  await cloud.close();
});

describe('Downloader over the agent Session', () => {
  it(`${DOWNLOADS} downloads, each cut when the cloud receives a random request, all complete and no chunk is served more than twice`, async () => {
    let worst = 0;
    for (let n = 0; n < DOWNLOADS; n++) {
      const bytes = blob(CHUNKS * 8 * KiB - n * 10);
      const digest = await cloud.store.put(bytes);
      let cut = -1;
      const remove = onNthRequest(cloud, deviceId, 1 + Math.floor(Math.random() * CHUNKS), () => {
        cut = cloud.proxy.cut();
      });
      const got = await downloader.download({ digest, size: bytes.length });
      remove();
      expect(cut).toBeGreaterThan(0);
      expect(sha256Hex(got)).toBe(digest);
      for (const count of cloud.service.servedOffsets(deviceId, digest).values()) worst = Math.max(worst, count);
      await waitFor(() => session.connected, 'the reconnect');
      await downloader.remove(digest);
    }
    expect(worst).toBeLessThanOrEqual(2);
    expect(chunks.counters.resent).toBeGreaterThan(0);
  });
});
