// One simulated device's agent, put together as agent/daemon.ts does (identity, trust store, enrollment, MQTT
// session, chunked downloader, the Agent), with one difference: the device's wall clock may be skewed, and the skew
// reaches every part that reads it (trust and signature validity, the update machine, the session's timestamps).
// By default the simulated devices have no sensors, pins or ports (the fleet simulator tests delivery, not apps'
// hardware); a plan that names a device-sim scenario gets that simulated hardware, as `fleetlet agent` does.

import { Agent, type AgentLog, type Reporter } from '../../agent/agent.ts';
import { AGENT_VERSION, openHardware, type DaemonPlan } from '../../agent/daemon.ts';
import { enroll, loadEnrollment } from '../../agent/enroll/index.ts';
import { systemTime } from '../../agent/host/hw/time.ts';
import { DeviceIdentityStore, IDENTITY_DIR } from '../../agent/identity/index.ts';
import { Session, type SessionOptions } from '../../agent/session/index.ts';
import { ChunkClient } from '../../agent/update/download/chunk-client.ts';
import { Downloader } from '../../agent/update/download/downloader.ts';
import { TrustStore } from '../../agent/update/trust-store.ts';
import { join } from 'node:path';

const MAX_MANIFEST_BYTES = 64 * 1024;

export interface SimAgentPlan extends Omit<DaemonPlan, 'hardware'> {
  /** Milliseconds added to the wall clock this device reads. */
  readonly skewMs?: number;
  /** Simulated hardware from a device-sim scenario file; default none. */
  readonly hardware?: { readonly kind: 'sim'; readonly scenario: string };
}

export interface SimAgent {
  readonly agent: Agent;
  readonly session: Session;
  /** Stops apps (state written) and the session (clean disconnect). */
  close(): Promise<void>;
}

/**
 * Starts one simulated device: enrolls first when it is not enrolled yet (waits for the fleet's answer), then
 * connects with the issued credentials and starts the Agent.
 * @throws EnrollmentError (refused, bad trust), IdentityError, RecordCorrupt, TrustCorrupt
 */
export async function startSimAgent(plan: SimAgentPlan, log: AgentLog, signal?: AbortSignal): Promise<SimAgent> {
  const skew = plan.skewMs ?? 0;
  const now = skew === 0 ? Date.now : (): number => Date.now() + skew;
  const identity = await DeviceIdentityStore.open(plan.dataDir, { deviceId: plan.deviceId, deviceClass: plan.deviceClass });
  const trust = await TrustStore.open(plan.dataDir, { clock: () => Math.floor(now() / 1000) });
  const base = { ...(plan.broker.username === undefined ? {} : { username: plan.broker.username }), ...(plan.broker.password === undefined ? {} : { password: plan.broker.password }) };
  const sessionOptions = (creds: { username?: string; password?: string }): SessionOptions => ({
    url: plan.broker.url,
    deviceId: plan.deviceId,
    dataDir: plan.dataDir,
    now,
    ...creds,
    ...(plan.broker.protocolVersion === undefined ? {} : { protocolVersion: plan.broker.protocolVersion }),
    ...(plan.broker.keepaliveS === undefined ? {} : { keepaliveS: plan.broker.keepaliveS }),
    ...(plan.outbox === undefined ? {} : { outbox: plan.outbox }),
    ...(plan.backoff === undefined ? {} : { backoff: plan.backoff }),
    onError: (e) => log('debug', e.message, { code: e.code }),
  });
  let enrollment = await loadEnrollment(join(plan.dataDir, IDENTITY_DIR));
  if (enrollment === undefined || trust.trust === undefined) {
    const boot = await Session.open({ ...sessionOptions(base), presence: false });
    try {
      enrollment = await enroll(boot, identity, trust, {
        roots: plan.enrollment.roots,
        threshold: plan.enrollment.threshold,
        ...(plan.enrollment.token === undefined ? {} : { token: plan.enrollment.token }),
        agentVersion: AGENT_VERSION,
        ...(signal === undefined ? {} : { signal }),
      });
    } finally {
      await boot.close();
    }
    log('info', 'enrolled', { trustSequence: enrollment.trustSequence });
  }
  const session = await Session.open(sessionOptions(enrollment.credentials ?? base));
  const client = new ChunkClient(session, { deviceId: plan.deviceId, ...(plan.download?.timeoutMs === undefined ? {} : { timeoutMs: plan.download.timeoutMs }) });
  await client.start();
  const downloader = new Downloader(plan.dataDir, client, {
    ...(plan.download?.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: plan.download.stallTimeoutMs }),
    ...(plan.download?.attemptsPerChunk === undefined ? {} : { attemptsPerChunk: plan.download.attemptsPerChunk }),
  });
  const hw = plan.hardware === undefined ? undefined : await openHardware({ ...plan, hardware: plan.hardware });
  const reporter: Reporter = {
    status: (s) => session.publishStatus(s),
    event: (e) => void session.publishEvent(e).catch(() => undefined),
    telemetry: (t) => session.publishTelemetry(t),
    logs: (b) => session.publishLogs(b),
  };
  try {
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
      hardware: hw?.device ?? { clock: systemTime },
      now,
      ...(plan.grants === undefined ? {} : { grants: plan.grants }),
      ...(plan.probation === undefined ? {} : { probation: plan.probation }),
      ...(plan.statusIntervalMs === undefined ? {} : { statusIntervalMs: plan.statusIntervalMs }),
      ...(plan.telemetryIntervalMs === undefined ? {} : { telemetryIntervalMs: plan.telemetryIntervalMs }),
      log,
    });
    return {
      agent,
      session,
      async close() {
        await agent.close();
        await client.stop().catch(() => undefined);
        await session.close();
        await hw?.close().catch(() => undefined);
      },
    };
  } catch (e) {
    await client.stop().catch(() => undefined);
    await session.close().catch(() => undefined);
    await hw?.close().catch(() => undefined);
    throw e;
  }
}
