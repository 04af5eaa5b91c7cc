// The broker rules on Debian's mosquitto, from the files cloud/broker/mosquitto.ts writes: a device reaches only its
// own subtree, a client without credentials only its own enrollment topics, wrong passwords are refused. Absence is
// proven with a sentinel: the same client publishes an allowed message after the refused one, and MQTT keeps one
// client's order, so when the sentinel arrives the refused message would already have.

import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoAclFile, mosquittoAuthConfig, mosquittoPasswordFile, mosquittoPasswordLine } from '../../../cloud/broker/mosquitto.ts';
import { topicFor } from '../../../schemas/topics.ts';
import { startMosquitto, type RunningBroker } from '../../support/brokers.ts';

const CLOUD = { username: 'fleetlet-cloud', password: 'cloud-secret' };
const A = { username: 'dev-a', password: 'pw-a' };
const B = { username: 'dev-b', password: 'pw-b' };

let dir = '';
let broker: RunningBroker;
let cloud: MqttClient;
const seen: string[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlet-acl-'));
  const pw = join(dir, 'passwords');
  const acl = join(dir, 'acl');
  await writeFile(pw, mosquittoPasswordFile([CLOUD, A, B]));
  await writeFile(acl, mosquittoAclFile(CLOUD.username));
  // mosquitto drops root to the "mosquitto" user: the files and their folder must be readable to it
  await chmod(dir, 0o755);
  await chmod(pw, 0o644);
  await chmod(acl, 0o644);
  broker = await startMosquitto(mosquittoAuthConfig(pw, acl));
  cloud = await mqtt.connectAsync(broker.url, { clientId: 'cloud', ...CLOUD, protocolVersion: 5 });
  cloud.on('message', (t) => seen.push(t));
  await cloud.subscribeAsync('fleetlet/v1/#', { qos: 1 });
});
afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
  await cloud?.endAsync(true).catch(() => undefined);
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

async function login(clientId: string, creds?: { username: string; password: string }, protocolVersion: 4 | 5 = 4): Promise<MqttClient> {
  const c = await mqtt.connectAsync(broker.url, { clientId, ...(creds ?? {}), protocolVersion, reconnectPeriod: 0 });
  clients.push(c);
  return c;
}

/** Publishes `topic`, then an allowed sentinel, and says whether the cloud saw `topic` by the time the sentinel came. */
async function reached(c: MqttClient, topic: string, sentinel: string): Promise<boolean> {
  const before = seen.length;
  await c.publishAsync(topic, 'x', { qos: 1 }).catch(() => undefined);
  await c.publishAsync(sentinel, 's', { qos: 1 });
  const end = Date.now() + 5000;
  while (!seen.slice(before).includes(sentinel)) {
    if (Date.now() > end) throw new Error(`the sentinel ${sentinel} never arrived`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return seen.slice(before).includes(topic);
}

describe('mosquitto with fleetlet\'s password and ACL files', () => {
  it('writes password lines exactly as mosquitto_passwd does', async () => {
    const file = join(dir, 'check');
    const r = spawnSync('mosquitto_passwd', ['-c', '-b', file, 'dev-x', 's3cret']);
    expect(r.status).toBe(0);
    const theirs = (await readFile(file, 'utf8')).trim();
    const salt = Buffer.from(theirs.split('$')[3]!, 'base64');
    expect(mosquittoPasswordLine('dev-x', 's3cret', { salt })).toBe(theirs);
    expect(() => mosquittoPasswordLine('a:b', 'x')).toThrow(RangeError);
  });

  it('lets a device publish its own reports and nothing into another device\'s subtree', async () => {
    const a = await login('dev-a', A);
    const sentinel = topicFor('events', 'dev-a');
    expect(await reached(a, topicFor('status', 'dev-a'), sentinel)).toBe(true);
    expect(await reached(a, topicFor('status', 'dev-b'), sentinel)).toBe(false);
    expect(await reached(a, topicFor('desiredState', 'dev-a'), sentinel)).toBe(false); // its own state is the cloud's to write
    expect(await reached(a, 'fleetlet/v1/other', sentinel)).toBe(false);
  });

  it('delivers a device its own desired state and never another device\'s, whatever it subscribes to', async () => {
    const a = await login('dev-a2', A);
    const [own] = await a.subscribeAsync(topicFor('desiredState', 'dev-a'), { qos: 1 });
    // mosquitto grants these (it checks read access per message): what matters is that nothing of dev-b arrives
    await a.subscribeAsync(topicFor('desiredState', 'dev-b'), { qos: 1 });
    await a.subscribeAsync('fleetlet/v1/dev/+/state', { qos: 1 });
    expect(own!.qos).toBe(1);
    const got: string[] = [];
    a.on('message', (t) => got.push(t));
    await cloud.publishAsync(topicFor('desiredState', 'dev-b'), 'b', { qos: 1 });
    await cloud.publishAsync(topicFor('desiredState', 'dev-a'), 'a', { qos: 1 });
    const end = Date.now() + 5000;
    // dev-b's state was published first: had it been delivered, it would have come before dev-a's
    while (!got.includes(topicFor('desiredState', 'dev-a')) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((t) => t === topicFor('desiredState', 'dev-a'))).toBe(true);
  });

  it('judges by the login, not the client id: dev-a under client id dev-b still cannot write dev-b\'s topics', async () => {
    const a = await login('dev-b', A);
    expect(await reached(a, topicFor('status', 'dev-b'), topicFor('events', 'dev-a'))).toBe(false);
  });

  it('refuses a wrong password', async () => {
    await expect(login('dev-a', { username: 'dev-a', password: 'nope' })).rejects.toThrow(/Not authorized|Bad user name or password|Connection refused/i);
  });

  it('lets a client without credentials only ask to enroll under its own client id', async () => {
    const c = await login('dev-new');
    const sentinel = topicFor('enrollRequest', 'dev-new');
    expect(await reached(c, topicFor('status', 'dev-new'), sentinel)).toBe(false);
    expect(await reached(c, topicFor('enrollRequest', 'dev-a'), sentinel)).toBe(false);
    await c.subscribeAsync([topicFor('enrollResponse', 'dev-new'), topicFor('enrollResponse', 'dev-a'), topicFor('desiredState', 'dev-new')], { qos: 1 });
    const got: string[] = [];
    c.on('message', (t) => got.push(t));
    await cloud.publishAsync(topicFor('enrollResponse', 'dev-a'), 'a', { qos: 1 });
    await cloud.publishAsync(topicFor('desiredState', 'dev-new'), 's', { qos: 1 });
    await cloud.publishAsync(topicFor('enrollResponse', 'dev-new'), 'n', { qos: 1 });
    const end = Date.now() + 5000;
    while (!got.includes(topicFor('enrollResponse', 'dev-new')) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([topicFor('enrollResponse', 'dev-new')]);
  });
});
