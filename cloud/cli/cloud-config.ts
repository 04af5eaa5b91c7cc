// The `fleetlet cloud --config FILE` file (JSON): parsed strictly into CloudFileConfig. Every problem is collected with
// its dotted key path (unknown keys, wrong types, out-of-range numbers), and relative paths resolve against the file's
// folder. `defaultCloudConfig(dir, trust, stateKey)` is what `fleetlet cloud --data DIR` runs with.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export type CloudLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/** The file's settings, paths absolute; files are read by the command, not here. */
export interface CloudFileConfig {
  readonly dataDir: string;
  /** File of the fleet's signed trust update. */
  readonly trust: string;
  /** The state signer's secret key file (as `fleetlet keygen --role state-signer` writes it). */
  readonly stateKey: string;
  readonly store: { readonly kind: 'sqlite'; readonly path?: string } | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string };
  readonly broker:
    | { readonly embedded: { readonly host: string; readonly port: number; readonly tls?: TlsFiles } }
    | { readonly url: string; readonly username?: string; readonly password?: string; readonly protocolVersion: 4 | 5; readonly ca?: string; readonly shared: boolean };
  readonly enrollment: { readonly autoAccept: boolean; readonly tokens?: readonly string[]; readonly retryAfterS: number };
  /** The HTTP API and dashboard; `operators` absent: one operator "admin" whose token is kept in the data directory. */
  readonly http: { readonly host: string; readonly port: number; readonly tls?: TlsFiles; readonly operators?: readonly { readonly name: string; readonly token: string }[]; readonly readsNeedToken: boolean };
  readonly chunkRate?: { readonly perSecond: number; readonly burst: number };
  readonly retention?: { readonly eventsDays: number; readonly telemetryDays: number };
  readonly processId?: string;
  /** Module bytes; default `dataDir/blobs`. Processes sharing a store share this folder too (any may serve a chunk). */
  readonly blobsDir?: string;
  /** The lease that makes one process of those sharing the store drive rollouts; default 10 s. */
  readonly rolloutLease?: { readonly ttlS: number };
  readonly log: { readonly level: CloudLogLevel };
}

/** One problem, at its dotted key path ("broker.embedded.port", "http.operators[0].token"). */
export interface CloudConfigIssue {
  readonly field: string;
  readonly message: string;
}

export type CloudConfigErrorCode = 'unreadable' | 'not-json' | 'invalid';

