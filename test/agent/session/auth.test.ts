// How a device proves itself to the broker: username/password (aedes), and TLS with the fleet's CA and a client
// certificate (mosquitto, mqtts://, certificates made here by openssl). A refused device keeps retrying with backoff
// and says why through onError; bad options are refused at open.

import { execFileSync } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicFor } from '../../../schemas/index.ts';
import { Session, SessionError, type SessionTls } from '../../../agent/session/index.ts';
import { startAedes, startMosquitto, type EmbeddedBroker, type RunningBroker } from '../../support/brokers.ts';
import { fastOptions, tempDir, uniqueDeviceId, waitFor } from './_kit.ts';

describe('Session options', () => {
  it('open refuses a URL that is not mqtt: or mqtts:, and a device id that is not one', async () => {
    const tmp = await tempDir();
    await expect(Session.open(fastOptions('http://127.0.0.1:1', 'dev-1', tmp.dir))).rejects.toMatchObject({ code: 'bad-options' });
    await expect(Session.open(fastOptions('not a url', 'dev-1', tmp.dir))).rejects.toMatchObject({ code: 'bad-options' });
    await expect(Session.open(fastOptions('mqtt://127.0.0.1:1', 'dev/+', tmp.dir))).rejects.toMatchObject({ code: 'bad-options' });
    await expect(Session.open(fastOptions('mqtt://127.0.0.1:1', 'dev-1', tmp.dir, { backoff: { initialMs: 10, maxMs: 1, factor: 2 } }))).rejects.toBeInstanceOf(SessionError);
    await tmp.remove();
  });

  it('a TLS key that does not parse is a failed attempt, reported and retried with backoff, never a crash', async () => {
    const tmp = await tempDir();
    const errors: SessionError[] = [];
    const delays: number[] = [];
    const s = await Session.open(
      fastOptions('mqtts://127.0.0.1:1', 'dev-1', tmp.dir, { tls: { key: 'not a key', cert: 'not a cert' }, onError: (e) => errors.push(e), onBackoff: (d) => delays.push(d) }),
    );
    await waitFor(() => delays.length >= 2, 'two retries');
    expect(errors[0]).toMatchObject({ code: 'connect-failed', detail: 'mqtts://127.0.0.1:1' });
    expect(s.stats.connects).toBe(0);
    await s.close();
    await tmp.remove();
  });
});

describe('Session username and password (aedes)', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startAedes({
      authenticate: (client, username, password, done) => {
        const ok = username === client.id && password?.toString() === `secret-of-${client.id}`;
        done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), ok);
      },
    });
  });
  afterAll(async () => broker?.close());

  it('connects with its credentials; with wrong ones reports connect-failed and keeps retrying with backoff', async () => {
    const tmp = await tempDir();
    const id = uniqueDeviceId();
    const good = await Session.open(fastOptions(broker.url, id, join(tmp.dir, 'a'), { username: id, password: `secret-of-${id}` }));
    await good.whenConnected();
    await good.close();
    const errors: SessionError[] = [];
    const delays: number[] = [];
    const bad = await Session.open(
      fastOptions(broker.url, id, join(tmp.dir, 'b'), { username: id, password: 'guess', onError: (e) => errors.push(e), onBackoff: (d) => delays.push(d) }),
    );
    await waitFor(() => delays.length >= 3, 'three refused attempts');
    expect(bad.connected).toBe(false);
    expect(bad.stats.connects).toBe(0);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors.every((e) => e.code === 'connect-failed' && e.detail === broker.url)).toBe(true);
    await bad.close();
    await tmp.remove();
  });
});

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate for `deviceId`, all signed by that CA. */
async function makePki(dir: string, deviceId: string): Promise<{ ca: string; cert: string; key: string; otherCa: string }> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, 'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=fleetlet-test-ca');
  openssl(dir, 'req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.crt', '-days', '1', '-subj', '/CN=someone-else-ca');
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const [name, cn, ext] of [['server', '127.0.0.1', ['-extfile', 'server.ext']], ['client', deviceId, []]] as const) {
    openssl(dir, 'req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...ext);
  }
  // mosquitto started as root drops to its own user, which must read the server's files (test keys only)
  await chmod(dir, 0o755);
  for (const f of ['ca.crt', 'server.crt', 'server.key']) await chmod(join(dir, f), 0o644);
  const read = (f: string): Promise<string> => readFile(join(dir, f), 'utf8');
  return { ca: await read('ca.crt'), cert: await read('client.crt'), key: await read('client.key'), otherCa: await read('other.crt') };
}

describe('Session over TLS with a client certificate (mosquitto, mqtts://)', () => {
  let broker: RunningBroker;
  let pki: Awaited<ReturnType<typeof makePki>>;
  let pkiDir: { dir: string; remove(): Promise<void> };
  const deviceId = uniqueDeviceId();
  beforeAll(async () => {
    pkiDir = await tempDir();
    pki = await makePki(pkiDir.dir, deviceId);
    const f = (n: string): string => join(pkiDir.dir, n);
    broker = await startMosquitto([`cafile ${f('ca.crt')}`, `certfile ${f('server.crt')}`, `keyfile ${f('server.key')}`, 'require_certificate true', 'use_identity_as_username true']);
  });
  afterAll(async () => {
    await broker?.close();
    await pkiDir?.remove();
  });

  const open = async (dir: string, tls: SessionTls, errors: SessionError[] = []): Promise<Session> =>
    Session.open(fastOptions(`mqtts://127.0.0.1:${broker.port}`, deviceId, dir, { tls, protocolVersion: 5, onError: (e) => errors.push(e) }));

  it('connects with the fleet CA and its client certificate, and publishes its presence', async () => {
    const tmp = await tempDir();
    const s = await open(tmp.dir, { ca: pki.ca, cert: pki.cert, key: pki.key });
    await s.whenConnected();
    const received: Uint8Array[] = [];
    await s.subscribe(topicFor('presence', deviceId), (p) => received.push(p));
    await waitFor(() => received.length > 0, 'its own retained presence over TLS');
    await s.close();
    await tmp.remove();
  });

  it('refuses a broker whose certificate the fleet CA did not sign, and a broker refuses a device without a certificate', async () => {
    const tmp = await tempDir();
    const wrongCa: SessionError[] = [];
    const a = await open(join(tmp.dir, 'a'), { ca: pki.otherCa, cert: pki.cert, key: pki.key }, wrongCa);
    const noCert: SessionError[] = [];
    const b = await open(join(tmp.dir, 'b'), { ca: pki.ca }, noCert);
    await waitFor(() => wrongCa.length >= 2 && b.stats.attempts >= 2, 'refused attempts');
    expect(a.stats.connects + b.stats.connects).toBe(0);
    expect(wrongCa[0]!.code).toBe('connect-failed');
    await a.close();
    await b.close();
    await tmp.remove();
  });
});
