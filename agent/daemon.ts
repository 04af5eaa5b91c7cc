// The agent process: puts together the identity, the trust store, enrollment, the MQTT session, the chunked
// downloader, the hardware and the Agent, in the order that keeps a device safe: nothing new runs before the device
// is enrolled (its trust comes from the fleet's pinned roots), installed apps start only after the update machine's
// boot, and SIGTERM stops every app with its state written before the session says goodbye.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, type AgentLog, type Reporter } from './agent.ts';
import { enroll, loadEnrollment, type EnrollmentResult } from './enroll/index.ts';
import { hostDevice } from './host/index.ts';
import { systemTime } from './host/hw/time.ts';
import type { HardwareBackends } from './host/hw/backends.ts';
import type { HostDevice } from './host/config.ts';
import { DeviceIdentityStore, IDENTITY_DIR } from './identity/index.ts';
import type { ProbationPolicy } from './runtime/probation.ts';
import { Session, type SessionOptions } from './session/index.ts';
import { ChunkClient } from './update/download/chunk-client.ts';
import { Downloader } from './update/download/downloader.ts';
import { TrustStore } from './update/trust-store.ts';

export const AGENT_VERSION = '0.1.0';
const MAX_MANIFEST_BYTES = 64 * 1024;

/** Everything the agent process needs, already validated (agent/config turns the config file into this). */
export interface DaemonPlan {
  readonly dataDir: string;
  readonly deviceId: string;
  readonly deviceClass: string;
  readonly broker: {
    readonly url: string;
    readonly username?: string;
    readonly password?: string;
    readonly protocolVersion?: 4 | 5;
    readonly keepaliveS?: number;
    readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string; readonly rejectUnauthorized?: boolean };
  };
  readonly enrollment: { readonly roots: readonly string[]; readonly threshold: number; readonly token?: string };
  /** 'sim' runs device-sim's hardware from a scenario file (or an empty one); 'linux' the real backends. */
  readonly hardware: { readonly kind: 'sim'; readonly scenario?: string } | { readonly kind: 'linux'; readonly wiring: string } | { readonly kind: 'none' };
  readonly grants?: readonly string[];
  readonly probation?: Partial<ProbationPolicy>;
  readonly statusIntervalMs?: number;
  readonly telemetryIntervalMs?: number;
  readonly outbox?: { readonly maxEvents?: number; readonly maxBytes?: number };
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly download?: { readonly stallTimeoutMs?: number; readonly attemptsPerChunk?: number; readonly timeoutMs?: number };
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly session: Session;
  readonly enrollment: EnrollmentResult;
  /** Stops apps (state written), the session (clean disconnect: presence goes offline) and the hardware. */
  close(): Promise<void>;
}

/** The hardware the plan names, as the host device the apps use. */
export async function openHardware(plan: DaemonPlan): Promise<{ device: HostDevice; close: () => Promise<void> }> {
  const h = plan.hardware;
  if (h.kind === 'none') return { device: { clock: systemTime }, close: async () => {} };
  let hw: HardwareBackends;
  if (h.kind === 'linux') {
    const { linuxHardware } = await import('./host/hw/linux/linux-hardware.ts');
    hw = linuxHardware(JSON.parse(await readFile(h.wiring, 'utf8')), { time: systemTime });
  } else {
    const sim = await import('../device-sim/simulation.ts');
    const { loadScenarioFile, parseScenario } = await import('../device-sim/parse-scenario.ts');
    let scenario;
    if (h.scenario !== undefined) scenario = loadScenarioFile(h.scenario);
    else {
      const parsed = parseScenario({ version: 1 }); // no scenario file: a device with no sensors, pins or ports
      if (!parsed.ok) throw parsed.error;
      scenario = parsed.value;
    }
    hw = sim.simulatedHardware(await sim.startSimulation(scenario, { time: systemTime }), systemTime);
  }
  return { device: hostDevice(hw, { clock: systemTime }), close: () => hw.close() };
}

/**
 * Starts the agent: enrolls first when the device is not enrolled yet (waits for the fleet's answer), then connects
 * with the issued credentials and starts the Agent.
 * @throws EnrollmentError (refused, bad trust), IdentityError, RecordCorrupt, TrustCorrupt
 */
