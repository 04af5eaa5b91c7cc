// A hostile or broken cloud: answers that claim another size, carry more bytes than asked, name another offset or
// digest, or hash wrong end the download with a typed error and leave nothing on disk; garbage and answers to
// requests never made are counted and ignored.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOWNLOADS_DIR, DownloadFailed, type DownloadFailureCode } from '../../../agent/update/download/index.ts';
import { decodeChunkRequest, encodeChunkResponse, type ChunkRequest, type ChunkResponse } from '../../../schemas/messages/chunk.ts';
import { topicFor } from '../../../schemas/topics.ts';
import { CHUNK_REQUEST_FILTER } from '../../../cloud/chunks/chunk-service.ts';
import { blob, sha256Hex, startCloud, startDevice, uniqueDeviceId, waitFor, type Cloud } from './_kit.ts';

const KiB = 1024;

/** What the fake cloud answers to one request: a response, raw bytes, or a list of both (sent in order). */
type Answer = ChunkResponse | Uint8Array | (ChunkResponse | Uint8Array)[];

let cloud: Cloud;
let fake: MqttClient;
let answer: ((req: ChunkRequest, bytes: Uint8Array) => Answer) | undefined;
let bytes: Uint8Array;
beforeAll(async () => {
  // the real service is stopped: these tests answer through `fake` instead
  cloud = await startCloud();
  await cloud.service.stop();
  fake = await mqtt.connectAsync(cloud.broker.url, { clientId: uniqueDeviceId('fake-cloud'), reconnectPeriod: 0 });
  fake.on('message', (topic, payload) => {
    const req = decodeChunkRequest(new Uint8Array(payload));
    const a = answer?.(req, bytes);
    if (a === undefined) return;
    for (const one of Array.isArray(a) ? a : [a]) {
      const out = one instanceof Uint8Array ? one : encodeChunkResponse(one);
      void fake.publishAsync(topicFor('chunkResponse', req.deviceId), Buffer.from(out), { qos: 1 });
    }
    void topic;
  });
  await fake.subscribeAsync(CHUNK_REQUEST_FILTER, { qos: 1 });
});
afterAll(async () => {
  await fake.endAsync(true);
  await cloud.close();
});

/** The honest answer to `req`. */
function honest(req: ChunkRequest, b: Uint8Array): ChunkResponse {
  return { v: 1, requestId: req.requestId, digest: req.digest, offset: req.offset, result: { status: 'ok', totalSize: b.length, data: b.subarray(req.offset, req.offset + req.length) } };
}

/** Answers honestly except for the chunk at `offset`, which `bad` rewrites. */
const honestBut = (offset: number, bad: (r: ChunkResponse, req: ChunkRequest, b: Uint8Array) => Answer) => (req: ChunkRequest, b: Uint8Array): Answer =>
  req.offset === offset ? bad(honest(req, b), req, b) : honest(req, b);

const cases: { name: string; code: DownloadFailureCode; answer: (req: ChunkRequest, b: Uint8Array) => Answer }[] = [
  {
    name: 'a total size other than the signed size',
    code: 'size-mismatch',
    answer: honestBut(16 * KiB, (r, _q, b) => ({ ...r, result: { status: 'ok', totalSize: b.length + 8 * KiB, data: b.subarray(16 * KiB, 24 * KiB) } })),
  },
  {
    name: 'more bytes than asked',
    code: 'size-mismatch',
    answer: honestBut(8 * KiB, (r, _q, b) => ({ ...r, result: { status: 'ok', totalSize: b.length, data: b.subarray(8 * KiB, 16 * KiB + 1) } })),
  },
  {
    name: 'fewer bytes than asked, before the end',
    code: 'size-mismatch',
    answer: honestBut(0, (r, _q, b) => ({ ...r, result: { status: 'ok', totalSize: b.length, data: b.subarray(0, 100) } })),
  },
  {
    name: 'another offset than asked',
    code: 'bad-response',
    answer: honestBut(24 * KiB, (r, _q, b) => ({ ...r, offset: 32 * KiB, result: { status: 'ok', totalSize: b.length, data: b.subarray(32 * KiB, 40 * KiB) } })),
  },
  {
    name: 'another digest than asked',
    code: 'bad-response',
    answer: honestBut(0, (r) => ({ ...r, digest: new Uint8Array(32).fill(1) })),
  },
  {
    name: 'bytes of the right sizes that hash wrong',
    code: 'digest-mismatch',
    answer: honestBut(32 * KiB, (r, _q, b) => {
      const data = Uint8Array.from(b.subarray(32 * KiB, 40 * KiB));
      data[5]! ^= 0xff;
      return { ...r, result: { status: 'ok', totalSize: b.length, data } };
    }),
  },
  {
    name: 'a "bad-range" refusal of a range inside the signed size',
    code: 'bad-response',
    answer: honestBut(8 * KiB, (r) => ({ ...r, result: { status: 'error', code: 'bad-range' } })),
  },
];

describe('Downloader against hostile answers', () => {
  for (const c of cases) {
    it(`refuses ${c.name} with "${c.code}" and keeps nothing`, async () => {
      bytes = blob(48 * KiB);
      const digest = sha256Hex(bytes);
      answer = c.answer;
      const dev = await startDevice(cloud, { downloader: { maxChunk: 8 * KiB, window: 2 } });
      try {
        const e = await dev.downloader.download({ digest, size: bytes.length }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(DownloadFailed);
        expect((e as DownloadFailed).code).toBe(c.code);
        expect(await readdir(join(dev.dataDir, DOWNLOADS_DIR))).toEqual([]);
      } finally {
        await dev.close();
      }
    });
  }

  it('ignores and counts garbage, duplicates and answers to requests never made, then completes', async () => {
    bytes = blob(24 * KiB);
    const digest = sha256Hex(bytes);
    const stranger = (req: ChunkRequest): ChunkResponse => ({ ...honest(req, bytes), requestId: `${req.requestId}x` });
    answer = (req, b) => [Uint8Array.of(0xff, 0x00, 0x13), new Uint8Array(0), stranger(req), honest(req, b), honest(req, b)];
    const dev = await startDevice(cloud, { downloader: { maxChunk: 8 * KiB, window: 1 } });
    try {
      const got = await dev.downloader.download({ digest, size: bytes.length });
      expect(sha256Hex(got)).toBe(digest);
      // the last chunk's duplicate may still be on its way when the download returns
      await waitFor(() => dev.chunks.counters.late >= 3, 'the last duplicate');
      expect(dev.chunks.counters).toMatchObject({ malformed: 6, unknown: 3, late: 3, answered: 3 });
      expect(dev.downloader.counters.duplicates).toBe(3);
    } finally {
      await dev.close();
    }
  });

  it('refuses a manifest whose first answer claims more than maxSize, whatever it carries', async () => {
    bytes = blob(2000);
    const digest = sha256Hex(bytes);
    answer = (req, b) => ({ ...honest(req, b), result: { status: 'ok', totalSize: 1_000_000, data: b } });
    const dev = await startDevice(cloud, {});
    try {
      const e = await dev.downloader.fetchSmall(digest, 4096).catch((x: unknown) => x);
      expect((e as DownloadFailed).code).toBe('size-mismatch');
    } finally {
      await dev.close();
    }
  });
});
