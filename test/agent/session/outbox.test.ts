// The events outbox: persisted while offline, delivered by the next run of the agent, bounded (oldest dropped and
// counted, the count persisted), and a damaged file is reported and set aside without taking the agent down.

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, topicFor } from '../../../schemas/index.ts';
import { Outbox, Session, SessionError } from '../../../agent/session/index.ts';
import { startAedes, type EmbeddedBroker } from '../../support/brokers.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';
import { eventOf, fastOptions, tempDir, uniqueDeviceId, waitFor, watch } from './_kit.ts';

const DEV = 'outbox-dev';
const payload = (n: number): Uint8Array => encodeEvent(eventOf(DEV, n, `id-${n}`));
async function drainIds(dir: string): Promise<string[]> {
  const box = await Outbox.open(dir);
  const out: string[] = [];
  for (let e = box.peek(); e !== undefined; e = box.peek()) {
    out.push(e.id);
    await box.remove(e);
  }
  return out;
}

describe('Outbox', () => {
  it('keeps events across a reopen, in order, until each is removed', async () => {
    const tmp = await tempDir();
    const box = await Outbox.open(tmp.dir);
    for (const n of [1, 2, 3]) await box.add(`id-${n}`, payload(n));
    expect(box.size).toBe(3);
    expect(box.peek()!.id).toBe('id-1');
    await box.remove(box.peek()!);
    const again = await Outbox.open(tmp.dir);
    expect(again.size).toBe(2);
    expect(again.bytes).toBe(payload(2).byteLength + payload(3).byteLength);
    expect(decodeEvent(again.peek()!.payload).id).toBe('id-2');
    expect(await drainIds(tmp.dir)).toEqual(['id-2', 'id-3']);
    expect((await readdir(tmp.dir)).filter((f) => f.startsWith('e-'))).toEqual([]);
    await tmp.remove();
  });

  it('drops the oldest events past maxEvents and persists the count', async () => {
    const tmp = await tempDir();
    const box = await Outbox.open(tmp.dir, { maxEvents: 3, maxBytes: 1 << 20 });
    for (let n = 1; n <= 5; n++) await box.add(`id-${n}`, payload(n));
    expect(box.size).toBe(3);
    expect(box.dropped).toBe(2);
    const again = await Outbox.open(tmp.dir, { maxEvents: 3, maxBytes: 1 << 20 });
    expect(again.dropped).toBe(2);
    expect(await drainIds(tmp.dir)).toEqual(['id-3', 'id-4', 'id-5']);
    await tmp.remove();
  });

  it('drops the oldest events past maxBytes, and refuses one event larger than the bound', async () => {
    const tmp = await tempDir();
    const one = payload(1).byteLength;
    const box = await Outbox.open(tmp.dir, { maxEvents: 100, maxBytes: one * 2 + 1 });
    for (let n = 1; n <= 4; n++) await box.add(`id-${n}`, payload(n));
    expect(box.size).toBe(2);
    expect(box.bytes).toBeLessThanOrEqual(one * 2 + 1);
    expect(box.dropped).toBe(2);
    await expect(box.add('big', new Uint8Array(one * 3))).rejects.toMatchObject({ code: 'bad-options' });
    await tmp.remove();
  });

  it('a reopen with smaller bounds drops the oldest of what it finds', async () => {
    const tmp = await tempDir();
    const box = await Outbox.open(tmp.dir);
    for (let n = 1; n <= 4; n++) await box.add(`id-${n}`, payload(n));
    const small = await Outbox.open(tmp.dir, { maxEvents: 1, maxBytes: 1 << 20 });
    expect(small.dropped).toBe(3);
    expect(small.peek()!.id).toBe('id-4');
    await tmp.remove();
  });

  it('a damaged event file is reported and set aside; the others load; a leftover temp file is removed', async () => {
    const tmp = await tempDir();
    const box = await Outbox.open(tmp.dir);
    for (let n = 1; n <= 3; n++) await box.add(`id-${n}`, payload(n));
    const files = (await readdir(tmp.dir)).filter((f) => f.startsWith('e-')).sort();
    const second = join(tmp.dir, files[1]!);
    const bytes = await readFile(second);
    await writeFile(second, bytes.subarray(0, bytes.byteLength - 5)); // a torn write
    await writeFile(join(tmp.dir, 'e-0000000000000099.cbor'), 'not cbor at all');
    await writeFile(join(tmp.dir, '.e-0000000000000100.cbor.abc.tmp'), 'half');
    await writeFile(join(tmp.dir, 'meta.cbor'), Buffer.from([0xff, 0x00]));
    const errors: SessionError[] = [];
    const again = await Outbox.open(tmp.dir, undefined, (e) => errors.push(e));
    expect(errors.map((e) => e.code)).toEqual(['outbox-damaged', 'outbox-damaged', 'outbox-damaged']);
    expect(errors.map((e) => e.detail)).toEqual([join(tmp.dir, 'meta.cbor'), second, join(tmp.dir, 'e-0000000000000099.cbor')]);
    expect(again.damaged).toBe(3);
    expect(again.dropped).toBe(0);
    const left = (await readdir(tmp.dir)).sort();
    expect(left).toContain(`damaged-${files[1]}`);
    expect(left.some((f) => f.endsWith('.tmp'))).toBe(false);
    // new events continue after the highest sequence seen, so order holds
    await again.add('id-4', payload(4));
    expect((await readdir(tmp.dir)).filter((f) => f.startsWith('e-')).sort()).toEqual([files[0], files[2], 'e-0000000000000100.cbor']);
    expect(await drainIds(tmp.dir)).toEqual(['id-1', 'id-3', 'id-4']);
    await tmp.remove();
  });
});

