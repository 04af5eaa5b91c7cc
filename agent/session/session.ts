// The device agent's one connection to the fleet: an MQTT session (over mqtt.js) with jittered reconnects, presence
// and its Last Will, subscriptions that outlive reconnects, and the agent's publishing paths (status latest-only,
// events through the persisted outbox, telemetry and logs through small bounded queues). See DESIGN.md for the why.

import { join } from 'node:path';
import {
  encodeEvent,
  encodeLogBatch,
  encodePresence,
  encodeStatus,
  encodeTelemetry,
  filterCovers,
  topicFor,
  TOPICS,
  type DeviceEvent,
  type LogBatch,
  type Presence,
  type Status,
  type Telemetry,
} from '../../schemas/index.ts';
import { Backoff, checkBackoff, DEFAULT_BACKOFF } from './backoff.ts';
import { BusOffline, type MessageBus, type MessageHandler, type PublishOptions } from './bus.ts';
import { describeError, SessionError } from './errors.ts';
import { newSessionId } from './event-id.ts';
import { DEFAULT_OUTBOX_LIMITS, Outbox } from './outbox.ts';
import type { SessionOptions, SessionState, SessionStats } from './options.ts';
import { Connection } from './_connection.ts';
import { BoundedQueue } from './_queue.ts';

export type { SessionOptions, SessionState, SessionStats, SessionTls } from './options.ts';

export class Session implements MessageBus {
  readonly deviceId: string;
  readonly #o: SessionOptions;
  readonly #now: () => number;
  readonly #backoff: Backoff;
  readonly #outbox: Outbox;
  readonly #presenceTopic: string;
  readonly #subs = new Map<string, Set<MessageHandler>>();
  readonly #listeners = new Set<(online: boolean) => void>();
  readonly #closeListeners = new Set<() => void>();
  readonly #telemetry: BoundedQueue<Uint8Array>;
  readonly #logs: BoundedQueue<Uint8Array>;
  #conn: Connection | undefined;
  #state: SessionState = 'connecting';
  #timer: NodeJS.Timeout | undefined;
  #stableTimer: NodeJS.Timeout | undefined;
  #status: Uint8Array | undefined;
  #pumping = false;
  #counts = { attempts: 0, connects: 0, disconnects: 0, backoffMs: 0, eventsSent: 0 };

