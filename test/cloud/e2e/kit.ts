// A simulated fleet for the cloud's end-to-end rollout tests: a FleetCloud (embedded aedes, SQLite) and N real agents
// in this process, each on device-sim hardware from its own scenario file (a noisy "load" sensor seeded per device),
// the "load" app as a WAT reactor whose tick reads the sensor and loops in proportion to the reading, a log of every
// status report the devices sent, and helpers to roll out and to wait for what the operator would see.

import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess, type DaemonPlan, type RunningAgent } from '../../../agent/daemon.ts';
import type { FleetCloud } from '../../../cloud/service/cloud.ts';
import type { CreateRolloutRequest, RolloutView } from '../../../cloud/service/ops.ts';
import type { RolloutRecord } from '../../../cloud/rollout/record.ts';
import { decodeStatus, type ModuleMetrics } from '../../../schemas/messages/status.ts';
import { parseTopic, TOPIC_ROOT, TOPICS } from '../../../schemas/topics.ts';
import { wat } from '../../fuzz/wat.ts';
import { until } from '../../agent/agent-kit.ts';
import { fleetKeys, type E2eRelease, type FleetKeys } from '../../agent/e2e-kit.ts';
import { manifest, signManifest } from '../../trust/fixtures.ts';
import { bundleOf, devicePlan, startCloud } from '../service/kit.ts';

export const APP = 'load';
export const ACTOR = 'e2e-operator';

/**
 * The "load" sensor every device reads: a random walk around 100 (one gaussian step of 12 every 50 ms, held in
 * 65..135), so the mean over a few seconds differs from one window to the next by about +-20 % (10th to 90th
 * percentile of the ratio of two windows: 0.80 to 1.23), as a busy device's real workload would.
 */
export const LOAD_SENSOR = { model: 'random-walk', unit: 'jobs', start: 100, stepMs: 50, stepStdDev: 12, min: 65, max: 135 } as const;

/** The app ticks every 25 ms, so a version reaches the regression rule's 20 ticks within a second. */
export const LOAD_LIMITS = { maxMemoryPages: 2, maxTableElements: 10, maxCallDepth: 100, maxStackSlots: 10_000, fuelPerTick: 1_000_000, hostCallsPerSecond: 200, tickPeriodMs: 25 };

/**
 * A reactor whose `tick` reads sensor "load" (host import `sensor_read`, capability `sensor:load:read`) and loops
 * `reading x loopsPerUnit` times: its fuel per tick is proportional to the reading (plus a small fixed cost), so a
 * build with twice the loops is a version twice as slow that is otherwise perfectly healthy.
 */
export function loadReactor(loopsPerUnit: number): Uint8Array {
  return wat(`(module
    (import "fleetlet:host/v1" "sensor_read" (func $sensor_read (param i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "load")
    (global $sum (mut i32) (i32.const 0))
    (func (export "init"))
    (func (export "tick") (local $n i32) (local $i i32)
      (if (i32.lt_s (call $sensor_read (i32.const 0) (i32.const 4) (i32.const 16)) (i32.const 0)) (then (return)))
      (local.set $n (i32.mul (i32.trunc_sat_f64_s (f64.load (i32.const 16))) (i32.const ${loopsPerUnit})))
      (block $done
        (loop $l
          (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
          (global.set $sum (i32.add (global.get $sum) (local.get $i)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l))))
    (func (export "health") (result i32) (i32.const 1)))`);
}

/** A signed release of the "load" app with `loopsPerUnit` loops per unit of the reading. */
export function loadRelease(keys: FleetKeys, version: string, sequence: number, loopsPerUnit: number): E2eRelease {
  const module = loadReactor(loopsPerUnit);
  const nowS = Math.floor(Date.now() / 1000);
  const m = manifest(module, { name: APP, version, sequence, capabilities: ['sensor:load:read'], limits: LOAD_LIMITS, targets: ['sim'], issuedAt: nowS - 60, expiresAt: nowS + 86_400 });
  return { name: APP, version, manifest: m, module, signedManifest: signManifest(m, keys.moduleSigner) };
}

/** One status report of the app, as a device sent it. */
export interface AppReport {
  readonly atMs: number;
  readonly version: string;
  readonly state: string;
  readonly metrics?: ModuleMetrics;
}

export interface E2eFleetOptions {
  readonly devices: number;
  /** Device-sim hardware with the noisy load sensor (default true); false: no hardware. */
  readonly noisySensor?: boolean;
}

