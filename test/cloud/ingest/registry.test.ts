// The cloud's registry ingest over a real broker (aedes) into a real SQLite store: hand-built reports of every kind
// (ordered, stale, duplicated, malformed, speaking for another device) and what the store holds after them; then a
// real agent enrolled, installed and reporting, seen through the store.

import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAgentProcess, type RunningAgent } from '../../../agent/daemon.ts';
import { busFromClient } from '../../../agent/session/client-bus.ts';
import { RegistryIngest, type RegistryIngestError } from '../../../cloud/ingest/registry.ts';
import { SqliteStore } from '../../../cloud/store/sqlite.ts';
import { sampleEvent, sampleLogBatch, samplePresence, sampleStatus, sampleTelemetry } from '../../../schemas/messages/_fixtures.ts';
import { encodeEvent } from '../../../schemas/messages/event.ts';
import { encodeLogBatch } from '../../../schemas/messages/log.ts';
import { encodePresence } from '../../../schemas/messages/presence.ts';
import { encodeStatus } from '../../../schemas/messages/status.ts';
import { encodeTelemetry } from '../../../schemas/messages/telemetry.ts';
import { topicFor } from '../../../schemas/topics.ts';
import { until } from '../../agent/agent-kit.ts';
import { e2eFleet, release, type E2eFleet } from '../../agent/e2e-kit.ts';
import { startAedes, type EmbeddedBroker } from '../../support/brokers.ts';
import { removeDir, tempDir } from '../../trust/fixtures.ts';

const DEV = sampleStatus.deviceId;