export class CloudConfigError extends Error {
  override readonly name = 'CloudConfigError';
  constructor(
    readonly code: CloudConfigErrorCode,
    readonly file: string,
    readonly issues: readonly CloudConfigIssue[],
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_BROKER_PORT = 1883;
export const DEFAULT_HTTP_PORT = 8080;

/** What `fleetlet cloud --data DIR --trust FILE --state-key FILE` runs with. */
export function defaultCloudConfig(dataDir: string, trust: string, stateKey: string): CloudFileConfig {
  return {
    dataDir: resolve(dataDir),
    trust: resolve(trust),
    stateKey: resolve(stateKey),
    store: { kind: 'sqlite' },
    broker: { embedded: { host: '127.0.0.1', port: DEFAULT_BROKER_PORT } },
    enrollment: { autoAccept: false, retryAfterS: 10 },
    http: { host: '127.0.0.1', port: DEFAULT_HTTP_PORT, readsNeedToken: false },
    log: { level: 'info' },
  };
}

/**
 * Reads and parses a config file.
 * @throws CloudConfigError 'unreadable', 'not-json', 'invalid' (every issue listed)
 */
export async function loadCloudConfig(file: string): Promise<CloudFileConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CloudConfigError('unreadable', file, [], `Cannot read the cloud config "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CloudConfigError('not-json', file, [], `Cannot read the cloud config "${file}": it is not JSON (${(e as Error).message})`);
  }
  return parseCloudConfig(value, file);
}

type Obj = Record<string, unknown>;

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
};
const at = (field: string, key: string | number): string => (typeof key === 'number' ? `${field}[${key}]` : field === '' ? key : `${field}.${key}`);

/**
 * Checks a parsed JSON value as a cloud config; relative paths resolve against `file`'s folder.
 * @throws CloudConfigError 'invalid' naming every bad key path
 */
export function parseCloudConfig(value: unknown, file: string): CloudFileConfig {
  const issues: CloudConfigIssue[] = [];
  const base = dirname(resolve(file));
  const fail = (field: string, message: string): undefined => {
    issues.push({ field, message });
    return undefined;
  };
  const object = (v: unknown, field: string, allowed: readonly string[]): Obj | undefined => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(field === '' ? '(file)' : field, `expected an object, found ${show(v)}`);
    for (const k of Object.keys(v)) if (!allowed.includes(k)) fail(at(field, k), `unknown key (allowed here: ${allowed.join(', ')})`);
    return v as Obj;
  };
  const section = (o: Obj, key: string, field: string, allowed: readonly string[]): Obj | undefined => (o[key] === undefined ? undefined : object(o[key], at(field, key), allowed));
  const string = (o: Obj, key: string, field: string, required = false, pattern?: { re: RegExp; describe: string }): string | undefined => {
    const v = o[key];
    if (v === undefined) return required ? fail(at(field, key), 'is required') : undefined;
    if (typeof v !== 'string' || v.length === 0) return fail(at(field, key), `expected a non-empty string, found ${show(v)}`);
    if (pattern !== undefined && !pattern.re.test(v)) return fail(at(field, key), `expected ${pattern.describe}, found ${show(v)}`);
    return v;
  };
  const path = (o: Obj, key: string, field: string, required = false): string | undefined => {
    const v = string(o, key, field, required);
    return v === undefined ? undefined : resolve(base, v);
  };
  const integer = (o: Obj, key: string, field: string, min: number, max: number): number | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return fail(at(field, key), `expected a whole number from ${min} to ${max}, found ${show(v)}`);
    return v;
  };
  const boolean = (o: Obj, key: string, field: string): boolean | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') return fail(at(field, key), `expected true or false, found ${show(v)}`);
    return v;
  };
  const tls = (o: Obj, field: string): TlsFiles | undefined => {
    const t = section(o, 'tls', field, ['cert', 'key']);
    if (t === undefined) return undefined;
    const f = at(field, 'tls');
    const cert = path(t, 'cert', f, true);
    const key = path(t, 'key', f, true);
    return cert === undefined || key === undefined ? undefined : { cert, key };
  };

  const root = object(value, '', ['dataDir', 'trust', 'stateKey', 'store', 'broker', 'enrollment', 'http', 'chunkRate', 'retention', 'processId', 'blobsDir', 'rolloutLease', 'log']) ?? {};
  const dataDir = path(root, 'dataDir', '', true);
  const trust = path(root, 'trust', '', true);
  const stateKey = path(root, 'stateKey', '', true);

  let store: CloudFileConfig['store'] = { kind: 'sqlite' };
  const s = section(root, 'store', '', ['kind', 'path', 'url', 'schema']);
  if (s !== undefined) {
    const kind = s['kind'];
    if (kind === 'sqlite') {
      for (const k of ['url', 'schema']) if (s[k] !== undefined) fail(at('store', k), 'unknown key for kind "sqlite" (allowed: kind, path)');
      const p = path(s, 'path', 'store');
      store = { kind: 'sqlite', ...(p === undefined ? {} : { path: p }) };
    } else if (kind === 'postgres') {
      if (s['path'] !== undefined) fail('store.path', 'unknown key for kind "postgres" (allowed: kind, url, schema)');
      const url = string(s, 'url', 'store', true, { re: /^postgres(ql)?:\/\//, describe: 'a postgres:// URL' });
      const schema = string(s, 'schema', 'store', false, { re: /^[a-z_][a-z0-9_]{0,62}$/, describe: 'lowercase letters, digits and "_"' });
      if (url !== undefined) store = { kind: 'postgres', url, ...(schema === undefined ? {} : { schema }) };
    } else {
      fail('store.kind', `expected "sqlite" or "postgres", found ${show(kind)}`);
    }
  }

  let broker: CloudFileConfig['broker'] = { embedded: { host: '127.0.0.1', port: DEFAULT_BROKER_PORT } };
  const b = section(root, 'broker', '', ['embedded', 'url', 'username', 'password', 'protocolVersion', 'ca', 'shared']);
  if (b !== undefined) {
    if (b['embedded'] !== undefined) {
      for (const k of ['url', 'username', 'password', 'protocolVersion', 'ca', 'shared']) if (b[k] !== undefined) fail(at('broker', k), 'not allowed with broker.embedded (give either embedded or url)');
      const e = object(b['embedded'], 'broker.embedded', ['host', 'port', 'tls']);
      if (e !== undefined) {
        const t = tls(e, 'broker.embedded');
        broker = { embedded: { host: string(e, 'host', 'broker.embedded') ?? '127.0.0.1', port: integer(e, 'port', 'broker.embedded', 0, 65535) ?? DEFAULT_BROKER_PORT, ...(t === undefined ? {} : { tls: t }) } };
      }
    } else {
      const url = string(b, 'url', 'broker', true, { re: /^(mqtt|mqtts|ws|wss):\/\//, describe: 'an mqtt://, mqtts://, ws:// or wss:// URL' });
      const username = string(b, 'username', 'broker');
      const password = string(b, 'password', 'broker');
      const pv = b['protocolVersion'];
      if (pv !== undefined && pv !== 4 && pv !== 5) fail('broker.protocolVersion', `expected 4 or 5, found ${show(pv)}`);
      const ca = path(b, 'ca', 'broker');
      const shared = boolean(b, 'shared', 'broker') ?? false;
      if (shared && pv !== 5) fail('broker.shared', 'needs broker.protocolVersion 5 (shared subscriptions are MQTT 5)');
      if (url !== undefined) {
        broker = {
          url,
          ...(username === undefined ? {} : { username }),
          ...(password === undefined ? {} : { password }),
          protocolVersion: pv === 5 ? 5 : 4,
          ...(ca === undefined ? {} : { ca }),
          shared,
        };
      }
    }
  }

  const en = section(root, 'enrollment', '', ['autoAccept', 'tokens', 'retryAfterS']) ?? {};
  let tokens: string[] | undefined;
  if (en['tokens'] !== undefined) {
    if (!Array.isArray(en['tokens'])) fail('enrollment.tokens', `expected a list, found ${show(en['tokens'])}`);
    else tokens = (en['tokens'] as unknown[]).flatMap((t, i) => (typeof t === 'string' && t.length >= 8 ? [t] : (fail(`enrollment.tokens[${i}]`, `expected a token of at least 8 characters, found ${show(t)}`), [])));
  }
  const enrollment = { autoAccept: boolean(en, 'autoAccept', 'enrollment') ?? false, ...(tokens === undefined ? {} : { tokens }), retryAfterS: integer(en, 'retryAfterS', 'enrollment', 1, 3600) ?? 10 };

  const h = section(root, 'http', '', ['host', 'port', 'tls', 'operators', 'readsNeedToken']) ?? {};
  let operators: { name: string; token: string }[] | undefined;
  if (h['operators'] !== undefined) {
    if (!Array.isArray(h['operators'])) fail('http.operators', `expected a list, found ${show(h['operators'])}`);
    else {
      operators = [];
      (h['operators'] as unknown[]).forEach((op, i) => {
        const f = `http.operators[${i}]`;
        const o = object(op, f, ['name', 'token']);
        if (o === undefined) return;
        const name = string(o, 'name', f, true, { re: /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}$/, describe: '1 to 64 letters, digits, ".", "_", "@", ":", "-"' });
        const token = string(o, 'token', f, true, { re: /^.{16,}$/, describe: 'a token of at least 16 characters' });
        if (name !== undefined && token !== undefined) operators!.push({ name, token });
      });
    }
  }
  const httpTls = tls(h, 'http');
  const http = {
    host: string(h, 'host', 'http') ?? '127.0.0.1',
    port: integer(h, 'port', 'http', 0, 65535) ?? DEFAULT_HTTP_PORT,
    ...(httpTls === undefined ? {} : { tls: httpTls }),
    ...(operators === undefined ? {} : { operators }),
    readsNeedToken: boolean(h, 'readsNeedToken', 'http') ?? false,
  };

  const cr = section(root, 'chunkRate', '', ['perSecond', 'burst']);
  const chunkRate = cr === undefined ? undefined : { perSecond: integer(cr, 'perSecond', 'chunkRate', 1, 1_000_000) ?? 200, burst: integer(cr, 'burst', 'chunkRate', 1, 1_000_000) ?? 100 };
  const rt = section(root, 'retention', '', ['eventsDays', 'telemetryDays']);
  const retention = rt === undefined ? undefined : { eventsDays: integer(rt, 'eventsDays', 'retention', 1, 3650) ?? 30, telemetryDays: integer(rt, 'telemetryDays', 'retention', 1, 3650) ?? 7 };
  const processId = string(root, 'processId', '', false, { re: /^[A-Za-z0-9._-]{1,64}$/, describe: '1 to 64 letters, digits, ".", "_", "-"' });
  const blobsDir = path(root, 'blobsDir', '');
  const rl = section(root, 'rolloutLease', '', ['ttlS']);
  const ttlS = rl === undefined ? undefined : integer(rl, 'ttlS', 'rolloutLease', 2, 3600);
  const lg = section(root, 'log', '', ['level']) ?? {};
  const level = lg['level'] ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level as string)) fail('log.level', `expected one of "debug", "info", "warn", "error", found ${show(level)}`);

  if (issues.length > 0 || dataDir === undefined || trust === undefined || stateKey === undefined) {
    throw new CloudConfigError('invalid', file, issues, `Invalid cloud config "${file}": ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
  }
  return {
    dataDir,
    trust,
    stateKey,
    store,
    broker,
    enrollment,
    http,
    ...(chunkRate === undefined ? {} : { chunkRate }),
    ...(retention === undefined ? {} : { retention }),
    ...(processId === undefined ? {} : { processId }),
    ...(blobsDir === undefined ? {} : { blobsDir }),
    ...(ttlS === undefined ? {} : { rolloutLease: { ttlS } }),
    log: { level: level as CloudLogLevel },
  };
}
