// Rollouts outlive the cloud process: four real agents on v1, a rollout of v2 to the devices tagged ring=field in
// waves of 1 and 3 is created and started, and the cloud is closed at once (wave 1 issued, nothing finished; aedes
// loses its retained messages). A new FleetCloud on the same data directory and port republishes the signed states,
// resumes the rollout and carries it to completion. Then an unhealthy v3 halts in wave 1 and rolls back by itself to
// the re-signed v2 the operator gave.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, type RunningAgent } from '../../../agent/daemon.ts';
import type { FleetCloud } from '../../../cloud/service/cloud.ts';
import { parseRecord } from '../../../cloud/rollout/record.ts';
import type { RolloutView } from '../../../cloud/service/ops.ts';
import { until } from '../../agent/agent-kit.ts';
import { fleetKeys, release, type FleetKeys } from '../../agent/e2e-kit.ts';
import { removeDir, signTrust, tempDir, trustUpdate } from '../../trust/fixtures.ts';
import { bundleOf, devicePlan, freePort, startCloud } from './kit.ts';

const DEVICES = ['dev-r1', 'dev-r2', 'dev-r3', 'dev-r4'];
const WAIT = 15_000;
let keys: FleetKeys;
let dir: string;
let port: number;
let cloud: FleetCloud;
let agents: RunningAgent[] = [];

const start = (): Promise<FleetCloud> => startCloud(keys, dir, { broker: { embedded: { port } }, enrollment: { autoAccept: true } });

async function runs(c: FleetCloud, id: string, version: string): Promise<boolean> {
  const d = await c.ops.getDevice(id).catch(() => undefined);
  return d?.modules.some((m) => m.name === 'meter' && m.version === version && m.state === 'running' && m.health === 'ok') ?? false;
}

async function settled(c: FleetCloud, id: string, state: RolloutView['state']): Promise<RolloutView> {
  return until(`rollout ${id} ${state}`, async () => {
    const r = await c.ops.getRollout(id);
    return r.state === state ? r : undefined;
  }, WAIT).catch(async (e: unknown) => {
    const r = await c.ops.getRollout(id);
    throw new Error(`${(e as Error).message}: it is ${r.state}, ${JSON.stringify(r.counts)}; ${r.decisions.map((d) => d.reason).join('; ')}`);
  });
}

beforeAll(async () => {
  keys = fleetKeys();
  dir = await tempDir('fleetlet-cloud-restart-');
  port = await freePort();
  cloud = await start();
  agents = await Promise.all(DEVICES.map(async (id) => startAgentProcess(await devicePlan(keys, dir, cloud.url, id), () => {})));
  const v1 = await cloud.ops.uploadBundle(bundleOf(release(keys, 'meter', '1.0.0', 1, 'good')), 'ops');
  for (const id of DEVICES) {
    await cloud.ops.setTags(id, ['ring=field', 'site=lab'], 'ops');
    await cloud.desired.setApp(id, 'meter', { manifestDigest: v1.manifestDigest, version: v1.version });
  }
  await until('every device runs v1', async () => (await Promise.all(DEVICES.map((id) => runs(cloud, id, '1.0.0')))).every(Boolean) || undefined, WAIT);
}, 30_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
  await cloud?.close();
  await removeDir(dir);
});

