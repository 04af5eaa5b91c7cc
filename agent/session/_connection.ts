// One network connection of the session: a fresh mqtt.js client per attempt (clean session, no mqtt.js reconnect),
// its Last Will, and publish/subscribe calls that fail, rather than wait forever, when this connection is gone.

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { describeError, SessionError } from './errors.ts';
import type { SessionOptions } from './options.ts';

const toBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** What a connection tells the session. */
export interface ConnectionEvents {
  /** CONNACK received. */
  up(): void;
  /** The network connection closed (or the attempt failed); called once. */
  down(): void;
  /** A connection attempt failed with this error (also followed by `down`). */
  failed(e: SessionError): void;
  message(topic: string, payload: Buffer): void;
}

export class Connection {
  readonly #client: MqttClient;
  readonly #url: string;
  /** CONNACK received. */
  up = false;
  /** Presence, subscriptions and queued reports restored: publishing is open to callers. */
  ready = false;
  ended = false;
  /** Filters subscribed (or being subscribed) on this connection. */
  readonly subscribed = new Set<string>();
  /** Rejecters of publishes waiting for their acknowledgement on this connection. */
  readonly #waiting = new Set<(e: Error) => void>();

  /** Starts connecting at once. */
  constructor(
    o: SessionOptions,
    readonly sessionId: string,
    readonly sinceMs: number,
    will: { readonly topic: string; readonly payload: Uint8Array } | undefined,
    events: ConnectionEvents,
  ) {
    this.#url = o.url;
    const opts: IClientOptions = {
      clientId: o.deviceId,
      protocolVersion: o.protocolVersion ?? 4,
      // A clean session: every filter is subscribed again on each connection, and the broker keeps nothing for an
      // offline device (see DESIGN.md).
      clean: true,
      // The session's own reconnect with jittered backoff replaces mqtt.js's fixed period (see DESIGN.md).
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      keepalive: o.keepaliveS ?? 30,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      // mqtt-packet would otherwise build a Buffer for each of the 65536 two-byte numbers on the first packet (about
      // 6 MiB of the agent's heap, for the rare packet id or length it writes); it writes them as it goes instead.
      writeCache: false,
      ...(will === undefined ? {} : { will: { topic: will.topic, payload: toBuffer(will.payload), qos: 1, retain: true } }),
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      ...(o.tls?.ca === undefined ? {} : { ca: o.tls.ca }),
      ...(o.tls?.cert === undefined ? {} : { cert: o.tls.cert }),
      ...(o.tls?.key === undefined ? {} : { key: o.tls.key }),
      ...(o.tls?.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: o.tls.rejectUnauthorized }),
    };
    const client = mqtt.connect(o.url, opts);
    this.#client = client;
    client.on('error', (e) => {
      if (!this.up) events.failed(new SessionError('connect-failed', o.url, `Cannot connect to "${o.url}" as "${o.deviceId}": ${describeError(e)}`, { cause: e }));
    });
    client.on('connect', () => {
      // mqtt.js writes a packet in pieces; with Nagle's algorithm each small request (a chunk request, an event) then
      // waits ~40 ms for an ACK per hop (measured: 88 ms per chunk round trip on loopback, 2-3 ms without)
      (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      if (!this.ended && !this.up) {
        this.up = true;
        events.up();
      }
    });
    client.on('close', () => {
      if (!this.ended) events.down();
    });
    client.on('message', (topic, payload) => events.message(topic, payload));
  }

  /**
   * Publishes on this connection; resolves on PUBACK (QoS 1) or once written (QoS 0).
   * @throws SessionError "connection-lost" when the connection ends first, "publish-refused" when the broker refuses
   */
  publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ended) {
        reject(new SessionError('connection-lost', topic, `Cannot publish to "${topic}": the connection was lost`));
        return;
      }
      this.#waiting.add(reject);
      this.#client.publish(topic, toBuffer(payload), { qos, retain }, (err) => {
        this.#waiting.delete(reject);
        if (err === undefined || err === null) resolve();
        else if (this.ended) reject(new SessionError('connection-lost', topic, `Cannot publish to "${topic}": the connection was lost`, { cause: err }));
        else reject(new SessionError('publish-refused', topic, `Cannot publish to "${topic}": ${describeError(err)}`, { cause: err }));
      });
    });
  }

  /**
   * Subscribes filters at QoS 1 on this connection.
   * @throws SessionError "subscribe-refused" (naming the refused filters) or "connection-lost"
   */
  async subscribe(filters: readonly string[]): Promise<void> {
    let granted;
    try {
      granted = await this.#client.subscribeAsync([...filters], { qos: 1 });
    } catch (e) {
      throw new SessionError(this.ended ? 'connection-lost' : 'subscribe-refused', filters.join(' '), `Cannot subscribe to "${filters.join('", "')}": ${describeError(e)}`, { cause: e });
    }
    const refused = granted.filter((g) => g.qos >= 0x80).map((g) => g.topic);
    if (refused.length > 0) throw new SessionError('subscribe-refused', refused.join(' '), `The broker refused the subscription to "${refused.join('", "')}"`);
  }

  /** Unsubscribes a filter; a failure is ignored (the next connection starts clean anyway). */
  async unsubscribe(filter: string): Promise<void> {
    this.subscribed.delete(filter);
    if (this.ready) await this.#client.unsubscribeAsync(filter).catch(() => {});
  }

  /** Sends a clean DISCONNECT (the broker discards the will); resolves when done or after `limitMs`. */
  async disconnect(limitMs: number): Promise<void> {
    await Promise.race([this.#client.endAsync(false).catch(() => {}), new Promise<void>((r) => setTimeout(r, limitMs).unref())]);
  }

  /** Marks the connection over: its pending publishes fail (their events stay in the outbox) and its client is gone. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.ready = false;
    const lost = new SessionError('connection-lost', this.#url, 'The connection to the broker was lost before the acknowledgement');
    for (const reject of this.#waiting) reject(lost);
    this.#waiting.clear();
    this.#client.removeAllListeners('message');
    this.#client.on('error', () => {});
    if (!this.#client.disconnected && !this.#client.disconnecting) this.#client.end(true);
  }
}
