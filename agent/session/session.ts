// The device agent's one connection to the fleet: an MQTT session (over mqtt.js) with jittered reconnects, presence
// and its Last Will, subscriptions that outlive reconnects, and the agent's publishing paths (status latest-only,
// events through the persisted outbox, telemetry and logs through small bounded queues). See DESIGN.md for the why.

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
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
import { Backoff, checkBackoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import { BusOffline, type MessageBus, type MessageHandler, type PublishOptions } from './bus.ts';
import { describeError, SessionError } from './errors.ts';
import { newSessionId } from './event-id.ts';
import { DEFAULT_OUTBOX_LIMITS, Outbox, type OutboxLimits } from './outbox.ts';
import { BoundedQueue } from './_queue.ts';

/** TLS material for mqtts:// (PEM strings). */
export interface SessionTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Default true; false only for a test broker with a self-signed certificate. */
  readonly rejectUnauthorized?: boolean;
}

export interface SessionOptions {
  /** `mqtt://host:port` or `mqtts://host:port`. */
  readonly url: string;
  /** The device's id; also its MQTT client id (brokers bind ACLs and takeover to it). */
  readonly deviceId: string;
  readonly username?: string;
  readonly password?: string;
  readonly tls?: SessionTls;
  /** 4 = MQTT 3.1.1 (default; all brokers, aedes included), 5 = MQTT 5. */
  readonly protocolVersion?: 4 | 5;
  /** MQTT keepalive in seconds; default 30. */
  readonly keepaliveS?: number;
  /** How long one connection attempt may take before it counts as failed; default 10,000 ms. */
  readonly connectTimeoutMs?: number;
  /** The agent's data directory; the outbox lives in `{dataDir}/outbox`. */
  readonly dataDir: string;
  /** Reconnect backoff; default 1 s doubling to 60 s. */
  readonly backoff?: Partial<BackoffOptions>;
  /** A connection that stays up this long resets the backoff; default 10,000 ms. */
  readonly stableAfterMs?: number;
  /** Events outbox bounds; default 1,000 events and 1 MiB. */
  readonly outbox?: Partial<OutboxLimits>;
  /** Telemetry reports kept while offline; default 64. */
  readonly telemetryQueue?: number;
  /** Log batches kept while offline; default 16. */
  readonly logQueue?: number;
  /** In [0, 1]; default Math.random (tests inject a fixed sequence). */
  readonly random?: () => number;
  /** Milliseconds since the epoch; default Date.now. */
  readonly now?: () => number;
  /** Problems that are not any caller's to handle (a handler threw, a damaged outbox file); default: ignored. */
  readonly onError?: (e: SessionError) => void;
  /** Called each time a reconnect is scheduled, with its delay and the failure count it was drawn for. */
  readonly onBackoff?: (delayMs: number, attempt: number) => void;
}

export type SessionState = 'connecting' | 'online' | 'waiting' | 'closed';

export interface SessionStats {
  readonly state: SessionState;
  /** Connection attempts made. */
  readonly attempts: number;
  /** Sessions established (CONNACK received). */
  readonly connects: number;
  /** Established sessions lost (a clean close is not counted). */
  readonly disconnects: number;
  /** The delay scheduled before the next attempt; 0 when none is scheduled. */
  readonly backoffMs: number;
  /** Consecutive failures the backoff counts now. */
  readonly backoffAttempt: number;
  readonly eventsQueued: number;
  readonly eventsQueuedBytes: number;
  readonly eventsSent: number;
  /** Lifetime count, persisted with the outbox. */
  readonly eventsDropped: number;
  readonly outboxDamaged: number;
  readonly telemetryQueued: number;
  readonly telemetryDropped: number;
  readonly logsQueued: number;
  readonly logsDropped: number;
  /** A status report waits for a connection (or its PUBACK). */
  readonly statusPending: boolean;
}

