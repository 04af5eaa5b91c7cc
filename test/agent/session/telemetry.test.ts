// Telemetry and logs while offline: a small bounded queue, the newest kept, the oldest dropped and counted, the rest
// sent on reconnect; and the MessageBus publish the agent's other parts use.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLogBatch, decodeTelemetry, topicFor, type LogBatch } from '../../../schemas/index.ts';
import { Session } from '../../../agent/session/index.ts';
import { startAedes, type EmbeddedBroker } from '../../support/brokers.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';
import { fastOptions, telemetryOf, tempDir, uniqueDeviceId, waitFor, watch } from './_kit.ts';

const logsOf = (deviceId: string, seq: number): LogBatch => ({ v: 1, deviceId, module: 'blinky', seq, dropped: 0, entries: [{ timeMs: 1, level: 'info', text: `line ${seq}` }] });

describe('Session telemetry and logs', () => {
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

  it('while offline keeps the newest telemetry and log batches up to their bounds, counts the drops, and sends the rest on reconnect', async () => {
    const tmp = await tempDir();
    const id = uniqueDeviceId();
    const session = await Session.open(fastOptions(proxy.url, id, tmp.dir, { telemetryQueue: 4, logQueue: 2 }));
    await session.whenConnected();
    const tele = await watch(broker.url, topicFor('telemetry', id));
    const logs = await watch(broker.url, topicFor('logs', id));
    session.publishTelemetry(telemetryOf(id, 0));
    await waitFor(() => tele.messages.length === 1, 'live telemetry');
    proxy.refuse(true);
    proxy.cut();
    await waitFor(() => !session.connected, 'the disconnect');
    for (let v = 1; v <= 10; v++) session.publishTelemetry(telemetryOf(id, v));
    for (let seq = 1; seq <= 5; seq++) session.publishLogs(logsOf(id, seq));
    expect(session.stats).toMatchObject({ telemetryQueued: 4, telemetryDropped: 6, logsQueued: 2, logsDropped: 3 });
    proxy.refuse(false);
    await session.whenConnected();
    await waitFor(() => tele.messages.length === 5 && logs.messages.length === 2, 'the queued telemetry and logs');
    expect(tele.messages.map((m) => decodeTelemetry(m.payload).points[0]!.value)).toEqual([0, 7, 8, 9, 10]);
    expect(logs.messages.map((m) => decodeLogBatch(m.payload).seq)).toEqual([4, 5]);
    expect(session.stats).toMatchObject({ telemetryQueued: 0, telemetryDropped: 6, logsQueued: 0, logsDropped: 3 });
    session.publishTelemetry(telemetryOf(id, 11));
    await waitFor(() => tele.messages.length === 6, 'live telemetry after the reconnect');
    expect(() => session.publishTelemetry(telemetryOf('another-device', 1))).toThrow(expect.objectContaining({ code: 'wrong-device' }));
    await session.close();
    expect(() => session.publishTelemetry(telemetryOf(id, 12))).toThrow(expect.objectContaining({ code: 'closed' }));
    await tele.close();
    await logs.close();
    await tmp.remove();
  });

  it('publish resolves after the broker acknowledged a QoS 1 message, and a lost connection rejects it', async () => {
    const tmp = await tempDir();
    const id = uniqueDeviceId();
    const session = await Session.open(fastOptions(proxy.url, id, tmp.dir));
    await session.whenConnected();
    const w = await watch(broker.url, topicFor('chunkRequest', id));
    await session.publish(topicFor('chunkRequest', id), new Uint8Array([1, 2]), { qos: 1 });
    await waitFor(() => w.messages.length === 1, 'the request at the cloud');
    // the broker never answers while its side is paused: the PUBACK cannot come before the cut
    broker.aedes.authorizePublish = (_c, _p, _cb) => {};
    const pending = session.publish(topicFor('chunkRequest', id), new Uint8Array([3]), { qos: 1 });
    await new Promise((r) => setTimeout(r, 20));
    proxy.cut();
    await expect(pending).rejects.toMatchObject({ code: 'connection-lost' });
    broker.aedes.authorizePublish = (_c, _p, cb) => cb(null);
    await session.whenConnected();
    await session.publish(topicFor('chunkRequest', id), new Uint8Array([4]), { qos: 1 });
    await session.close();
    await w.close();
    await tmp.remove();
  });
});