export async function startAgentProcess(plan: DaemonPlan, log: AgentLog, signal?: AbortSignal): Promise<RunningAgent> {
  const identityDir = join(plan.dataDir, IDENTITY_DIR);
  const identity = await DeviceIdentityStore.open(plan.dataDir, { deviceId: plan.deviceId, deviceClass: plan.deviceClass });
  for (const w of identity.warnings ?? []) log('warn', w.message, { code: w.code });
  const trust = await TrustStore.open(plan.dataDir);
  const sessionOptions = (creds: { username?: string; password?: string }): SessionOptions => ({
    url: plan.broker.url,
    deviceId: plan.deviceId,
    dataDir: plan.dataDir,
    ...(creds.username === undefined ? {} : { username: creds.username }),
    ...(creds.password === undefined ? {} : { password: creds.password }),
    ...(plan.broker.protocolVersion === undefined ? {} : { protocolVersion: plan.broker.protocolVersion }),
    ...(plan.broker.keepaliveS === undefined ? {} : { keepaliveS: plan.broker.keepaliveS }),
    ...(plan.broker.tls === undefined ? {} : { tls: plan.broker.tls }),
    ...(plan.outbox === undefined ? {} : { outbox: plan.outbox }),
    ...(plan.backoff === undefined ? {} : { backoff: plan.backoff }),
    onError: (e) => log('warn', e.message, { code: e.code }),
    onBackoff: (delayMs, attempt) => log('info', 'reconnecting', { delayMs, attempt }),
  });
  let enrollment = await loadEnrollment(identityDir);
  if (enrollment === undefined || trust.trust === undefined) {
    log('info', 'not enrolled: asking the fleet to accept this device', { deviceId: plan.deviceId });
    const boot = await Session.open({ ...sessionOptions({ ...(plan.broker.username === undefined ? {} : { username: plan.broker.username }), ...(plan.broker.password === undefined ? {} : { password: plan.broker.password }) }), presence: false });
    try {
      enrollment = await enroll(boot, identity, trust, {
        roots: plan.enrollment.roots,
        threshold: plan.enrollment.threshold,
        ...(plan.enrollment.token === undefined ? {} : { token: plan.enrollment.token }),
        agentVersion: AGENT_VERSION,
        ...(signal === undefined ? {} : { signal }),
        onEvent: (e) => log(e.type === 'ignored' ? 'debug' : 'info', `enrollment: ${e.type}`, { ...e }),
      });
    } finally {
      await boot.close();
    }
    log('info', 'enrolled', { trustSequence: enrollment.trustSequence });
  }
  const creds = enrollment.credentials ?? { ...(plan.broker.username === undefined ? {} : { username: plan.broker.username }), ...(plan.broker.password === undefined ? {} : { password: plan.broker.password }) };
  const session = await Session.open(sessionOptions(creds));
  const client = new ChunkClient(session, { deviceId: plan.deviceId, ...(plan.download?.timeoutMs === undefined ? {} : { timeoutMs: plan.download.timeoutMs }) });
  await client.start();
  const downloader = new Downloader(plan.dataDir, client, {
    ...(plan.download?.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: plan.download.stallTimeoutMs }),
    ...(plan.download?.attemptsPerChunk === undefined ? {} : { attemptsPerChunk: plan.download.attemptsPerChunk }),
  });
  const { device, close: closeHardware } = await openHardware(plan);
  const reporter: Reporter = {
    status: (s) => session.publishStatus(s),
    event: (e) => void session.publishEvent(e).catch((err: unknown) => log('warn', 'event not queued', { error: String(err) })),
    telemetry: (t) => session.publishTelemetry(t),
    logs: (b) => session.publishLogs(b),
  };
  const agent = await Agent.start({
    dataDir: plan.dataDir,
    identity: { deviceId: plan.deviceId, deviceClass: plan.deviceClass },
    agentVersion: AGENT_VERSION,
    trust,
    bus: session,
    reporter,
    fetcher: {
      fetchManifest: (digest) => downloader.fetchSmall(digest, MAX_MANIFEST_BYTES),
      fetchModule: (digest, size) => downloader.download({ digest, size }),
    },
    hardware: device,
    ...(plan.grants === undefined ? {} : { grants: plan.grants }),
    ...(plan.probation === undefined ? {} : { probation: plan.probation }),
    ...(plan.statusIntervalMs === undefined ? {} : { statusIntervalMs: plan.statusIntervalMs }),
    ...(plan.telemetryIntervalMs === undefined ? {} : { telemetryIntervalMs: plan.telemetryIntervalMs }),
    log,
  });
  return {
    agent,
    session,
    enrollment,
    async close() {
      await agent.close();
      await client.stop().catch(() => undefined);
      await session.close();
      await closeHardware();
    },
  };
}