describe('Session events outbox', () => {
  let broker: EmbeddedBroker;
  let proxy: TcpProxy;
  beforeAll(async () => {
    broker = await startAedes();
    proxy = await startTcpProxy(broker.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await broker?.close();
  });

  it('events published while offline are persisted, and the next run of the agent delivers them in order', async () => {
    const tmp = await tempDir();
    const id = uniqueDeviceId();
    const cloud = await watch(broker.url, topicFor('events', id));
    proxy.refuse(true);
    const first = await Session.open(fastOptions(proxy.url, id, tmp.dir));
    const sent = Array.from({ length: 20 }, (_, n) => eventOf(id, n));
    for (const e of sent) await first.publishEvent(e);
    expect(first.stats.eventsQueued).toBe(20);
    expect((await readdir(join(tmp.dir, 'outbox'))).filter((f) => f.startsWith('e-'))).toHaveLength(20);
    await first.close(); // the agent stops before it ever reached the broker
    expect(cloud.messages).toHaveLength(0);
    proxy.refuse(false);
    const second = await Session.open(fastOptions(proxy.url, id, tmp.dir));
    expect(second.stats.eventsQueued).toBe(20);
    await second.drained();
    await waitFor(() => cloud.messages.length >= 20, 'the events at the cloud');
    expect(cloud.messages.map((m) => decodeEvent(m.payload).id)).toEqual(sent.map((e) => e.id));
    expect(second.stats.eventsSent).toBe(20);
    expect((await readdir(join(tmp.dir, 'outbox'))).filter((f) => f.startsWith('e-'))).toEqual([]);
    await second.close();
    await cloud.close();
    await tmp.remove();
  });

  it('a full outbox drops the oldest events while offline and counts them in stats.eventsDropped across restarts', async () => {
    const tmp = await tempDir();
    const id = uniqueDeviceId();
    const cloud = await watch(broker.url, topicFor('events', id));
    proxy.refuse(true);
    const opts = fastOptions(proxy.url, id, tmp.dir, { outbox: { maxEvents: 5 } });
    const first = await Session.open(opts);
    const sent = Array.from({ length: 8 }, (_, n) => eventOf(id, n));
    for (const e of sent) await first.publishEvent(e);
    expect(first.stats).toMatchObject({ eventsQueued: 5, eventsDropped: 3 });
    await first.close();
    proxy.refuse(false);
    const second = await Session.open(opts);
    expect(second.stats.eventsDropped).toBe(3);
    await second.drained();
    await waitFor(() => cloud.messages.length >= 5, 'the kept events');
    expect(cloud.messages.map((m) => decodeEvent(m.payload).id)).toEqual(sent.slice(3).map((e) => e.id));
    await second.close();
    await cloud.close();
    await tmp.remove();
  });

  it('a damaged outbox file is reported through onError and the session still connects and sends the rest', async () => {
    const tmp = await tempDir();
    const id = uniqueDeviceId();
    proxy.refuse(true);
    const first = await Session.open(fastOptions(proxy.url, id, tmp.dir));
    for (let n = 0; n < 3; n++) await first.publishEvent(eventOf(id, n, `ev-${n}`));
    await first.close();
    const dir = join(tmp.dir, 'outbox');
    const files = (await readdir(dir)).filter((f) => f.startsWith('e-')).sort();
    await writeFile(join(dir, files[0]!), Buffer.from([0xa1, 0x61]));
    proxy.refuse(false);
    const cloud = await watch(broker.url, topicFor('events', id));
    const errors: SessionError[] = [];
    const second = await Session.open(fastOptions(proxy.url, id, tmp.dir, { onError: (e) => errors.push(e) }));
    expect(errors.map((e) => e.code)).toEqual(['outbox-damaged']);
    expect(second.stats.outboxDamaged).toBe(1);
    await second.drained();
    await waitFor(() => cloud.messages.length >= 2, 'the undamaged events');
    expect(cloud.messages.map((m) => decodeEvent(m.payload).id)).toEqual(['ev-1', 'ev-2']);
    await second.close();
    await cloud.close();
    await tmp.remove();
  });
});
