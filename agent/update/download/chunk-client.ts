// The device's side of fleetlet's chunk request/response pair: sends `chunkRequest`s on the device's `chunk/req`
// topic, matches `chunkResponse`s on `chunk/res` by request id, times requests out, and carries requests across a
// reconnect. It does not retry, persist or check the bytes: the Downloader does.

import { randomBytes } from 'node:crypto';
import { chunkResponseMessage, encodeChunkRequest, type ChunkResponse } from '../../../schemas/messages/chunk.ts';
import { topicFor } from '../../../schemas/topics.ts';
import type { MessageBus } from '../../session/bus.ts';

/** Why one chunk request ended without a response. */
export type ChunkRequestFailureCode = 'timeout' | 'offline' | 'aborted' | 'stopped';

/** One chunk request that ended without a response (the Downloader decides whether to ask again). */
export class ChunkRequestFailed extends Error {
  override readonly name = 'ChunkRequestFailed';
  constructor(
    readonly code: ChunkRequestFailureCode,
    readonly requestId: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ChunkClientOptions {
  /** The device's id: the topics and every request carry it. */
  readonly deviceId: string;
  /** How long a request waits for its response while connected (the clock stops while offline); default 10 s. */
  readonly timeoutMs?: number;
  /** Request ids are `<prefix>-<n>`; default 8 random hex digits, so ids of an earlier run are never reused. */
  readonly idPrefix?: string;
}

export interface ChunkRequestOptions {
  readonly signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this request. */
  readonly timeoutMs?: number;
}

/** What the client saw (tests and status reports read it). */
export interface ChunkClientCounters {
  /** Requests published, counting a re-send after a reconnect. */
  sent: number;
  /** Responses matched to a waiting request. */
  answered: number;
  /** Responses to a request already answered or timed out (a re-sent request answered twice, a late answer). */
  late: number;
  /** Responses whose request id this client never issued. */
  unknown: number;
  /** Payloads that are not a chunk response. */
  malformed: number;
  /** Requests that timed out. */
  timeouts: number;
  /** Requests re-sent after a reconnect because their answer was lost with the old connection. */
  resent: number;
}

type PublishState = 'pending' | 'acked' | 'failed';

interface Pending {
  readonly id: string;
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly timeoutMs: number;
  publish: PublishState;
  timer: NodeJS.Timeout | undefined;
  settle(outcome: { ok: true; value: ChunkResponse } | { ok: false; error: ChunkRequestFailed }): void;
}

/** How many answered or timed-out ids are remembered, to tell a late answer from an unknown one. */
const RECENT_IDS = 1024;

export class ChunkClient {
  readonly counters: ChunkClientCounters = { sent: 0, answered: 0, late: 0, unknown: 0, malformed: 0, timeouts: 0, resent: 0 };
  readonly deviceId: string;
  private readonly pending = new Map<string, Pending>();
  private readonly recent = new Set<string>();
  private readonly requestTopic: string;
  private readonly responseTopic: string;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private next = 0;
  private unsubscribe: (() => Promise<void>) | undefined;
  private starting: Promise<void> | undefined;
  private removeListener: (() => void) | undefined;

  constructor(
    private readonly bus: MessageBus,
    options: ChunkClientOptions,
  ) {
    this.requestTopic = topicFor('chunkRequest', options.deviceId);
    this.responseTopic = topicFor('chunkResponse', options.deviceId);
    this.deviceId = options.deviceId;
    this.prefix = options.idPrefix ?? randomBytes(4).toString('hex');
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Whether the bus is connected now. */
  get connected(): boolean {
    return this.bus.connected;
  }

  /** Requests waiting for their response. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Subscribes to the device's chunk responses (the Downloader calls it; calling it again is harmless).
   * @throws the bus's error when the subscription fails (a later call tries again)
   */
  start(): Promise<void> {
    if (this.starting === undefined) {
      this.removeListener = this.bus.onConnectionChange((online) => this.onConnectionChange(online));
      this.starting = this.bus.subscribe(this.responseTopic, (payload) => this.onResponse(payload)).then(
        (u) => {
          this.unsubscribe = u;
        },
        (e: unknown) => {
          this.removeListener?.();
          this.removeListener = undefined;
          this.starting = undefined;
          throw e;
        },
      );
    }
    return this.starting;
  }

  /** Unsubscribes and fails every waiting request with "stopped". */
  async stop(): Promise<void> {
    this.removeListener?.();
    this.removeListener = undefined;
    for (const p of [...this.pending.values()]) p.settle({ ok: false, error: new ChunkRequestFailed('stopped', p.id, `Chunk request "${p.id}" ended: the chunk client stopped`) });
    await this.starting?.catch(() => {});
    this.starting = undefined;
    const u = this.unsubscribe;
    this.unsubscribe = undefined;
    if (u !== undefined) await u().catch(() => {});
  }

  /** Resolves when the bus is connected (at once if it is); rejects with "aborted" when `signal` fires first. */
  waitOnline(signal?: AbortSignal): Promise<void> {
    if (this.bus.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        remove();
        signal?.removeEventListener('abort', onAbort);
      };
      const remove = this.bus.onConnectionChange((online) => {
        if (!online) return;
        done();
        resolve();
      });
      const onAbort = (): void => {
        done();
        reject(new ChunkRequestFailed('aborted', '', 'Stopped waiting for the broker: aborted'));
      };
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      if (this.bus.connected) {
        done();
        resolve();
      }
    });
  }

  /**
   * Asks the cloud for `length` bytes of the blob `digest` from `offset`; resolves with the decoded response (ok or
   * error result, unchecked against the request: the caller checks it).
   * @throws ChunkRequestFailed "offline" when the bus is not connected, "timeout", "aborted", "stopped"
   */
  request(digest: Uint8Array, offset: number, length: number, options: ChunkRequestOptions = {}): Promise<ChunkResponse> {
    const id = `${this.prefix}-${(this.next++).toString(36)}`;
    if (!this.bus.connected) return Promise.reject(new ChunkRequestFailed('offline', id, `Cannot request a chunk at ${offset}: not connected to the broker`));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new ChunkRequestFailed('aborted', id, `Chunk request at ${offset} aborted`));
    const bytes = encodeChunkRequest({ v: 1, requestId: id, deviceId: this.deviceId, digest, offset, length });
    return new Promise<ChunkResponse>((resolve, reject) => {
      const onAbort = (): void => p.settle({ ok: false, error: new ChunkRequestFailed('aborted', id, `Chunk request "${id}" at ${offset} aborted`) });
      const p: Pending = {
        id,
        bytes,
        offset,
        timeoutMs: options.timeoutMs ?? this.timeoutMs,
        publish: 'pending',
        timer: undefined,
        settle: (outcome) => {
          if (this.pending.get(id) !== p) return;
          this.pending.delete(id);
          this.remember(id);
          clearTimeout(p.timer);
          signal?.removeEventListener('abort', onAbort);
          if (outcome.ok) resolve(outcome.value);
          else reject(outcome.error);
        },
      };
      this.pending.set(id, p);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.send(p);
    });
  }

