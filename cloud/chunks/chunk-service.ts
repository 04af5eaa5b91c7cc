// The cloud's chunk server: answers every device's `chunk/req` with a byte range of a stored blob, or an error
// ("not-found", "bad-range", "cancelled", "rate-limited"), on that device's `chunk/res`. A request is trusted only as
// far as the topic it came on: its device id must be the topic's (the broker's ACL confines a device to its subtree).
// Two token buckets pace it: one per device, then one for the whole service.

import { chunkRequestMessage, encodeChunkResponse, type ChunkRequest, type ChunkResponse } from '../../schemas/messages/chunk.ts';
import { parseTopic, TOPIC_ROOT, topicFor, TOPICS } from '../../schemas/topics.ts';
import type { MessageBus } from '../../agent/session/bus.ts';
import { digestHex, type BlobStore } from './blob-store.ts';

/** Every device's chunk requests. */
export const CHUNK_REQUEST_FILTER = `${TOPIC_ROOT}/dev/+/${TOPICS.chunkRequest.suffix}`;

/** A token bucket per device: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export interface ChunkServiceOptions {
  readonly store: BlobStore;
  /** Per-device request rate; default 50 per second, bursts of 20. */
  readonly rateLimit?: RateLimit;
  /**
   * What this service answers in all, every device together; default 2,000 per second, bursts of 1,000. A device over
   * its own rate is refused before it can spend any of it, so one greedy device cannot starve the others.
   */
  readonly globalRateLimit?: RateLimit;
  /** Devices whose counters and bucket are kept (idle ones with a full bucket are forgotten first); default 100,000. */
  readonly maxDevices?: number;
  /** Milliseconds (injected in tests); default Date.now. */
  readonly now?: () => number;
}

/** One device's requests, as the service answered them. */
export interface DeviceChunkCounters {
  /** Requests that decoded and named this device. */
  requests: number;
  /** Answers with bytes. */
  served: number;
  /** Answers 'rate-limited' because of this device's own rate. */
  rateLimited: number;
  /** Answers 'rate-limited' because the whole service was at its rate. */
  globalLimited: number;
}

export const DEFAULT_DEVICE_RATE: RateLimit = { perSecond: 50, burst: 20 };
export const DEFAULT_GLOBAL_RATE: RateLimit = { perSecond: 2_000, burst: 1_000 };

interface Bucket {
  tokens: number;
  at: number;
}

interface DeviceEntry {
  readonly bucket: Bucket;
  readonly counters: DeviceChunkCounters;
}

