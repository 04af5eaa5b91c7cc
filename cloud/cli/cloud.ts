// `fleetlet cloud --config FILE` or `fleetlet cloud --data DIR --trust FILE --state-key FILE`: runs the fleet service
// (FleetCloud) and its HTTP API and dashboard until SIGTERM or SIGINT, logging JSON lines on stdout like the agent.

import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonLog } from '../../agent/cli/agent.ts';
import { CliError, EXIT } from '../../agent/cli/errors.ts';
import type { CliIo } from '../../agent/cli/main.ts';
import type { FleetCloudConfig } from '../service/config.ts';
import { CloudConfigError, defaultCloudConfig, loadCloudConfig, type CloudFileConfig } from './cloud-config.ts';

/**
 * Loads one of the cloud's modules by a URL computed at run time: esbuild cannot follow it, so the device bundle
 * (agent/build) leaves the cloud, its broker and its databases out (about 400 KB of source a device would keep).
 * @throws CliError when the module is not there (the device bundle)
 */
async function cloudModule<T>(relative: string): Promise<T> {
  const url = new URL(relative, import.meta.url).href;
  try {
    return (await import(url)) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(relative.replace(/^\.\.?\//, ''))) {
      throw new CliError('Cannot run the cloud from the device build of fleetlet: run "fleetlet cloud" from a fleetlet checkout (npx fleetlet cloud ...)');
    }
    throw e;
  }
}

/** Where `--data` keeps the generated token of operator "admin" when the config names no operators. */
export const OPERATOR_TOKEN_FILE = 'operator-token';

export interface CloudCommandOptions {
  readonly config?: string;
  readonly data?: string;
  readonly trust?: string;
  readonly stateKey?: string;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`Cannot read ${what} "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The file config with every file read: what FleetCloud and the HTTP API start with. */
export async function cloudSettings(o: CloudCommandOptions): Promise<CloudFileConfig> {
  if (o.config !== undefined) {
    if (o.data !== undefined || o.trust !== undefined || o.stateKey !== undefined) throw new CliError('Cannot combine --config with --data, --trust or --state-key: the config file names them', EXIT.usage);
    try {
      return await loadCloudConfig(o.config);
    } catch (e) {
      if (e instanceof CloudConfigError) throw new CliError(e.message, EXIT.usage);
      throw e;
    }
  }
  if (o.data === undefined || o.trust === undefined || o.stateKey === undefined) throw new CliError('Cannot start the cloud: give --config FILE, or --data DIR with --trust FILE and --state-key FILE', EXIT.usage);
  return defaultCloudConfig(o.data, o.trust, o.stateKey);
}

/** The operators of the HTTP API: the configured ones, or "admin" with a token kept (0600) in the data directory. */
async function operators(c: CloudFileConfig, log: ReturnType<typeof jsonLog>): Promise<{ name: string; token: string }[]> {
  if (c.http.operators !== undefined) return [...c.http.operators];
  const file = join(c.dataDir, OPERATOR_TOKEN_FILE);
  let token = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (token.length < 16) {
    const { writeFileAtomic } = await import('../../agent/update/atomic-file.ts');
    token = randomBytes(24).toString('base64url');
    await writeFileAtomic(file, new TextEncoder().encode(`${token}\n`));
    const { chmod } = await import('node:fs/promises');
    await chmod(file, 0o600);
    log('info', 'made the token of operator "admin"', { file });
  }
  return [{ name: 'admin', token }];
}

/** Runs the cloud until SIGTERM or SIGINT (or `stop`); resolves after a clean shutdown. */
export async function runCloud(o: CloudCommandOptions, io: CliIo, stop?: AbortSignal): Promise<void> {
  const c = await cloudSettings(o);
  const [{ FleetCloud }, { startHttpApi }] = await Promise.all([
    cloudModule<typeof import('../service/cloud.ts')>('../service/cloud.ts'),
    cloudModule<typeof import('../http/server.ts')>('../http/server.ts'),
  ]);
  const log = jsonLog(io, c.log.level);
  const [{ readSecretKeyFile }, trust] = await Promise.all([import('../../agent/cli/key-file.ts'), readFile(c.trust).catch((e: unknown) => {
    throw new CliError(`Cannot read the fleet's trust update "${c.trust}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  })]);
  const key = await readSecretKeyFile(c.stateKey);
  if (key.role !== 'state-signer') throw new CliError(`Cannot sign desired states with "${c.stateKey}": it is a ${key.role} key, not a state-signer key`);
  await mkdir(c.dataDir, { recursive: true, mode: 0o700 });
  const pem = async (f: { cert: string; key: string }): Promise<{ cert: string; key: string }> => ({ cert: await readText(f.cert, 'TLS certificate'), key: await readText(f.key, 'TLS key') });
  const b = c.broker;
  const config: FleetCloudConfig = {
    dataDir: c.dataDir,
    trust: new Uint8Array(trust),
    stateSigner: { kid: key.id, seed: key.seed },
    store: c.store,
    broker: 'embedded' in b
      ? { embedded: { host: b.embedded.host, port: b.embedded.port, ...(b.embedded.tls === undefined ? {} : { tls: await pem(b.embedded.tls) }) } }
      : {
          url: b.url,
          ...(b.username === undefined ? {} : { username: b.username }),
          ...(b.password === undefined ? {} : { password: b.password }),
          protocolVersion: b.protocolVersion,
          ...(b.ca === undefined ? {} : { ca: await readText(b.ca, 'broker CA') }),
          ...(b.shared ? { shared: true } : {}),
        },
    enrollment: { autoAccept: c.enrollment.autoAccept, ...(c.enrollment.tokens === undefined ? {} : { tokens: c.enrollment.tokens }), retryAfterMs: c.enrollment.retryAfterS * 1000 },
    ...(c.chunkRate === undefined ? {} : { chunkRate: c.chunkRate }),
    ...(c.retention === undefined ? {} : { retention: { eventsMs: c.retention.eventsDays * 86_400_000, telemetryMs: c.retention.telemetryDays * 86_400_000 } }),
    ...(c.processId === undefined ? {} : { processId: c.processId }),
    ...(c.blobsDir === undefined ? {} : { blobsDir: c.blobsDir }),
    ...(c.rolloutLease === undefined ? {} : { rolloutLease: { ttlMs: c.rolloutLease.ttlS * 1000 } }),
    log,
  };
  const ops = await operators(c, log);
  const httpTls = c.http.tls === undefined ? undefined : await pem(c.http.tls);

  const controller = new AbortController();
  const onSignal = (sig: string): void => {
    log('info', 'stopping', { signal: sig });
    controller.abort();
  };
  const sigterm = (): void => onSignal('SIGTERM');
  const sigint = (): void => onSignal('SIGINT');
  process.on('SIGTERM', sigterm);
  process.on('SIGINT', sigint);
  stop?.addEventListener('abort', () => controller.abort());
  try {
    let cloud;
    try {
      cloud = await FleetCloud.start(config);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw new CliError(`Cannot start the cloud: ${(e as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    try {
      let http;
      try {
        http = await startHttpApi(cloud.ops, {
          host: c.http.host,
          port: c.http.port,
          ...(httpTls === undefined ? {} : { tls: httpTls }),
          operators: ops,
          readsNeedToken: c.http.readsNeedToken,
          log: (message, fields) => log('error', message, fields),
        });
      } catch (e) {
        throw new CliError(`Cannot start the HTTP API on ${c.http.host}:${c.http.port}: ${(e as Error).message}`);
      }
      log('info', 'cloud running', { broker: cloud.url, http: http.url, dataDir: c.dataDir, store: c.store.kind });
      if (!controller.signal.aborted) await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
      await http.close();
    } finally {
      await cloud.close();
    }
    log('info', 'stopped cleanly', {});
  } finally {
    process.off('SIGTERM', sigterm);
    process.off('SIGINT', sigint);
  }
}

export function registerCloud(p: Command, io: CliIo): void {
  p.command('cloud')
    .description('Run the fleet service: embedded MQTT broker (or an external one), store, enrollment, rollouts, HTTP API and dashboard, until SIGTERM')
    .option('--config <file>', 'cloud config file (JSON)')
    .option('--data <dir>', 'data folder: SQLite store, blobs; embedded broker on 127.0.0.1:1883, HTTP on 127.0.0.1:8080')
    .option('--trust <file>', 'the fleet\'s trust update file (with --data)')
    .option('--state-key <file>', 'the state signer\'s secret key file from "fleetlet keygen --role state-signer" (with --data)')
    .action(async (o: CloudCommandOptions) => runCloud(o, io));
}
