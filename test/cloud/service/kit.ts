// A fleet for FleetCloud's tests on the real clock: fleet keys, a FleetCloud on a SQLite store in a temporary folder
// with an embedded aedes on a loopback port, DaemonPlans for real agents in this process, and signed bundles of tiny
// WAT reactors (test/agent/e2e-kit.ts releases).

import { mkdir } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DaemonPlan } from '../../../agent/daemon.ts';
import { encodeBundle } from '../../../agent/update/bundle.ts';
import { manifestDigest } from '../../../agent/update/verify.ts';
import { FleetCloud } from '../../../cloud/service/cloud.ts';
import type { FleetCloudConfig } from '../../../cloud/service/config.ts';
import type { E2eRelease, FleetKeys } from '../../agent/e2e-kit.ts';

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A loopback port free right now (so that a restarted cloud listens where the agents reconnect). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export function cloudConfig(keys: FleetKeys, dir: string, over: Partial<FleetCloudConfig> = {}): FleetCloudConfig {
  return {
    dataDir: join(dir, 'cloud'),
    trust: keys.trust,
    stateSigner: { kid: keys.stateSigner.id, seed: keys.stateSigner.kp.seed },
    broker: { embedded: { port: 0 } },
    enrollment: { retryAfterMs: 1_000 },
    rolloutTickMs: 200,
    ...over,
  };
}

export function startCloud(keys: FleetKeys, dir: string, over: Partial<FleetCloudConfig> = {}): Promise<FleetCloud> {
  return FleetCloud.start(cloudConfig(keys, dir, over));
}

/** A plan for one device whose data lives in `dir/devices/<id>`, on the cloud at `url`. */
export async function devicePlan(keys: FleetKeys, dir: string, url: string, deviceId: string, over: Partial<DaemonPlan> = {}): Promise<DaemonPlan> {
  const dataDir = join(dir, 'devices', deviceId);
  await mkdir(dataDir, { recursive: true });
  return {
    dataDir,
    deviceId,
    deviceClass: 'sim',
    broker: { url, keepaliveS: 5 },
    enrollment: { roots: keys.roots.map((r) => hex(r.kp.publicKey)), threshold: 2 },
    hardware: { kind: 'none' },
    probation: { windowMs: 1_000, pollMs: 20, healthEveryMs: 100 },
    statusIntervalMs: 500,
    telemetryIntervalMs: 1_000,
    backoff: { initialMs: 100, maxMs: 500 },
    download: { timeoutMs: 2_000, stallTimeoutMs: 20_000 },
    ...over,
  };
}

/** The bundle file `fleetlet sign` would write for a release. */
export function bundleOf(r: E2eRelease): Uint8Array {
  return encodeBundle({ signedManifest: r.signedManifest, module: r.module });
}

export const digestOf = (r: E2eRelease): string => hex(manifestDigest(r.signedManifest));