/** One network connection attempt and, once its CONNACK came, the MQTT session on it. */
interface Conn {
  readonly client: MqttClient;
  readonly sessionId: string;
  readonly sinceMs: number;
  /** CONNACK received. */
  up: boolean;
  /** Presence, subscriptions and queued reports restored: publishing is open to callers. */
  ready: boolean;
  ended: boolean;
  /** Filters subscribed (or being subscribed) on this connection. */
  readonly subscribed: Set<string>;
  /** Rejecters of publishes waiting for their acknowledgement on this connection. */
  readonly waiting: Set<(e: Error) => void>;
}

const toBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

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
  #conn: Conn | undefined;
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
    await this.#publishOn(conn, topic, payload, options.qos, options.retain ?? false);
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
        await this.#subscribeOn(conn, [filter]);
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
      const c = this.#conn;
      c?.subscribed.delete(filter);
      if (c?.ready === true) await c.client.unsubscribeAsync(filter).catch(() => {});
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
        const offline = this.#presence(conn, 'offline');
        const limit = this.#o.connectTimeoutMs ?? 10_000;
        const timeout = (): Promise<void> => new Promise<void>((r) => setTimeout(r, limit).unref());
        await Promise.race([this.#publishOn(conn, this.#presenceTopic, offline, 1, true).catch(() => {}), timeout()]);
        // a clean DISCONNECT (the broker discards the will); a link too sick to carry it is cut instead
        await Promise.race([conn.client.endAsync(false).catch(() => {}), timeout()]);
      } else {
        await conn.client.endAsync(true).catch(() => {});
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

  #presence(conn: Conn, state: Presence['state']): Uint8Array {
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
    const opts: IClientOptions = {
      clientId: this.deviceId,
      protocolVersion: o.protocolVersion ?? 4,
      // A clean session: every filter is subscribed again on each connection, and the broker keeps nothing for an
      // offline device (see DESIGN.md).
      clean: true,
      // Our own reconnect with jittered backoff replaces mqtt.js's fixed period (see DESIGN.md).
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      keepalive: o.keepaliveS ?? 30,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      will: { topic: this.#presenceTopic, payload: toBuffer(will), qos: 1, retain: true },
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      ...(o.tls?.ca === undefined ? {} : { ca: o.tls.ca }),
      ...(o.tls?.cert === undefined ? {} : { cert: o.tls.cert }),
      ...(o.tls?.key === undefined ? {} : { key: o.tls.key }),
      ...(o.tls?.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: o.tls.rejectUnauthorized }),
    };
    const client = mqtt.connect(o.url, opts);
    const conn: Conn = { client, sessionId, sinceMs, up: false, ready: false, ended: false, subscribed: new Set(), waiting: new Set() };
    this.#conn = conn;
    client.on('error', (e) => {
      if (!conn.up) o.onError?.(new SessionError('connect-failed', o.url, `Cannot connect to "${o.url}" as "${this.deviceId}": ${describeError(e)}`, { cause: e }));
    });
    client.on('connect', () => {
      this.#onUp(conn).catch((e: unknown) => this.#o.onError?.(new SessionError('connection-lost', o.url, `Cannot set up the session: ${describeError(e)}`, { cause: e })));
    });
    client.on('close', () => this.#onDown(conn));
    client.on('message', (topic, payload) => this.#dispatch(topic, payload));
  }

  async #onUp(conn: Conn): Promise<void> {
    if (conn.ended || conn.up) return;
    conn.up = true;
    this.#state = 'online';
    this.#counts.connects++;
    clearTimeout(this.#stableTimer);
    this.#stableTimer = setTimeout(() => {
      if (this.#conn === conn && !conn.ended) this.#backoff.reset();
    }, this.#o.stableAfterMs ?? 10_000);
    try {
      await this.#publishOn(conn, this.#presenceTopic, this.#presence(conn, 'online'), 1, true);
      // filters added while this runs are picked up by the next round; the last check and `ready` are one step
      for (let todo = [...this.#subs.keys()]; todo.length > 0 && !conn.ended; todo = [...this.#subs.keys()].filter((f) => !conn.subscribed.has(f))) {
        for (const f of todo) conn.subscribed.add(f);
        await this.#subscribeOn(conn, todo);
      }
    } catch (e) {
      if (!conn.ended) {
        // the broker refused presence or a filter: say so, and carry on with what works
        this.#o.onError?.(e instanceof SessionError ? e : new SessionError('connection-lost', this.#o.url, describeError(e), { cause: e }));
      }
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

  #onDown(conn: Conn): void {
    if (conn.ended) return;
    const wasReady = conn.ready;
    const wasUp = conn.up;
    this.#end(conn);
    if (wasUp && this.#state !== 'closed') this.#counts.disconnects++;
    if (wasReady) this.#notify(false);
    if (this.#state === 'closed' || this.#conn !== conn) return;
    clearTimeout(this.#stableTimer);
    const attempt = this.#backoff.attempt;
    const delay = this.#backoff.next();
    this.#state = 'waiting';
    this.#counts.backoffMs = delay;
    this.#o.onBackoff?.(delay, attempt);
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  /** Marks a connection over: its pending publishes fail (their events stay in the outbox) and its client is gone. */
  #end(conn: Conn): void {
    if (conn.ended) return;
    conn.ended = true;
    conn.ready = false;
    const lost = new SessionError('connection-lost', this.#o.url, 'The connection to the broker was lost before the acknowledgement');
    for (const reject of conn.waiting) reject(lost);
    conn.waiting.clear();
    conn.client.removeAllListeners('message');
    conn.client.on('error', () => {});
    if (!conn.client.disconnected && !conn.client.disconnecting) conn.client.end(true);
  }

  #publishOn(conn: Conn, topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      if (conn.ended) {
        reject(new SessionError('connection-lost', topic, `Cannot publish to "${topic}": the connection was lost`));
        return;
      }
      conn.waiting.add(reject);
      conn.client.publish(topic, toBuffer(payload), { qos, retain }, (err) => {
        conn.waiting.delete(reject);
        if (err === undefined || err === null) resolve();
        else if (conn.ended) reject(new SessionError('connection-lost', topic, `Cannot publish to "${topic}": the connection was lost`, { cause: err }));
        else reject(new SessionError('publish-refused', topic, `Cannot publish to "${topic}": ${describeError(err)}`, { cause: err }));
      });
    });
  }

  async #subscribeOn(conn: Conn, filters: string[]): Promise<void> {
    let granted;
    try {
      granted = await conn.client.subscribeAsync(filters, { qos: 1 });
    } catch (e) {
      throw new SessionError(conn.ended ? 'connection-lost' : 'subscribe-refused', filters.join(' '), `Cannot subscribe to "${filters.join('", "')}": ${describeError(e)}`, { cause: e });
    }
    const refused = granted.filter((g) => g.qos >= 0x80).map((g) => g.topic);
    if (refused.length > 0) throw new SessionError('subscribe-refused', refused.join(' '), `The broker refused the subscription to "${refused.join('", "')}"`);
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

  async #flushStatus(conn: Conn): Promise<void> {
    const bytes = this.#status;
    if (bytes === undefined) return;
    try {
      await this.#publishOn(conn, topicFor('status', this.deviceId), bytes, TOPICS.status.qos, true);
      if (this.#status === bytes) this.#status = undefined;
    } catch (e) {
      if (!conn.ended) this.#o.onError?.(e as SessionError);
      // kept: sent again on the next connection
    }
  }

  #sendOrQueue(name: 'telemetry' | 'logs', payload: Uint8Array, queue: BoundedQueue<Uint8Array>): void {
    const conn = this.#conn;
    if (conn?.ready === true && queue.length === 0) {
      this.#publishOn(conn, topicFor(name, this.deviceId), payload, TOPICS[name].qos, false).catch(() => {});
    } else {
      queue.push(payload);
    }
  }

  #flushQueue(conn: Conn, name: 'telemetry' | 'logs', queue: BoundedQueue<Uint8Array>): void {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      this.#publishOn(conn, topicFor(name, this.deviceId), p, TOPICS[name].qos, false).catch(() => {});
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
          await this.#publishOn(conn, topic, entry.payload, TOPICS.events.qos, false);
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
    }
  }
}