export interface SimFleet {
  readonly keys: FleetKeys;
  readonly cloud: FleetCloud;
  readonly ids: readonly string[];
  /** Every report of the app per device, oldest first. */
  readonly reports: ReadonlyMap<string, readonly AppReport[]>;
  /** Uploads the bundle as the operator would; returns its manifest digest. */
  upload(r: E2eRelease): Promise<string>;
  /** Creates (and starts) a rollout of the app, by the operator. */
  rollout(req: CreateRolloutRequest): Promise<RolloutView>;
  /** Polls the rollout until `ok` holds. */
  waitRollout(id: string, what: string, ok: (r: RolloutView) => boolean, ms?: number): Promise<RolloutView>;
  /** The engine's record as stored (per-device baselines and metrics, decisions with their numbers). */
  record(id: string): Promise<RolloutRecord>;
  /** The version of the app a device last reported running (or in probation), if any. */
  runs(id: string): string | undefined;
  /** Resolves once every one of `ids` sent `n` more reports after this call. */
  moreReports(ids: readonly string[], n: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the cloud and the devices (enrollment accepted at once), and waits until every device is online.
 * Device data live in /dev/shm where there is one (fsync-heavy update steps stay cheap on a loaded machine).
 */
export async function startSimFleet(o: E2eFleetOptions): Promise<SimFleet> {
  const keys = fleetKeys();
  const dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'fleetlet-e2e-cloud-'));
  const agents: RunningAgent[] = [];
  const aborts: AbortController[] = [];
  let cloud: FleetCloud | undefined;
  const close = async (): Promise<void> => {
    for (const a of aborts) a.abort();
    await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
    await cloud?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const c = await startCloud(keys, dir, { enrollment: { autoAccept: true, retryAfterMs: 500 }, rolloutTickMs: 100 });
    cloud = c;
    const ids = Array.from({ length: o.devices }, (_, i) => `dev-${String(i + 1).padStart(2, '0')}`);
    const reports = new Map<string, AppReport[]>(ids.map((id) => [id, []]));
    const waiters = new Set<() => void>();
    await c.bus.subscribe(`${TOPIC_ROOT}/dev/+/${TOPICS.status.suffix}`, (payload, topic) => {
      if (payload.length === 0) return;
      let s;
      try {
        s = decodeStatus(payload);
        if (parseTopic(topic).deviceId !== s.deviceId) return;
      } catch {
        return; // the cloud's ingest counts malformed reports; the log keeps only what a device said
      }
      const m = s.modules.find((x) => x.name === APP);
      if (m === undefined) return;
      reports.get(s.deviceId)?.push({ atMs: Date.now(), version: m.version, state: m.state, ...(m.metrics === undefined ? {} : { metrics: m.metrics }) });
      for (const w of [...waiters]) w();
    });
    const plans: DaemonPlan[] = [];
    for (const [i, id] of ids.entries()) {
      let hardware: DaemonPlan['hardware'] = { kind: 'none' };
      if (o.noisySensor !== false) {
        const scenario = join(dir, `scenario-${id}.json`);
        await writeFile(scenario, JSON.stringify({ version: 1, description: `a noisy workload sensor, seeded for ${id}`, seed: 1_000 + i, sensors: { load: LOAD_SENSOR } }));
        hardware = { kind: 'sim', scenario };
      }
      plans.push(await devicePlan(keys, dir, c.url, id, { hardware, statusIntervalMs: 400, probation: { windowMs: 1_200, pollMs: 20, healthEveryMs: 100 } }));
    }
    await Promise.all(
      plans.map(async (plan) => {
        const abort = new AbortController();
        aborts.push(abort);
        agents.push(await startAgentProcess(plan, () => {}, abort.signal));
      }),
    );
    await until('every device online', async () => ((await c.ops.overview()).online >= ids.length ? true : undefined), 60_000);

    const runs = (id: string): string | undefined => {
      const last = reports.get(id)?.at(-1);
      return last !== undefined && (last.state === 'running' || last.state === 'probation') ? last.version : undefined;
    };
    return {
      keys,
      cloud: c,
      ids,
      reports,
      upload: async (r) => (await c.ops.uploadBundle(bundleOf(r), ACTOR)).manifestDigest,
      rollout: (req) => c.ops.createRollout(req, ACTOR),
      waitRollout: (id, what, ok, ms = 40_000) => until(what, async () => {
        const r = await c.ops.getRollout(id);
        return ok(r) ? r : undefined;
      }, ms),
      async record(id) {
        const row = await c.store.getRollout(id);
        if (row === undefined) throw new Error(`No rollout "${id}" in the store`);
        return row.spec as unknown as RolloutRecord;
      },
      runs,
      moreReports(wanted, n) {
        const from = new Map(wanted.map((id) => [id, reports.get(id)?.length ?? 0]));
        return new Promise<void>((resolve, reject) => {
          const check = (): void => {
            if (!wanted.every((id) => (reports.get(id)?.length ?? 0) >= from.get(id)! + n)) return;
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`Timed out waiting for ${n} more reports of ${wanted.join(', ')}`));
          }, 20_000);
          waiters.add(check);
          check();
        });
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** A fast policy for tests: every device of a wave must be good, no soak, judged once 1 finished. */
export const FAST_POLICY = { successPercent: 100, minFinished: 1, soakMs: 0, waveTimeoutMs: 60_000 } as const;

/** Rolls the release out to every device in one wave and waits until it completes (the operator's "install"). */
export async function installEverywhere(f: SimFleet, r: E2eRelease, id: string): Promise<void> {
  const release = await f.upload(r);
  await f.rollout({ id, release, target: { kind: 'list', deviceIds: [...f.ids] }, waves: { kind: 'fixed', sizes: [f.ids.length] }, policy: FAST_POLICY });
  const done = await f.waitRollout(id, `${id} final`, (x) => x.state !== 'running' && x.state !== 'created');
  if (done.state !== 'completed') throw new Error(`Installing ${r.version} ended ${done.state}: ${done.decisions.at(-1)?.reason ?? ''}`);
}

/**
 * Resolves once every device reported `version` running with at least `ticks` ticks in its latest report (its
 * metrics are then a usable baseline for the regression rule).
 */
export function baselinesReady(f: SimFleet, version: string, ticks: number): Promise<true> {
  return until(`every device reports ${version} with ${ticks} ticks`, () =>
    f.ids.every((id) => {
      const last = f.reports.get(id)?.at(-1);
      return last?.version === version && last.state === 'running' && (last.metrics?.ticks ?? 0) >= ticks;
    }) || undefined, 30_000);
}
