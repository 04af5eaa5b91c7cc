// Enrollment end to end over aedes: the device's `enroll`, the cloud's EnrollmentService and the broker's auth hooks.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS_FILE, ENROLLMENT_FILE, EnrollmentError, enroll, loadEnrollment, type EnrollEvent, type EnrollOptions } from '../../../agent/enroll/index.ts';
import type { MessageBus } from '../../../agent/session/bus.ts';
import { TRUST_FILE } from '../../../agent/update/trust-store.ts';
import { DeviceIdentityStore } from '../../../agent/identity/index.ts';
import { TrustStore } from '../../../agent/update/trust-store.ts';
import { EnrollmentServiceError } from '../../../cloud/enroll/index.ts';
import { clockAt, removeDir, standardKeys, T0, tempDir } from '../../trust/fixtures.ts';
import { CLOUD, login, rejection, startCloud, startDevice, startingTrust, until, type Cloud, type Device } from './kit.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function cloudWith(options: Parameters<typeof startCloud>[0] = {}): Promise<Cloud> {
  const c = await startCloud(options);
  open.push(c);
  return c;
}

async function deviceOn(cloud: Cloud, id?: string, dataDir?: string): Promise<Device> {
  const d = await startDevice(cloud, id, dataDir);
  open.push(d);
  return d;
}

function options(cloud: Cloud, over: Partial<EnrollOptions> = {}): EnrollOptions {
  return { roots: cloud.roots, threshold: 2, responseTimeoutMs: 2000, minRetryMs: 20, maxRetryMs: 200, ...over };
}

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

/** A bus that fails the test if enrollment touches it. */
const untouchableBus: MessageBus = {
  get connected(): boolean {
    throw new Error('the bus was used');
  },
  publish: () => Promise.reject(new Error('the bus was used')),
  subscribe: () => Promise.reject(new Error('the bus was used')),
  onConnectionChange: () => {
    throw new Error('the bus was used');
  },
};

