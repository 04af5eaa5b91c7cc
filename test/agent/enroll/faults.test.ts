// Enrollment under faults: no cloud listening yet, a link cut while the device waits, and answers that are not for
// this device or cannot be trusted.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import { ENROLLMENT_FILE, EnrollmentError, enroll, loadEnrollment, type EnrollEvent, type EnrollOptions } from '../../../agent/enroll/index.ts';
import { busFromClient } from '../../../agent/session/client-bus.ts';
import { TRUST_FILE } from '../../../agent/update/trust-store.ts';
import { EnrollmentService } from '../../../cloud/enroll/index.ts';
import { decodeEnrollmentRequest, encodeEnrollmentResponse, type EnrollmentResponse } from '../../../schemas/messages/enrollment.ts';
import { startTcpProxy } from '../../support/tcp-proxy.ts';
import { DAY, signTrust, T0, trustUpdate } from '../../trust/fixtures.ts';
import { rejection, startCloud, startDevice, startingTrust, until, type Cloud, type Device } from './kit.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

function options(cloud: Cloud, over: Partial<EnrollOptions> = {}): EnrollOptions {
  return { roots: cloud.roots, threshold: 2, responseTimeoutMs: 50, minRetryMs: 20, maxRetryMs: 200, ...over };
}

async function cloudWith(o: Parameters<typeof startCloud>[0] = {}): Promise<Cloud> {
  const c = await startCloud(o);
  open.push(c);
  return c;
}

async function deviceOn(cloud: Cloud, id = 'dev-001'): Promise<Device> {
  const d = await startDevice(cloud, id);
  open.push(d);
  return d;
}

describe('enroll under faults', () => {
  it('asks again when nobody answers, and finishes once the cloud listens', async () => {
    const cloud = await cloudWith({ autoAccept: true });
    await cloud.service.stop();
    const dev = await deviceOn(cloud);
    const events: EnrollEvent[] = [];
    const result = enroll(dev.bus, dev.identity, dev.trust, options(cloud, { onEvent: (e) => events.push(e) }));
    await until(() => events.filter((e) => e.type === 'no-answer').length >= 2);
    const waits = events.filter((e): e is Extract<EnrollEvent, { type: 'no-answer' }> => e.type === 'no-answer').map((e) => e.waitedMs);
    expect(waits.slice(0, 2)).toEqual([50, 100]);
    const late = await EnrollmentService.start(cloud.bus, { trust: startingTrust(cloud.keys), autoAccept: true });
    open.push({ close: () => late.stop() });
    const r = await result;
    expect(r.fresh).toBe(true);
    expect(await late.enrolled('dev-001')).toBeDefined();
  });

  it('carries on after the link is cut while the device waits for the operator', async () => {
    const cloud = await cloudWith();
    const proxy = await startTcpProxy(cloud.broker.port);
    open.push(proxy);
    // The device's own connection goes through the proxy (one client per id: the broker drops the older one).
    const dev = await deviceOn(cloud, 'dev-001');
    await dev.client.endAsync(true);
    const client = await mqtt.connectAsync(proxy.url, { clientId: 'dev-001', reconnectPeriod: 20 });
    open.push({ close: () => client.endAsync(true) });
    const bus = busFromClient(client);
    const events: EnrollEvent[] = [];
    const result = enroll(bus, dev.identity, dev.trust, options(cloud, { responseTimeoutMs: 2000, onEvent: (e) => events.push(e) }));
    await until(() => events.some((e) => e.type === 'pending'));
    expect(proxy.cut()).toBeGreaterThan(0);
    const sentBefore = events.filter((e) => e.type === 'sent').length;
    await until(() => client.connected && events.filter((e) => e.type === 'sent').length > sentBefore + 1);
    await cloud.service.accept('dev-001');
    const r = await result;
    expect(r.credentials?.username).toBe('dev-001');
  });
});

