// fleetlet issue #7's fault test: the link between a device and its broker is cut 100 times at random moments while
// the agent publishes 1,000 events; every event reaches the cloud, and the cloud, de-duplicating by idempotency key,
// counts each exactly once, in the order the agent published them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent, topicFor } from '../../../schemas/index.ts';
import { Session } from '../../../agent/session/index.ts';
import { EventDeduplicator } from '../../../cloud/ingest/index.ts';
import { startAedes, startMosquitto, type RunningBroker } from '../../support/brokers.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';
import { eventOf, fastOptions, tempDir, uniqueDeviceId, waitFor, watch } from './_kit.ts';

const EVENTS = 1000;
const CUTS = 100;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const BROKERS: [string, () => Promise<RunningBroker>, 4 | 5][] = [
  ['aedes (MQTT 3.1.1)', () => startAedes(), 4],
  ['mosquitto (MQTT 5)', () => startMosquitto(), 5],
];

describe.each(BROKERS)('Session under link cuts on %s', (name, start, protocolVersion) => {
  let broker: RunningBroker;
  let proxy: TcpProxy;
  beforeAll(async () => {
    broker = await start();
    proxy = await startTcpProxy(broker.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await broker?.close();
  });

  it(`${EVENTS} events across ${CUTS} cuts all arrive; de-duplicated by id they are exactly the events sent, in order`, async () => {
    const tmp = await tempDir();
    const id = uniqueDeviceId();
    const cloud = await watch(broker.url, topicFor('events', id), protocolVersion);
    const session = await Session.open(fastOptions(proxy.url, id, tmp.dir, { protocolVersion, backoff: { initialMs: 2, maxMs: 20, factor: 2 }, stableAfterMs: 50 }));
    const sent = Array.from({ length: EVENTS }, (_, n) => eventOf(id, n));
    const started = Date.now();

    // The producer may run at most EVENTS / CUTS events ahead of the cutter, so the cuts fall all along the stream.
    const perCut = EVENTS / CUTS;
    const producer = (async () => {
      for (let n = 0; n < EVENTS; n++) {
        while (n >= (proxy.cuts + 1) * perCut) await sleep(1);
        await session.publishEvent(sent[n]!);
      }
    })();
    const cutter = (async () => {
      let seen = 0;
      while (proxy.cuts < CUTS) {
        // each cut falls on a new established session (not on one already cut, nor on a connection attempt)
        while (!(session.connected && session.stats.connects > seen)) await sleep(1);
        seen = session.stats.connects;
        await sleep(Math.random() * 6);
        proxy.cut();
      }
    })();
    await Promise.all([producer, cutter]);
    await session.drained();

    const dedup = new EventDeduplicator();
    const firstSeen: string[] = [];
    let raw = 0;
    await waitFor(() => {
      for (const m of cloud.messages.splice(0)) {
        raw++;
        const e = decodeEvent(m.payload);
        if (dedup.accept(e.deviceId, e.id)) firstSeen.push(e.id);
      }
      return firstSeen.length >= EVENTS;
    }, 'every event at the cloud');
    const elapsedMs = Date.now() - started;

    expect(proxy.cuts).toBeGreaterThanOrEqual(CUTS);
    expect(session.stats.disconnects).toBeGreaterThanOrEqual(CUTS);
    expect(raw).toBeGreaterThanOrEqual(EVENTS);
    expect(new Set(firstSeen)).toEqual(new Set(sent.map((e) => e.id)));
    expect(firstSeen).toEqual(sent.map((e) => e.id));
    expect(session.stats.eventsQueued).toBe(0);
    expect(session.stats.eventsDropped).toBe(0);
    console.log(`faults on ${name}: ${EVENTS} events, ${proxy.cuts} cuts, ${raw - EVENTS} duplicates removed, ${session.stats.connects} connections, ${elapsedMs} ms`);
    await session.close();
    await cloud.close();
    await tmp.remove();
  });
});
