// FleetCloud on an external broker (Debian's mosquitto, anonymous logins on loopback): the cloud connects as a client,
// enrollment issues no broker credentials (the broker has its own logins), and a real agent enrolls and runs the app
// the cloud gives it; a pending device's repeated requests keep its first request time.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, type RunningAgent } from '../../../agent/daemon.ts';
import type { FleetCloud } from '../../../cloud/service/cloud.ts';
import { until } from '../../agent/agent-kit.ts';
import { fleetKeys, release, type FleetKeys } from '../../agent/e2e-kit.ts';
import { startMosquitto, type RunningBroker } from '../../support/brokers.ts';
import { removeDir, tempDir } from '../../trust/fixtures.ts';
import { bundleOf, devicePlan, startCloud } from './kit.ts';

let keys: FleetKeys;
let dir: string;
let mosquitto: RunningBroker;
let cloud: FleetCloud;
const agents: RunningAgent[] = [];
const abort = new AbortController();

beforeAll(async () => {
  keys = fleetKeys();
  dir = await tempDir('fleetlet-cloud-mosquitto-');
  mosquitto = await startMosquitto();
  cloud = await startCloud(keys, dir, { broker: { url: mosquitto.url }, enrollment: { retryAfterMs: 1_000 } });
});

afterAll(async () => {
  abort.abort();
  await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
  await cloud?.close();
  await mosquitto?.close();
  await removeDir(dir);
});

describe('FleetCloud on mosquitto', () => {
  it('a device waits for the operator, enrolls without broker credentials and runs the app it is given', async () => {
    expect(cloud.url).toBe(mosquitto.url);
    const starting = startAgentProcess(await devicePlan(keys, dir, cloud.url, 'dev-m1'), () => {}, abort.signal).then((a) => {
      agents.push(a);
      return a;
    });
    const first = await until('dev-m1 pending', async () => (await cloud.ops.listEnrollments({ state: 'pending' })).items.find((e) => e.deviceId === 'dev-m1'));
    // it asks again every second; its request time stays the first one
    const asked = cloud.enrollment.stats.received;
    await until('dev-m1 asking twice more', () => cloud.enrollment.stats.received >= asked + 2 || undefined);
    expect((await cloud.ops.listEnrollments({ state: 'pending' })).items.find((e) => e.deviceId === 'dev-m1')?.requestedAtMs).toBe(first.requestedAtMs);
    await cloud.ops.acceptDevice('dev-m1', 'ops');
    const agent = await starting;
    expect(agent.enrollment.credentials).toBeUndefined();
    const r = await cloud.ops.uploadBundle(bundleOf(release(keys, 'meter', '1.0.0', 1, 'good')), 'ops');
    await cloud.desired.setApp('dev-m1', 'meter', { manifestDigest: r.manifestDigest, version: r.version });
    await until('dev-m1 runs meter', async () => (await cloud.ops.getDevice('dev-m1')).modules.some((m) => m.name === 'meter' && m.state === 'running') || undefined);
  }, 30_000);
});
