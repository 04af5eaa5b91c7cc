// The agent's config file (`fleetlet agent --config FILE`, JSON): its type `AgentConfig`, its defaults, and
// `loadConfig`, which refuses unknown keys (a typo must not pass silently) and names the file and the field of every
// problem. Relative paths in the file are relative to the file's own folder.

import { capabilityProblem } from '../../schemas/capabilities.ts';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEVICE_CLASS_PATTERN, DEVICE_ID_PATTERN } from '../../schemas/names.ts';
import { checkPublicKey } from '../update/ed25519.ts';
import { Reader, type ConfigIssue } from './_reader.ts';

export type { ConfigIssue } from './_reader.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface BrokerTlsConfig {
  /** Absolute paths (resolved against the config file's folder). */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface AgentConfig {
  /** Absolute path of the agent's data directory (default /var/lib/fleetlet). */
  readonly dataDir: string;
  readonly device: { readonly id: string; readonly class: string };
  readonly broker: {
    /** mqtt://, mqtts://, ws://, wss:// (tcp:// and ssl:// are mqtt.js aliases, also accepted). */
    readonly url: string;
    /** Set by an operator for a broker with its own logins; else the credentials from enrollment are used. */
    readonly username?: string;
    readonly password?: string;
    readonly tls?: BrokerTlsConfig;
    /** MQTT 3.1.1 (4, default: aedes speaks only it) or 5. */
    readonly protocolVersion: 4 | 5;
    readonly keepaliveS: number;
  };
  readonly enrollment: {
    readonly token?: string;
    /** Bootstrap root public keys (64 hex digits each, lowercase). */
    readonly roots: readonly string[];
    /** How many distinct roots must sign the starting trust (default: all of them). */
    readonly threshold: number;
  };
  readonly hardware: { readonly kind: 'sim'; readonly scenario?: string } | { readonly kind: 'linux'; readonly wiring: string };
  readonly probation: { readonly windowS: number; readonly maxTraps: number; readonly maxExhaustions: number; readonly tickStallS?: number };
  readonly reporting: { readonly statusIntervalS: number; readonly telemetryIntervalS: number };
  readonly outbox: { readonly maxEvents: number; readonly maxBytes: number };
  readonly log: { readonly level: LogLevel };
  /**
   * The device policy: the capabilities this device grants (a module gets what its signed manifest declares AND this
   * covers). Absent: whatever manifests declare is granted (the fleet's module signers are the only gate).
   */
  readonly policy?: { readonly grants: readonly string[] };
}

export const DEFAULT_DATA_DIR = '/var/lib/fleetlet';

/** Stable reasons (tests match on them; never rename one). */
export type ConfigErrorCode = 'unreadable' | 'not-json' | 'invalid';

/** A config file that cannot be used: says which file and, for 'invalid', every field that is wrong. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigErrorCode,
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
    detail?: string,
  ) {
    super(detail ?? `Cannot use config "${file}": ${issues.map((i) => (i.field === '' ? i.message : `${i.field}: ${i.message}`)).join('; ')}`);
  }
}

const URL_SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:'];
const DAY_S = 86_400;

/**
 * Reads and checks the agent's config file.
 * @throws ConfigError 'unreadable' (with the file system's reason), 'not-json', 'invalid' (listing every field)
 */
