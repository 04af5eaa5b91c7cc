// ChunkService's two token buckets (one per device, one for the whole service), on a clock the test moves: a greedy
// device is refused at its own rate before it can spend the service's, so another device keeps being served; each
// device's counters say what it got; refused requests are answered 'rate-limited' (the agent's Downloader waits and
// asks again without spending an attempt), never queued.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageBus, MessageHandler } from '../../../agent/session/bus.ts';
import { BlobStore, ChunkService, ChunkServiceError, DEFAULT_DEVICE_RATE, type ChunkServiceOptions } from '../../../cloud/chunks/index.ts';
import { decodeChunkResponse, encodeChunkRequest, type ChunkResponse } from '../../../schemas/messages/chunk.ts';
import { parseTopic, topicFor } from '../../../schemas/topics.ts';

let dir: string;
let blobs: BlobStore;
let hex: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlet-chunk-rate-'));
  blobs = await BlobStore.open(dir);
  hex = await blobs.put(Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A broker in a box: requests go straight to the service's handler, answers are kept per device in order. */
class LoopBus implements MessageBus {
  readonly connected = true;
  readonly answers = new Map<string, ChunkResponse[]>();
  #handler: MessageHandler | undefined;
  #n = 0;

  async publish(topic: string, payload: Uint8Array): Promise<void> {
    const id = parseTopic(topic).deviceId;
    this.answers.set(id, [...(this.answers.get(id) ?? []), decodeChunkResponse(payload)]);
  }

  async subscribe(_filter: string, handler: MessageHandler): Promise<() => Promise<void>> {
    this.#handler = handler;
    return async () => {
      this.#handler = undefined;
    };
  }

  onConnectionChange(): () => void {
    return () => {};
  }

  /** `count` requests from `deviceId`, each for the first 512 bytes. */
  request(deviceId: string, count: number): void {
    for (let i = 0; i < count; i++) {
      const payload = encodeChunkRequest({ v: 1, requestId: `${deviceId}-${this.#n++}`, deviceId, digest: Buffer.from(hex, 'hex'), offset: 0, length: 512 });
      this.#handler!(payload, topicFor('chunkRequest', deviceId));
    }
  }

  /** Answers so far for `deviceId`: how many had bytes and how many were refused. */
  tally(deviceId: string): { ok: number; limited: number } {
    const a = this.answers.get(deviceId) ?? [];
    return { ok: a.filter((x) => x.result.status === 'ok').length, limited: a.filter((x) => x.result.status === 'error' && x.result.code === 'rate-limited').length };
  }
}

async function service(options: Partial<ChunkServiceOptions> = {}): Promise<{ bus: LoopBus; svc: ChunkService; clock: { t: number } }> {
  const clock = { t: 1_000_000 };
  const bus = new LoopBus();
  const svc = new ChunkService(bus, { store: blobs, now: () => clock.t, ...options });
  await svc.start();
  return { bus, svc, clock };
}

/** Lets the service's reads and publishes finish. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

describe('ChunkService rate limits', () => {
  it('one greedy device cannot starve another: it is refused at its own rate before it spends the shared budget', async () => {
    const { bus, svc, clock } = await service({ rateLimit: { perSecond: 10, burst: 10 }, globalRateLimit: { perSecond: 30, burst: 30 } });
    for (let second = 0; second < 3; second++) {
      bus.request('greedy', 500);
      bus.request('modest', 5);
      await settle();
      clock.t += 1_000;
    }
    // greedy: its burst of 10, then 10 a second; modest: all 15 (the shared 30 a second was never spent by greedy)
    expect(bus.tally('greedy')).toEqual({ ok: 30, limited: 1470 });
    expect(bus.tally('modest')).toEqual({ ok: 15, limited: 0 });
    expect(svc.deviceCounters('greedy')).toEqual({ requests: 1500, served: 30, rateLimited: 1470, globalLimited: 0 });
    expect(svc.deviceCounters('modest')).toEqual({ requests: 15, served: 15, rateLimited: 0, globalLimited: 0 });
    expect(svc.deviceCounters('silent')).toBeUndefined();
    expect(svc.counters).toMatchObject({ requests: 1515, served: 45, globalLimited: 0, errors: { 'rate-limited': 1470 } });
    const refusal = bus.answers.get('greedy')!.find((x) => x.result.status === 'error')!;
    expect(refusal.result).toEqual({ status: 'error', code: 'rate-limited', message: 'at most 10 chunk requests per second per device' });
  });

  it('the service-wide bucket refuses what all devices together ask beyond it, counted per device', async () => {
    const { bus, svc } = await service({ rateLimit: { perSecond: 10, burst: 10 }, globalRateLimit: { perSecond: 1, burst: 25 } });
    for (const id of ['d1', 'd2', 'd3']) bus.request(id, 10);
    await settle();
    expect([bus.tally('d1'), bus.tally('d2'), bus.tally('d3')]).toEqual([{ ok: 10, limited: 0 }, { ok: 10, limited: 0 }, { ok: 5, limited: 5 }]);
    expect(svc.deviceCounters('d3')).toEqual({ requests: 10, served: 5, rateLimited: 0, globalLimited: 5 });
    expect(svc.counters.globalLimited).toBe(5);
    expect(bus.answers.get('d3')!.find((x) => x.result.status === 'error')!.result).toEqual({ status: 'error', code: 'rate-limited', message: 'the cloud answers at most 1 chunk requests per second' });
  });

  it('a device\'s bucket refills at its rate and never above its burst', async () => {
    const { bus, clock } = await service();
    bus.request('d', DEFAULT_DEVICE_RATE.burst + 1);
    await settle();
    expect(bus.tally('d')).toEqual({ ok: DEFAULT_DEVICE_RATE.burst, limited: 1 });
    clock.t += 100; // 50 a second: 5 tokens
    bus.request('d', 6);
    await settle();
    expect(bus.tally('d')).toEqual({ ok: DEFAULT_DEVICE_RATE.burst + 5, limited: 2 });
    clock.t += 3_600_000; // an hour idle: a full burst, not more
    bus.request('d', DEFAULT_DEVICE_RATE.burst + 1);
    await settle();
    expect(bus.tally('d')).toEqual({ ok: 2 * DEFAULT_DEVICE_RATE.burst + 5, limited: 3 });
  });

  it('forgets the least recently heard idle device beyond maxDevices, and a forgotten one starts with a full burst', async () => {
    const { bus, svc, clock } = await service({ rateLimit: { perSecond: 1, burst: 2 }, maxDevices: 2 });
    bus.request('a', 3); // a: empty bucket, kept (not idle)
    clock.t += 5_000;
    bus.request('b', 1);
    bus.request('c', 1); // a is idle again (5 s refilled it): forgotten, not b
    await settle();
    expect(svc.deviceCounters('a')).toBeUndefined();
    expect(svc.deviceCounters('b')).toEqual({ requests: 1, served: 1, rateLimited: 0, globalLimited: 0 });
    expect(svc.deviceCounters('c')).toBeDefined();
  });

  it('refuses a rate or burst a bucket cannot work with', () => {
    const bus = new LoopBus();
    expect(() => new ChunkService(bus, { store: blobs, rateLimit: { perSecond: 0, burst: 5 } })).toThrow(ChunkServiceError);
    expect(() => new ChunkService(bus, { store: blobs, globalRateLimit: { perSecond: 5, burst: 0.5 } })).toThrow(/bursts of 0.5/);
  });
});
