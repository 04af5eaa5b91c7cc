// FleetCloud with real agents over its embedded aedes and a SQLite store: enrollment waits for an operator (accept,
// refuse), a retired device is cut off and can neither log in nor enroll again under its id, bundles are verified as
// a device would before they become releases, and every operator change is audited.

import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, type RunningAgent } from '../../../agent/daemon.ts';
import { decodeSign1 } from '../../../agent/update/cose.ts';
import { decodeDesiredState } from '../../../schemas/messages/desired-state.ts';
import { topicFor } from '../../../schemas/topics.ts';
import type { FleetCloud } from '../../../cloud/service/cloud.ts';
import { OpsError } from '../../../cloud/service/ops.ts';
import { until } from '../../agent/agent-kit.ts';
import { fleetKeys, release, type FleetKeys } from '../../agent/e2e-kit.ts';
import { actor, removeDir, signManifest, tempDir } from '../../trust/fixtures.ts';
import { FleetCloud as Cloud } from '../../../cloud/service/cloud.ts';
import { bundleOf, cloudConfig, devicePlan, digestOf, freePort, hex, startCloud } from './kit.ts';

let keys: FleetKeys;
let dir: string;
let cloud: FleetCloud;
const agents: RunningAgent[] = [];
const aborts: AbortController[] = [];

async function opsError(p: Promise<unknown>): Promise<OpsError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(OpsError);
  return e as OpsError;
}

beforeAll(async () => {
  keys = fleetKeys();
  dir = await tempDir('fleetlet-cloud-');
  cloud = await startCloud(keys, dir);
});

afterAll(async () => {
  for (const a of aborts) a.abort();
  await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
  await cloud?.close();
  await removeDir(dir);
});

