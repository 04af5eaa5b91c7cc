// The HTTP API and the operator CLI end to end through the real FleetCloud (SQLite store, embedded aedes) with three
// real agents: the operator accepts their enrollment requests, tags them and uploads a signed bundle with `fleetlet`,
// then `fleetlet rollout create --watch` rolls it out in two waves and exits 0 when the rollout completes; the
// devices then report the version through the API, and the audit log names the operator.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAgentProcess, type RunningAgent } from '../../../agent/daemon.ts';
import { main } from '../../../agent/cli/main.ts';
import type { CloudCliIo } from '../../../cloud/cli/index.ts';
import { startHttpApi, type HttpApi } from '../../../cloud/http/index.ts';
import type { FleetCloud } from '../../../cloud/service/cloud.ts';
import { until } from '../../agent/agent-kit.ts';
import { fleetKeys, release, type FleetKeys } from '../../agent/e2e-kit.ts';
import { removeDir, tempDir } from '../../trust/fixtures.ts';
import { bundleOf, devicePlan, startCloud } from '../service/kit.ts';
import { send } from './client.ts';

const DEVICES = ['dev-h1', 'dev-h2', 'dev-h3'];
const TOKEN = 'e2e-operator-token-000001';
const WAIT = 20_000;
let keys: FleetKeys;
let dir: string;
let cloud: FleetCloud;
let api: HttpApi;
const agents: Promise<RunningAgent>[] = [];
const abort = new AbortController();

async function fleetlet(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CloudCliIo = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, env: { FLEETLET_CLOUD: api.url, FLEETLET_TOKEN: TOKEN } };
  return { code: await main(args, io), out, err };
}

beforeAll(async () => {
  keys = fleetKeys();
  dir = await tempDir('fleetlet-http-e2e-');
  cloud = await startCloud(keys, dir, { enrollment: { retryAfterMs: 200 } });
  api = await startHttpApi(cloud.ops, { operators: [{ name: 'olga', token: TOKEN }], log: () => {} });
  for (const id of DEVICES) agents.push(devicePlan(keys, dir, cloud.url, id, { probation: { windowMs: 300, pollMs: 20, healthEveryMs: 50 }, statusIntervalMs: 200 }).then((p) => startAgentProcess(p, () => {}, abort.signal)));
  for (const a of agents) a.catch(() => undefined);
}, 30_000);

afterAll(async () => {
  abort.abort();
  await Promise.all(agents.map(async (a) => (await a.catch(() => undefined))?.close().catch(() => undefined)));
  await api?.close();
  await cloud?.close();
  await removeDir(dir);
});

it('an operator enrolls three devices and rolls a release out to them with the fleetlet CLI over the HTTP API', async () => {
  // Enrollment: pending requests listed, accepted by the operator.
  await until('three pending requests', async () => ((await fleetlet('devices', 'pending', '--json')).out.join('').match(/"state": "pending"/g)?.length === 3) || undefined, WAIT);
  for (const id of DEVICES) expect(await fleetlet('devices', 'accept', id)).toMatchObject({ code: 0, out: [`accepted ${id} (sim)`] });
  await Promise.all(agents);
  await until('three devices online', async () => {
    const r = await fleetlet('devices', '--json');
    return JSON.parse(r.out.join('\n')).items.filter((d: { online: boolean }) => d.online).length === 3 || undefined;
  }, WAIT);
  for (const id of DEVICES) expect((await fleetlet('devices', 'tag', id, 'ring=field')).code).toBe(0);

  // A release: the bundle as `fleetlet sign` writes it.
  const file = join(dir, 'meter-1.0.0.bundle');
  await writeFile(file, bundleOf(release(keys, 'meter', '1.0.0', 1, 'good')));
  const up = await fleetlet('release', 'upload', file);
  expect(up.code, up.err.join('\n')).toBe(0);
  expect(up.out[0]).toMatch(/^meter 1\.0\.0 \(sequence 1, /);
  const digest = up.out[1]!.replace('digest ', '');
  expect(digest).toMatch(/^[0-9a-f]{64}$/);
  const bad = await fleetlet('rollout', 'create', '--release', digest, '--tag', 'ring=field', '--percent', '50,90');
  expect(bad.err).toEqual(['fleetlet: Invalid waves.cumulative: the last percentage is 90, need 100 (field: waves.cumulative[1])']);

  // The rollout in waves of 1 and 2, watched to completion.
  const policy = ['--success', '100', '--error-percent', '50', '--min-finished', '1', '--wave-timeout', '20', '--interval', '100'];
  const r = await fleetlet('rollout', 'create', '--id', 'ro-1', '--release', digest, '--tag', 'ring=field', '--waves', '1,2', ...policy, '--watch');
  expect(r.code, [...r.out, ...r.err].join('\n')).toBe(0);
  expect(r.out[0]).toBe('rollout ro-1: meter 1.0.0 to 3 devices in 2 waves (1, 2); running');
  expect(r.out).toContain('wave 1/2 [############] 1/1 good, 0 failed');
  expect(r.out.at(-1)).toBe('wave 2/2 [############] 2/2 good, 0 failed (completed)');

  // What the API says afterwards.
  const view = await send(api.url, 'GET', '/api/rollouts/ro-1');
  expect(view.json).toMatchObject({ id: 'ro-1', state: 'completed', createdBy: 'olga', counts: { good: 3, failed: 0 } });
  await until('every device reports meter 1.0.0', async () => {
    const r = await send(api.url, 'GET', '/api/overview');
    return r.json.versions.meter?.['1.0.0'] === 3 || undefined;
  }, WAIT);
  const audit = await send(api.url, 'GET', '/api/audit?actor=olga&limit=1000', { token: TOKEN });
  const actions = audit.json.items.map((e: { action: string }) => e.action);
  expect(actions.filter((a: string) => a === 'accept-device')).toHaveLength(3);
  expect(actions).toEqual(expect.arrayContaining(['upload-release', 'create-rollout']));
}, 60_000);
