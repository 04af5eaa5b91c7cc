// Helpers for the session's tests: a fresh data directory and device id per test, a "cloud" watcher client on the
// real broker, message builders, and a wait that fails with a message instead of hanging.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { SUPPORTED_VERSIONS, decodePresence, type DeviceEvent, type Presence, type Status, type Telemetry } from '../../../schemas/index.ts';
import { newEventId, Session, type SessionOptions } from '../../../agent/session/index.ts';

export async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlet-session-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A device id no other test (or engineer) on a shared broker uses. */
export function uniqueDeviceId(prefix = 'dev'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Polls `cond` every 5 ms; throws `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A cloud-side MQTT client recording every message on `filter`. */
export interface Watcher {
  readonly client: MqttClient;
  readonly messages: { topic: string; payload: Uint8Array; retain: boolean }[];
  presences(): Presence[];
  close(): Promise<void>;
}

export async function watch(url: string, filter: string, protocolVersion: 4 | 5 = 4): Promise<Watcher> {
  const client = await mqtt.connectAsync(url, { clientId: uniqueDeviceId('cloud'), reconnectPeriod: 0, protocolVersion });
  const messages: Watcher['messages'] = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: new Uint8Array(payload), retain: packet.retain });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    client,
    messages,
    presences: () => messages.filter((m) => m.topic.endsWith('/presence') && m.payload.byteLength > 0).map((m) => decodePresence(m.payload)),
    close: () => client.endAsync(true),
  };
}

/** Session options that keep tests fast: short backoff and timeouts. */
export function fastOptions(url: string, deviceId: string, dataDir: string, extra: Partial<SessionOptions> = {}): SessionOptions {
  return {
    url,
    deviceId,
    dataDir,
    keepaliveS: 5,
    connectTimeoutMs: 2000,
    backoff: { initialMs: 10, maxMs: 50, factor: 2 },
    stableAfterMs: 200,
    ...extra,
  };
}

export async function openSession(options: SessionOptions): Promise<Session> {
  return Session.open(options);
}

export function statusOf(deviceId: string, trustSequence: number): Status {
  return { v: 1, deviceId, deviceClass: 'test-rig', timeMs: 1_700_000_000_000, seq: trustSequence, agentVersion: '0.1.0', supportedVersions: SUPPORTED_VERSIONS as Status['supportedVersions'], trustSequence, modules: [] };
}

export function eventOf(deviceId: string, n: number, id: string = newEventId()): DeviceEvent {
  return { v: 1, deviceId, id, timeMs: 1_700_000_000_000 + n, type: 'test.tick', severity: 'info', attributes: { n: String(n) } };
}

export function telemetryOf(deviceId: string, value: number): Telemetry {
  return { v: 1, deviceId, id: `tm-${value}`, timeMs: 1_700_000_000_000, points: [{ name: 'temp', value }] };
}
