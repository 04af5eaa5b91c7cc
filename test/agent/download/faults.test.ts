// The network-fault test: downloads whose MQTT link is cut at a random point all complete after the reconnect,
// and no chunk is served more than twice (the one in flight at the cut, once more).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blob, onNthRequest, sha256Hex, startCloud, startDevice, waitFor, type Cloud, type Device } from './_kit.ts';

const KiB = 1024;
const DOWNLOADS = process.env.FLEETLET_PROFILE === 'ci' ? 20 : 50;
const CHUNKS = 8;

let cloud: Cloud;
let dev: Device;
beforeAll(async () => {
  cloud = await startCloud({ answerDelayMs: 3 });
  dev = await startDevice(cloud, { throughProxy: true, client: { timeoutMs: 1000 }, downloader: { maxChunk: 8 * KiB, window: 4 } });
});
afterAll(async () => {
  await dev.close();
  await cloud.close();
});

describe('Downloader under cut links', () => {
  it(`${DOWNLOADS} downloads, each cut at a random point, all complete and no chunk is served more than twice`, async () => {
    let completed = 0;
    let worst = 0;
    let totalServed = 0;
    const cutsBefore = cloud.proxy.cuts;
    for (let n = 0; n < DOWNLOADS; n++) {
      const bytes = blob(CHUNKS * 8 * KiB - (n % 7) * 100);
      const digest = await cloud.store.put(bytes);
      // cut the link the moment the cloud receives this download's k-th request (k random): that request and those
      // before it whose answers are still on the way lose their answers with the connection
      const cutAt = 1 + Math.floor(Math.random() * CHUNKS);
      let cut = -1;
      const remove = onNthRequest(cloud, dev.deviceId, cutAt, () => {
        cut = cloud.proxy.cut();
      });
      const running = dev.downloader.download({ digest, size: bytes.length });
      await waitFor(() => cut >= 0, `the cut of download ${n}`);
      expect(cut).toBeGreaterThan(0);
      const got = await running;
      expect(sha256Hex(got)).toBe(digest);
      remove();
      completed++;
      for (const count of cloud.service.servedOffsets(dev.deviceId, digest).values()) {
        worst = Math.max(worst, count);
        totalServed += count;
      }
      await waitFor(() => dev.chunks.connected, 'the reconnect');
      await dev.downloader.remove(digest);
    }
    expect(completed).toBe(DOWNLOADS);
    expect(cloud.proxy.cuts - cutsBefore).toBe(DOWNLOADS);
    expect(worst).toBeLessThanOrEqual(2);
    // the cuts caught answered-but-undelivered requests (otherwise this test would prove nothing), which were re-sent
    expect(dev.chunks.counters.resent).toBeGreaterThan(0);
    expect(totalServed).toBeGreaterThan(DOWNLOADS * CHUNKS);
  });
});