  private send(p: Pending): void {
    p.publish = 'pending';
    this.counters.sent++;
    this.arm(p);
    this.bus.publish(this.requestTopic, p.bytes, { qos: 1 }).then(
      () => { if (p.publish === 'pending') p.publish = 'acked'; },
      () => { p.publish = 'failed'; },
    );
  }

  private arm(p: Pending): void {
    clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      this.counters.timeouts++;
      p.settle({ ok: false, error: new ChunkRequestFailed('timeout', p.id, `No answer to chunk request "${p.id}" at ${p.offset} within ${p.timeoutMs} ms`) });
    }, p.timeoutMs);
  }

  private onConnectionChange(online: boolean): void {
    for (const p of this.pending.values()) {
      if (!online) {
        // the clock of a request stops while offline: a reconnect must not cost attempts
        clearTimeout(p.timer);
        p.timer = undefined;
        continue;
      }
      if (p.publish === 'pending') {
        // the bus still holds the unacknowledged publish and sends it again itself (mqtt.js does, with any session)
        this.arm(p);
      } else {
        // the request reached the broker (or was refused): its answer went to the lost connection, so ask again
        this.counters.resent++;
        this.send(p);
      }
    }
  }

  private onResponse(payload: Uint8Array): void {
    let decoded;
    try {
      decoded = chunkResponseMessage.safeDecode(payload);
    } catch {
      decoded = undefined;
    }
    if (decoded === undefined || !decoded.ok) {
      this.counters.malformed++;
      return;
    }
    const r = decoded.value;
    const p = this.pending.get(r.requestId);
    if (p === undefined) {
      if (this.recent.has(r.requestId)) this.counters.late++;
      else this.counters.unknown++;
      return;
    }
    this.counters.answered++;
    p.settle({ ok: true, value: r });
  }

  private remember(id: string): void {
    this.recent.add(id);
    if (this.recent.size > RECENT_IDS) {
      const oldest = this.recent.values().next().value as string;
      this.recent.delete(oldest);
    }
  }
}

