// Subscriptions at the edges of a connection: made while the session is still setting itself up, refused by the
// broker's ACL, and a connection listener that throws.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizeSubscribeHandler } from 'aedes';
import { topicFor } from '../../../schemas/index.ts';
import { Session, SessionError } from '../../../agent/session/index.ts';
import { startAedes, type EmbeddedBroker } from '../../support/brokers.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';
import { fastOptions, tempDir, uniqueDeviceId, waitFor, watch } from './_kit.ts';

describe('Session subscriptions', () => {
  let broker: EmbeddedBroker;
  let proxy: TcpProxy;
  let onSubscribe: AuthorizeSubscribeHandler | undefined;
  beforeAll(async () => {
    broker = await startAedes({
      authorizeSubscribe: (c, sub, cb) => (onSubscribe ? onSubscribe(c, sub, cb) : cb(null, sub)),
    });
    proxy = await startTcpProxy(broker.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await broker?.close();
  });

  it('a filter subscribed while the session restores its subscriptions is subscribed on that connection', async () => {
    const tmp = await tempDir();
    const id = uniqueDeviceId();
    const cloud = await watch(broker.url, `fleetlet/v1/dev/${id}/nothing`);
    await cloud.client.publishAsync(topicFor('trust', id), Buffer.from([1]), { qos: 1, retain: true });
    // hold the SUBACK of the filters restored on connect: the session is connected but not ready meanwhile
    const held: (() => void)[] = [];
    onSubscribe = (c, sub, cb) => {
      if (c?.id === id && sub.topic === topicFor('desiredState', id)) held.push(() => cb(null, sub));
      else cb(null, sub);
    };
    const s = await Session.open(fastOptions(proxy.url, id, tmp.dir));
    await s.subscribe(topicFor('desiredState', id), () => {});
    await waitFor(() => held.length === 1, 'the restored subscription at the broker');
    expect(s.stats.state).toBe('online');
    expect(s.connected).toBe(false);
    const got: Uint8Array[] = [];
    await s.subscribe(topicFor('trust', id), (p) => got.push(p));
    onSubscribe = undefined;
    held.shift()!();
    await s.whenConnected();
    await waitFor(() => got.length === 1, 'the retained trust update');
    await cloud.client.publishAsync(topicFor('trust', id), Buffer.alloc(0), { qos: 1, retain: true });
    await s.close();
    await cloud.close();
    await tmp.remove();
  });

  it('a subscription the broker refuses rejects with subscribe-refused and leaves the others working', async () => {
    const tmp = await tempDir();
    const id = uniqueDeviceId();
    // aedes negates a subscription given as null (SUBACK 0x80)
    onSubscribe = (_c, sub, cb) => cb(null, sub.topic.endsWith('/forbidden') ? null : sub);
    const s = await Session.open(fastOptions(proxy.url, id, tmp.dir));
    await s.whenConnected();
    await expect(s.subscribe(`fleetlet/v1/dev/${id}/forbidden`, () => {})).rejects.toMatchObject({ code: 'subscribe-refused' });
    const got: Uint8Array[] = [];
    await s.subscribe(topicFor('command', id), (p) => got.push(p));
    const cloud = await watch(broker.url, `fleetlet/v1/dev/${id}/nothing`);
    await cloud.client.publishAsync(topicFor('command', id), Buffer.from([5]), { qos: 1 });
    await waitFor(() => got.length === 1, 'a command');
    onSubscribe = undefined;
    await s.close();
    await cloud.close();
    await tmp.remove();
  });

  it('a connection listener that throws is reported and the session carries on', async () => {
    const tmp = await tempDir();
    const id = uniqueDeviceId();
    const errors: SessionError[] = [];
    const s = await Session.open(fastOptions(proxy.url, id, tmp.dir, { onError: (e) => errors.push(e) }));
    s.onConnectionChange(() => {
      throw new Error('listener bug');
    });
    const seen: boolean[] = [];
    s.onConnectionChange((online) => seen.push(online));
    await s.whenConnected();
    proxy.cut();
    await waitFor(() => seen.length === 3, 'online, offline, online');
    expect(seen).toEqual([true, false, true]);
    expect(errors.filter((e) => e.code === 'handler-threw')).toHaveLength(3);
    await s.close();
    await tmp.remove();
  });
});
