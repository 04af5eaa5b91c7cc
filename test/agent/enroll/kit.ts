// Test kit for enrollment: aedes with fleetlet's auth hooks, the cloud's enrollment service on its own login, and
// devices (identity, trust store, bus) that connect without credentials to enroll.

import mqtt, { type MqttClient } from 'mqtt';
import { DeviceIdentityStore } from '../../../agent/identity/index.ts';
import { busFromClient } from '../../../agent/session/client-bus.ts';
import type { MessageBus } from '../../../agent/session/bus.ts';
import { TrustStore } from '../../../agent/update/trust-store.ts';
import { brokerAuth, type AuthDenial } from '../../../cloud/broker/index.ts';
import { EnrollmentService, type EnrollmentServiceOptions } from '../../../cloud/enroll/index.ts';
import { startAedes, type EmbeddedBroker } from '../../support/brokers.ts';
import { clockAt, removeDir, signTrust, standardKeys, T0, tempDir, trustUpdate } from '../../trust/fixtures.ts';

export const CLOUD = { username: 'fleetlet-cloud', password: 'cloud-secret-1' };

export interface Cloud {
  readonly broker: EmbeddedBroker;
  readonly service: EnrollmentService;
  readonly client: MqttClient;
  readonly bus: MessageBus;
  readonly keys: ReturnType<typeof standardKeys>;
  /** Hex of the three root keys, as a device's config pins them. */
  readonly roots: string[];
  readonly denials: AuthDenial[];
  close(): Promise<void>;
}

/** The trust update devices start from: every standard key, signed by two of the three roots. */
export function startingTrust(keys: ReturnType<typeof standardKeys>): Uint8Array {
  return signTrust(trustUpdate(keys.all), keys.roots.slice(0, 2));
}

export async function startCloud(options: Partial<EnrollmentServiceOptions> & { keys?: ReturnType<typeof standardKeys> } = {}): Promise<Cloud> {
  const keys = options.keys ?? standardKeys();
  let service: EnrollmentService | undefined;
  const denials: AuthDenial[] = [];
  const auth = brokerAuth({
    cloud: CLOUD,
    devices: {
      checkPassword: async (id, pw) => service !== undefined && service.checkPassword(id, pw),
      mayEnroll: async (id) => service !== undefined && service.mayEnroll(id),
    },
    onDenied: (d) => denials.push(d),
  });
  const broker = await startAedes(auth);
  const client = await mqtt.connectAsync(broker.url, { clientId: 'cloud-1', ...CLOUD, reconnectPeriod: 0 });
  const bus = busFromClient(client);
  service = await EnrollmentService.start(bus, { trust: startingTrust(keys), retryAfterMs: 60_000, ...options });
  return {
    broker,
    service,
    client,
    bus,
    keys,
    roots: keys.roots.map((r) => Buffer.from(r.kp.publicKey).toString('hex')),
    denials,
    async close() {
      await service?.stop();
      await client.endAsync(true);
      await broker.close();
    },
  };
}

export interface Device {
  readonly dataDir: string;
  identity: DeviceIdentityStore;
  trust: TrustStore;
  /** The connection without credentials that enrollment uses. */
  client: MqttClient;
  bus: MessageBus;
  close(): Promise<void>;
}

/** A device with a fresh (or the given) data directory, connected without credentials. */
export async function startDevice(cloud: Cloud, deviceId = 'dev-001', dataDir?: string): Promise<Device> {
  const dir = dataDir ?? (await tempDir('fleetlet-enroll-'));
  const identity = await DeviceIdentityStore.open(dir, { deviceId, deviceClass: 'rpi4' });
  const trust = await TrustStore.open(dir, { clock: clockAt(T0) });
  const client = await mqtt.connectAsync(cloud.broker.url, { clientId: deviceId, reconnectPeriod: 0 });
  const device: Device = {
    dataDir: dir,
    identity,
    trust,
    client,
    bus: busFromClient(client),
    async close() {
      await device.client.endAsync(true);
      if (dataDir === undefined) await removeDir(dir);
    },
  };
  return device;
}

/** Connects with credentials; rejects when the broker refuses. */
export async function login(cloud: Cloud, clientId: string, username: string, password: string): Promise<MqttClient> {
  return mqtt.connectAsync(cloud.broker.url, { clientId, username, password, reconnectPeriod: 0 });
}

/** Resolves with the error a promise rejects with (and fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`Expected a rejection, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
}

/** Resolves when `predicate` holds, checking on every event loop turn (no timing assertions: the test timeout bounds it). */
export async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 5));
}
