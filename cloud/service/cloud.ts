// `FleetCloud`: the one process that runs a fleetlet fleet service (`fleetlet cloud`): the cloud store behind
// everything, the broker (embedded aedes, or an external one), enrollment with operator decisions in the store,
// registry ingest, the chunk service, desired states kept in the store, the rollout driver, and the operator facade
// (`ops`) that the HTTP API, the dashboard and the CLI call. It grows from MiniCloud, which stays the tests' smallest
// cloud.

import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { MessageBus } from '../../agent/session/bus.ts';
import { busFromClient } from '../../agent/session/client-bus.ts';
import { isRejected } from '../../agent/update/rejection.ts';
import { TrustStore } from '../../agent/update/trust-store.ts';
import { decodeStatus } from '../../schemas/messages/status.ts';
import { parseTopic, TOPIC_ROOT, TOPICS } from '../../schemas/topics.ts';
import type { AuthDenial } from '../broker/auth.ts';
import { BlobStore } from '../chunks/blob-store.ts';
import { ChunkService } from '../chunks/chunk-service.ts';
import { EnrollmentService } from '../enroll/service.ts';
import { RegistryIngest } from '../ingest/registry.ts';
import { RolloutDriver } from '../rollout/driver.ts';
import { RolloutLeader } from '../rollout/leader.ts';
import { CloudEnrollmentStore } from '../store/enrollment-adapter.ts';
import { PostgresStore } from '../store/postgres.ts';
import { CloudRolloutStore } from '../store/rollout-adapter.ts';
import { SqliteStore } from '../store/sqlite.ts';
import type { CloudStore } from '../store/store.ts';
import { StoreDesiredStates } from '../state/store-states.ts';
import type { CloudLog, FleetCloudConfig } from './config.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.ts';
import { CloudFleetOps, type ReportedApp } from './fleet-ops.ts';
import type { FleetOps } from './ops.ts';
import { sharedBus } from './shared-bus.ts';

/** The shared subscription group of the cloud processes (broker.shared). */
export const CLOUD_SHARE_GROUP = 'fleetlet-cloud';

/** Why the cloud could not start. */
export class FleetCloudError extends Error {
  override readonly name = 'FleetCloudError';
  constructor(
    readonly code: 'bad-trust' | 'broker' | 'store',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}


export class FleetCloud {
  #closers: (() => Promise<unknown>)[] = [];
  #verifier: TrustStore | undefined;
  #closed = false;
  #retention: NodeJS.Timeout | undefined;

  private constructor(
    /** Clients the embedded broker turned away, newest last (bounded). */
    readonly denials: readonly AuthDenial[],
    readonly config: FleetCloudConfig,
    readonly store: CloudStore,
    readonly url: string,
    readonly client: MqttClient,
    readonly bus: MessageBus,
    readonly broker: EmbeddedBroker | undefined,
    readonly blobs: BlobStore,
    readonly enrollment: EnrollmentService,
    readonly desired: StoreDesiredStates,
    readonly ingest: RegistryIngest,
    /** Whether this process drives rollouts (one of the processes sharing the store does). */
    readonly leader: RolloutLeader,
    readonly ops: FleetOps & CloudFleetOps,
  ) {}

  /** This process's rollout driver while it leads rollouts; undefined while another process does. */
  get driver(): RolloutDriver | undefined {
    return this.leader.driver;
  }

