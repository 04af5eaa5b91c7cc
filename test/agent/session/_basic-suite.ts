// The session's basic flow as one suite, run against every broker fleetlet supports (aedes; mosquitto with MQTT 3.1.1
// and 5): presence and its Last Will, subscriptions across reconnects, status latest-only, clean close.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStatus, topicFor } from '../../../schemas/index.ts';
import { BusOffline, SessionError, type Session } from '../../../agent/session/index.ts';
import type { RunningBroker } from '../../support/brokers.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';
import { fastOptions, openSession, statusOf, tempDir, uniqueDeviceId, waitFor, watch } from './_kit.ts';

export function basicSuite(name: string, startBroker: () => Promise<RunningBroker>, protocolVersion: 4 | 5): void {
  describe(`Session basic flow on ${name}`, () => {
    let broker: RunningBroker;
    let proxy: TcpProxy;
    beforeAll(async () => {
      broker = await startBroker();
      proxy = await startTcpProxy(broker.port);
    });
    afterAll(async () => {
      await proxy?.close();
      await broker?.close();
    });

    async function open(deviceId: string, errors: SessionError[] = []): Promise<{ session: Session; done(): Promise<void> }> {
      const tmp = await tempDir();
      const session = await openSession(fastOptions(proxy.url, deviceId, tmp.dir, { protocolVersion, onError: (e) => errors.push(e) }));
      return {
        session,
        async done() {
          await session.close();
          await tmp.remove();
        },
      };
    }

    it('connect publishes the online presence retained, and close replaces it with offline without firing the will', async () => {
      const id = uniqueDeviceId();
      const { session, done } = await open(id);
      await session.whenConnected();
      const sid = session.sessionId;
      const late = await watch(broker.url, topicFor('presence', id), protocolVersion);
      await waitFor(() => late.presences().length > 0, 'the retained presence');
      const [first] = late.messages;
      expect(first!.retain).toBe(true);
      expect(late.presences()[0]).toMatchObject({ deviceId: id, state: 'online', sessionId: sid });
      await done();
      await waitFor(() => late.presences().length >= 2, 'the offline presence');
      expect(late.presences().slice(1)).toEqual([expect.objectContaining({ state: 'offline', sessionId: sid })]);
      expect(session.stats.state).toBe('closed');
      const after = await watch(broker.url, topicFor('presence', id), protocolVersion);
      await waitFor(() => after.presences().length > 0, 'the retained presence after close');
      expect(after.presences()).toEqual([expect.objectContaining({ state: 'offline', sessionId: sid })]);
      // the clean DISCONNECT discarded the will: no second offline reached the watcher meanwhile
      expect(late.presences()).toHaveLength(2);
      await late.close();
      await after.close();
    });

    it('a cut link fires the will (offline, old session id); the reconnect says online with a new session id', async () => {
      const id = uniqueDeviceId();
      const { session, done } = await open(id);
      await session.whenConnected();
      const old = session.sessionId;
      const w = await watch(broker.url, topicFor('presence', id), protocolVersion);
      await waitFor(() => w.presences().length > 0, 'the online presence');
      proxy.refuse(true);
      expect(proxy.cut()).toBeGreaterThan(0);
      await waitFor(() => w.presences().some((p) => p.state === 'offline'), 'the will');
      expect(w.presences().find((p) => p.state === 'offline')).toMatchObject({ sessionId: old, deviceId: id });
      const retained = await watch(broker.url, topicFor('presence', id), protocolVersion);
      await waitFor(() => retained.presences().length > 0, 'the retained will');
      expect(retained.presences()[0]).toMatchObject({ state: 'offline', sessionId: old });
      expect(session.connected).toBe(false);
      await expect(session.publish(topicFor('commandResult', id), new Uint8Array([1]), { qos: 1 })).rejects.toBeInstanceOf(BusOffline);
      proxy.refuse(false);
      await session.whenConnected();
      await waitFor(() => w.presences().some((p) => p.state === 'online' && p.sessionId !== old), 'online with a new session id');
      expect(session.sessionId).not.toBe(old);
      expect(w.presences().at(-1)).toMatchObject({ state: 'online', sessionId: session.sessionId });
      expect(session.stats.disconnects).toBe(1);
      expect(session.stats.connects).toBe(2);
      await w.close();
      await retained.close();
      await done();
    });

    it('subscribe receives retained messages, again after a reconnect, and a throwing handler is caught', async () => {
      const id = uniqueDeviceId();
      const errors: SessionError[] = [];
      const { session, done } = await open(id, errors);
      const cloud = await watch(broker.url, `fleetlet/v1/dev/${id}/nothing`, protocolVersion);
      await cloud.client.publishAsync(topicFor('desiredState', id), Buffer.from([0xa0, 1]), { qos: 1, retain: true });
      const got: number[][] = [];
      // subscribed before the first connection: kept and subscribed once connected
      await session.subscribe(topicFor('desiredState', id), () => {
        throw new Error('handler bug');
      });
      await session.subscribe(topicFor('desiredState', id), (payload) => got.push([...payload]));
      await session.whenConnected();
      await waitFor(() => got.length === 1, 'the retained desired state');
      expect(got[0]).toEqual([0xa0, 1]);
      expect(errors.map((e) => e.code)).toContain('handler-threw');
      proxy.cut();
      await waitFor(() => got.length === 2, 'the retained desired state after the reconnect');
      await cloud.client.publishAsync(topicFor('command', id), Buffer.from([7]), { qos: 1 });
      const unsub = await session.subscribe(topicFor('command', id), (p) => got.push([...p]));
      await cloud.client.publishAsync(topicFor('command', id), Buffer.from([8]), { qos: 1 });
      await waitFor(() => got.length === 3, 'a live command');
      expect(got[2]).toEqual([8]);
      await unsub();
      await cloud.client.publishAsync(topicFor('command', id), Buffer.from([9]), { qos: 1 });
      await cloud.client.publishAsync(topicFor('desiredState', id), Buffer.from([0xa0, 2]), { qos: 1, retain: true });
      await waitFor(() => got.length === 4, 'the new desired state');
      expect(got[3]).toEqual([0xa0, 2]);
      await cloud.client.publishAsync(topicFor('desiredState', id), Buffer.alloc(0), { qos: 1, retain: true });
      await cloud.close();
      await done();
    });

    it('status is latest-only while offline: only the newest report is sent on reconnect', async () => {
      const id = uniqueDeviceId();
      const { session, done } = await open(id);
      await session.whenConnected();
      const w = await watch(broker.url, topicFor('status', id), protocolVersion);
      session.publishStatus(statusOf(id, 1));
      await waitFor(() => w.messages.length === 1, 'the first status');
      proxy.refuse(true);
      proxy.cut();
      await waitFor(() => !session.connected, 'the disconnect');
      for (const seq of [2, 3, 4]) session.publishStatus(statusOf(id, seq));
      expect(session.stats.statusPending).toBe(true);
      proxy.refuse(false);
      await session.whenConnected();
      await waitFor(() => !session.stats.statusPending, 'the status PUBACK');
      await waitFor(() => w.messages.length >= 2, 'the status after reconnect');
      expect(w.messages.map((m) => decodeStatus(m.payload).trustSequence)).toEqual([1, 4]);
      const late = await watch(broker.url, topicFor('status', id), protocolVersion);
      await waitFor(() => late.messages.length === 1, 'the retained status');
      expect(late.messages[0]!.retain).toBe(true);
      expect(decodeStatus(late.messages[0]!.payload).trustSequence).toBe(4);
      expect(() => session.publishStatus(statusOf('someone-else', 5))).toThrow(SessionError);
      await w.close();
      await late.close();
      await done();
    });
  });
}