describe('FleetCloud enrollment', () => {
  it('a request waits pending until an operator accepts it; the device then gets credentials, logs in and runs what it is given', async () => {
    const abort = new AbortController();
    aborts.push(abort);
    let enrolled = false;
    const starting = startAgentProcess(await devicePlan(keys, dir, cloud.url, 'dev-a'), () => {}, abort.signal).then((a) => {
      enrolled = true;
      agents.push(a);
      return a;
    });
    const pending = await until('dev-a pending', async () => (await cloud.ops.listEnrollments({ state: 'pending' })).items.find((e) => e.deviceId === 'dev-a'));
    expect(pending).toMatchObject({ deviceId: 'dev-a', deviceClass: 'sim', state: 'pending' });
    expect(pending.publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect((await cloud.ops.overview()).pending).toBe(1);
    expect(enrolled).toBe(false);
    await expect(cloud.ops.getDevice('dev-a')).rejects.toMatchObject({ code: 'not-found' });

    const accepted = await cloud.ops.acceptDevice('dev-a', 'alice');
    expect(accepted.state).toBe('accepted');
    await starting;
    expect((await opsError(cloud.ops.acceptDevice('dev-a', 'alice'))).code).toBe('conflict');

    const v1 = release(keys, 'meter', '1.0.0', 1, 'good');
    const r = await cloud.ops.uploadBundle(bundleOf(v1), 'alice');
    await cloud.desired.setApp('dev-a', 'meter', { manifestDigest: r.manifestDigest, version: r.version });
    const running = await until('dev-a runs meter 1.0.0', async () => {
      const d = await cloud.ops.getDevice('dev-a');
      return d.modules.some((m) => m.name === 'meter' && m.version === '1.0.0' && m.state === 'running') ? d : undefined;
    });
    expect(running).toMatchObject({ deviceId: 'dev-a', deviceClass: 'sim', enrollment: 'accepted', retired: false, online: true });
    expect(running.desired).toEqual({ sequence: 1, modules: [{ name: 'meter', version: '1.0.0', manifestDigest: digestOf(v1) }] });
    expect(JSON.stringify(running)).not.toMatch(/password/i);
    const audit = (await cloud.ops.listAudit()).items.map((e) => [e.actor, e.action, e.subject]);
    expect(audit).toContainEqual(['alice', 'accept-device', 'dev-a']);
    expect(audit).toContainEqual(['alice', 'upload-release', r.manifestDigest]);
  }, 30_000);

  it('the operator sees the device\'s telemetry and events, and sets its tags', async () => {
    const points = await until('telemetry of dev-a', async () => {
      const p = await cloud.ops.telemetry({ deviceId: 'dev-a', limit: 5 });
      return p.items.length > 0 ? p : undefined;
    });
    expect(points.items[0]).toMatchObject({ deviceId: 'dev-a' });
    await until('an event of dev-a', async () => (await cloud.ops.events({ deviceId: 'dev-a' })).items.length > 0 || undefined);
    expect(await cloud.ops.logs('dev-a', 'no-such-module')).toEqual([]);
    expect((await opsError(cloud.ops.telemetry({ deviceId: 'dev-nobody' }))).code).toBe('not-found');
    expect(await opsError(cloud.ops.telemetry({ deviceId: 'dev-a', limit: 0 }))).toMatchObject({ code: 'bad-request', field: 'limit' });
    expect(await opsError(cloud.ops.events({ cursor: 'nonsense' }))).toMatchObject({ code: 'bad-request', field: 'cursor' });
    const tagged = await cloud.ops.setTags('dev-a', ['site=lab', 'canary'], 'alice');
    expect(tagged.tags).toEqual(['canary', 'site=lab']);
    expect((await cloud.ops.listDevices({ tag: 'site=lab' })).items.map((d) => d.deviceId)).toEqual(['dev-a']);
    expect(await opsError(cloud.ops.setTags('dev-a', ['bad tag'], 'alice'))).toMatchObject({ code: 'bad-request', field: 'tags' });
    expect(await opsError(cloud.ops.setTags('dev-a', ['ring=1', 'ring=2'], 'alice'))).toMatchObject({ code: 'bad-request', field: 'tags' });
    expect((await opsError(cloud.ops.setTags('dev-nobody', [], 'alice'))).code).toBe('not-found');
    expect((await cloud.ops.listAudit({ actor: 'alice', limit: 1 })).items[0]).toMatchObject({ action: 'set-tags', subject: 'dev-a', detail: { tags: ['site=lab', 'canary'] } });
  });

  it('createRollout checks its request field by field; a rollout created unstarted waits for its start command', async () => {
    const r = (await cloud.ops.listReleases({ name: 'meter' })).items[0]!;
    const base = { release: r.manifestDigest, target: { kind: 'list', deviceIds: ['dev-a'] }, waves: { kind: 'fixed', sizes: [1] } } as const;
    expect(await opsError(cloud.ops.createRollout({ ...base, release: 'v1' }, 'alice'))).toMatchObject({ code: 'bad-request', field: 'release' });
    expect(await opsError(cloud.ops.createRollout({ ...base, release: 'f'.repeat(64) }, 'alice'))).toMatchObject({ code: 'not-found', field: 'release' });
    expect(await opsError(cloud.ops.createRollout({ ...base, target: { kind: 'list', deviceIds: ['dev-ghost'] } }, 'alice'))).toMatchObject({ code: 'bad-request', field: 'target' });
    expect(await opsError(cloud.ops.createRollout({ ...base, target: { kind: 'selector', match: { site: 'mars' } } }, 'alice'))).toMatchObject({ code: 'bad-request', field: 'target' });
    expect(await opsError(cloud.ops.createRollout({ ...base, waves: { kind: 'fixed', sizes: [0] } }, 'alice'))).toMatchObject({ code: 'bad-request', field: 'waves' });
    expect(await opsError(cloud.ops.createRollout({ ...base, target: undefined } as never, 'alice'))).toMatchObject({ code: 'bad-request', field: 'target' });
    expect(await opsError(cloud.ops.createRollout({ ...base, waves: { kind: 'linear' } } as never, 'alice'))).toMatchObject({ code: 'bad-request', field: 'waves' });
    expect(await opsError(cloud.ops.createRollout({ ...base, autoRollback: true }, 'alice'))).toMatchObject({ code: 'bad-request', field: 'autoRollback' });
    expect(await opsError(cloud.ops.createRollout({ ...base, id: 'no spaces' }, 'alice'))).toMatchObject({ code: 'bad-request', field: 'id' });
    const created = await cloud.ops.createRollout({ ...base, id: 'ro-x', target: { kind: 'selector', match: { site: 'lab' } }, start: false }, 'alice');
    expect(created).toMatchObject({ id: 'ro-x', state: 'created', wave: -1, createdBy: 'alice', counts: { waiting: 1 } });
    expect(await opsError(cloud.ops.createRollout({ ...base, id: 'ro-x' }, 'alice'))).toMatchObject({ code: 'conflict', field: 'id' });
    expect(await opsError(cloud.ops.commandRollout('ro-x', 'pause', 'alice'))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/Cannot pause a rollout that is created/) });
    expect(await opsError(cloud.ops.commandRollout('ro-x', 'roll-back', 'alice'))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/rollbackRelease/) });
    expect((await cloud.ops.commandRollout('ro-x', 'abort', 'alice')).state).toBe('aborted');
    expect(await opsError(cloud.ops.commandRollout('ro-x', 'roll-back', 'alice'))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/aborted and no longer driven; create a new rollout/) });
    expect((await cloud.ops.listRollouts({ state: 'aborted' })).items.map((x) => x.id)).toEqual(['ro-x']);
    expect((await opsError(cloud.ops.getRollout('ro-nope'))).code).toBe('not-found');
    expect((await cloud.ops.listAudit({ actor: 'alice', limit: 2 })).items.map((e) => e.action)).toEqual(['abort-rollout', 'create-rollout']);
  });

  it('a refused device is told so with the operator\'s note, and the refusal stays', async () => {
    const abort = new AbortController();
    aborts.push(abort);
    const starting = startAgentProcess(await devicePlan(keys, dir, cloud.url, 'dev-b'), () => {}, abort.signal).then(
      (a) => { agents.push(a); return undefined; },
      (e: unknown) => e,
    );
    await until('dev-b pending', async () => (await cloud.ops.listEnrollments({ state: 'pending' })).items.find((e) => e.deviceId === 'dev-b'));
    const refused = await cloud.ops.refuseDevice('dev-b', 'bob', 'not one of ours');
    expect(refused).toMatchObject({ state: 'refused', note: 'not one of ours' });
    expect(await starting).toMatchObject({ code: 'refused', refusal: 'refused' });
    expect((await opsError(cloud.ops.acceptDevice('dev-b', 'bob'))).code).toBe('conflict');
    expect((await opsError(cloud.ops.refuseDevice('dev-nobody', 'bob'))).code).toBe('not-found');
    expect((await cloud.ops.listAudit({ actor: 'bob' })).items.map((e) => e.action)).toEqual(['refuse-device']);
  }, 20_000);

  it('a retired device is disconnected, its desired state cleared, its login refused, and its id cannot enroll again', async () => {
    const seen: Uint8Array[] = [];
    await cloud.bus.subscribe(topicFor('desiredState', 'dev-a'), (p) => seen.push(Uint8Array.from(p)));
    await until('the retained state of dev-a', () => seen.length > 0 || undefined);
    const detail = await cloud.ops.retireDevice('dev-a', 'alice');
    expect(detail).toMatchObject({ retired: true, enrollment: 'retired' });
    expect(detail.desired).toBeUndefined();
    await until('the cleared state', () => seen.at(-1)?.length === 0 || undefined);
    // the agent is cut off and its password no longer works
    await until('dev-a refused at login', () => cloud.denials.some((d) => d.kind === 'connect' && d.clientId === 'dev-a' && d.reason === 'bad-password') || undefined);
    // another key pair under the same id may not even ask
    const err = await mqtt.connectAsync(cloud.url, { clientId: 'dev-a', reconnectPeriod: 0, connectTimeout: 5_000 }).then(async (c) => { await c.endAsync(); return undefined; }, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(cloud.denials).toContainEqual({ kind: 'connect', clientId: 'dev-a', reason: 'already-enrolled' });
    const list = await cloud.ops.listDevices();
    expect(list.items.map((d) => d.deviceId)).not.toContain('dev-a');
    expect((await cloud.ops.listDevices({ includeRetired: true })).items.map((d) => d.deviceId)).toContain('dev-a');
    expect((await cloud.ops.overview()).retired).toBe(1);
    expect((await opsError(cloud.ops.retireDevice('dev-nobody', 'alice'))).code).toBe('not-found');
  }, 20_000);
});