  /**
   * Starts every part in order (store, trust, broker, connection, chunks, enrollment, ingest, desired states, rollouts),
   * republishes every device's last signed state and trust, and resumes the rollouts in progress.
   * @throws FleetCloudError 'bad-trust' (the trust update does not verify), 'broker', 'store'; StoreError
   */
  static async start(config: FleetCloudConfig): Promise<FleetCloud> {
    const closers: (() => Promise<unknown>)[] = [];
    const closeAll = async (): Promise<void> => {
      for (const c of closers.reverse()) await c().catch(() => undefined);
    };
    const clock = config.clock ?? Date.now;
    const log: CloudLog = config.log ?? (() => {});
    // The broker listens before the enrollment service is up: a device that reconnects at once (a cloud restart) waits
    // for it rather than being told its password is wrong; a start that fails answers every waiting login with no.
    let enrollmentReady!: (e: EnrollmentService | undefined) => void;
    const enrollmentRef = new Promise<EnrollmentService | undefined>((r) => (enrollmentReady = r));
    try {
      await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
      const store = await openStore(config);
      closers.push(() => store.close());

      // The fleet's trust as a freshly provisioned device holds it: uploaded bundles are verified against it.
      const trustDir = join(config.dataDir, 'trust-view');
      await rm(trustDir, { recursive: true, force: true });
      const verifier = await TrustStore.open(trustDir, { clock: () => Math.floor(clock() / 1000) });
      try {
        await verifier.provision(config.trust);
      } catch (e) {
        if (isRejected(e)) throw new FleetCloudError('bad-trust', `Cannot use the fleet's trust update: ${e.message} (${e.code})`, { cause: e });
        throw e;
      }

      const processId = config.processId ?? `${hostname()}-${process.pid}`;
      const cloudLogin = { username: 'fleetlet-cloud', password: randomBytes(16).toString('hex') };
      const denials: AuthDenial[] = [];
      const b = config.broker ?? { embedded: {} };
      let broker: EmbeddedBroker | undefined;
      let url: string;
      const clientOptions: IClientOptions = { clientId: `fleetlet-cloud-${processId}`.slice(0, 128), reconnectPeriod: 500 };
      if ('embedded' in b) {
        try {
          broker = await startEmbeddedBroker({
            devices: {
              checkPassword: async (id, pw) => (await (await enrollmentRef)?.checkPassword(id, pw)) ?? false,
              mayEnroll: async (id) => (await (await enrollmentRef)?.mayEnroll(id)) ?? false,
            },
            cloud: cloudLogin,
            ...(b.embedded.host === undefined ? {} : { host: b.embedded.host }),
            port: b.embedded.port ?? 1883,
            ...(b.embedded.tls === undefined ? {} : { tls: b.embedded.tls }),
            onDenied: (d) => {
              denials.push(d);
              if (denials.length > 1000) denials.shift();
              log('info', 'broker refused a client', { ...d });
            },
          });
        } catch (e) {
          throw new FleetCloudError('broker', `Cannot start the embedded broker on ${b.embedded.host ?? '127.0.0.1'}:${b.embedded.port ?? 1883}: ${(e as Error).message}`, { cause: e });
        }
        const embedded = broker;
        closers.push(() => embedded.close());
        url = broker.url;
        Object.assign(clientOptions, cloudLogin);
        // this process's own TLS listener: trust its certificate, whatever name it carries
        if (b.embedded.tls !== undefined) Object.assign(clientOptions, { ca: b.embedded.tls.cert, checkServerIdentity: () => undefined });
      } else {
        url = b.url;
        Object.assign(clientOptions, {
          ...(b.username === undefined ? {} : { username: b.username }),
          ...(b.password === undefined ? {} : { password: b.password }),
          ...(b.protocolVersion === undefined ? {} : { protocolVersion: b.protocolVersion }),
          ...(b.ca === undefined ? {} : { ca: b.ca }),
        });
      }
      let client: MqttClient;
      try {
        client = await mqtt.connectAsync(url, clientOptions);
      } catch (e) {
        throw new FleetCloudError('broker', `Cannot connect to the broker at ${url}: ${(e as Error).message}`, { cause: e });
      }
      closers.push(() => client.endAsync(true));
      const noDelay = (): void => (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      noDelay();
      client.on('connect', noDelay);
      client.on('error', (e) => log('warn', 'broker connection error', { error: e.message }));
      const bus = busFromClient(client);
      // What each device message needs once: with several processes on a shared broker, one of them gets it.
      const shared = !('embedded' in b) && b.shared === true;
      if (shared && b.protocolVersion !== 5) throw new FleetCloudError('broker', 'Cannot share the broker between cloud processes (broker.shared) without MQTT 5: set broker.protocolVersion to 5');
      const deviceBus = shared ? sharedBus(bus, CLOUD_SHARE_GROUP) : bus;

      const blobs = await BlobStore.open(config.blobsDir ?? join(config.dataDir, 'blobs'));
      const chunks = new ChunkService(deviceBus, { store: blobs, rateLimit: config.chunkRate ?? { perSecond: 200, burst: 100 } });
      await chunks.start();
      closers.push(() => chunks.stop());

      const enrollStore = new CloudEnrollmentStore(store);
      const enrollment = await EnrollmentService.start(deviceBus, {
        trust: config.trust,
        store: enrollStore,
        decisions: enrollStore,
        autoAccept: config.enrollment?.autoAccept ?? false,
        ...(config.enrollment?.tokens === undefined ? {} : { tokens: config.enrollment.tokens }),
        issueCredentials: broker !== undefined,
        retryAfterMs: config.enrollment?.retryAfterMs ?? 10_000,
        clock,
      });
      enrollmentReady(enrollment);
      closers.push(() => enrollment.stop());

      const ingest = await RegistryIngest.start(deviceBus, store, {
        now: clock,
        onProblem: (p) => log(p.code === 'store-failed' ? 'warn' : 'debug', 'ingest dropped a message', { code: p.code, topic: p.topic, error: p.message }),
      });
      closers.push(() => ingest.stop());

      // What each device last said it runs of each app (release digest, and metrics while healthy): the previous
      // release and the regression baselines of a new rollout.
      const running = new Map<string, Map<string, ReportedApp>>();
      const unsubscribeMetrics = await bus.subscribe(`${TOPIC_ROOT}/dev/+/${TOPICS.status.suffix}`, (payload, topic) => {
        try {
          if (payload.length === 0) return;
          const s = decodeStatus(payload);
          if (parseTopic(topic).deviceId !== s.deviceId) return;
          const apps = new Map<string, ReportedApp>();
          for (const m of s.modules) {
            const healthy = m.metrics !== undefined && m.state === 'running' && m.errorCode === undefined;
            apps.set(m.name, {
              version: m.version,
              manifestDigest: Buffer.from(m.manifestDigest).toString('hex'),
              ...(healthy && m.metrics !== undefined ? { metrics: { ticks: m.metrics.ticks, fuelPerTick: m.metrics.fuelPerTick, memoryHighWaterPages: m.metrics.memoryHighWaterPages, traps: m.metrics.traps } } : {}),
            });
          }
          running.set(s.deviceId, apps);
        } catch {
          // ingest counts malformed reports
        }
      });
      closers.push(() => unsubscribeMetrics());

      const desired = new StoreDesiredStates({ store, bus, signer: config.stateSigner, clock });
      const refreshed = await desired.refreshStale();
      const republished = await desired.republishAll();

      let opsRef: CloudFleetOps | undefined;
      // Only the process holding the 'rollouts' lease runs a driver; it subscribes plainly (it needs every status).
      let leaderRef: RolloutLeader | undefined;
      const startDriver = (l: RolloutLeader): Promise<RolloutDriver> => RolloutDriver.start({
        store: l.fence(new CloudRolloutStore(store, processId)),
        bus,
        clock,
        ...(config.rolloutTickMs === undefined ? {} : { tickMs: config.rolloutTickMs }),
        publishDesired: async (deviceId, release, app) => (await desired.setApp(deviceId, app, { manifestDigest: release.manifestDigest, version: release.version })).state.sequence,
        onDecision: (rolloutId, decision) => {
          log('info', 'rollout decision', { rolloutId, code: decision.code, reason: decision.reason });
          if (decision.code === 'halted') void autoRollback(rolloutId);
        },
        onError: (e, rolloutId) => log('warn', 'rollout error', { rolloutId, error: e.message }),
      });
      const leader = await RolloutLeader.start({
        store,
        holder: processId,
        ...(config.rolloutLease?.ttlMs === undefined ? {} : { ttlMs: config.rolloutLease.ttlMs }),
        ...(config.rolloutLease?.renewEveryMs === undefined ? {} : { renewEveryMs: config.rolloutLease.renewEveryMs }),
        startDriver,
        onChange: (leading) => log('info', leading ? 'leading rollouts' : 'standing by for rollouts', { processId }),
        onError: (e) => log('warn', 'rollout lease', { error: e.message }),
      });
      leaderRef = leader;
      closers.push(() => leader.stop());
      const autoRollback = async (rolloutId: string): Promise<void> => {
        try {
          if (opsRef === undefined || !(await opsRef.autoRollback(rolloutId))) return;
          const release = await opsRef.rollbackReleaseOf(rolloutId);
          const driverNow = leaderRef?.driver;
          if (release === undefined || driverNow === undefined) return;
          const r = await driverNow.command(rolloutId, { type: 'roll-back', release, by: 'cloud' });
          await store.audit({ atMs: clock(), actor: 'cloud', action: 'roll-back-rollout', subject: rolloutId, detail: { automatic: true, ok: r.ok } });
        } catch (e) {
          log('warn', 'automatic rollback failed', { rolloutId, error: (e as Error).message });
        }
      };

      const ops = new CloudFleetOps({
        store,
        blobs,
        verifier,
        desired,
        enrollment,
        driver: () => leaderRef?.driver,
        disconnect: async (id) => (broker === undefined ? false : broker.disconnect(id)),
        reported: (id, app) => running.get(id)?.get(app),
        clock,
      });
      opsRef = ops;
      const cloud = new FleetCloud(denials, config, store, url, client, bus, broker, blobs, enrollment, desired, ingest, leader, ops);
      cloud.#closers = closers;
      cloud.#verifier = verifier;
      // Hourly: old events and telemetry go; desired states past half their validity are signed again.
      cloud.#retention = setInterval(() => {
        void store.applyRetention(clock()).catch((e: unknown) => log('warn', 'retention failed', { error: (e as Error).message }));
        void desired.refreshStale().catch((e: unknown) => log('warn', 'refreshing desired states failed', { error: (e as Error).message }));
      }, 3_600_000);
      cloud.#retention.unref();
      log('info', 'cloud started', { url, processId, republished, refreshed, store: config.store?.kind ?? 'sqlite' });
      return cloud;
    } catch (e) {
      enrollmentReady(undefined);
      await closeAll();
      throw e;
    }
  }

