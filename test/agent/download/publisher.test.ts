// DesiredStatePublisher over aedes: what it publishes is what a provisioned device's TrustStore accepts, delivered
// retained to a subscriber that comes later; sequences only grow, across a restart too; trust updates and a
// republish for a broker that lost its retained messages.

import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busFromClient } from '../../../agent/session/client-bus.ts';
import { openDesiredState, verifyDesiredState, type VerifyContext } from '../../../agent/update/verify.ts';
import { manifestDigest } from '../../../agent/update/verify.ts';
import { DesiredStatePublisher, PublisherError } from '../../../cloud/state/publisher.ts';
import { topicFor } from '../../../schemas/topics.ts';
import { isRejected } from '../../../agent/update/rejection.ts';
import { DEVICE, manifest, provisionedStore, removeDir, signManifest, signTrust, standardKeys, T0, trustUpdate, wasmModule, type Actor } from '../../trust/fixtures.ts';
import type { TrustStore } from '../../../agent/update/trust-store.ts';
import { startAedes, type EmbeddedBroker } from '../../support/brokers.ts';
import { tempDir, uniqueDeviceId } from './_kit.ts';

let broker: EmbeddedBroker;
let cloudClient: MqttClient;
let store: TrustStore;
let storeDir: string;
let keys: ReturnType<typeof standardKeys>;
let dir: string;
beforeAll(async () => {
  broker = await startAedes();
  cloudClient = await mqtt.connectAsync(broker.url, { clientId: uniqueDeviceId('cloud'), reconnectPeriod: 0 });
  ({ store, dir: storeDir, keys } = await provisionedStore());
  dir = await tempDir('fleetlet-publisher-');
});
afterAll(async () => {
  await cloudClient.endAsync(true);
  await broker.close();
  await removeDir(storeDir);
  await removeDir(dir);
});

const signerOf = (a: Actor) => ({ kid: a.id, seed: a.kp.seed });

/** Connects a new client, subscribes to `topic` and returns the first message (the retained one) with its flag. */
async function lateSubscriber(topic: string): Promise<{ payload: Uint8Array; retain: boolean }> {
  const c = await mqtt.connectAsync(broker.url, { clientId: uniqueDeviceId('late'), reconnectPeriod: 0 });
  try {
    const got = new Promise<{ payload: Uint8Array; retain: boolean }>((resolve) => {
      c.on('message', (_t, payload, packet) => resolve({ payload: new Uint8Array(payload), retain: packet.retain }));
    });
    await c.subscribeAsync(topic, { qos: 1 });
    return await got;
  } finally {
    await c.endAsync(true);
  }
}

const ctx = (): VerifyContext => ({ trust: store.trust!, floors: store.floors, now: store.now(), device: DEVICE });