/** Refills `b` up to `rate.burst` for the time since it was last seen, then takes one token if there is one. */
function take(b: Bucket, rate: RateLimit, t: number): boolean {
  b.tokens = Math.min(rate.burst, b.tokens + (Math.max(0, t - b.at) * rate.perSecond) / 1000);
  b.at = t;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

/** Refills `b` without taking: whether it is back to a full burst (an idle device). */
function full(b: Bucket, rate: RateLimit, t: number): boolean {
  return b.tokens + (Math.max(0, t - b.at) * rate.perSecond) / 1000 >= rate.burst;
}

/** A rate that a bucket can work with. */
export class ChunkServiceError extends Error {
  override readonly name = 'ChunkServiceError';
  readonly code = 'bad-rate';
}

function checkRate(what: string, r: RateLimit): RateLimit {
  if (!(r.perSecond > 0 && Number.isFinite(r.perSecond) && r.burst >= 1 && Number.isFinite(r.burst))) {
    throw new ChunkServiceError(`Cannot limit ${what} to ${r.perSecond} per second in bursts of ${r.burst}: need a rate above 0 and a burst of at least 1`);
  }
  return r;
}

/** What the service did (tests and the dashboard read it). */
export interface ChunkServiceCounters {
  /** Requests that decoded. */
  requests: number;
  /** Answers with bytes. */
  served: number;
  /** Error answers, by code. */
  errors: Record<string, number>;
  /** Payloads that are not a chunk request. */
  malformed: number;
  /** Requests whose device id is not the topic's (ignored). */
  wrongDevice: number;
  /** Requests dropped unanswered while paused. */
  dropped: number;
  /** Answers the bus could not publish. */
  publishFailures: number;
  /** Requests refused because the whole service was at its rate (also counted in errors['rate-limited']). */
  globalLimited: number;
}

const key = (deviceId: string, hex: string): string => `${deviceId} ${hex}`;

export class ChunkService {
  readonly counters: ChunkServiceCounters = { requests: 0, served: 0, errors: {}, malformed: 0, wrongDevice: 0, dropped: 0, publishFailures: 0, globalLimited: 0 };
  private readonly store: BlobStore;
  private readonly rate: RateLimit;
  private readonly globalRate: RateLimit;
  private readonly maxDevices: number;
  private readonly now: () => number;
  /** Per device, least recently heard from first. */
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly global: Bucket;
  private readonly cancelled = new Set<string>();
  private readonly servedBy = new Map<string, Map<number, number>>();
  private paused = false;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly bus: MessageBus,
    options: ChunkServiceOptions,
  ) {
    this.store = options.store;
    this.rate = checkRate('each device', options.rateLimit ?? DEFAULT_DEVICE_RATE);
    this.globalRate = checkRate('the chunk service', options.globalRateLimit ?? DEFAULT_GLOBAL_RATE);
    this.maxDevices = Math.max(1, options.maxDevices ?? 100_000);
    this.now = options.now ?? Date.now;
    this.global = { tokens: this.globalRate.burst, at: this.now() };
  }

  /** Subscribes to every device's chunk requests. @throws the bus's error */
  async start(): Promise<void> {
    if (this.unsubscribe !== undefined) return;
    this.unsubscribe = await this.bus.subscribe(CHUNK_REQUEST_FILTER, (payload, topic) => {
      this.handle(payload, topic).catch(() => {
        this.counters.publishFailures++;
      });
    });
  }

  async stop(): Promise<void> {
    const u = this.unsubscribe;
    this.unsubscribe = undefined;
    if (u !== undefined) await u();
  }

  /** From now on, answers `deviceId`'s requests for `digest` with "cancelled" (a withdrawn rollout). @throws BadDigest */
  cancel(deviceId: string, digest: Uint8Array | string): void {
    this.cancelled.add(key(deviceId, digestHex(digest)));
  }

  /** Serves `deviceId` the blob again. @throws BadDigest */
  uncancel(deviceId: string, digest: Uint8Array | string): void {
    this.cancelled.delete(key(deviceId, digestHex(digest)));
  }

  /** While on, requests are dropped unanswered (maintenance; tests use it for a cloud that went silent). */
  pause(on: boolean): void {
    this.paused = on;
  }

  /** How many times the bytes at `offset` of `digest` were served to `deviceId`. @throws BadDigest */
  servedCount(deviceId: string, digest: Uint8Array | string, offset: number): number {
    return this.servedBy.get(key(deviceId, digestHex(digest)))?.get(offset) ?? 0;
  }

  /** Every offset of `digest` served to `deviceId`, with its count. @throws BadDigest */
  servedOffsets(deviceId: string, digest: Uint8Array | string): ReadonlyMap<number, number> {
    return this.servedBy.get(key(deviceId, digestHex(digest))) ?? new Map();
  }

  /** `deviceId`'s counters, or undefined when it sent nothing (or was forgotten, see `maxDevices`). */
  deviceCounters(deviceId: string): Readonly<DeviceChunkCounters> | undefined {
    return this.devices.get(deviceId)?.counters;
  }

  /** The device's entry, made most recently used; forgets an idle device when there are too many. */
  private entry(deviceId: string, t: number): DeviceEntry {
    let e = this.devices.get(deviceId);
    if (e !== undefined) {
      this.devices.delete(deviceId);
    } else {
      e = { bucket: { tokens: this.rate.burst, at: t }, counters: { requests: 0, served: 0, rateLimited: 0, globalLimited: 0 } };
      if (this.devices.size >= this.maxDevices) this.forgetOne(t);
    }
    this.devices.set(deviceId, e);
    return e;
  }

  /** Drops the least recently heard from device whose bucket is full again (forgetting it gives it nothing extra). */
  private forgetOne(t: number): void {
    for (const [id, e] of this.devices) {
      if (full(e.bucket, this.rate, t)) {
        this.devices.delete(id);
        return;
      }
    }
    const oldest = this.devices.keys().next();
    if (oldest.done !== true) this.devices.delete(oldest.value);
  }

  private async handle(payload: Uint8Array, topic: string): Promise<void> {
    let deviceId: string;
    let req: ChunkRequest;
    try {
      const parsed = parseTopic(topic);
      const decoded = chunkRequestMessage.safeDecode(payload);
      if (parsed.name !== 'chunkRequest' || !decoded.ok) throw new Error('malformed');
      deviceId = parsed.deviceId;
      req = decoded.value;
    } catch {
      this.counters.malformed++;
      return;
    }
    if (req.deviceId !== deviceId) {
      this.counters.wrongDevice++;
      return;
    }
    this.counters.requests++;
    const t = this.now();
    const device = this.entry(deviceId, t);
    device.counters.requests++;
    if (this.paused) {
      this.counters.dropped++;
      return;
    }
    const hex = digestHex(req.digest);
    const answer = (result: ChunkResponse['result']): Promise<void> => {
      if (result.status === 'error') this.counters.errors[result.code] = (this.counters.errors[result.code] ?? 0) + 1;
      const bytes = encodeChunkResponse({ v: 1, requestId: req.requestId, digest: req.digest, offset: req.offset, result });
      return this.bus.publish(topicFor('chunkResponse', deviceId), bytes, { qos: 1 });
    };
    // the device's own bucket first: a device over its rate never spends the tokens every device shares
    if (!take(device.bucket, this.rate, t)) {
      device.counters.rateLimited++;
      return answer({ status: 'error', code: 'rate-limited', message: `at most ${this.rate.perSecond} chunk requests per second per device` });
    }
    if (!take(this.global, this.globalRate, t)) {
      device.counters.globalLimited++;
      this.counters.globalLimited++;
      return answer({ status: 'error', code: 'rate-limited', message: `the cloud answers at most ${this.globalRate.perSecond} chunk requests per second` });
    }
    if (this.cancelled.has(key(deviceId, hex))) return answer({ status: 'error', code: 'cancelled' });
    const got = await this.store.read(hex, req.offset, req.length);
    if (got === undefined) return answer({ status: 'error', code: 'not-found' });
    if (req.offset >= got.totalSize) return answer({ status: 'error', code: 'bad-range', message: `offset ${req.offset} is past the size ${got.totalSize}` });
    let m = this.servedBy.get(key(deviceId, hex));
    if (m === undefined) this.servedBy.set(key(deviceId, hex), (m = new Map()));
    m.set(req.offset, (m.get(req.offset) ?? 0) + 1);
    this.counters.served++;
    device.counters.served++;
    return answer({ status: 'ok', totalSize: got.totalSize, data: got.data });
  }
}