describe('FleetCloud bundles', () => {
  it('uploadBundle stores a bundle a device would accept, once, with its metadata and bytes', async () => {
    const v2 = release(keys, 'meter', '2.0.0', 2, 'good');
    const r = await cloud.ops.uploadBundle(bundleOf(v2), 'carol');
    expect(r).toMatchObject({ manifestDigest: digestOf(v2), moduleDigest: hex(v2.manifest.digest), name: 'meter', version: '2.0.0', sequence: 2, sizeBytes: v2.module.length });
    expect(await cloud.ops.uploadBundle(bundleOf(v2), 'carol')).toEqual(r);
    expect(await cloud.blobs.get(r.manifestDigest)).toEqual(v2.signedManifest);
    expect(await cloud.blobs.get(r.moduleDigest)).toEqual(v2.module);
    expect((await cloud.ops.listReleases({ name: 'meter' })).items.map((x) => x.version)).toEqual(['2.0.0', '1.0.0']);
  });

  it('uploadBundle refuses a bundle with one bit flipped in its signature, naming the signature', async () => {
    const v3 = release(keys, 'meter', '3.0.0', 3, 'good');
    const bytes = bundleOf(v3);
    const at = 9 + v3.signedManifest.length - 1; // the signature's last byte
    bytes[at] ^= 0x01;
    const e = await opsError(cloud.ops.uploadBundle(bytes, 'carol'));
    expect(e.code).toBe('bad-request');
    expect(e.message).toMatch(/signature/);
    expect((await cloud.ops.listReleases({ name: 'meter' })).items.map((x) => x.version)).not.toContain('3.0.0');
  });

  it('uploadBundle refuses changed module bytes, a signer the fleet does not trust and bytes that are no bundle', async () => {
    const v3 = release(keys, 'meter', '3.0.0', 3, 'good');
    const bytes = bundleOf(v3);
    bytes[bytes.length - 1] ^= 0x01;
    expect(await opsError(cloud.ops.uploadBundle(bytes, 'carol'))).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/digest/) });
    const stranger = actor('module-9', 'module-signer');
    const forged = { ...v3, signedManifest: signManifest(v3.manifest, stranger) };
    expect(await opsError(cloud.ops.uploadBundle(bundleOf(forged), 'carol'))).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/module-9/) });
    expect(await opsError(cloud.ops.uploadBundle(new TextEncoder().encode('hello'), 'carol'))).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/FLTB/) });
  });
});