  /**
   * Publishes a new signed trust update of the fleet: to every device known to the store (retained, kept for
   * republishing) and to devices enrolled from now on.
   * @throws UpdateRejected when the update does not follow the trust in force; the bus's or the store's error
   */
  async publishTrust(signedTrustUpdate: Uint8Array): Promise<number> {
    // checked as a device holding the current trust would check it; bundles are verified against it from now on
    await this.#verifier?.applyTrustUpdate(signedTrustUpdate);
    this.enrollment.setTrust(signedTrustUpdate);
    let n = 0;
    let cursor: string | undefined;
    do {
      const page = await this.store.listDevices({ limit: 500, ...(cursor === undefined ? {} : { cursor }) });
      for (const d of page.items) {
        await this.desired.publishTrust(d.deviceId, signedTrustUpdate);
        n++;
      }
      cursor = page.next;
    } while (cursor !== undefined);
    return n;
  }

  /** Stops every part (rollouts stay in the store for the next start) and closes the broker and the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retention !== undefined) clearInterval(this.#retention);
    for (const c of this.#closers.reverse()) await c().catch(() => undefined);
  }
}

async function openStore(config: FleetCloudConfig): Promise<CloudStore> {
  const s = config.store ?? { kind: 'sqlite' };
  const retention = config.retention === undefined ? {} : { retention: config.retention };
  if (s.kind === 'sqlite') return SqliteStore.open({ path: s.path ?? join(config.dataDir, 'fleet.db'), ...retention });
  return PostgresStore.open({ connectionString: s.url, ...(s.schema === undefined ? {} : { schema: s.schema }), ...retention });
}