describe('RegistryIngest over aedes into SQLite', () => {
  let broker: EmbeddedBroker;
  let dir: string;
  let store: SqliteStore;
  let cloudClient: MqttClient;
  let device: MqttClient;
  let ingest: RegistryIngest;
  let problems: RegistryIngestError[];
  let clock: number;
  let published: number;

  beforeEach(async () => {
    broker = await startAedes();
    dir = await tempDir('fleetlet-ingest-');
    store = await SqliteStore.open({ path: join(dir, 'cloud.db'), synchronous: 'normal' });
    cloudClient = await mqtt.connectAsync(broker.url, { reconnectPeriod: 100 });
    device = await mqtt.connectAsync(broker.url, { reconnectPeriod: 100 });
    problems = [];
    clock = 5_000_000;
    published = 0;
    ingest = await RegistryIngest.start(busFromClient(cloudClient), store, { now: () => clock, logLinesPerModule: 3, onProblem: (p) => problems.push(p) });
  });

  afterEach(async () => {
    await ingest.stop();
    await cloudClient.endAsync();
    await device.endAsync();
    await store.close();
    await broker.close();
    await removeDir(dir);
  });

  /** Publishes and waits until ingest has written (or dropped) every message sent so far. */
  async function send(topic: string, payload: Uint8Array): Promise<void> {
    await device.publishAsync(topic, Buffer.from(payload), { qos: 1 });
    published++;
    await until(`ingest processed ${published}`, () => ingest.stats.processed >= published || undefined, 5_000);
    await ingest.idle();
  }

  it('a status registers the device and its modules; an older or repeated report changes nothing', async () => {
    await send(topicFor('status', DEV), encodeStatus(sampleStatus));
    const dev = await store.getDevice(DEV);
    expect(dev).toMatchObject({
      deviceClass: 'rpi4', agentVersion: '0.1.0', schemaVersions: { manifest: 1, desiredState: 1, trustUpdate: 1 },
      reportSequence: sampleStatus.seq, lastSeenMs: 5_000_000,
    });
    const mods = await store.listModuleStatus(DEV);
    expect(mods.find((m) => m.module === 'thermostat')).toMatchObject({ version: '1.4.0', state: 'running', health: 'ok', fuelPerTick: 5400, memoryHighWater: 2, traps: 0, updatedAtMs: 5_000_000 });
    expect(mods.find((m) => m.module === 'logger')).toMatchObject({ version: '0.2.0', state: 'rolled-back', health: 'health-failed', traps: 0 });

    clock += 1000;
    await send(topicFor('status', DEV), encodeStatus({ ...sampleStatus, seq: sampleStatus.seq - 1, agentVersion: '0.0.9' }));
    await send(topicFor('status', DEV), encodeStatus({ ...sampleStatus, agentVersion: '0.0.8' }));
    expect(ingest.stats.statusesStale).toBe(2);
    expect((await store.getDevice(DEV))?.agentVersion).toBe('0.1.0');

    await send(topicFor('status', DEV), encodeStatus({ ...sampleStatus, seq: sampleStatus.seq + 1, agentVersion: '0.2.0', modules: [{ ...sampleStatus.modules[0]!, version: '1.5.0' }] }));
    expect(await store.getDevice(DEV)).toMatchObject({ agentVersion: '0.2.0', reportSequence: sampleStatus.seq + 1, lastSeenMs: 5_001_000 });
    expect((await store.listModuleStatus(DEV)).find((m) => m.module === 'thermostat')?.version).toBe('1.5.0');
    expect(ingest.stats).toMatchObject({ statuses: 2, statusesStale: 2, malformed: 0, storeFailures: 0 });
  });

  it('presence: kept until the device is known, then an old session\'s late will is ignored and the current one counts', async () => {
    const presence = (state: 'online' | 'offline', sessionId: string, sinceMs: number) => encodePresence({ ...samplePresence, state, sessionId, sinceMs });
    await send(topicFor('presence', DEV), presence('online', 's-1', 1000));
    expect(ingest.stats.presencesDeferred).toBe(1);
    expect(await store.getDevice(DEV)).toBeUndefined();
    await send(topicFor('status', DEV), encodeStatus(sampleStatus));
    expect((await store.getDevice(DEV))?.online).toBe(true);

    // the link died unnoticed; the device came back as s-2 before the broker published s-1's will
    await send(topicFor('presence', DEV), presence('online', 's-2', 2000));
    await send(topicFor('presence', DEV), presence('offline', 's-1', 1000));
    expect((await store.getDevice(DEV))?.online).toBe(true);
    expect(ingest.stats.presencesIgnored).toBe(1);

    await send(topicFor('presence', DEV), presence('offline', 's-2', 2000));
    expect((await store.getDevice(DEV))?.online).toBe(false);
    expect(ingest.stats.presences).toBe(2);
  });

  it('events are stored once per id; telemetry points carry the report\'s time unless their own; a repeated report is dropped', async () => {
    await send(topicFor('status', DEV), encodeStatus(sampleStatus));
    await send(topicFor('events', DEV), encodeEvent(sampleEvent));
    await send(topicFor('events', DEV), encodeEvent(sampleEvent));
    await send(topicFor('events', DEV), encodeEvent({ ...sampleEvent, id: 'ev-000018', type: 'module.trapped', severity: 'error', code: 'trap' }));
    const events = (await store.listEvents({ deviceId: DEV })).items;
    expect(events.map((e) => e.eventId).sort()).toEqual(['ev-000017', 'ev-000018']);
    expect(events.find((e) => e.eventId === 'ev-000017')).toMatchObject({ kind: 'update.committed', atMs: sampleEvent.timeMs, data: { severity: 'info', module: 'thermostat', attributes: { sequence: '7' } } });
    expect(ingest.stats).toMatchObject({ events: 2, eventsDuplicate: 1 });

    await send(topicFor('telemetry', DEV), encodeTelemetry(sampleTelemetry));
    await send(topicFor('telemetry', DEV), encodeTelemetry(sampleTelemetry));
    const points = (await store.queryTelemetry({ deviceId: DEV, module: 'thermostat' })).items;
    expect(points.map((p) => [p.metric, p.atMs, p.value]).sort()).toEqual([
      ['duty', sampleTelemetry.timeMs, 0.1],
      ['fuel.used', 1_700_000_000_900, 123456],
      ['temperature', sampleTelemetry.timeMs, 21.375],
    ]);
    expect(ingest.stats).toMatchObject({ telemetryReports: 1, telemetryDuplicate: 1 });
  });

  it('logs: the last lines per module, in memory and on the module\'s status row', async () => {
    await send(topicFor('logs', DEV), encodeLogBatch(sampleLogBatch));
    await send(topicFor('status', DEV), encodeStatus(sampleStatus));
    expect((await store.listModuleStatus(DEV)).find((m) => m.module === 'thermostat')?.recentLogs).toHaveLength(2);
    await send(topicFor('logs', DEV), encodeLogBatch({ ...sampleLogBatch, seq: 13, entries: [{ timeMs: 1_700_000_000_003, level: 'error', text: 'third' }, { timeMs: 1_700_000_000_004, level: 'info', text: 'fourth' }] }));
    expect(ingest.recentLogs(DEV, 'thermostat').map((e) => e.text)).toEqual(['sensor slow: 120 ms \u00b0C', 'third', 'fourth']);
    expect(ingest.recentLogs(DEV, 'logger')).toEqual([]);
    const row = (await store.listModuleStatus(DEV)).find((m) => m.module === 'thermostat');
    expect(row?.recentLogs).toHaveLength(3);
    expect(row?.recentLogs[2]).toMatch(/ info fourth$/);
    expect(ingest.stats.logBatches).toBe(2);
  });

  it('garbage and a payload naming another device are counted and dropped, and ingest carries on', async () => {
    await send(topicFor('status', DEV), new Uint8Array([0xff, 0x00, 0x13, 0x37]));
    await send(topicFor('events', DEV), encodeStatus(sampleStatus));
    await send(topicFor('status', 'dev-0002'), encodeStatus(sampleStatus));
    await send(topicFor('events', 'dev-0002'), encodeEvent(sampleEvent));
    await send(topicFor('status', DEV), new Uint8Array());
    expect(ingest.stats).toMatchObject({ malformed: 2, deviceMismatch: 2, cleared: 1, statuses: 0, events: 0 });
    expect(problems.map((p) => p.code)).toEqual(['malformed', 'malformed', 'device-mismatch', 'device-mismatch']);
    expect(problems[2]?.topic).toBe(topicFor('status', 'dev-0002'));
    expect((await store.listDevices()).items).toEqual([]);
    expect((await store.listEvents()).items).toEqual([]);

    await send(topicFor('status', DEV), encodeStatus(sampleStatus));
    expect((await store.getDevice(DEV))?.deviceClass).toBe('rpi4');
  });

  it('one device\'s writes land in arrival order even when sent back to back', async () => {
    const n = 20;
    for (let i = 1; i <= n; i++) {
      void device.publishAsync(topicFor('status', DEV), Buffer.from(encodeStatus({ ...sampleStatus, seq: i, agentVersion: `0.${i}.0` })), { qos: 1 });
    }
    published += n;
    await until('all processed', () => ingest.stats.processed >= n || undefined, 5_000);
    await ingest.idle();
    expect(ingest.stats).toMatchObject({ statuses: n, statusesStale: 0 });
    expect(await store.getDevice(DEV)).toMatchObject({ agentVersion: `0.${n}.0`, reportSequence: n });
  });
});