describe('FleetCloud desired states', () => {
  it('setting one app keeps the device\'s other apps and their settings, under a rising sequence', async () => {
    const a1 = await cloud.ops.uploadBundle(bundleOf(release(keys, 'alpha', '1.0.0', 1, 'good')), 't');
    const a2 = await cloud.ops.uploadBundle(bundleOf(release(keys, 'alpha', '1.1.0', 2, 'good')), 't');
    const b1 = await cloud.ops.uploadBundle(bundleOf(release(keys, 'beta', '1.0.0', 1, 'good')), 't');
    await cloud.desired.setApp('dev-x', 'alpha', { manifestDigest: a1.manifestDigest, version: '1.0.0', settings: { SETPOINT: '21' } });
    await cloud.desired.setApp('dev-x', 'beta', { manifestDigest: b1.manifestDigest, version: '1.0.0', settings: { MODE: 'eco' } });
    const last = await cloud.desired.setApp('dev-x', 'alpha', { manifestDigest: a2.manifestDigest, version: '1.1.0' });
    expect(last.state.sequence).toBe(3);
    const decoded = decodeDesiredState(decodeSign1(last.signed).payload);
    expect(decoded.modules.map((m) => [m.name, hex(m.manifestDigest), m.settings])).toEqual([
      ['alpha', a2.manifestDigest, { SETPOINT: '21' }],
      ['beta', b1.manifestDigest, { MODE: 'eco' }],
    ]);
    const row = await cloud.store.getDesiredState('dev-x');
    expect(row?.sequence).toBe(3);
    expect(row?.signed).toEqual(last.signed);
  });
});

describe('FleetCloud start', () => {
  it('refuses a trust update that does not verify (bad-trust) and a busy broker port (broker), leaving nothing open', async () => {
    const other = join(dir, 'other');
    await expect(Cloud.start(cloudConfig(keys, other, { trust: new Uint8Array([1, 2, 3]) }))).rejects.toMatchObject({ code: 'bad-trust', message: expect.stringMatching(/trust update/) });
    const busy = Number(new URL(cloud.url).port);
    await expect(Cloud.start(cloudConfig(keys, other, { broker: { embedded: { port: busy } } }))).rejects.toMatchObject({ code: 'broker', message: expect.stringMatching(/EADDRINUSE/) });
    // the store it opened was closed: the next start on the same folder works
    const port = await freePort();
    const again = await Cloud.start(cloudConfig(keys, other, { broker: { embedded: { port } } }));
    expect(again.url).toBe(`mqtt://127.0.0.1:${port}`);
    await again.close();
  });
});
