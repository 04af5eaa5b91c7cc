// loadConfig: defaults, relative paths, and errors that name the file and every wrong field.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../update/ed25519.ts';
import { ConfigError, DEFAULT_DATA_DIR, loadConfig, parseConfig, type AgentConfig } from './index.ts';

const ROOTS = [generateKeyPair(), generateKeyPair(), generateKeyPair()].map((k) => Buffer.from(k.publicKey).toString('hex'));
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlet-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const minimal = (): Record<string, unknown> => ({
  device: { id: 'dev-001' },
  broker: { url: 'mqtt://127.0.0.1:1883' },
  enrollment: { roots: ROOTS },
});

async function write(name: string, value: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills every default around the three required sections', async () => {
    const c = await loadConfig(await write('min.json', minimal()));
    expect(c).toEqual<AgentConfig>({
      dataDir: DEFAULT_DATA_DIR,
      device: { id: 'dev-001', class: 'sim' },
      broker: { url: 'mqtt://127.0.0.1:1883', protocolVersion: 4, keepaliveS: 30 },
      enrollment: { roots: ROOTS, threshold: 3 },
      hardware: { kind: 'sim' },
      probation: { windowS: 60, maxTraps: 0, maxExhaustions: 2 },
      reporting: { statusIntervalS: 60, telemetryIntervalS: 10 },
      outbox: { maxEvents: 1000, maxBytes: 1024 * 1024 },
      log: { level: 'info' },
    });
  });

  it('reads every field, resolving relative paths against the file\'s folder', async () => {
    const file = await write('full.json', {
      dataDir: 'data',
      device: { id: 'pi-7', class: 'rpi4' },
      broker: { url: 'mqtts://broker.example:8883', username: 'u', password: 'p', tls: { ca: 'ca.pem', cert: '/etc/c.pem', key: 'k.pem' }, protocolVersion: 5, keepaliveS: 15 },
      enrollment: { token: 'tok', roots: ROOTS, threshold: 2 },
      hardware: { kind: 'linux', wiring: 'wiring.json' },
      probation: { windowS: 30, maxTraps: 1, maxExhaustions: 3, tickStallS: 9 },
      reporting: { statusIntervalS: 5, telemetryIntervalS: 2 },
      outbox: { maxEvents: 10, maxBytes: 4096 },
      log: { level: 'debug' },
    });
    const c = await loadConfig(file);
    expect(c.dataDir).toBe(join(dir, 'data'));
    expect(c.broker).toEqual({ url: 'mqtts://broker.example:8883', username: 'u', password: 'p', tls: { ca: join(dir, 'ca.pem'), cert: '/etc/c.pem', key: join(dir, 'k.pem') }, protocolVersion: 5, keepaliveS: 15 });
    expect(c.enrollment).toEqual({ token: 'tok', roots: ROOTS, threshold: 2 });
    expect(c.hardware).toEqual({ kind: 'linux', wiring: join(dir, 'wiring.json') });
    expect(c.probation).toEqual({ windowS: 30, maxTraps: 1, maxExhaustions: 3, tickStallS: 9 });
    expect(c.log.level).toBe('debug');
  });

  it('reads the example config shipped beside the code', async () => {
    const c = await loadConfig(new URL('./example.json', import.meta.url).pathname);
    expect(c.device).toEqual({ id: 'greenhouse-01', class: 'rpi4' });
    expect(c.enrollment.threshold).toBe(2);
    expect(c.hardware).toEqual({ kind: 'linux', wiring: '/etc/fleetlet/wiring.json' });
  });

  it('names the file when it cannot be read or is not JSON', async () => {
    const missing = join(dir, 'nope.json');
    await expect(loadConfig(missing)).rejects.toMatchObject({ code: 'unreadable', file: missing });
    await expect(loadConfig(missing)).rejects.toThrow(`Cannot read config "${missing}"`);
    const broken = await write('broken.json', '{"device": ');
    await expect(loadConfig(broken)).rejects.toMatchObject({ code: 'not-json', file: broken });
    await expect(loadConfig(broken)).rejects.toThrow(/is not JSON/);
  });

  it('refuses unknown keys at every level, naming each (typos must not pass)', async () => {
    const file = await write('typos.json', { ...minimal(), brokr: {}, broker: { url: 'mqtt://h', keepalive: 10 }, log: { lvl: 'debug' } });
    const e = await loadConfig(file).then(() => undefined, (x: unknown) => x as ConfigError);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e?.code).toBe('invalid');
    expect(e?.issues.map((i) => i.field)).toEqual(['brokr', 'broker.keepalive', 'log.lvl']);
    expect(e?.message).toContain(`Cannot use config "${file}"`);
    expect(e?.message).toContain('broker.keepalive: unknown field (allowed here: url, username, password, tls, protocolVersion, keepaliveS)');
  });

  it.each<[string, (c: Record<string, unknown>) => void, string, RegExp]>([
    ['a missing device section', (c) => delete c['device'], 'device', /is required/],
    ['a missing device id', (c) => (c['device'] = {}), 'device.id', /is required/],
    ['a device id with a slash', (c) => (c['device'] = { id: 'a/b' }), 'device.id', /expected a device id/],
    ['an upper-case device class', (c) => (c['device'] = { id: 'd', class: 'RPi' }), 'device.class', /expected a device class/],
    ['a missing broker', (c) => delete c['broker'], 'broker', /is required/],
    ['an http broker url', (c) => (c['broker'] = { url: 'http://h' }), 'broker.url', /mqtt:\/\//],
    ['protocol version 3', (c) => (c['broker'] = { url: 'mqtt://h', protocolVersion: 3 }), 'broker.protocolVersion', /one of 4, 5, found 3/],
    ['a fractional keepalive', (c) => (c['broker'] = { url: 'mqtt://h', keepaliveS: 1.5 }), 'broker.keepaliveS', /whole number from 1 to 65535/],
    ['a password without username', (c) => (c['broker'] = { url: 'mqtt://h', password: 'p' }), 'broker.password', /without broker.username/],
    ['a client cert without key', (c) => (c['broker'] = { url: 'mqtt://h', tls: { cert: 'c.pem' } }), 'broker.tls.key', /together/],
    ['a tls path that is a number', (c) => (c['broker'] = { url: 'mqtt://h', tls: { ca: 7 } }), 'broker.tls.ca', /non-empty string/],
    ['no enrollment section', (c) => delete c['enrollment'], 'enrollment', /bootstrap root keys/],
    ['no roots', (c) => (c['enrollment'] = { roots: [] }), 'enrollment.roots', /at least one/],
    ['a root that is not hex', (c) => (c['enrollment'] = { roots: [ROOTS[0], 'zz'] }), 'enrollment.roots[1]', /64 hex digits/],
    ['a small-order root key', (c) => (c['enrollment'] = { roots: ['01'.padEnd(64, '0')] }), 'enrollment.roots[0]', /small-order/],
    ['a repeated root', (c) => (c['enrollment'] = { roots: [ROOTS[0], ROOTS[0]] }), 'enrollment.roots[1]', /repeats/],
    ['a threshold above the roots', (c) => (c['enrollment'] = { roots: ROOTS, threshold: 4 }), 'enrollment.threshold', /from 1 to 3, found 4/],
    ['an unknown hardware kind', (c) => (c['hardware'] = { kind: 'gpio' }), 'hardware.kind', /"sim", "linux"/],
    ['linux hardware without wiring', (c) => (c['hardware'] = { kind: 'linux' }), 'hardware.wiring', /is required/],
    ['a scenario on linux hardware', (c) => (c['hardware'] = { kind: 'linux', wiring: 'w', scenario: 's' }), 'hardware.scenario', /belongs to kind "sim"/],
    ['a negative maxTraps', (c) => (c['probation'] = { maxTraps: -1 }), 'probation.maxTraps', /whole number/],
    ['a zero status interval', (c) => (c['reporting'] = { statusIntervalS: 0 }), 'reporting.statusIntervalS', /from 1/],
    ['a string outbox size', (c) => (c['outbox'] = { maxBytes: '1MB' }), 'outbox.maxBytes', /found "1MB"/],
    ['an unknown log level', (c) => (c['log'] = { level: 'trace' }), 'log.level', /"debug", "info", "warn", "error"/],
    ['a section that is a list', (c) => (c['outbox'] = []), 'outbox', /expected an object, found a list/],
    ['a grant that is not a capability', (c) => (c['policy'] = { grants: ['gpio:17:out', 'gpio:*:out'] }), 'policy.grants[1]', /is not a capability/],
    ['a policy without grants', (c) => (c['policy'] = {}), 'policy.grants', /required/],
  ])('refuses %s, naming the field', (_what, change, field, pattern) => {
    const c = minimal();
    change(c);
    const e = configError(() => parseConfig(c, '/etc/fleetlet/agent.json'));
    expect(e.issues.map((i) => i.field)).toContain(field);
    const issue = e.issues.find((i) => i.field === field);
    expect(issue?.message).toMatch(pattern);
    expect(e.message).toContain('"/etc/fleetlet/agent.json"');
    expect(e.message).toContain(`${field}: `);
  });

  it('lists every wrong field in one error', () => {
    const e = configError(() => parseConfig({ device: { id: 'x' }, broker: { url: 'mqtt://h', keepaliveS: 0 }, enrollment: { roots: ['00'] }, log: { level: 'loud' } }, 'a.json'));
    expect(e.issues.map((i) => i.field)).toEqual(['broker.keepaliveS', 'enrollment.roots[0]', 'log.level']);
  });

  it('refuses a document that is not an object', () => {
    const e = configError(() => parseConfig([1, 2], 'a.json'));
    expect(e.issues[0]).toEqual({ field: '', message: 'expected an object, found a list' });
  });
});