describe('RegistryIngest with a real agent', () => {
  let fleet: E2eFleet | undefined;
  let running: RunningAgent | undefined;
  let store: SqliteStore | undefined;
  let ingest: RegistryIngest | undefined;
  afterEach(async () => {
    await ingest?.stop();
    await running?.close();
    await store?.close();
    await fleet?.close();
  });

  it('the store shows the enrolled device, its module running with metrics, and its events', async () => {
    fleet = await e2eFleet('aedes');
    store = await SqliteStore.open({ path: join(fleet.dir, 'registry.db'), synchronous: 'normal' });
    ingest = await RegistryIngest.start(fleet.cloud.bus, store);
    running = await startAgentProcess(await fleet.plan('dev-1'), () => {});
    const s = store;
    await until('dev-1 registered online', async () => ((await s.getDevice('dev-1'))?.online ? true : undefined));
    await fleet.cloud.setDesired('dev-1', [{ name: 'meter', release: release(fleet.keys, 'meter', '1.0.0', 1, 'good') }]);
    const meter = await until('meter running with metrics in the store', async () => {
      const m = (await s.listModuleStatus('dev-1')).find((r) => r.module === 'meter');
      return m?.state === 'running' && (m.fuelPerTick ?? 0) > 0 ? m : undefined;
    });
    expect(meter).toMatchObject({ version: '1.0.0', health: 'ok', traps: 0 });
    expect(meter.memoryHighWater).toBeGreaterThan(0);
    expect(await s.getDevice('dev-1')).toMatchObject({ deviceClass: 'sim', online: true });
    const kinds = await until('update events stored', async () => {
      const k = (await s.listEvents({ deviceId: 'dev-1' })).items.map((e) => e.kind);
      return k.includes('update.started') && k.includes('state.applied') ? k : undefined;
    });
    expect(kinds).toContain('update.started');
    expect(ingest.stats).toMatchObject({ malformed: 0, deviceMismatch: 0, storeFailures: 0 });
  });
});