  private constructor(o: SessionOptions, outbox: Outbox) {
    this.#o = o;
    this.deviceId = o.deviceId;
    this.#now = o.now ?? Date.now;
    this.#backoff = new Backoff(checkBackoff({ ...DEFAULT_BACKOFF, ...o.backoff }), o.random ?? Math.random);
    this.#outbox = outbox;
    this.#presenceTopic = topicFor('presence', o.deviceId);
    this.#telemetry = new BoundedQueue(o.telemetryQueue ?? 64);
    this.#logs = new BoundedQueue(o.logQueue ?? 16);
    outbox.onAdded(() => this.#kick());
  }

  /**
   * Loads the outbox from `dataDir` and starts connecting (it does not wait for the broker: see `whenConnected`).
   * @throws SessionError "bad-options" (bad URL, device id or bounds); the file system's error when the outbox
   * directory cannot be created or read
   */
  static async open(options: SessionOptions): Promise<Session> {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new SessionError('bad-options', options.url, `Invalid broker URL "${options.url}"`);
    }
    if (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') throw new SessionError('bad-options', options.url, `Invalid broker URL "${options.url}": the scheme must be mqtt: or mqtts:`);
    try {
      topicFor('presence', options.deviceId);
    } catch (e) {
      throw new SessionError('bad-options', options.deviceId, `Invalid device id "${options.deviceId}": ${describeError(e)}`);
    }
    try {
      checkBackoff({ ...DEFAULT_BACKOFF, ...options.backoff });
    } catch (e) {
      throw new SessionError('bad-options', 'backoff', describeError(e));
    }
    const outbox = await Outbox.open(join(options.dataDir, 'outbox'), { ...DEFAULT_OUTBOX_LIMITS, ...options.outbox }, (e) => options.onError?.(e));
    const session = new Session(options, outbox);
    session.#connect();
    return session;
  }

  get connected(): boolean {
    return this.#conn?.ready === true;
  }

  /** The id of the current connection's MQTT session (in its presence and Last Will); undefined before the first. */
  get sessionId(): string | undefined {
    return this.#conn?.sessionId;
  }

  get stats(): SessionStats {
    return {
      state: this.#state,
      ...this.#counts,
      backoffAttempt: this.#backoff.attempt,
      eventsQueued: this.#outbox.size,
      eventsQueuedBytes: this.#outbox.bytes,
      eventsDropped: this.#outbox.dropped,
      outboxDamaged: this.#outbox.damaged,
      telemetryQueued: this.#telemetry.length,
      telemetryDropped: this.#telemetry.dropped,
      logsQueued: this.#logs.length,
      logsDropped: this.#logs.dropped,
      statusPending: this.#status !== undefined,
    };
  }

  onConnectionChange(listener: (online: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves once the session is connected (at once when it is).
   * @throws SessionError "closed" when the session is closed first; the signal's reason when it aborts first
   */
  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (this.#state === 'closed') {
        reject(new SessionError('closed', this.deviceId, 'Cannot wait for a connection: the session is closed'));
        return;
      }
      const done = (): void => {
        off();
        this.#closeListeners.delete(onClose);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason);
      };
      const onClose = (): void => {
        done();
        reject(new SessionError('closed', this.deviceId, 'Cannot wait for a connection: the session is closed'));
      };
      this.#closeListeners.add(onClose);
      const off = this.onConnectionChange((online) => {
        if (online) {
          done();
          resolve();
        }
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async publish(topic: string, payload: Uint8Array, options: PublishOptions): Promise<void> {
    const conn = this.#conn;
    if (conn === undefined || !conn.ready) throw new BusOffline(topic);
    await conn.publish(topic, payload, options.qos, options.retain ?? false);
  }

  async subscribe(filter: string, handler: MessageHandler): Promise<() => Promise<void>> {
    if (this.#state === 'closed') throw new SessionError('closed', filter, `Cannot subscribe to "${filter}": the session is closed`);
    let set = this.#subs.get(filter);
    const first = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.#subs.set(filter, set);
    }
    set.add(handler);
    const conn = this.#conn;
    if (first && conn?.ready === true) {
      conn.subscribed.add(filter);
      try {
        await conn.subscribe([filter]);
      } catch (e) {
        if (e instanceof SessionError && e.code === 'subscribe-refused') {
          conn.subscribed.delete(filter);
          set.delete(handler);
          if (set.size === 0) this.#subs.delete(filter);
          throw e;
        }
        // connection lost meanwhile: the filter is kept and restored on the next connection
      }
    }
    const own = set;
    return async () => {
      own.delete(handler);
      if (own.size > 0 || this.#subs.get(filter) !== own) return;
      this.#subs.delete(filter);
      await this.#conn?.unsubscribe(filter);
    };
  }

  /**
   * Publishes the device's status report, retained at QoS 1. Latest only: while offline (or while an earlier report
   * waits for its PUBACK) only the newest report is kept, and it is sent on reconnect.
   * @throws SchemaError when the report does not match its schema; SessionError "wrong-device", "closed"
   */
  publishStatus(status: Status): void {
    this.#own(status.deviceId, 'status');
    this.#status = encodeStatus(status);
    const conn = this.#conn;
    if (conn?.ready === true) void this.#flushStatus(conn);
  }

  /**
   * Queues one event in the persisted outbox; resolves once it is on disk (not once it is delivered: the session
   * sends it, oldest first, and removes it after its PUBACK, across reconnects and restarts).
   * @throws SchemaError; SessionError "wrong-device", "closed", "outbox-io", "bad-options" (event over the bound)
   */
  async publishEvent(event: DeviceEvent): Promise<void> {
    this.#own(event.deviceId, 'event');
    await this.#outbox.add(event.id, encodeEvent(event));
  }

  /**
   * Publishes telemetry at the QoS of its topic; while offline it waits in a small queue whose oldest reports are
   * dropped (and counted in `stats.telemetryDropped`) when it is full.
   * @throws SchemaError; SessionError "wrong-device", "closed"
   */
  publishTelemetry(t: Telemetry): void {
    this.#own(t.deviceId, 'telemetry');
    this.#sendOrQueue('telemetry', encodeTelemetry(t), this.#telemetry);
  }

  /**
   * Publishes a batch of module logs, like telemetry (`stats.logsDropped`).
   * @throws SchemaError; SessionError "wrong-device", "closed"
   */
  publishLogs(batch: LogBatch): void {
    this.#own(batch.deviceId, 'logs');
    this.#sendOrQueue('logs', encodeLogBatch(batch), this.#logs);
  }

  /** Resolves once the outbox is empty (every event acknowledged) or the session closes. */
  async drained(): Promise<void> {
    while (this.#outbox.size > 0 && this.#state !== 'closed') {
      await new Promise<void>((resolve) => {
        const off = this.onConnectionChange(() => finish());
        const t = setTimeout(finish, 20);
        function finish(): void {
          clearTimeout(t);
          off();
          resolve();
        }
      });
    }
  }

  /**
   * Publishes the offline presence (retained) when connected, then disconnects cleanly, so the broker discards the
   * Last Will. Queued events stay in the outbox for the next run. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#timer);
    clearTimeout(this.#stableTimer);
    this.#counts.backoffMs = 0;
    const conn = this.#conn;
    if (conn !== undefined && !conn.ended) {
      if (conn.up) {
        const limit = this.#o.connectTimeoutMs ?? 10_000;
        if (this.#o.presence !== false) {
          const offline = this.#presence(conn, 'offline');
          const timeout = new Promise<void>((r) => setTimeout(r, limit).unref());
          await Promise.race([conn.publish(this.#presenceTopic, offline, 1, true).catch(() => {}), timeout]);
        }
        // a clean DISCONNECT (the broker discards the will); a link too sick to carry it is cut instead
        await conn.disconnect(limit);
      }
      this.#onDown(conn);
    }
    for (const l of [...this.#closeListeners]) l();
    await this.#outbox.settled();
  }

  /** Tells the connection listeners; a listener's throw is reported, never allowed to stop the session. */
  #notify(online: boolean): void {
    for (const l of [...this.#listeners]) {
      try {
        l(online);
      } catch (e) {
        this.#o.onError?.(new SessionError('handler-threw', 'onConnectionChange', `A connection listener threw: ${describeError(e)}`, { cause: e }));
      }
    }
  }

  #own(deviceId: string, what: string): void {
    if (this.#state === 'closed') throw new SessionError('closed', what, `Cannot publish ${what}: the session is closed`);
    if (deviceId !== this.deviceId) throw new SessionError('wrong-device', what, `Cannot publish ${what} of device "${deviceId}" on the session of "${this.deviceId}"`);
  }

  #presence(conn: Connection, state: Presence['state']): Uint8Array {
    return encodePresence({ v: 1, deviceId: this.deviceId, state, sinceMs: conn.sinceMs, sessionId: conn.sessionId });
  }

  #connect(): void {
    if (this.#state === 'closed') return;
    this.#state = 'connecting';
    this.#counts.backoffMs = 0;
    this.#counts.attempts++;
    const o = this.#o;
    const sessionId = newSessionId();
    const sinceMs = Math.max(0, Math.floor(this.#now()));
    const will = encodePresence({ v: 1, deviceId: this.deviceId, state: 'offline', sinceMs, sessionId });
    let conn: Connection;
    try {
      conn = new Connection(o, sessionId, sinceMs, o.presence === false ? undefined : { topic: this.#presenceTopic, payload: will }, {
        up: () => {
          this.#onUp(conn).catch((e: unknown) => o.onError?.(new SessionError('connection-lost', o.url, `Cannot set up the session: ${describeError(e)}`, { cause: e })));
        },
        down: () => this.#onDown(conn),
        failed: (e) => o.onError?.(e),
        message: (topic, payload) => this.#dispatch(topic, payload),
      });
    } catch (e) {
      // mqtt.js and node:tls throw at once for some bad settings (a PEM key that does not parse): a failed attempt
      o.onError?.(new SessionError('connect-failed', o.url, `Cannot connect to "${o.url}" as "${this.deviceId}": ${describeError(e)}`, { cause: e }));
      this.#conn = undefined;
      this.#scheduleReconnect();
      return;
    }
    this.#conn = conn;
  }

  async #onUp(conn: Connection): Promise<void> {
    if (conn.ended) return;
    this.#state = 'online';
    this.#counts.connects++;
    clearTimeout(this.#stableTimer);
    this.#stableTimer = setTimeout(() => {
      if (this.#conn === conn && !conn.ended) this.#backoff.reset();
    }, this.#o.stableAfterMs ?? 10_000);
    // the broker may refuse the presence or a filter (ACL): that is reported, and the session carries on with the rest
    const attempt = async (step: Promise<void>): Promise<void> => {
      try {
        await step;
      } catch (e) {
        if (!conn.ended) this.#o.onError?.(e instanceof SessionError ? e : new SessionError('connection-lost', this.#o.url, describeError(e), { cause: e }));
      }
    };
    if (this.#o.presence !== false) await attempt(conn.publish(this.#presenceTopic, this.#presence(conn, 'online'), 1, true));
    // filters added while this runs are picked up by the next round; the last check and `ready` are one step
    for (let todo = [...this.#subs.keys()]; todo.length > 0 && !conn.ended; todo = [...this.#subs.keys()].filter((f) => !conn.subscribed.has(f))) {
      for (const f of todo) conn.subscribed.add(f);
      await attempt(conn.subscribe(todo));
    }
    if (conn.ended) return;
    conn.ready = true;
    this.#notify(true);
    if (!conn.ready) return;
    void this.#flushStatus(conn);
    this.#flushQueue(conn, 'telemetry', this.#telemetry);
    this.#flushQueue(conn, 'logs', this.#logs);
    this.#kick();
  }

  #onDown(conn: Connection): void {
    if (conn.ended) return;
    const wasReady = conn.ready;
    const wasUp = conn.up;
    conn.end();
    if (wasUp && this.#state !== 'closed') this.#counts.disconnects++;
    if (wasReady) this.#notify(false);
    if (this.#state === 'closed' || this.#conn !== conn) return;
    this.#scheduleReconnect();
  }

  /** Waits the next backoff delay, then tries again. */
  #scheduleReconnect(): void {
    clearTimeout(this.#stableTimer);
    const attempt = this.#backoff.attempt;
    const delay = this.#backoff.next();
    this.#state = 'waiting';
    this.#counts.backoffMs = delay;
    this.#o.onBackoff?.(delay, attempt);
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  #dispatch(topic: string, payload: Buffer): void {
    const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    for (const [filter, set] of this.#subs) {
      if (!filterCovers(filter, topic)) continue;
      for (const h of [...set]) {
        try {
          h(bytes, topic);
        } catch (e) {
          this.#o.onError?.(new SessionError('handler-threw', topic, `A handler of "${filter}" threw on "${topic}": ${describeError(e)}`, { cause: e }));
        }
      }
    }
  }

  async #flushStatus(conn: Connection): Promise<void> {
    const bytes = this.#status;
    if (bytes === undefined) return;
    try {
      await conn.publish(topicFor('status', this.deviceId), bytes, TOPICS.status.qos, true);
      if (this.#status === bytes) this.#status = undefined;
    } catch (e) {
      if (!conn.ended) this.#o.onError?.(e as SessionError);
      // kept: sent again on the next connection
    }
  }

  #sendOrQueue(name: 'telemetry' | 'logs', payload: Uint8Array, queue: BoundedQueue<Uint8Array>): void {
    const conn = this.#conn;
    if (conn?.ready === true && queue.length === 0) {
      conn.publish(topicFor(name, this.deviceId), payload, TOPICS[name].qos, false).catch(() => {});
    } else {
      queue.push(payload);
    }
  }

  #flushQueue(conn: Connection, name: 'telemetry' | 'logs', queue: BoundedQueue<Uint8Array>): void {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      conn.publish(topicFor(name, this.deviceId), p, TOPICS[name].qos, false).catch(() => {});
    }
  }

  /** Starts the outbox pump if it is not running; its failures are reported, never thrown into the event loop. */
  #kick(): void {
    this.#pump().catch((e: unknown) => {
      this.#o.onError?.(e instanceof SessionError ? e : new SessionError('outbox-io', 'outbox', `Cannot send the outbox: ${describeError(e)}`, { cause: e }));
    });
  }

  /** Sends the outbox oldest first, one event in flight, each removed only after its PUBACK. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      const topic = topicFor('events', this.deviceId);
      for (;;) {
        const conn = this.#conn;
        const entry = this.#outbox.peek();
        if (conn === undefined || !conn.ready || entry === undefined) return;
        try {
          await conn.publish(topic, entry.payload, TOPICS.events.qos, false);
          if (this.#outbox.has(entry)) this.#counts.eventsSent++;
        } catch (e) {
          if (conn.ended) return; // resent on the next connection
          // refused by the broker (an MQTT 5 reason code): retrying would block every later event, so it is dropped
          this.#o.onError?.(e as SessionError);
        }
        await this.#outbox.remove(entry);
      }
    } finally {
      this.#pumping = false;
      // a connection that became ready while this pump was finishing on the old one: send on it now
      if (this.#conn?.ready === true && this.#outbox.size > 0) queueMicrotask(() => this.#kick());
    }
  }
}
