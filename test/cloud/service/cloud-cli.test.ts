// `fleetlet cloud`: the config file is parsed strictly (every bad key named by its path, relative paths against the
// file's folder), and the real command runs the cloud with its HTTP API, logs JSON lines, and stops cleanly with exit
// status 0 on SIGTERM and on SIGINT, keeping its data for the next run.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BUILD_DIR, buildAgent } from '../../../agent/build/build.ts';
import { secretKeyJson } from '../../../agent/cli/key-file.ts';
import { cloudSettings } from '../../../cloud/cli/cloud.ts';
import { CloudConfigError, defaultCloudConfig, parseCloudConfig } from '../../../cloud/cli/cloud-config.ts';
import { until } from '../../agent/agent-kit.ts';
import { fleetKeys, type FleetKeys } from '../../agent/e2e-kit.ts';
import { removeDir, tempDir } from '../../trust/fixtures.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
const BIN = join(REPO, 'agent', 'cli', 'fleetlet.mjs');

function issuesOf(value: unknown): { field: string; message: string }[] {
  try {
    parseCloudConfig(value, '/etc/fleetlet/cloud.json');
  } catch (e) {
    expect(e).toBeInstanceOf(CloudConfigError);
    return [...(e as CloudConfigError).issues];
  }
  throw new Error('the config was accepted');
}

describe('the cloud config file', () => {
  it('resolves relative paths against the file\'s folder and fills in the defaults', () => {
    const c = parseCloudConfig({ dataDir: 'data', trust: './fleet.trust', stateKey: '/keys/state.key', broker: { embedded: { port: 0, tls: { cert: 'tls/c.pem', key: 'tls/k.pem' } } }, http: { port: 9090 } }, '/etc/fleetlet/cloud.json');
    expect(c).toEqual({
      dataDir: '/etc/fleetlet/data',
      trust: '/etc/fleetlet/fleet.trust',
      stateKey: '/keys/state.key',
      store: { kind: 'sqlite' },
      broker: { embedded: { host: '127.0.0.1', port: 0, tls: { cert: '/etc/fleetlet/tls/c.pem', key: '/etc/fleetlet/tls/k.pem' } } },
      enrollment: { autoAccept: false, retryAfterS: 10 },
      http: { host: '127.0.0.1', port: 9090, readsNeedToken: false },
      log: { level: 'info' },
    });
    const pg = parseCloudConfig({ dataDir: '/d', trust: '/t', stateKey: '/k', store: { kind: 'postgres', url: 'postgres://u@db/fleet', schema: 'fleet' }, broker: { url: 'mqtts://broker:8883', protocolVersion: 5, shared: true, ca: 'ca.pem' } }, '/etc/fleetlet/cloud.json');
    expect(pg.store).toEqual({ kind: 'postgres', url: 'postgres://u@db/fleet', schema: 'fleet' });
    expect(pg.broker).toEqual({ url: 'mqtts://broker:8883', protocolVersion: 5, shared: true, ca: '/etc/fleetlet/ca.pem' });
    expect(defaultCloudConfig('d', 't', 'k').broker).toEqual({ embedded: { host: '127.0.0.1', port: 1883 } });
  });

  it('names every unknown key and wrong type by its path, all in one error', () => {
    const issues = issuesOf({
      dataDir: 5,
      trust: '/t',
      stateKey: '/k',
      colour: 'blue',
      broker: { embedded: { port: 70000, tsl: {} } },
      http: { operators: [{ name: 'alice', token: 'short' }, { name: 'bob', token: 'x'.repeat(20), role: 'admin' }] },
      store: { kind: 'mysql' },
      enrollment: { autoAccept: 'yes' },
      log: { level: 'loud' },
    });
    expect(issues.map((i) => i.field)).toEqual([
      'colour',
      'dataDir',
      'store.kind',
      'broker.embedded.tsl',
      'broker.embedded.port',
      'enrollment.autoAccept',
      'http.operators[0].token',
      'http.operators[1].role',
      'log.level',
    ]);
    expect(issues.find((i) => i.field === 'colour')?.message).toMatch(/unknown key \(allowed here: dataDir, trust/);
    expect(issues.find((i) => i.field === 'broker.embedded.port')?.message).toBe('expected a whole number from 0 to 65535, found 70000');
    expect(issuesOf({ trust: '/t', stateKey: '/k' })).toEqual([{ field: 'dataDir', message: 'is required' }]);
    expect(issuesOf({ dataDir: '/d', trust: '/t', stateKey: '/k', broker: { url: 'mqtt://b', shared: true } })).toEqual([{ field: 'broker.shared', message: 'needs broker.protocolVersion 5 (shared subscriptions are MQTT 5)' }]);
    expect(issuesOf({ dataDir: '/d', trust: '/t', stateKey: '/k', broker: { embedded: {}, url: 'mqtt://b' } }).map((i) => i.field)).toEqual(['broker.url']);
    expect(issuesOf([]).map((i) => i.field)).toEqual(['(file)', 'dataDir', 'trust', 'stateKey']);
  });
});

describe('fleetlet cloud --data', () => {
  it('runs with the defaults (SQLite in the folder, embedded broker on 1883, HTTP on 8080) and needs --trust and --state-key', async () => {
    expect(await cloudSettings({ data: 'fleet', trust: 'fleet.trust', stateKey: 'state.key' })).toEqual(defaultCloudConfig('fleet', 'fleet.trust', 'state.key'));
    expect(defaultCloudConfig('fleet', 't', 'k')).toMatchObject({ dataDir: join(process.cwd(), 'fleet'), store: { kind: 'sqlite' }, broker: { embedded: { host: '127.0.0.1', port: 1883 } }, http: { host: '127.0.0.1', port: 8080 } });
    await expect(cloudSettings({ data: 'fleet', trust: 'fleet.trust' })).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--state-key/) });
    await expect(cloudSettings({ config: 'c.json', data: 'fleet' })).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/Cannot combine --config/) });
    await expect(cloudSettings({ config: '/no/such/cloud.json' })).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/ENOENT/) });
  });
});

