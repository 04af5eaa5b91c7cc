// The rollout driver on real devices: six agents in this process (real enrollment, MQTT over an embedded aedes with
// its auth hooks, signed desired states, chunked downloads, the health gate), all on v1; the driver rolls out a good
// v2 in waves of 2 and 4 to completion, halts a v3 whose health check fails in its first wave (later waves never
// get it), and a driver stopped mid-rollout (its publishes lost) is replaced by a new one on the same store, which
// re-publishes and finishes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, type RunningAgent } from '../../../agent/daemon.ts';
import { manifestDigest } from '../../../agent/update/verify.ts';
import { PublishFailed, RolloutDriver, type RolloutDriverOptions } from '../../../cloud/rollout/driver.ts';
import { MemoryRolloutStore, type Release, type RolloutRecord, type RolloutSpec } from '../../../cloud/rollout/index.ts';
import { decodeStatus, encodeStatus, type Status } from '../../../schemas/messages/status.ts';
import { topicFor } from '../../../schemas/topics.ts';
import { until } from '../../agent/agent-kit.ts';
import { e2eFleet, release, type E2eFleet, type E2eRelease } from '../../agent/e2e-kit.ts';

const APP = 'meter';
const DEVICES = ['dev-ro-1', 'dev-ro-2', 'dev-ro-3', 'dev-ro-4', 'dev-ro-5', 'dev-ro-6'];
const WAIT = 20_000;

let fleet: E2eFleet;
let agents: RunningAgent[] = [];
const statuses = new Map<string, Status>();
const store = new MemoryRolloutStore();
const byDigest = new Map<string, E2eRelease>();
/** Every desired-state publish the driver asked for: device and version. */
const published: { deviceId: string; version: string }[] = [];
const drivers: RolloutDriver[] = [];

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const mod = (id: string) => statuses.get(id)?.modules.find((m) => m.name === APP);
const runs = (id: string, version: string): boolean => mod(id)?.version === version && mod(id)?.state === 'running' && mod(id)?.errorCode === undefined;

function engineRelease(r: E2eRelease): Release {
  const manifestDigestHex = hex(manifestDigest(r.signedManifest));
  byDigest.set(manifestDigestHex, r);
  return { version: r.version, sequence: r.manifest.sequence, manifestDigest: manifestDigestHex };
}

async function startDriver(over: Partial<RolloutDriverOptions> = {}): Promise<RolloutDriver> {
  const d = await RolloutDriver.start({
    store,
    bus: fleet.cloud.bus,
    tickMs: 200,
    publishDesired: async (deviceId, r, app) => {
      published.push({ deviceId, version: r.version });
      return (await fleet.cloud.setDesired(deviceId, [{ name: app, release: byDigest.get(r.manifestDigest)! }])).state.sequence;
    },
    ...over,
  });
  drivers.push(d);
  return d;
}

function spec(id: string, r: Release, previous: Release): RolloutSpec {
  return {
    id,
    app: APP,
    release: r,
    previous,
    target: { kind: 'list', deviceIds: DEVICES },
    waves: { kind: 'fixed', sizes: [2, 4] },
    policy: { successPercent: 100, errorPercent: 50, minFinished: 2, waveTimeoutMs: WAIT },
  };
}

async function settled(d: RolloutDriver, id: string, state: RolloutRecord['state']): Promise<RolloutRecord> {
  return until(`rollout ${id} ${state}`, async () => {
    const r = await d.record(id);
    return r?.state === state ? r : undefined;
  }, WAIT).catch(async (e: unknown) => {
    const r = await d.record(id);
    throw new Error(`${(e as Error).message}: it is ${r?.state} in wave ${(r?.wave ?? -1) + 1}${r?.halt === undefined ? '' : ` (${r.halt.reason})`}`);
  });
}

let v1: Release;
let v2: Release;

beforeAll(async () => {
  fleet = await e2eFleet('aedes');
  await fleet.cloud.bus.subscribe('fleetlet/v1/dev/+/status', (payload) => {
    try {
      const s = decodeStatus(payload);
      statuses.set(s.deviceId, s);
    } catch {
      // the driver test publishes one malformed report on purpose
    }
  });
  agents = await Promise.all(DEVICES.map(async (id) => startAgentProcess(await fleet.plan(id), () => {})));
  const r1 = release(fleet.keys, APP, '1.0.0', 1, 'good');
  v1 = engineRelease(r1);
  await Promise.all(DEVICES.map((id) => fleet.cloud.setDesired(id, [{ name: APP, release: r1 }])));
  await until('every device runs v1', () => DEVICES.every((id) => runs(id, '1.0.0')) || undefined, WAIT);
}, 40_000);