describe('FleetCloud restart', () => {
  it('a rollout closed mid-wave resumes after a restart on the same data directory and completes', async () => {
    const v2 = await cloud.ops.uploadBundle(bundleOf(release(keys, 'meter', '2.0.0', 2, 'good')), 'ops');
    const created = await cloud.ops.createRollout({
      id: 'ro-v2',
      release: v2.manifestDigest,
      target: { kind: 'selector', match: { ring: 'field' } },
      waves: { kind: 'fixed', sizes: [1, 3] },
      policy: { successPercent: 100, errorPercent: 50, minFinished: 1, waveTimeoutMs: WAIT },
    }, 'alice');
    expect(created).toMatchObject({ id: 'ro-v2', app: 'meter', state: 'running', wave: 0, createdBy: 'alice' });
    expect(created.previous).toMatchObject({ version: '1.0.0', sequence: 1 });
    expect(created.waves.map((w) => w.size)).toEqual([1, 3]);
    await cloud.close();

    // what the closed cloud left: wave 1 issued, nothing finished
    const { SqliteStore } = await import('../../../cloud/store/sqlite.ts');
    const peek = await SqliteStore.open({ path: `${dir}/cloud/fleet.db` });
    const stored = parseRecord(JSON.stringify((await peek.getRollout('ro-v2'))!.spec));
    await peek.close();
    expect(stored.state).toBe('running');
    expect(stored.devices.filter((d) => d.phase === 'good')).toHaveLength(0);

    cloud = await start();
    const done = await settled(cloud, 'ro-v2', 'completed');
    expect(done.counts).toMatchObject({ good: 4, failed: 0, waiting: 0 });
    expect(done.decisions.map((d) => d.code)).toContain('completed');
    await until('every device reports v2 running', async () => (await Promise.all(DEVICES.map((id) => runs(cloud, id, '2.0.0')))).every(Boolean) || undefined, WAIT);
    expect((await cloud.ops.overview()).versions['meter']).toEqual({ '2.0.0': 4 });
    expect((await cloud.ops.listAudit({ actor: 'alice' })).items.map((e) => e.action)).toEqual(['start-rollout', 'create-rollout']);
  }, 40_000);

  it('an unhealthy v3 halts in wave 1 and rolls back by itself to the re-signed v2 the operator gave', async () => {
    const v3 = await cloud.ops.uploadBundle(bundleOf(release(keys, 'meter', '3.0.0', 3, 'unhealthy')), 'ops');
    const v2b = await cloud.ops.uploadBundle(bundleOf(release(keys, 'meter', '2.0.0', 4, 'good')), 'ops');
    const created = await cloud.ops.createRollout({
      id: 'ro-v3',
      release: v3.manifestDigest,
      target: { kind: 'list', deviceIds: DEVICES },
      waves: { kind: 'fixed', sizes: [1, 3] },
      policy: { successPercent: 100, errorPercent: 50, minFinished: 1, waveTimeoutMs: WAIT },
      rollbackRelease: v2b.manifestDigest,
      autoRollback: true,
    }, 'alice');
    // the previous release is the one the devices run (v2, sequence 2), not its re-signed copy uploaded since
    expect(created.previous).toMatchObject({ version: '2.0.0', sequence: 2 });
    const back = await settled(cloud, 'ro-v3', 'rolled-back');
    expect(back.halt?.code).toBe('failures');
    expect(back.decisions.map((d) => d.code)).toEqual(expect.arrayContaining(['halted', 'rollback-started', 'rolled-back']));
    expect(back.waves[1]!.counts.waiting).toBe(3);
    const first = (await cloud.ops.getDevice(DEVICES[0]!)).desired;
    expect(first?.modules).toEqual([{ name: 'meter', version: '2.0.0', manifestDigest: v2b.manifestDigest }]);
    expect((await cloud.ops.listAudit({ actor: 'cloud' })).items.map((e) => e.action)).toContain('roll-back-rollout');
    // a command the engine refuses in this state is a conflict with its reason
    await expect(cloud.ops.commandRollout('ro-v3', 'pause', 'alice')).rejects.toMatchObject({ code: 'conflict' });
  }, 40_000);

  it('publishTrust checks a new trust update, publishes it to every device (which take it) and refuses an older one', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const next = signTrust(trustUpdate([...keys.roots, keys.moduleSigner, keys.stateSigner], { sequence: 2, issuedAt: nowS - 60, expiresAt: nowS + 86_400 * 365 }), keys.roots.slice(0, 2));
    expect(await cloud.publishTrust(next)).toBe(DEVICES.length);
    for (const id of DEVICES) expect(Buffer.from((await cloud.store.getDesiredState(id))!.trust!).equals(Buffer.from(next))).toBe(true);
    await until('every agent applied trust 2', async () => (await Promise.all(DEVICES.map(async (id) => (await cloud.ops.events({ deviceId: id, kind: 'trust.updated' })).items.length === 1))).every(Boolean) || undefined, WAIT);
    await expect(cloud.publishTrust(keys.trust)).rejects.toMatchObject({ code: 'rollback' });
  }, 20_000);
});