let keys: FleetKeys;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  keys = fleetKeys();
  dir = await tempDir('fleetlet-cloud-cli-');
  await writeFile(join(dir, 'fleet.trust'), keys.trust);
  const s = keys.stateSigner;
  await writeFile(join(dir, 'state.key'), secretKeyJson({ id: s.id, role: 'state-signer', publicKey: s.kp.publicKey, seed: s.kp.seed }), { mode: 0o600 });
  const m = keys.moduleSigner;
  await writeFile(join(dir, 'module.key'), secretKeyJson({ id: m.id, role: 'module-signer', publicKey: m.kp.publicKey, seed: m.kp.seed }), { mode: 0o600 });
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

afterAll(async () => {
  await removeDir(dir);
});

function fleetlet(args: readonly string[]): { child: ChildProcess; out: string[]; err: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const out: string[] = [];
  const err: string[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(...d.toString().split('\n').filter((l) => l !== '')));
  child.stderr!.on('data', (d: Buffer) => err.push(...d.toString().split('\n').filter((l) => l !== '')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, err, exited };
}

const config = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  dataDir: 'cloud-data',
  trust: 'fleet.trust',
  stateKey: 'state.key',
  broker: { embedded: { port: 0 } },
  http: { port: 0 },
  ...over,
});

describe('fleetlet cloud', () => {
  it('refuses a config file with a bad key, naming its path (exit 2)', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify(config({ broker: { embedded: { prot: 1 } } })));
    const run = fleetlet(['cloud', '--config', file]);
    expect(await run.exited).toBe(2);
    expect(run.err.join('\n')).toMatch(/broker\.embedded\.prot: unknown key/);
  }, 20_000);

  it('refuses a key file of another role (exit 1)', async () => {
    const file = join(dir, 'wrong-key.json');
    await writeFile(file, JSON.stringify(config({ stateKey: 'module.key' })));
    const run = fleetlet(['cloud', '--config', file]);
    expect(await run.exited).toBe(1);
    expect(run.err.join('\n')).toMatch(/module-signer key, not a state-signer key/);
  }, 20_000);

  it('is left out of the device bundle: there it says to run from a checkout (exit 1), touching nothing', async () => {
    const bundle = join(AGENT_BUILD_DIR, `cloud-cli-test-${process.pid}.mjs`);
    try {
      await buildAgent(bundle);
      expect(await readFile(bundle, 'utf8')).not.toContain('CREATE TABLE desired_states');
      const child = spawn(process.execPath, [bundle, 'cloud', '--data', join(dir, 'never'), '--trust', 'x', '--state-key', 'y'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(1);
      expect(err).toMatch(/Cannot run the cloud from the device build of fleetlet/);
      await expect(stat(join(dir, 'never'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(bundle, { force: true });
    }
  }, 30_000);

  it('runs the cloud and its HTTP API, logs JSON lines, and exits 0 on SIGTERM and on SIGINT keeping its data', async () => {
    const file = join(dir, 'cloud.json');
    await writeFile(file, JSON.stringify(config()));
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const run = fleetlet(['cloud', '--config', file]);
      const running = await until('the cloud running', () => run.out.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'cloud running'), 20_000)
        .catch((e: unknown) => { throw new Error(`${(e as Error).message}: ${run.err.join('\n')}`); });
      expect(running).toMatchObject({ level: 'info', broker: expect.stringMatching(/^mqtt:\/\/127\.0\.0\.1:\d+$/), http: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), store: 'sqlite' });
      const res = await fetch(`${running['http'] as string}/api/overview`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ devices: 0, pending: 0, activeRollouts: 0 });
      run.child.kill(signal);
      expect(await run.exited).toBe(0);
      expect(run.out.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(expect.arrayContaining(['stopping', 'stopped cleanly']));
    }
    expect((await stat(join(dir, 'cloud-data', 'fleet.db'))).isFile()).toBe(true);
    expect((await stat(join(dir, 'cloud-data', 'operator-token'))).mode & 0o777).toBe(0o600);
  }, 45_000);
});
