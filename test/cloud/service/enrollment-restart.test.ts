// Enrollment decisions live in the store: a device's request pending when the cloud stops is still pending after the
// restart (held by no process's memory); the operator accepts it on the new process, and the device's next request
// gets its credentials. A device refused before a restart stays refused after it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, type RunningAgent } from '../../../agent/daemon.ts';
import type { FleetCloud } from '../../../cloud/service/cloud.ts';
import { until } from '../../agent/agent-kit.ts';
import { fleetKeys, type FleetKeys } from '../../agent/e2e-kit.ts';
import { removeDir, tempDir } from '../../trust/fixtures.ts';
import { devicePlan, freePort, startCloud } from './kit.ts';

let keys: FleetKeys;
let dir: string;
let port: number;
let cloud: FleetCloud | undefined;
const agents: RunningAgent[] = [];
const abort = new AbortController();

const start = (): Promise<FleetCloud> => startCloud(keys, dir, { broker: { embedded: { port } }, enrollment: { retryAfterMs: 1_000 } });
const pendingIds = async (c: FleetCloud): Promise<string[]> => (await c.ops.listEnrollments({ state: 'pending' })).items.map((e) => e.deviceId);

beforeAll(async () => {
  keys = fleetKeys();
  dir = await tempDir('fleetlet-cloud-enroll-restart-');
  port = await freePort();
});

afterAll(async () => {
  abort.abort();
  await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
  await cloud?.close();
  await removeDir(dir);
});

describe('FleetCloud enrollment across a restart', () => {
  it('a request pending before a restart is accepted on the new process, and one refused before stays refused', async () => {
    cloud = await start();
    const accepted = startAgentProcess(await devicePlan(keys, dir, cloud.url, 'dev-e1'), () => {}, abort.signal).then((a) => {
      agents.push(a);
      return a;
    });
    const refused = startAgentProcess(await devicePlan(keys, dir, cloud.url, 'dev-e2'), () => {}, abort.signal).then(
      (a) => { agents.push(a); return undefined; },
      (e: unknown) => e,
    );
    await until('both pending', async () => ((await pendingIds(cloud!)).length === 2 ? true : undefined));
    await cloud.close();

    cloud = await start();
    expect(await pendingIds(cloud)).toEqual(['dev-e1', 'dev-e2']);
    expect(cloud.enrollment.hasPending('dev-e1')).toBe(false); // not in this process's memory (yet)
    await cloud.ops.refuseDevice('dev-e2', 'ops', 'unknown hardware');
    await cloud.ops.acceptDevice('dev-e1', 'ops');
    const agent = await accepted;
    expect(agent.enrollment.credentials?.username).toBe('dev-e1');
    expect(await refused).toMatchObject({ code: 'refused', refusal: 'refused', message: expect.stringMatching(/unknown hardware/) });
    await until('dev-e1 online', async () => (await cloud!.ops.getDevice('dev-e1')).online || undefined);

    await cloud.close();
    cloud = await start();
    const restartedAt = Date.now();
    expect((await cloud.ops.listEnrollments()).items.map((e) => [e.deviceId, e.state])).toEqual([['dev-e1', 'accepted'], ['dev-e2', 'refused']]);
    // dev-e1 logs in again with the credentials it was given, and reports
    await until('dev-e1 reporting again', async () => ((await cloud!.ops.getDevice('dev-e1')).lastSeenMs ?? 0) > restartedAt || undefined);
    expect(cloud.denials.filter((d) => d.clientId === 'dev-e1')).toEqual([]);
  }, 40_000);
});