describe('DesiredStatePublisher', () => {
  it('publishes a state the device verifies, retained for a late subscriber, with a sequence that only grows', async () => {
    const file = join(dir, 'sequences.json');
    const publisher = await DesiredStatePublisher.open(busFromClient(cloudClient), { signer: signerOf(keys.stateSigner), file, now: () => T0 });
    const m1 = signManifest(manifest(wasmModule(1), { name: 'thermostat' }), keys.moduleSigner);
    const first = await publisher.publish(DEVICE.deviceId, [{ name: 'thermostat', manifestDigest: manifestDigest(m1), settings: { SETPOINT: '21.5' } }]);
    expect(first.state.sequence).toBe(1);

    const got1 = await lateSubscriber(topicFor('desiredState', DEVICE.deviceId));
    expect(got1.retain).toBe(true);
    expect(Buffer.from(got1.payload).equals(Buffer.from(first.signed))).toBe(true);
    const verified = verifyDesiredState(got1.payload, [m1], ctx());
    expect(verified.signer).toBe(keys.stateSigner.id);
    expect(verified.state.sequence).toBe(1);
    expect(verified.state.modules[0]!.settings).toEqual({ SETPOINT: '21.5' });
    await store.commitDesiredState(1, verified.state.issuedAt);

    const m2 = signManifest(manifest(wasmModule(2), { name: 'thermostat', version: '1.1.0', sequence: 2 }), keys.moduleSigner);
    const second = await publisher.publish(DEVICE.deviceId, [{ name: 'thermostat', manifestDigest: manifestDigest(m2), settings: {} }]);
    expect(second.state.sequence).toBe(2);
    const got2 = await lateSubscriber(topicFor('desiredState', DEVICE.deviceId));
    expect(openDesiredState(got2.payload, ctx()).state.sequence).toBe(2);

    // a restarted publisher continues from the file, never reusing a sequence the devices may have committed
    const restarted = await DesiredStatePublisher.open(busFromClient(cloudClient), { signer: signerOf(keys.stateSigner), file, now: () => T0 });
    expect(restarted.sequenceOf(DEVICE.deviceId)).toBe(2);
    const third = await restarted.publish(DEVICE.deviceId, []);
    expect(third.state.sequence).toBe(3);
    expect(openDesiredState((await lateSubscriber(topicFor('desiredState', DEVICE.deviceId))).payload, ctx()).state.modules).toEqual([]);
  });

  it('keeps concurrent publishes for one device in sequence order, so the retained state is the newest', async () => {
    const publisher = await DesiredStatePublisher.open(busFromClient(cloudClient), { signer: signerOf(keys.stateSigner), now: () => T0 });
    const id = uniqueDeviceId();
    const all = await Promise.all(Array.from({ length: 10 }, () => publisher.publish(id, [])));
    expect(all.map((p) => p.state.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const got = await lateSubscriber(topicFor('desiredState', id));
    expect(Buffer.from(got.payload).equals(Buffer.from(all[9]!.signed))).toBe(true);
  });

  it('a state signed with a module-signer key is refused by the device as "wrong-role"', async () => {
    const publisher = await DesiredStatePublisher.open(busFromClient(cloudClient), { signer: signerOf(keys.moduleSigner), now: () => T0 });
    const { signed } = await publisher.publish(DEVICE.deviceId, [], { issuedAt: T0 - 10 });
    let refused: unknown;
    try {
      openDesiredState(signed, ctx());
    } catch (e) {
      refused = e;
    }
    expect(isRejected(refused, 'wrong-role')).toBe(true);
  });

  it('publishes trust updates retained, and republishAll restores what a broker lost', async () => {
    const publisher = await DesiredStatePublisher.open(busFromClient(cloudClient), { signer: signerOf(keys.stateSigner), now: () => T0 });
    const id = uniqueDeviceId();
    const update = signTrust(trustUpdate(keys.all, { sequence: 2 }), keys.roots.slice(0, 2));
    await publisher.publishTrust(id, update);
    const { signed } = await publisher.publish(id, []);
    const trustGot = await lateSubscriber(topicFor('trust', id));
    expect(trustGot.retain).toBe(true);
    expect(Buffer.from(trustGot.payload).equals(Buffer.from(update))).toBe(true);

    // the broker loses its retained messages (an empty retained payload deletes them)
    for (const t of [topicFor('trust', id), topicFor('desiredState', id)]) await cloudClient.publishAsync(t, Buffer.alloc(0), { qos: 1, retain: true });
    expect(await publisher.republishAll()).toBeGreaterThanOrEqual(2);
    const again = await lateSubscriber(topicFor('desiredState', id));
    expect(Buffer.from(again.payload).equals(Buffer.from(signed))).toBe(true);
    expect(publisher.sequenceOf(id)).toBe(1);
    expect(Buffer.from((await lateSubscriber(topicFor('trust', id))).payload).equals(Buffer.from(update))).toBe(true);
  });

  it('refuses a device id that is not one (no wildcard can reach a topic)', async () => {
    const publisher = await DesiredStatePublisher.open(busFromClient(cloudClient), { signer: signerOf(keys.stateSigner), now: () => T0 });
    expect(() => publisher.publish('dev/+', [])).toThrow(PublisherError);
    expect(() => publisher.publishTrust('#', new Uint8Array(1))).toThrow(PublisherError);
  });
});
