// Shared subscriptions on Debian's mosquitto (MQTT 5): two cloud processes in one group split a stream of device
// messages with none delivered twice and none lost (QoS 1); a connection holding a plain and a shared subscription
// that match the same topics hands each handler its own copy only; plain subscriptions match as before.

import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { busFromClient, matchingFilter } from '../../../agent/session/client-bus.ts';
import { sharedBus, SharedBusError, shareFilter } from '../../../cloud/service/shared-bus.ts';
import { topicFor } from '../../../schemas/topics.ts';
import { until } from '../../agent/agent-kit.ts';
import { startMosquitto, type RunningBroker } from '../../support/brokers.ts';

const MESSAGES = 200;
const EVENTS = 'fleetlet/v1/dev/+/events';

let broker: Promise<RunningBroker> | undefined;
const clients: MqttClient[] = [];

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync()));
  await (await broker?.catch(() => undefined))?.close();
});

async function connect(protocolVersion: 4 | 5 = 5): Promise<MqttClient> {
  broker ??= startMosquitto();
  const { url } = await broker;
  const c = await mqtt.connectAsync(url, { protocolVersion, reconnectPeriod: 200, clientId: `share-${Math.random().toString(16).slice(2)}` });
  clients.push(c);
  return c;
}

/** Publishes MESSAGES events at QoS 1, numbered, round the devices a, b, c; plus one on a topic no filter covers. */
async function publishStream(c: MqttClient, tag: string): Promise<void> {
  await c.publishAsync('fleetlet/v1/dev/a/status', 'not an event', { qos: 1 });
  for (let i = 0; i < MESSAGES; i++) await c.publishAsync(topicFor('events', `dev-${'abc'[i % 3]}`), `${tag} ${i}`, { qos: 1 });
}

describe('sharedBus on mosquitto (MQTT 5)', () => {
  it('two subscribers in one group split 200 QoS 1 messages: each gets some, none twice, none lost', async () => {
    const got: string[][] = [[], []];
    for (const i of [0, 1]) {
      const bus = sharedBus(busFromClient(await connect()), 'cloud');
      await bus.subscribe(EVENTS, (payload, topic) => {
        expect(topic).toMatch(/^fleetlet\/v1\/dev\/dev-[abc]\/events$/);
        got[i]!.push(Buffer.from(payload).toString());
      });
    }
    await publishStream(await connect(), 'split');
    await until('every message arrived', () => got[0]!.length + got[1]!.length >= MESSAGES || undefined, 10_000);
    await new Promise((r) => setTimeout(r, 200)); // a duplicate would arrive now
    const all = [...got[0]!, ...got[1]!];
    expect(all).toHaveLength(MESSAGES);
    expect(new Set(all).size).toBe(MESSAGES);
    expect(all.sort()).toEqual(Array.from({ length: MESSAGES }, (_, i) => `split ${i}`).sort());
    expect(got[0]!.length).toBeGreaterThan(0);
    expect(got[1]!.length).toBeGreaterThan(0);
  });

  it('a connection with a plain and a shared subscription on the same topics gives each handler its own copy only', async () => {
    const plain: string[] = [];
    const shared: string[][] = [[], []];
    const c0 = busFromClient(await connect());
    await c0.subscribe(EVENTS, (p) => plain.push(Buffer.from(p).toString()));
    await sharedBus(c0, 'ingest').subscribe(EVENTS, (p) => shared[0]!.push(Buffer.from(p).toString()));
    await sharedBus(busFromClient(await connect()), 'ingest').subscribe(EVENTS, (p) => shared[1]!.push(Buffer.from(p).toString()));
    await publishStream(await connect(), 'both');
    await until('every copy arrived', () => (plain.length >= MESSAGES && shared[0]!.length + shared[1]!.length >= MESSAGES) || undefined, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(plain.sort()).toEqual(Array.from({ length: MESSAGES }, (_, i) => `both ${i}`).sort());
    const all = [...shared[0]!, ...shared[1]!];
    expect(all).toHaveLength(MESSAGES);
    expect(new Set(all).size).toBe(MESSAGES);
    expect(shared[0]!.length).toBeGreaterThan(0);
    expect(shared[1]!.length).toBeGreaterThan(0);
  });

  it('a shared subscription is restored after the connection drops, and unsubscribing stops its handler', async () => {
    const got: string[] = [];
    const client = await connect();
    const unsubscribe = await sharedBus(busFromClient(client), 'restore').subscribe(EVENTS, (p) => got.push(Buffer.from(p).toString()));
    const reconnected = new Promise((r) => client.once('connect', r));
    client.stream.destroy(); // the link dies; mqtt.js reconnects and resubscribes (with the subscription identifier)
    await reconnected;
    await new Promise((r) => setTimeout(r, 200)); // the resubscription's SUBACK
    const pub = await connect();
    await pub.publishAsync(topicFor('events', 'dev-a'), 'after', { qos: 1 });
    await until('the message after the reconnect', () => got.includes('after') || undefined, 5_000);
    await unsubscribe();
    await pub.publishAsync(topicFor('events', 'dev-a'), 'gone', { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual(['after']);
  });
});

describe('subscription filters', () => {
  it('matchingFilter strips $share/<group>/ and leaves a plain filter as it is', () => {
    expect(matchingFilter(shareFilter('cloud', EVENTS))).toBe(EVENTS);
    expect(matchingFilter(EVENTS)).toBe(EVENTS);
    expect(matchingFilter('fleetlet/v1/dev/d1/state')).toBe('fleetlet/v1/dev/d1/state');
    expect(matchingFilter('$share/g/#')).toBe('#');
  });

  it('sharedBus refuses a group that is not one plain topic level', () => {
    const bus = busFromClient(mqtt.connect('mqtt://127.0.0.1:1', { manualConnect: true }));
    for (const g of ['', 'a/b', 'a+', '#', 'x'.repeat(65)]) expect(() => sharedBus(bus, g)).toThrow(SharedBusError);
    expect(() => sharedBus(bus, 'fleetlet-cloud_1')).not.toThrow();
  });

  it('an MQTT 3.1.1 client bus (the agent\'s tools) still dispatches plain filters, wildcards included', async () => {
    const got: string[] = [];
    const bus = busFromClient(await connect(4));
    await bus.subscribe('fleetlet/v1/dev/+/events', (_p, t) => got.push(t));
    await bus.subscribe('fleetlet/v1/dev/dev-a/#', (_p, t) => got.push(`#${t}`));
    const pub = await connect(4);
    await pub.publishAsync(topicFor('events', 'dev-a'), 'x', { qos: 1 });
    await pub.publishAsync(topicFor('events', 'dev-b'), 'y', { qos: 1 });
    await until('both messages', () => got.length >= 3 || undefined, 5_000);
    expect(got.sort()).toEqual(['#fleetlet/v1/dev/dev-a/events', 'fleetlet/v1/dev/dev-a/events', 'fleetlet/v1/dev/dev-b/events']);
  });
});
