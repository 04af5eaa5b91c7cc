// ChunkService over aedes: answers, error codes, and requests it ignores (malformed, another device's id).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busFromClient } from '../../agent/session/client-bus.ts';
import { decodeChunkResponse, encodeChunkRequest, type ChunkResponse } from '../../schemas/messages/chunk.ts';
import { topicFor } from '../../schemas/topics.ts';
import { startAedes, type EmbeddedBroker } from '../../test/support/brokers.ts';
import { BlobStore } from './blob-store.ts';
import { ChunkService } from './chunk-service.ts';

let broker: EmbeddedBroker;
let cloud: MqttClient;
let device: MqttClient;
let service: ChunkService;
let dir: string;
let hex: string;
const answers: ChunkResponse[] = [];
const bytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);

beforeAll(async () => {
  broker = await startAedes();
  dir = await mkdtemp(join(tmpdir(), 'fleetlet-chunksvc-'));
  const store = await BlobStore.open(dir);
  hex = await store.put(bytes);
  cloud = await mqtt.connectAsync(broker.url, { clientId: 'cloud-chunksvc', reconnectPeriod: 0 });
  service = new ChunkService(busFromClient(cloud), { store });
  await service.start();
  device = await mqtt.connectAsync(broker.url, { clientId: 'dev-a', reconnectPeriod: 0 });
  device.on('message', (_t, p) => answers.push(decodeChunkResponse(new Uint8Array(p))));
  await device.subscribeAsync(topicFor('chunkResponse', 'dev-a'), { qos: 1 });
});
afterAll(async () => {
  await device.endAsync(true);
  await service.stop();
  await cloud.endAsync(true);
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
/** Sends one request on dev-a's topic, its payload naming `payloadDevice`; returns its id. */
async function send(offset: number, length: number, digest = hex, payloadDevice = 'dev-a'): Promise<string> {
  const requestId = `r-${n++}`;
  await device.publishAsync(topicFor('chunkRequest', 'dev-a'), Buffer.from(encodeChunkRequest({ v: 1, requestId, deviceId: payloadDevice, digest: Buffer.from(digest, 'hex'), offset, length })), { qos: 1 });
  return requestId;
}

/** Sends one request as dev-a and returns the answer to it. */
async function ask(offset: number, length: number, digest = hex): Promise<ChunkResponse> {
  const requestId = await send(offset, length, digest);
  for (let i = 0; i < 400; i++) {
    const a = answers.find((x) => x.requestId === requestId);
    if (a !== undefined) return a;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`No answer to ${requestId}`);
}

describe('ChunkService', () => {
  it('serves a range with the total size and counts it per device, digest and offset', async () => {
    const a = await ask(4096, 4096);
    expect(a.result).toEqual({ status: 'ok', totalSize: 5000, data: bytes.subarray(4096, 5000) });
    expect(service.servedCount('dev-a', hex, 4096)).toBe(1);
    expect(service.servedCount('dev-b', hex, 4096)).toBe(0);
  });

  it('answers not-found, bad-range and cancelled, and serves again after uncancel', async () => {
    expect((await ask(0, 10, 'ab'.repeat(32))).result).toMatchObject({ status: 'error', code: 'not-found' });
    expect((await ask(5000, 10)).result).toMatchObject({ status: 'error', code: 'bad-range' });
    service.cancel('dev-a', hex);
    expect((await ask(0, 10)).result).toMatchObject({ status: 'error', code: 'cancelled' });
    service.uncancel('dev-a', hex);
    expect((await ask(0, 10)).result.status).toBe('ok');
  });

  it('ignores and counts a request naming another device than its topic, and garbage', async () => {
    const before = { ...service.counters };
    const stray = await send(0, 10, hex, 'dev-b');
    await device.publishAsync(topicFor('chunkRequest', 'dev-a'), Buffer.from([0xff, 1, 2]), { qos: 1 });
    await ask(0, 10); // answered: the service is still up, and handled the two before this one (one client, in order)
    expect(answers.some((a) => a.requestId === stray)).toBe(false);
    expect(service.counters.wrongDevice).toBe(before.wrongDevice + 1);
    expect(service.counters.malformed).toBe(before.malformed + 1);
  });
});