afterAll(async () => {
  for (const d of drivers) await d.stop();
  await Promise.all(agents.map((a) => a.close()));
  await fleet?.close();
});

describe('the rollout driver on six real agents', () => {
  it('rolls a good v2 out in waves of 2 and 4 to completion, and every device reports v2 running', async () => {
    const driver = await startDriver();
    v2 = engineRelease(release(fleet.keys, APP, '2.0.0', 2, 'good'));
    await driver.create(spec('ro-v2', v2, v1), DEVICES.map((id) => ({ id, tags: {} })));
    expect(await driver.progress('ro-v2')).toMatchObject({ waiting: 6 });
    // a report that does not decode is counted and changes nothing
    await fleet.cloud.bus.publish(topicFor('status', DEVICES[0]!), new Uint8Array([0xff, 0x00, 0x13]), { qos: 1 });
    await until('the malformed report counted', () => driver.counts.malformed >= 1 || undefined);
    const started = await driver.command('ro-v2', { type: 'start', by: 'test' });
    expect(started.ok).toBe(true);
    // wave 1 only, until it succeeds
    expect(published.filter((p) => p.version === '2.0.0').map((p) => p.deviceId)).toEqual(DEVICES.slice(0, 2));

    const done = await settled(driver, 'ro-v2', 'completed');
    expect(done.devices.map((x) => x.phase)).toEqual(DEVICES.map(() => 'good'));
    expect(await driver.progress('ro-v2')).toMatchObject({ good: 6, failed: 0, waiting: 0 });
    const codes = driver.decisions.filter((x) => x.rolloutId === 'ro-v2').map((x) => x.decision.code);
    expect(codes).toEqual(['created', 'started', 'wave-started', 'regression-judged', 'wave-succeeded', 'wave-started', 'regression-judged', 'wave-succeeded', 'completed']);
    await until('every device reports v2 running', () => DEVICES.every((id) => runs(id, '2.0.0')) || undefined, WAIT);
    expect(agents.map((a) => a.agent.supervisor.get(APP)?.manifest.version)).toEqual(DEVICES.map(() => '2.0.0'));
    expect(driver.counts.reports).toBeGreaterThan(0);
    await driver.stop();
  }, 45_000);

  it('halts an unhealthy v3 in wave 1 naming the health failure; the devices of wave 2 never get it', async () => {
    const driver = await startDriver();
    const v3 = engineRelease(release(fleet.keys, APP, '3.0.0', 3, 'unhealthy'));
    await driver.create(spec('ro-v3', v3, v2), DEVICES.map((id) => ({ id, tags: {} })));
    await driver.command('ro-v3', { type: 'start' });
    const halted = await settled(driver, 'ro-v3', 'halted');
    expect(halted.halt?.code).toBe('failures');
    expect(halted.halt?.reason).toMatch(/wave 1: 2 of 2 finished devices failed \(health-failed\)/);
    expect(halted.wave).toBe(0);
    const halt = driver.decisions.find((x) => x.rolloutId === 'ro-v3' && x.decision.code === 'halted');
    expect(halt?.decision.halt).toBe('failures');
    expect(await driver.progress('ro-v3')).toMatchObject({ failed: 2, waiting: 4 });
    // wave 1 rolled back to v2 by their agents; wave 2 was never issued v3 and runs v2
    expect(published.filter((p) => p.version === '3.0.0').map((p) => p.deviceId)).toEqual(DEVICES.slice(0, 2));
    await until('wave 1 reports the rollback', () => DEVICES.slice(0, 2).every((id) => mod(id)?.state === 'rolled-back' && mod(id)?.version === '2.0.0') || undefined, WAIT);
    for (const id of DEVICES.slice(2)) expect(runs(id, '2.0.0')).toBe(true);
    expect(agents.map((a) => a.agent.supervisor.get(APP)?.manifest.version)).toEqual(DEVICES.map(() => '2.0.0'));
    // a halted rollout goes no further on ticks
    await new Promise((r) => setTimeout(r, 600));
    expect((await driver.record('ro-v3'))?.state).toBe('halted');
    expect(published.filter((p) => p.version === '3.0.0')).toHaveLength(2);
    await driver.command('ro-v3', { type: 'abort', by: 'test' });
    await driver.stop();
  }, 45_000);

  it('a driver stopped mid-rollout is replaced by one on the same store, which re-publishes what is owed and finishes', async () => {
    // the first cloud process starts the rollout but its publishes are lost (the broker link dies), then it stops
    const errors: Error[] = [];
    const first = await startDriver({
      tickMs: 60_000, // no retry before it stops
      publishDesired: async () => {
        throw new Error('connection lost');
      },
      onError: (e) => errors.push(e),
    });
    const v4 = engineRelease(release(fleet.keys, APP, '4.0.0', 4, 'good'));
    await first.create(spec('ro-v4', v4, v2), DEVICES.map((id) => ({ id, tags: {} })));
    await first.command('ro-v4', { type: 'start' });
    await first.stop();
    expect(first.counts.publishFailures).toBe(2);
    expect(errors.map((e) => (e instanceof PublishFailed ? [e.code, e.deviceId] : e.message))).toEqual(DEVICES.slice(0, 2).map((id) => ['publish-failed', id]));
    expect(await first.progress('ro-v4')).toMatchObject({ issued: 2, waiting: 4 });
    await expect(first.command('ro-v4', { type: 'pause' })).rejects.toMatchObject({ code: 'not-allowed' });
    expect(published.filter((p) => p.version === '4.0.0')).toEqual([]);

    // the next one recovers the rollout from the store, re-publishes wave 1 and carries the rollout to its end. Wave 1
    // is the two devices that rolled v3 back: until they take the new state they still report 2.0.0 with
    // 'health-failed', which must not be read as v4 failing (the driver drops reports older than its publish).
    const second = await startDriver();
    expect(published.filter((p) => p.version === '4.0.0').map((p) => p.deviceId)).toEqual(DEVICES.slice(0, 2));
    const done = await settled(second, 'ro-v4', 'completed');
    expect(done.devices.map((x) => x.phase)).toEqual(DEVICES.map(() => 'good'));
    const codes = second.decisions.filter((x) => x.rolloutId === 'ro-v4').map((x) => x.decision.code);
    expect(codes).toEqual(['regression-judged', 'wave-succeeded', 'wave-started', 'regression-judged', 'wave-succeeded', 'completed']);
    expect(published.filter((p) => p.version === '4.0.0').map((p) => p.deviceId).sort()).toEqual([...DEVICES].sort());
    await until('every device reports v4 running', () => DEVICES.every((id) => runs(id, '4.0.0')) || undefined, WAIT);
    expect(await store.listActive()).toEqual([]); // v2 and v4 completed, v3 aborted
    await second.stop();
  }, 45_000);

  it('retries a failed publish on the next tick, and counts a report whose device id is not its topic\'s', async () => {
    const calls: string[] = [];
    let failNext = true;
    const driver = await startDriver({
      publishDesired: async (deviceId) => {
        calls.push(deviceId);
        if (failNext) {
          failNext = false;
          throw new Error('broker busy');
        }
      },
    });
    const v5 = engineRelease(release(fleet.keys, APP, '5.0.0', 5, 'good'));
    // devices that do not exist: nothing answers, only the publishes are watched
    const ghosts = ['dev-ghost-1', 'dev-ghost-2'];
    await driver.create({ ...spec('ro-ghost', v5, v2), target: { kind: 'list', deviceIds: ghosts }, waves: { kind: 'fixed', sizes: [2] } }, ghosts.map((id) => ({ id, tags: {} })));
    await driver.command('ro-ghost', { type: 'start' });
    expect(calls).toEqual(ghosts);
    expect(driver.counts.publishFailures).toBe(1);
    await until('the failed publish retried', () => (calls.length >= 3 ? calls : undefined));
    expect(calls[2]).toBe('dev-ghost-1');
    await new Promise((r) => setTimeout(r, 500)); // more ticks: nothing more is owed
    expect(calls).toHaveLength(3);

    // dev-ro-1's report sent on dev-ghost-1's topic is refused, not read as dev-ghost-1's
    const before = driver.counts.malformed;
    await fleet.cloud.bus.publish(topicFor('status', 'dev-ghost-1'), encodeStatus(statuses.get(DEVICES[0]!)!), { qos: 1 });
    await until('the mismatched report counted', () => driver.counts.malformed > before || undefined);
    expect((await driver.record('ro-ghost'))?.devices.map((x) => x.phase)).toEqual(['issued', 'issued']);
    await driver.command('ro-ghost', { type: 'abort' });
    await driver.stop();
  }, 20_000);
});
