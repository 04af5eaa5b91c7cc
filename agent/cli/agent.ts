// `fleetlet agent --config FILE` (the device agent, until SIGTERM) and `fleetlet agent install BUNDLE --config FILE`
// (install a bundle file with no network, through the same verification, slots, probation and rollback). Both take
// the data directory's lock, so an operator's install never races a running agent.

import type { Command } from 'commander';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentLog, AgentLogLevel } from '../agent.ts';
import type { AgentConfig } from '../config/index.ts';
import type { DaemonPlan } from '../daemon.ts';
import { CliError, EXIT } from './errors.ts';
import type { CliIo } from './main.ts';

const LEVELS: Record<AgentLogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
export const LOCK_FILE = 'agent.lock';

/** One JSON object per line on stdout (journald and log shippers read them as they are). */
export function jsonLog(io: CliIo, level: AgentLogLevel, now: () => number = Date.now): AgentLog {
  const min = LEVELS[level];
  return (l, msg, fields) => {
    if (LEVELS[l] < min) return;
    io.out(JSON.stringify({ t: new Date(now()).toISOString(), level: l, msg, ...fields }));
  };
}

/** The config file's settings as the agent process takes them (TLS files read, seconds made milliseconds). */
export async function planOf(c: AgentConfig): Promise<DaemonPlan> {
  const pem = async (p: string | undefined, what: string): Promise<string | undefined> => {
    if (p === undefined) return undefined;
    try {
      return await readFile(p, 'utf8');
    } catch (e) {
      throw new CliError(`Cannot read the broker's TLS ${what} "${p}": ${(e as Error).message}`);
    }
  };
  const tls = c.broker.tls;
  const [ca, cert, key] = tls === undefined ? [] : await Promise.all([pem(tls.ca, 'CA'), pem(tls.cert, 'certificate'), pem(tls.key, 'key')]);
  const grants = c.policy?.grants;
  return {
    dataDir: c.dataDir,
    deviceId: c.device.id,
    deviceClass: c.device.class,
    broker: {
      url: c.broker.url,
      protocolVersion: c.broker.protocolVersion,
      keepaliveS: c.broker.keepaliveS,
      ...(c.broker.username === undefined ? {} : { username: c.broker.username }),
      ...(c.broker.password === undefined ? {} : { password: c.broker.password }),
      ...(tls === undefined ? {} : { tls: { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) } }),
    },
    enrollment: { roots: c.enrollment.roots, threshold: c.enrollment.threshold, ...(c.enrollment.token === undefined ? {} : { token: c.enrollment.token }) },
    hardware: c.hardware,
    ...(grants === undefined ? {} : { grants }),
    probation: {
      windowMs: c.probation.windowS * 1000,
      maxTraps: c.probation.maxTraps,
      maxExhaustions: c.probation.maxExhaustions,
      ...(c.probation.tickStallS === undefined ? {} : { tickStallMs: c.probation.tickStallS * 1000 }),
    },
    statusIntervalMs: c.reporting.statusIntervalS * 1000,
    telemetryIntervalMs: c.reporting.telemetryIntervalS * 1000,
    outbox: c.outbox,
  };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the data directory's lock (a file holding the pid, created exclusively; a lock whose process is gone is
 * taken over). Returns the release function.
 * @throws CliError when another live process holds it
 */
export async function takeLock(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, LOCK_FILE);
  for (let i = 0; i < 2; i++) {
    try {
      const h = await open(file, 'wx', 0o600);
      await h.writeFile(`${process.pid}\n`);
      await h.sync();
      await h.close();
      return () => rm(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new CliError(`Cannot lock the data directory "${dataDir}": ${(e as Error).message}`);
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new CliError(`Cannot use the data directory "${dataDir}": an agent (pid ${pid}) is running on it`);
      }
      await rm(file, { force: true });
    }
  }
  throw new CliError(`Cannot lock the data directory "${dataDir}": another process keeps taking the lock`);
}

