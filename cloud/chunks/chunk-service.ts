// The cloud's chunk server: answers every device's `chunk/req` with a byte range of a stored blob, or an error
// ("not-found", "bad-range", "cancelled", "rate-limited"), on that device's `chunk/res`. A request is trusted only as
// far as the topic it came on: its device id must be the topic's (the broker's ACL confines a device to its subtree).

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
  /** Per-device request rate; default 100 per second, bursts of 50. */
  readonly rateLimit?: RateLimit;
  /** Milliseconds (injected in tests); default Date.now. */
  readonly now?: () => number;
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
}

const key = (deviceId: string, hex: string): string => `${deviceId} ${hex}`;

export class ChunkService {
  readonly counters: ChunkServiceCounters = { requests: 0, served: 0, errors: {}, malformed: 0, wrongDevice: 0, dropped: 0, publishFailures: 0 };
  private readonly store: BlobStore;
  private readonly rate: RateLimit;
  private readonly now: () => number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly cancelled = new Set<string>();
  private readonly servedBy = new Map<string, Map<number, number>>();
  private paused = false;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly bus: MessageBus,
    options: ChunkServiceOptions,
  ) {
    this.store = options.store;
    this.rate = options.rateLimit ?? { perSecond: 100, burst: 50 };
    this.now = options.now ?? Date.now;
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

  private takeToken(deviceId: string): boolean {
    const t = this.now();
    const b = this.buckets.get(deviceId) ?? { tokens: this.rate.burst, at: t };
    b.tokens = Math.min(this.rate.burst, b.tokens + ((t - b.at) * this.rate.perSecond) / 1000);
    b.at = t;
    this.buckets.set(deviceId, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
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
    if (!this.takeToken(deviceId)) return answer({ status: 'error', code: 'rate-limited', message: `at most ${this.rate.perSecond} chunk requests per second` });
    if (this.cancelled.has(key(deviceId, hex))) return answer({ status: 'error', code: 'cancelled' });
    const got = await this.store.read(hex, req.offset, req.length);
    if (got === undefined) return answer({ status: 'error', code: 'not-found' });
    if (req.offset >= got.totalSize) return answer({ status: 'error', code: 'bad-range', message: `offset ${req.offset} is past the size ${got.totalSize}` });
    let m = this.servedBy.get(key(deviceId, hex));
    if (m === undefined) this.servedBy.set(key(deviceId, hex), (m = new Map()));
    m.set(req.offset, (m.get(req.offset) ?? 0) + 1);
    this.counters.served++;
    return answer({ status: 'ok', totalSize: got.totalSize, data: got.data });
  }
}
