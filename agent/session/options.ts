// The session's options and the figures it reports (public types only).

import type { BackoffOptions } from './backoff.ts';
import type { SessionError } from './errors.ts';
import type { OutboxLimits } from './outbox.ts';

/** TLS material for mqtts:// (PEM strings). */
export interface SessionTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Default true; false only for a test broker with a self-signed certificate. */
  readonly rejectUnauthorized?: boolean;
}

export interface SessionOptions {
  /**
   * Publish presence (online on connect, offline on close, offline as the Last Will); default true. The enrollment
   * session of a device not yet enrolled sets false: its broker ACL allows only the enrollment topics.
   */
  readonly presence?: boolean;
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
