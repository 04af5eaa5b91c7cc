// FleetCloud's embedded broker over TLS: a self-signed certificate made by openssl for 127.0.0.1; a real agent that
// pins it as its CA enrolls and logs in over mqtts, and a client that does not trust it is turned away by the handshake.

import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, type RunningAgent } from '../../../agent/daemon.ts';
import type { FleetCloud } from '../../../cloud/service/cloud.ts';
import { fleetKeys, type FleetKeys } from '../../agent/e2e-kit.ts';
import { removeDir, tempDir } from '../../trust/fixtures.ts';
import { devicePlan, startCloud } from './kit.ts';

let keys: FleetKeys;
let dir: string;
let cert: string;
let cloud: FleetCloud;
let agent: RunningAgent | undefined;

beforeAll(async () => {
  keys = fleetKeys();
  dir = await tempDir('fleetlet-cloud-tls-');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  cert = await readFile(certFile, 'utf8');
  cloud = await startCloud(keys, dir, { broker: { embedded: { port: 0, tls: { cert, key: await readFile(keyFile, 'utf8') } } }, enrollment: { autoAccept: true } });
});

afterAll(async () => {
  await agent?.close();
  await cloud?.close();
  await removeDir(dir);
});

describe('FleetCloud embedded broker over TLS', () => {
  it('an agent that pins the certificate enrolls and runs over mqtts; a client that does not trust it is refused', async () => {
    expect(cloud.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    agent = await startAgentProcess(await devicePlan(keys, dir, cloud.url, 'dev-tls', { broker: { url: cloud.url, keepaliveS: 5, tls: { ca: cert } } }), () => {});
    expect(agent.enrollment.credentials?.username).toBe('dev-tls');
    expect((await cloud.ops.getDevice('dev-tls')).enrollment).toBe('accepted');
    const err = await mqtt.connectAsync(cloud.url, { clientId: 'dev-other', reconnectPeriod: 0, connectTimeout: 5_000 }).then(async (c) => { await c.endAsync(); return undefined; }, (e: unknown) => e);
    expect(String(err)).toMatch(/self[- ]signed/i);
  }, 20_000);
});