describe('enroll', () => {
  it('waits while the cloud says pending, and finishes once the operator accepts', async () => {
    const cloud = await cloudWith();
    const dev = await deviceOn(cloud);
    const events: EnrollEvent[] = [];
    const result = enroll(dev.bus, dev.identity, dev.trust, options(cloud, { onEvent: (e) => events.push(e) }));
    await until(() => events.filter((e) => e.type === 'pending').length >= 2);
    expect(cloud.service.pending.map((p) => p.request.deviceId)).toEqual(['dev-001']);
    expect(dev.trust.trust).toBeUndefined();
    await cloud.service.accept('dev-001');
    const r = await result;
    expect(r).toMatchObject({ deviceId: 'dev-001', fresh: true, trustSequence: 1 });
    expect(r.credentials?.username).toBe('dev-001');
    expect(r.credentials?.password.length).toBeGreaterThan(20);
    expect(dev.trust.trust?.update.sequence).toBe(1);
    expect(cloud.service.pending).toEqual([]);
    const enrolled = await cloud.service.enrolled('dev-001');
    expect(enrolled?.publicKey).toEqual(dev.identity.publicKey);
    expect(await mode(join(dev.identity.dir, CREDENTIALS_FILE))).toBe(0o600);
    expect(await mode(join(dev.identity.dir, ENROLLMENT_FILE))).toBe(0o600);
    expect(JSON.parse(await readFile(join(dev.identity.dir, CREDENTIALS_FILE), 'utf8'))).toEqual({ v: 1, ...r.credentials });
    // "pending" carried 60 s; the device clamps it to its maxRetryMs and asks again.
    const pending = events.filter((e): e is Extract<EnrollEvent, { type: 'pending' }> => e.type === 'pending');
    for (const p of pending) expect(p.retryInMs).toBeLessThanOrEqual(200);
    expect(events.filter((e) => e.type === 'sent').length).toBeGreaterThanOrEqual(2);
  });

  it('opens credentials the broker accepts on reconnect, while a wrong password is refused', async () => {
    const cloud = await cloudWith({ autoAccept: true });
    const dev = await deviceOn(cloud);
    const r = await enroll(dev.bus, dev.identity, dev.trust, options(cloud));
    const creds = r.credentials;
    if (creds === undefined) throw new Error('no credentials');
    await dev.client.endAsync(true);

    const bad = await rejection(login(cloud, 'dev-001', 'dev-001', `${creds.password}x`));
    expect(String(bad)).toMatch(/Bad username or password/);
    expect(cloud.denials).toContainEqual({ kind: 'connect', clientId: 'dev-001', reason: 'bad-password' });

    const good = await login(cloud, 'dev-001', creds.username, creds.password);
    open.push({ close: () => good.endAsync(true) });
    const granted = await good.subscribeAsync('fleetlet/v1/dev/dev-001/state', { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    await expect(good.subscribeAsync('fleetlet/v1/dev/dev-002/state', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(cloud.denials).toContainEqual({ kind: 'subscribe', clientId: 'dev-001', filter: 'fleetlet/v1/dev/dev-002/state' });
    await good.publishAsync('fleetlet/v1/dev/dev-001/status', Buffer.from('x'), { qos: 1 });
    expect((await cloud.service.enrolled('dev-001'))?.confirmedAtMs).toBeTypeOf('number');

    // Once the device has logged in, its id can no longer be used without credentials.
    const anon = await rejection(login(cloud, 'dev-001', '', ''));
    expect(String(anon)).toMatch(/Not authorized/);
    // Nor can its credentials be used under another client id.
    const takeover = await rejection(login(cloud, 'dev-002', creds.username, creds.password));
    expect(String(takeover)).toMatch(/Not authorized/);
  });

  it('rejects with the cloud\'s code when the operator refuses the device', async () => {
    const cloud = await cloudWith();
    const dev = await deviceOn(cloud);
    const events: EnrollEvent[] = [];
    const result = rejection(enroll(dev.bus, dev.identity, dev.trust, options(cloud, { onEvent: (e) => events.push(e) })));
    await until(() => events.some((e) => e.type === 'pending'));
    await cloud.service.refuse('dev-001', 'not-in-inventory', 'unknown serial');
    const e = await result;
    expect(e).toBeInstanceOf(EnrollmentError);
    expect((e as EnrollmentError).code).toBe('refused');
    expect((e as EnrollmentError).refusal).toBe('not-in-inventory');
    expect((e as EnrollmentError).message).toContain('unknown serial');
    expect(await loadEnrollment(dev.identity.dir)).toBeUndefined();
    await expect(cloud.service.accept('dev-001')).rejects.toBeInstanceOf(EnrollmentServiceError);
  });

  it('refuses a starting trust update that the pinned roots did not sign, and persists nothing', async () => {
    const foreign = standardKeys();
    const cloud = await cloudWith({ autoAccept: true, keys: standardKeys() });
    cloud.service.setTrust(startingTrust(foreign));
    const dev = await deviceOn(cloud);
    const e = await rejection(enroll(dev.bus, dev.identity, dev.trust, options(cloud)));
    expect(e).toBeInstanceOf(EnrollmentError);
    expect((e as EnrollmentError).code).toBe('untrusted-roots');
    expect((e as EnrollmentError).message).toContain('0 of the pinned bootstrap roots signed it, 2 needed');
    expect(dev.trust.trust).toBeUndefined();
    await expect(stat(join(dev.dataDir, TRUST_FILE))).rejects.toThrow();
    expect(await loadEnrollment(dev.identity.dir)).toBeUndefined();
  });

  it('refuses a trust update signed by fewer pinned roots than the threshold', async () => {
    const cloud = await cloudWith({ autoAccept: true });
    const dev = await deviceOn(cloud);
    const e = await rejection(enroll(dev.bus, dev.identity, dev.trust, options(cloud, { threshold: 3 })));
    expect((e as EnrollmentError).code).toBe('untrusted-roots');
    expect((e as EnrollmentError).message).toContain('2 of the pinned bootstrap roots signed it, 3 needed');
  });

  it('does not enroll again after a restart: the persisted enrollment is loaded without the bus', async () => {
    const cloud = await cloudWith({ autoAccept: true });
    const dir = await tempDir('fleetlet-enroll-');
    open.push({ close: () => removeDir(dir) });
    const dev = await deviceOn(cloud, 'dev-001', dir);
    const first = await enroll(dev.bus, dev.identity, dev.trust, options(cloud));
    const received = cloud.service.stats.received;

    const identity = await DeviceIdentityStore.open(dir, { deviceId: 'dev-001', deviceClass: 'rpi4' });
    const trust = await TrustStore.open(dir, { clock: clockAt(T0) });
    const again = await enroll(untouchableBus, identity, trust, options(cloud));
    expect(again).toEqual({ ...first, fresh: false });
    expect(trust.trust?.update.sequence).toBe(1);
    expect(cloud.service.stats.received).toBe(received);
  });

  it('a device cut short after the answer asks again and gets the same credentials', async () => {
    const cloud = await cloudWith({ autoAccept: true });
    const dir = await tempDir('fleetlet-enroll-');
    open.push({ close: () => removeDir(dir) });
    const dev = await deviceOn(cloud, 'dev-001', dir);
    const first = await enroll(dev.bus, dev.identity, dev.trust, options(cloud));
    // The power went before enrollment.json was written: trust is provisioned, the record is gone.
    const { rm } = await import('node:fs/promises');
    await rm(join(dev.identity.dir, ENROLLMENT_FILE));
    await rm(join(dev.identity.dir, CREDENTIALS_FILE));
    const trust = await TrustStore.open(dir, { clock: clockAt(T0) });
    const again = await enroll(dev.bus, dev.identity, trust, options(cloud));
    expect(again.fresh).toBe(true);
    expect(again.credentials).toEqual(first.credentials);
  });

  it('accepts at once a request with an unused one-time token, and refuses the token\'s reuse', async () => {
    const cloud = await cloudWith({ tokens: ['tok-1'] });
    const a = await deviceOn(cloud, 'dev-001');
    const r = await enroll(a.bus, a.identity, a.trust, options(cloud, { token: 'tok-1' }));
    expect(r.credentials?.username).toBe('dev-001');
    const b = await deviceOn(cloud, 'dev-002');
    const e = await rejection(enroll(b.bus, b.identity, b.trust, options(cloud, { token: 'tok-1' })));
    expect((e as EnrollmentError).refusal).toBe('bad-token');
  });

  it('refuses bad options before sending anything', async () => {
    const cloud = await cloudWith();
    const dev = await deviceOn(cloud);
    const tooMany = await rejection(enroll(dev.bus, dev.identity, dev.trust, options(cloud, { threshold: 4 })));
    expect((tooMany as EnrollmentError).code).toBe('bad-options');
    const notKey = await rejection(enroll(dev.bus, dev.identity, dev.trust, options(cloud, { roots: ['abcd'], threshold: 1 })));
    expect((notKey as EnrollmentError).code).toBe('bad-options');
    expect(cloud.service.stats.received).toBe(0);
  });

  it('stops with "aborted" when the signal fires while pending', async () => {
    const cloud = await cloudWith();
    const dev = await deviceOn(cloud);
    const ac = new AbortController();
    const events: EnrollEvent[] = [];
    const result = rejection(enroll(dev.bus, dev.identity, dev.trust, options(cloud, { signal: ac.signal, onEvent: (e) => events.push(e) })));
    await until(() => events.some((e) => e.type === 'pending'));
    ac.abort();
    expect(((await result) as EnrollmentError).code).toBe('aborted');
  });
});

describe('broker hooks for clients that are not enrolled', () => {
  it('an unenrolled client cannot subscribe to another device\'s topics, only to its own enroll/res', async () => {
    const cloud = await cloudWith();
    const dev = await deviceOn(cloud, 'dev-009');
    for (const filter of ['fleetlet/v1/dev/dev-001/state', 'fleetlet/v1/dev/dev-009/state', 'fleetlet/v1/#', 'fleetlet/v1/dev/+/enroll/res']) {
      await expect(dev.client.subscribeAsync(filter, { qos: 1 }), filter).rejects.toThrow(/Subscribe error/);
    }
    const granted = await dev.client.subscribeAsync('fleetlet/v1/dev/dev-009/enroll/res', { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    expect(cloud.denials.filter((d) => d.kind === 'subscribe').map((d) => (d as { filter: string }).filter)).toEqual([
      'fleetlet/v1/dev/dev-001/state',
      'fleetlet/v1/dev/dev-009/state',
      'fleetlet/v1/#',
      'fleetlet/v1/dev/+/enroll/res',
    ]);
  });

  it('an unenrolled client that publishes outside its enroll/req is cut off and the message goes nowhere', async () => {
    const cloud = await cloudWith();
    const heard: string[] = [];
    await cloud.bus.subscribe('fleetlet/v1/dev/+/status', (_p, t) => heard.push(t));
    const dev = await deviceOn(cloud, 'dev-009');
    let closed = false;
    dev.client.once('close', () => (closed = true));
    dev.client.publish('fleetlet/v1/dev/dev-009/status', Buffer.from('forged'), { qos: 1 });
    // Either outcome ends the wait, so a broken hook fails here instead of hanging.
    await until(() => closed || heard.length > 0);
    expect(heard).toEqual([]);
    expect(closed).toBe(true);
    expect(cloud.denials).toContainEqual({ kind: 'publish', clientId: 'dev-009', topic: 'fleetlet/v1/dev/dev-009/status' });
    // The cloud's own status message arrives, so the subscription works and the forged one never passed.
    await cloud.bus.publish('fleetlet/v1/dev/dev-010/status', Uint8Array.of(1), { qos: 1 });
    await until(() => heard.length > 0);
    expect(heard).toEqual(['fleetlet/v1/dev/dev-010/status']);
  });

  it('an unenrolled client may publish its own enroll/req and nothing for another device', async () => {
    const cloud = await cloudWith();
    const dev = await deviceOn(cloud, 'dev-009');
    let closed = false;
    dev.client.once('close', () => (closed = true));
    dev.client.publish('fleetlet/v1/dev/dev-001/enroll/req', Buffer.from('x'), { qos: 1 });
    await until(() => closed || cloud.service.stats.received > 0);
    expect(cloud.service.stats.received).toBe(0);
    expect(closed).toBe(true);
    expect(cloud.denials).toContainEqual({ kind: 'publish', clientId: 'dev-009', topic: 'fleetlet/v1/dev/dev-001/enroll/req' });
    const ok = await deviceOn(cloud, 'dev-011');
    await ok.client.publishAsync('fleetlet/v1/dev/dev-011/enroll/req', Buffer.from('x'), { qos: 1 });
    await until(() => cloud.service.stats.received === 1);
    expect(cloud.service.stats.malformed).toBe(1);
  });

  it('refuses a client without credentials whose id is not a device id, and a wrong cloud password', async () => {
    const cloud = await cloudWith();
    const { default: mqtt } = await import('mqtt');
    const bad = await rejection(mqtt.connectAsync(cloud.broker.url, { clientId: 'not a device', reconnectPeriod: 0 }));
    expect(String(bad)).toMatch(/Not authorized/);
    const wrong = await rejection(login(cloud, 'cloud-2', CLOUD.username, 'guess'));
    expect(String(wrong)).toMatch(/Bad username or password/);
  });
});

describe('EnrollmentService', () => {
  it('ignores and counts malformed requests, topic/payload mismatches and bad signatures, and keeps answering', async () => {
    const cloud = await cloudWith({ autoAccept: true });
    const send = (topic: string, bytes: Uint8Array): Promise<void> => cloud.bus.publish(topic, bytes, { qos: 1 });
    await send('fleetlet/v1/dev/dev-001/enroll/req', Uint8Array.of(0xff, 0x00));
    await send('fleetlet/v1/dev/dev-001/enroll/req', new TextEncoder().encode('{"v":1}'));
    const { buildEnrollmentRequest } = await import('../../../agent/enroll/index.ts');
    const { encodeEnrollmentRequest } = await import('../../../schemas/messages/enrollment.ts');
    const dir = await tempDir('fleetlet-enroll-');
    open.push({ close: () => removeDir(dir) });
    const identity = await DeviceIdentityStore.open(dir, { deviceId: 'dev-001', deviceClass: 'rpi4' });
    const req = buildEnrollmentRequest(identity, 'enr-x');
    await send('fleetlet/v1/dev/dev-002/enroll/req', encodeEnrollmentRequest(req));
    await send('fleetlet/v1/dev/dev-001/enroll/req', encodeEnrollmentRequest({ ...req, boxKey: new Uint8Array(32).fill(7) }));
    await until(() => cloud.service.stats.received === 4);
    await cloud.service.settled();
    expect(cloud.service.stats).toMatchObject({ received: 4, malformed: 2, mismatched: 1, badSignature: 1, answered: 0 });
    expect(await cloud.service.enrolled('dev-001')).toBeUndefined();
    const dev = await deviceOn(cloud, 'dev-001', dir);
    const r = await enroll(dev.bus, dev.identity, dev.trust, options(cloud));
    expect(r.fresh).toBe(true);
  });

  it('refuses a second key pair under an enrolled device id', async () => {
    const cloud = await cloudWith({ autoAccept: true });
    const first = await deviceOn(cloud, 'dev-001');
    await enroll(first.bus, first.identity, first.trust, options(cloud));
    const impostor = await deviceOn(cloud, 'dev-001');
    const e = await rejection(enroll(impostor.bus, impostor.identity, impostor.trust, options(cloud)));
    expect((e as EnrollmentError).refusal).toBe('already-enrolled');
  });
});