export async function loadConfig(path: string): Promise<AgentConfig> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError('unreadable', file, [], `Cannot read config "${file}": ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('not-json', file, [], `Cannot use config "${file}": it is not JSON (${(e as Error).message})`);
  }
  return parseConfig(value, file);
}

/**
 * Checks a parsed config; `file` names it in errors and anchors relative paths.
 * @throws ConfigError 'invalid'
 */
export function parseConfig(value: unknown, file: string): AgentConfig {
  const r = new Reader();
  const base = dirname(resolve(file));
  const path = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(base, p));
  const top = r.object(value, '', ['dataDir', 'device', 'broker', 'enrollment', 'hardware', 'probation', 'reporting', 'outbox', 'log', 'policy']) ?? {};

  const dataDir = path(r.string(top, 'dataDir', '')) ?? DEFAULT_DATA_DIR;

  const dev = top['device'] === undefined ? r.fail('device', 'is required') : r.object(top['device'], 'device', ['id', 'class']);
  const deviceId = dev && r.string(dev, 'id', 'device', { pattern: DEVICE_ID_PATTERN, describe: 'a device id (1 to 64 letters, digits, ".", "_", ":", "-")', required: true });
  const deviceClass = (dev && r.string(dev, 'class', 'device', { pattern: DEVICE_CLASS_PATTERN, describe: 'a device class (lowercase letters, digits, ".", "_", "-")' })) ?? 'sim';

  const b = top['broker'] === undefined ? r.fail('broker', 'is required') : r.object(top['broker'], 'broker', ['url', 'username', 'password', 'tls', 'protocolVersion', 'keepaliveS']);
  const url = b && r.string(b, 'url', 'broker', { required: true });
  if (url !== undefined) {
    let scheme = '';
    try {
      scheme = new URL(url).protocol;
    } catch {
      scheme = '';
    }
    if (!URL_SCHEMES.includes(scheme)) r.fail('broker.url', `expected an mqtt://, mqtts://, ws:// or wss:// URL, found ${JSON.stringify(url)}`);
  }
  const username = b && r.string(b, 'username', 'broker');
  const password = b && r.string(b, 'password', 'broker');
  if (password !== undefined && username === undefined) r.fail('broker.password', 'is set without broker.username');
  const t = b?.['tls'] === undefined ? undefined : r.object(b['tls'], 'broker.tls', ['ca', 'cert', 'key']);
  const tls: BrokerTlsConfig | undefined = t && {
    ...(t['ca'] !== undefined ? { ca: path(r.string(t, 'ca', 'broker.tls')) } : {}),
    ...(t['cert'] !== undefined ? { cert: path(r.string(t, 'cert', 'broker.tls')) } : {}),
    ...(t['key'] !== undefined ? { key: path(r.string(t, 'key', 'broker.tls')) } : {}),
  } as BrokerTlsConfig;
  if (t !== undefined && (t['cert'] === undefined) !== (t['key'] === undefined)) r.fail(t['cert'] === undefined ? 'broker.tls.cert' : 'broker.tls.key', 'cert and key are given together (a client certificate needs its key)');
  const protocolVersion = b ? r.oneOf(b, 'protocolVersion', 'broker', [4, 5] as const, 4) : 4;
  const keepaliveS = b ? r.integer(b, 'keepaliveS', 'broker', 1, 65_535, 30) : 30;

  const en = top['enrollment'] === undefined ? r.fail('enrollment', 'is required (the bootstrap root keys)') : r.object(top['enrollment'], 'enrollment', ['token', 'roots', 'threshold']);
  const token = en && r.string(en, 'token', 'enrollment');
  if (token !== undefined && Buffer.byteLength(token) > 256) r.fail('enrollment.token', 'is longer than 256 bytes');
  const rawRoots = (en && r.list(en, 'roots', 'enrollment', true)) ?? [];
  if (en !== undefined && Array.isArray(en['roots']) && rawRoots.length === 0) r.fail('enrollment.roots', 'needs at least one root public key');
  const roots: string[] = [];
  rawRoots.forEach((k, i) => {
    const f = `enrollment.roots[${i}]`;
    if (typeof k !== 'string' || !/^[0-9a-fA-F]{64}$/.test(k)) return r.fail(f, `expected an Ed25519 public key as 64 hex digits, found ${JSON.stringify(k)}`);
    const problem = checkPublicKey(Uint8Array.from(Buffer.from(k, 'hex')));
    if (problem !== undefined) return r.fail(f, `is not a usable Ed25519 public key (${problem})`);
    if (roots.includes(k.toLowerCase())) return r.fail(f, 'repeats an earlier root');
    roots.push(k.toLowerCase());
    return undefined;
  });
  const threshold = (en && r.integer(en, 'threshold', 'enrollment', 1, Math.max(1, roots.length))) ?? Math.max(1, roots.length);

  const hw = r.section(top, 'hardware', '', ['kind', 'scenario', 'wiring']);
  let hardware: AgentConfig['hardware'] = { kind: 'sim' };
  if (hw !== undefined) {
    const kind = r.oneOf(hw, 'kind', 'hardware', ['sim', 'linux'] as const, 'sim');
    if (kind === 'sim') {
      if (hw['wiring'] !== undefined) r.fail('hardware.wiring', 'belongs to kind "linux"');
      const scenario = path(r.string(hw, 'scenario', 'hardware'));
      hardware = scenario === undefined ? { kind } : { kind, scenario };
    } else {
      if (hw['scenario'] !== undefined) r.fail('hardware.scenario', 'belongs to kind "sim"');
      hardware = { kind, wiring: path(r.string(hw, 'wiring', 'hardware', { required: true })) ?? '' };
    }
  }

  const pr = r.section(top, 'probation', '', ['windowS', 'maxTraps', 'maxExhaustions', 'tickStallS']) ?? {};
  const tickStallS = r.integer(pr, 'tickStallS', 'probation', 1, DAY_S);
  const probation = {
    windowS: r.integer(pr, 'windowS', 'probation', 1, DAY_S, 60),
    maxTraps: r.integer(pr, 'maxTraps', 'probation', 0, 1_000_000, 0),
    maxExhaustions: r.integer(pr, 'maxExhaustions', 'probation', 0, 1_000_000, 2),
    ...(tickStallS !== undefined ? { tickStallS } : {}),
  };
  const rep = r.section(top, 'reporting', '', ['statusIntervalS', 'telemetryIntervalS']) ?? {};
  const reporting = { statusIntervalS: r.integer(rep, 'statusIntervalS', 'reporting', 1, DAY_S, 60), telemetryIntervalS: r.integer(rep, 'telemetryIntervalS', 'reporting', 1, DAY_S, 10) };
  const ob = r.section(top, 'outbox', '', ['maxEvents', 'maxBytes']) ?? {};
  const outbox = { maxEvents: r.integer(ob, 'maxEvents', 'outbox', 1, 10_000_000, 1000), maxBytes: r.integer(ob, 'maxBytes', 'outbox', 1024, 2 ** 40, 1024 * 1024) };
  const lg = r.section(top, 'log', '', ['level']) ?? {};
  const log = { level: r.oneOf(lg, 'level', 'log', ['debug', 'info', 'warn', 'error'] as const, 'info') };

  const po = top['policy'] === undefined ? undefined : r.object(top['policy'], 'policy', ['grants']);
  let policy: AgentConfig['policy'];
  if (po !== undefined) {
    const grants: string[] = [];
    (r.list(po, 'grants', 'policy', true) ?? []).forEach((g, i) => {
      const problem = typeof g === 'string' ? capabilityProblem(g) : 'expected text';
      if (problem !== undefined) return r.fail(`policy.grants[${i}]`, `is not a capability (${problem}): ${JSON.stringify(g)}`);
      grants.push(g as string);
      return undefined;
    });
    policy = { grants };
  }

  if (r.issues.length > 0) throw new ConfigError('invalid', resolve(file), r.issues);
  return {
    dataDir,
    device: { id: deviceId ?? '', class: deviceClass },
    broker: {
      url: url ?? '',
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(tls !== undefined ? { tls } : {}),
      protocolVersion,
      keepaliveS,
    },
    enrollment: { ...(token !== undefined ? { token } : {}), roots, threshold },
    hardware,
    probation,
    reporting,
    outbox,
    log,
    ...(policy === undefined ? {} : { policy }),
  };
}
