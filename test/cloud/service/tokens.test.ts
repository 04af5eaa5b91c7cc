// One-time enrollment tokens in FleetCloud: a device carrying a configured token is accepted without an operator, and
// the token stays used after the cloud restarts with the same configuration (the store keeps its hash), so a second
// device carrying it is refused with "bad-token".

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, type RunningAgent } from '../../../agent/daemon.ts';
import type { FleetCloud } from '../../../cloud/service/cloud.ts';
import { fleetKeys, type FleetKeys } from '../../agent/e2e-kit.ts';
import { removeDir, tempDir } from '../../trust/fixtures.ts';
import { devicePlan, freePort, startCloud } from './kit.ts';

const TOKEN = 'tok-once-0123456789';
let keys: FleetKeys;
let dir: string;
let port: number;
let cloud: FleetCloud | undefined;
const agents: RunningAgent[] = [];

const start = (): Promise<FleetCloud> => startCloud(keys, dir, { broker: { embedded: { port } }, enrollment: { tokens: [TOKEN], retryAfterMs: 1_000 } });

beforeAll(async () => {
  keys = fleetKeys();
  dir = await tempDir('fleetlet-cloud-tokens-');
  port = await freePort();
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
  await cloud?.close();
  await removeDir(dir);
});

describe('FleetCloud enrollment tokens', () => {
  it('a token enrolls one device at once, and stays used after a restart', async () => {
    cloud = await start();
    const first = await startAgentProcess(await devicePlan(keys, dir, cloud.url, 'dev-t1', { enrollment: { roots: keys.roots.map((r) => Buffer.from(r.kp.publicKey).toString('hex')), threshold: 2, token: TOKEN } }), () => {});
    agents.push(first);
    expect((await cloud.ops.getDevice('dev-t1')).enrollment).toBe('accepted');
    await cloud.close();

    cloud = await start();
    const abort = new AbortController();
    const second = await startAgentProcess(await devicePlan(keys, dir, cloud.url, 'dev-t2', { enrollment: { roots: keys.roots.map((r) => Buffer.from(r.kp.publicKey).toString('hex')), threshold: 2, token: TOKEN } }), () => {}, abort.signal).then(
      (a) => { agents.push(a); return undefined; },
      (e: unknown) => e,
    );
    abort.abort();
    expect(second).toMatchObject({ code: 'refused', refusal: 'bad-token' });
    expect((await cloud.ops.listEnrollments()).items.map((e) => [e.deviceId, e.state])).toEqual([['dev-t1', 'accepted']]);
  }, 30_000);
});
