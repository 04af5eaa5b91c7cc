// A fleet for the end-to-end suites on the real clock: fleet keys and a trust update valid now, releases of tiny WAT
// reactors signed by the module signer, the minimal cloud (enrollment, chunks, desired states) on an embedded aedes
// with its auth hooks or on Debian's mosquitto, and DaemonPlans for agents in this process or in child processes.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonPlan } from '../../agent/daemon.ts';
import { MiniCloud, type Release as CloudRelease } from '../../cloud/mini-cloud.ts';
import type { Manifest } from '../../schemas/messages/manifest.ts';
import { actor, manifest, removeDir, signManifest, signTrust, tempDir, trustUpdate, type Actor } from '../trust/fixtures.ts';
import { reactor, type Behaviour } from './agent-kit.ts';
import { startMosquitto, type RunningBroker } from '../support/brokers.ts';

const YEAR = 365 * 86_400;
const nowS = (): number => Math.floor(Date.now() / 1000);

export interface FleetKeys {
  readonly roots: Actor[];
  readonly moduleSigner: Actor;
  readonly stateSigner: Actor;
  readonly trust: Uint8Array;
}

/** Keys valid from a year ago for five years and a trust update issued an hour ago, signed by 2 of 3 roots. */
export function fleetKeys(): FleetKeys {
  const window = { notBefore: nowS() - YEAR, notAfter: nowS() + 5 * YEAR };
  const roots = [actor('root-1', 'root', window), actor('root-2', 'root', window), actor('root-3', 'root', window)];
  const moduleSigner = actor('module-1', 'module-signer', window);
  const stateSigner = actor('state-1', 'state-signer', window);
  const trust = signTrust(trustUpdate([...roots, moduleSigner, stateSigner], { issuedAt: nowS() - 3600, expiresAt: nowS() + YEAR }), roots.slice(0, 2));
  return { roots, moduleSigner, stateSigner, trust };
}

export interface E2eRelease extends CloudRelease {
  readonly name: string;
  readonly version: string;
  readonly manifest: Manifest;
}

export const E2E_LIMITS = { maxMemoryPages: 4, maxTableElements: 100, maxCallDepth: 200, maxStackSlots: 10_000, fuelPerTick: 200_000, hostCallsPerSecond: 100, tickPeriodMs: 20 };

/** A signed release of a WAT reactor that behaves as asked (see agent-kit `reactor`). */
export function release(keys: FleetKeys, name: string, version: string, sequence: number, behaviour: Behaviour, over: Partial<Manifest> = {}): E2eRelease {
  const module = over.digest === undefined ? reactor(behaviour, `${name}@${version}`) : new Uint8Array();
  const m = manifest(module, { name, version, sequence, capabilities: ['kv:4096'], limits: E2E_LIMITS, targets: ['sim'], issuedAt: nowS() - 60, expiresAt: nowS() + 90 * 86_400, ...over });
  return { name, version, manifest: m, module, signedManifest: signManifest(m, keys.moduleSigner) };
}

export type BrokerKind = 'aedes' | 'mosquitto';

export interface E2eFleet {
  readonly keys: FleetKeys;
  readonly cloud: MiniCloud;
  readonly dir: string;
  /** A plan for one device whose data lives in `dir/devices/<id>`. */
  plan(deviceId: string, over?: Partial<DaemonPlan>): Promise<DaemonPlan>;
  close(): Promise<void>;
}

export async function e2eFleet(kind: BrokerKind, options: { protocolVersion?: 4 | 5 } = {}): Promise<E2eFleet> {
  const keys = fleetKeys();
  const dir = await tempDir('fleetlet-e2e-');
  let mosquitto: RunningBroker | undefined;
  if (kind === 'mosquitto') mosquitto = await startMosquitto();
  const cloud = await MiniCloud.start({
    dataDir: join(dir, 'cloud'),
    trust: keys.trust,
    stateSigner: { kid: keys.stateSigner.id, seed: keys.stateSigner.kp.seed },
    ...(mosquitto === undefined ? {} : { broker: { url: mosquitto.url } }),
  });
  return {
    keys, cloud, dir,
    async plan(deviceId, over = {}) {
      const dataDir = join(dir, 'devices', deviceId);
      await mkdir(dataDir, { recursive: true });
      return {
        dataDir,
        deviceId,
        deviceClass: 'sim',
        broker: { url: cloud.url, keepaliveS: 5, ...(options.protocolVersion === undefined ? {} : { protocolVersion: options.protocolVersion }) },
        enrollment: { roots: keys.roots.map((r) => Buffer.from(r.kp.publicKey).toString('hex')), threshold: 2 },
        hardware: { kind: 'none' },
        probation: { windowMs: 1_500, pollMs: 20, healthEveryMs: 100 },
        statusIntervalMs: 1_000,
        telemetryIntervalMs: 1_000,
        backoff: { initialMs: 100, maxMs: 1_000 },
        download: { timeoutMs: 2_000, stallTimeoutMs: 20_000 },
        ...over,
      };
    },
    async close() {
      await cloud.close();
      await mosquitto?.close();
      await removeDir(dir);
    },
  };
}