async function loadPlan(configFile: string): Promise<{ config: AgentConfig; plan: DaemonPlan }> {
  const { loadConfig, ConfigError } = await import('../config/index.ts');
  try {
    const config = await loadConfig(configFile);
    return { config, plan: await planOf(config) };
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}

/** Runs the agent until SIGTERM or SIGINT; resolves after a clean shutdown. */
export async function runAgent(o: { config: string }, io: CliIo, stop?: AbortSignal): Promise<void> {
  const { config, plan } = await loadPlan(o.config);
  const log = jsonLog(io, config.log.level);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(plan.dataDir, { recursive: true, mode: 0o700 });
  const release = await takeLock(plan.dataDir);
  const { systemdNotifier } = await import('../systemd/notify.ts');
  const systemd = systemdNotifier();
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
    const { startAgentProcess } = await import('../daemon.ts');
    let running;
    try {
      running = await startAgentProcess(plan, log, controller.signal);
    } catch (e) {
      if (controller.signal.aborted) return;
      const code = (e as { code?: unknown }).code;
      throw new CliError(`Cannot start the agent: ${(e as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    log('info', 'agent running', { deviceId: plan.deviceId, dataDir: plan.dataDir, modules: running.agent.modules().map((m) => `${m.name}@${m.version}`) });
    systemd.ready();
    if (!controller.signal.aborted) await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
    systemd.stopping();
    await running.close();
    log('info', 'stopped cleanly', {});
  } finally {
    systemd.close();
    process.off('SIGTERM', sigterm);
    process.off('SIGINT', sigint);
    await release();
  }
}

/** Installs a bundle file with the agent's verification, slots, probation and rollback, with no network. */
export async function installOffline(bundle: string, o: { config: string }, io: CliIo): Promise<string[]> {
  const { config, plan } = await loadPlan(o.config);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(bundle));
  } catch (e) {
    throw new CliError(`Cannot read bundle "${bundle}": ${(e as Error).message}`);
  }
  const { mkdir } = await import('node:fs/promises');
  await mkdir(plan.dataDir, { recursive: true, mode: 0o700 });
  const release = await takeLock(plan.dataDir);
  const log = jsonLog({ out: (l) => io.err(l), err: (l) => io.err(l) }, config.log.level === 'debug' ? 'debug' : 'warn');
  try {
    const [{ Agent }, { TrustStore }, { BusOffline }, { openHardware, AGENT_VERSION }, { isRejected }, { NotRetried }] = await Promise.all([
      import('../agent.ts'), import('../update/trust-store.ts'), import('../session/bus.ts'), import('../daemon.ts'),
      import('../update/rejection.ts'), import('../update/slots/machine.ts'),
    ]);
    const trust = await TrustStore.open(plan.dataDir);
    if (trust.trust === undefined) throw new CliError(`Cannot install into "${plan.dataDir}": the device has no trust yet (enroll it, or run "fleetlet trust provision")`);
    const offline = {
      connected: false,
      publish: async (topic: string) => {
        throw new BusOffline(topic);
      },
      subscribe: async () => async () => {},
      onConnectionChange: () => () => {},
    };
    const events: string[] = [];
    const hw = await openHardware(plan);
    const agent = await Agent.start({
      dataDir: plan.dataDir,
      identity: { deviceId: plan.deviceId, deviceClass: plan.deviceClass },
      agentVersion: AGENT_VERSION,
      trust,
      bus: offline,
      reporter: { status: () => {}, event: (e) => events.push(`${e.type}${e.message === undefined ? '' : `: ${e.message}`}`), telemetry: () => {}, logs: () => {} },
      fetcher: { fetchManifest: async () => { throw new Error('offline'); }, fetchModule: async () => { throw new Error('offline'); } },
      hardware: hw.device,
      ...(plan.grants === undefined ? {} : { grants: plan.grants }),
      ...(plan.probation === undefined ? {} : { probation: plan.probation }),
      log,
    });
    try {
      const view = await agent.installBundle(bytes);
      const lines = events.map((e) => `  ${e}`);
      if (view === undefined) throw new CliError(`The bundle was not installed:\n${lines.join('\n')}`);
      const ok = view.state === 'running' && view.errorCode === undefined;
      if (!ok) throw new CliError(`${view.name} ${view.version}: ${view.state}${view.detail === undefined ? '' : ` (${view.detail})`}`, EXIT.failed);
      return [`Installed ${view.name} ${view.version}: it passed probation and is marked good`, ...lines];
    } catch (e) {
      if (isRejected(e)) throw new CliError(`Cannot install "${bundle}": ${e.message} (${e.code})`, EXIT.failed);
      if (e instanceof NotRetried) throw new CliError(e.message, EXIT.failed);
      throw e;
    } finally {
      await agent.close();
      await hw.close();
    }
  } finally {
    await release();
  }
}

export function registerAgent(p: Command, io: CliIo): void {
  const a = p.command('agent').description('Run the device agent, or install a bundle on this device with no network');
  a.command('run', { isDefault: true })
    .description('Run the device agent until SIGTERM (the default: "fleetlet agent --config FILE")')
    .requiredOption('--config <file>', 'agent config file (JSON)')
    .action(async (o: { config: string }) => runAgent(o, io));
  a.command('install')
    .description('Install a signed bundle file: verified, written to the inactive slot, on probation, then kept or rolled back')
    .argument('<bundle>', 'bundle file (from "fleetlet sign")')
    .requiredOption('--config <file>', 'agent config file (JSON)')
    .action(async (bundle: string, o: { config: string }) => (await installOffline(bundle, o, io)).forEach((l) => io.out(l)));
}