describe('enroll against a hand-made cloud', () => {
  /** Answers every request on the cloud's connection with what `answer` makes of it. */
  async function handMade(cloud: Cloud, answer: (requestId: string, deviceId: string, boxKey: Uint8Array) => EnrollmentResponse[]): Promise<void> {
    await cloud.service.stop();
    await cloud.bus.subscribe('fleetlet/v1/dev/+/enroll/req', (payload) => {
      const req = decodeEnrollmentRequest(payload);
      for (const r of answer(req.requestId, req.deviceId, req.boxKey)) {
        void cloud.bus.publish(`fleetlet/v1/dev/${req.deviceId}/enroll/res`, encodeEnrollmentResponse(r), { qos: 1 });
      }
    });
  }

  it('ignores answers to other requests and garbage, then refuses credentials sealed to another key and persists nothing', async () => {
    const cloud = await cloudWith();
    const trust = startingTrust(cloud.keys);
    await handMade(cloud, (requestId, deviceId) => {
      const stranger = nacl.box.keyPair();
      const nonce = nacl.randomBytes(24);
      const sealed = nacl.box(new TextEncoder().encode('{"password":"p"}'), nonce, stranger.publicKey, nacl.box.keyPair().secretKey);
      return [
        { v: 1, requestId: 'enr-someone-else', deviceId, result: { status: 'refused', code: 'not-you' } },
        { v: 1, requestId, deviceId, result: { status: 'accepted', trust, credentials: { username: deviceId, nonce, cloudBoxKey: nacl.box.keyPair().publicKey, sealed } } },
      ];
    });
    await cloud.client.publishAsync('fleetlet/v1/dev/dev-001/enroll/res', Buffer.from([0xa0]), { qos: 1 });
    const dev = await deviceOn(cloud);
    const events: EnrollEvent[] = [];
    const e = await rejection(enroll(dev.bus, dev.identity, dev.trust, options(cloud, { responseTimeoutMs: 2000, onEvent: (x) => events.push(x) })));
    expect(e).toBeInstanceOf(EnrollmentError);
    expect((e as EnrollmentError).code).toBe('bad-credentials');
    expect(events).toContainEqual({ type: 'ignored', reason: 'other-request' });
    expect(dev.trust.trust).toBeUndefined();
    await expect(stat(join(dev.dataDir, TRUST_FILE))).rejects.toThrow();
    await expect(stat(join(dev.identity.dir, ENROLLMENT_FILE))).rejects.toThrow();
    expect(await loadEnrollment(dev.identity.dir)).toBeUndefined();
  });

  it('enrolls without credentials when the cloud issues none (a broker with its own logins)', async () => {
    const cloud = await cloudWith({ autoAccept: true, issueCredentials: false });
    const dev = await deviceOn(cloud);
    const r = await enroll(dev.bus, dev.identity, dev.trust, options(cloud));
    expect(r.credentials).toBeUndefined();
    expect(await loadEnrollment(dev.identity.dir)).toEqual({ ...r, fresh: false });
  });

  it('refuses a trust update the trust store rejects even when the pinned roots signed it', async () => {
    const cloud = await cloudWith();
    // Signed by the pinned roots, but expired a day before the device's clock (T0).
    const bad = signTrust(trustUpdate(cloud.keys.all, { issuedAt: T0 - 3 * DAY, expiresAt: T0 - DAY }), cloud.keys.roots);
    await handMade(cloud, (requestId, deviceId) => [{ v: 1, requestId, deviceId, result: { status: 'accepted', trust: bad } }]);
    const dev = await deviceOn(cloud);
    const e = await rejection(enroll(dev.bus, dev.identity, dev.trust, options(cloud, { responseTimeoutMs: 2000 })));
    expect((e as EnrollmentError).code).toBe('trust-rejected');
    expect((e as EnrollmentError).message).toMatch(/expired/);
    expect(await loadEnrollment(dev.identity.dir)).toBeUndefined();
  });
});
