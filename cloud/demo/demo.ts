// `npm run demo`: fleetlet's whole job on one machine with nothing else installed. It makes fresh keys and signs the
// thermostat example (offline, as an operator would), starts the cloud (embedded MQTT broker and SQLite database,
// HTTP API and dashboard), starts a simulated fleet of real agents on device-sim hardware, accepts their enrollment,
// installs 1.0.0 everywhere, rolls 1.1.0 out in waves, then rolls out 1.2.0 (a build that traps at start): its first
// wave fails, the rollout halts by itself and rolls back to 1.1.0 (re-signed with a higher sequence) before any
// other device gets it. It prints each step, the rollouts' progress and the dashboard's URL, then keeps serving the
// dashboard until Ctrl-C (`--exit` stops at the end: what the demo's test runs).

import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readSecretKeyFile } from '../../agent/cli/key-file.ts';
import { decodeSign } from '../../agent/update/cose.ts';
import { decodeTrustUpdate } from '../../schemas/messages/trust-update.ts';
import { FleetSim } from '../../device-sim/fleet/index.ts';
import { startHttpApi, type HttpApi } from '../http/server.ts';
import { FleetCloud } from '../service/cloud.ts';
import type { CreateRolloutRequest, RolloutView } from '../service/ops.ts';
import type { WavePlanSpec } from '../rollout/plan.ts';
import { prepareOperatorFiles } from './operator.ts';

export interface DemoOptions {
  /** Simulated devices (default 50). */
  readonly devices: number;
  /** Worker processes they run in (default 4). */
  readonly processes: number;
  /** Where keys, the cloud's data and the devices' data go (default a new temp folder). */
  readonly dir?: string;
  /** HTTP port of the API and dashboard (default 8080; 0 picks a free one; a busy 8080 falls back to a free one). */
  readonly port: number;
  /** Stop after the story instead of serving the dashboard until Ctrl-C. */
  readonly exit: boolean;
  /** Where the story is told (default stdout). */
  readonly print?: (line: string) => void;
}

/** What the demo saw, for its test. */
export interface DemoResult {
  readonly devices: number;
  readonly good: RolloutView;
  readonly bad: RolloutView;
  /** Devices per thermostat version at the end. */
  readonly versions: Readonly<Record<string, number>>;
  /** Devices that ever reported running 1.2.0. */
  readonly sawBad: number;
  readonly dashboard: string;
}

const ACTOR = 'demo-operator';
const APP = 'thermostat';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const FINAL = new Set(['completed', 'aborted', 'rolled-back', 'halted']);

export async function runDemo(o: DemoOptions, stop?: AbortSignal): Promise<DemoResult> {
  const print = o.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const t0 = Date.now();
  const step = (l: string): void => print(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${l}`);
  const dir = o.dir === undefined ? await mkdtemp(join(tmpdir(), 'fleetlet-demo-')) : resolve(o.dir);
  await mkdir(dir, { recursive: true });
  step(`fleetlet demo: ${o.devices} simulated devices in ${o.processes} processes; files in ${dir}`);

  // 1. The operator's offline side: keys, trust, signed bundles.
  const files = await prepareOperatorFiles(join(dir, 'operator'), (l) => step(l));
  const trust = new Uint8Array(await readFile(files.trustFile));
  const stateKey = await readSecretKeyFile(files.stateKeyFile);
  const update = decodeTrustUpdate(decodeSign(trust).payload);
  const roots = update.keys.filter((k) => k.role === 'root').map((k) => Buffer.from(k.publicKey).toString('hex'));

  // 2. The cloud: embedded broker and database, HTTP API and dashboard; its warnings go to a log file.
  const logFile = join(dir, 'cloud.log');
  const cloud = await FleetCloud.start({
    dataDir: join(dir, 'cloud'),
    trust,
    stateSigner: { kid: stateKey.id, seed: stateKey.seed },
    broker: { embedded: { port: 0 } },
    enrollment: { autoAccept: false, retryAfterMs: 1_000 },
    rolloutTickMs: 500,
    log: (level, msg, fields) => {
      if (level === 'warn' || level === 'error') appendFileSync(logFile, `${JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields })}\n`);
    },
  });
  const token = randomBytes(16).toString('hex');
  let http: HttpApi;
  try {
    http = await startHttpApi(cloud.ops, { port: o.port, operators: [{ name: ACTOR, token }], log: () => {} });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    http = await startHttpApi(cloud.ops, { port: 0, operators: [{ name: ACTOR, token }], log: () => {} });
  }
  step(`cloud up: MQTT ${cloud.url} (embedded aedes), SQLite in ${join(dir, 'cloud')}, warnings to ${logFile}`);
  step(`dashboard: ${http.url}/   (operator token for its buttons: ${token})`);

  let sim: FleetSim | undefined;
  try {
    // 3. The simulated fleet: real agents (enrollment, MQTT session, verification, slots on disk, fleetlet's engine).
    sim = await FleetSim.start({
      devices: o.devices,
      processes: o.processes,
      brokerUrl: cloud.url,
      enrollment: { roots, threshold: update.rootThreshold },
      dataRoot: join(dir, 'devices'),
      scenario: resolve(import.meta.dirname, '..', '..', 'examples', 'thermostat', 'scenario.json'),
      agent: { statusIntervalMs: 2_000, telemetryIntervalMs: 5_000, probation: { windowMs: 3_000, pollMs: 100, healthEveryMs: 500 } },
    });
    step(`started ${o.devices} simulated devices; they ask to enroll`);

    // 4. Enrollment: requests wait for the operator (as `fleetlet devices pending` / `accept` would do).
    const accepted = new Set<string>();
    while (accepted.size < o.devices) {
      checkStop(stop);
      const page = await cloud.ops.listEnrollments({ state: 'pending', limit: 1000 });
      for (const e of page.items) {
        await cloud.ops.acceptDevice(e.deviceId, ACTOR);
        accepted.add(e.deviceId);
      }
      if (accepted.size < o.devices) await sleep(250);
    }
    step(`accepted ${accepted.size} pending enrollments; devices get broker credentials sealed to their keys`);
    await until(async () => (await cloud.ops.overview()).online >= o.devices, 120_000, 'every device online', stop);
    step(`${o.devices} devices online`);

    // 5. Releases: the bundles the operator signed, verified by the cloud as a device would.
    const upload = async (file: string): Promise<string> => (await cloud.ops.uploadBundle(new Uint8Array(await readFile(file)), ACTOR)).manifestDigest;
    const v1 = await upload(files.bundles.v1);
    const v2 = await upload(files.bundles.v2);
    const bad = await upload(files.bundles.bad);
    const reissue = await upload(files.bundles.rollback);
    step('uploaded 4 signed bundles (thermostat 1.0.0, 1.1.0, 1.2.0, 1.1.0 re-signed)');

    const target = { kind: 'selector' as const, match: {}, deviceClass: 'sim' };
    const run = async (label: string, req: CreateRolloutRequest, until: (r: RolloutView) => boolean): Promise<RolloutView> => {
      const created = await cloud.ops.createRollout(req, ACTOR);
      step(`${label}: rollout ${created.id}, waves of ${created.waves.map((w) => w.size).join(', ')}`);
      let last = '';
      for (;;) {
        checkStop(stop);
        const r = await cloud.ops.getRollout(created.id);
        const line = progressLine(r);
        if (line !== last) step(`  ${line}`);
        last = line;
        if (until(r)) return r;
        await sleep(500);
      }
    };

    // 6. Everyone gets 1.0.0 (one wave), then 1.1.0 in waves, then the bad 1.2.0.
    const fast = { soakMs: 0, minFinished: 1, waveTimeoutMs: 120_000 };
    await run('install thermostat 1.0.0 everywhere', { release: v1, target, waves: { kind: 'fixed', sizes: [o.devices] }, policy: fast }, (r) => FINAL.has(r.state));
    const waves: WavePlanSpec = { kind: 'exponential', initial: Math.max(1, Math.round(o.devices / 10)), factor: 2, max: o.devices };
    const good = await run('roll out thermostat 1.1.0 in waves', { release: v2, target, waves, policy: { ...fast, successPercent: 90 } }, (r) => FINAL.has(r.state));
    step(`1.1.0: ${good.state}`);
    const badView = await run(
      'roll out thermostat 1.2.0 (traps at start) in waves, with automatic roll back to 1.1.0',
      { release: bad, target, waves, policy: { ...fast, errorPercent: 20, minFinished: 2 }, rollbackRelease: reissue, autoRollback: true },
      (r) => r.state === 'rolled-back' || r.state === 'completed' || r.state === 'aborted',
    );
    const halt = badView.decisions.find((d) => d.code === 'halted');
    step(`1.2.0: ${badView.state}${halt === undefined ? '' : ` — halted: ${halt.reason}`}`);

    // 7. Where the fleet stands.
    await sleep(1_000);
    const overview = await cloud.ops.overview();
    const versions = overview.versions[APP] ?? {};
    const sawBad = badView.waves.reduce((n, w) => n + w.size - (w.counts.waiting ?? 0), 0);
    step(`fleet: ${Object.entries(versions).map(([v, n]) => `${n} on ${APP} ${v}`).join(', ')}; 1.2.0 reached ${sawBad} of ${o.devices} devices`);
    const st = cloud.ingest.stats;
    step(`registry: ${st.processed} of ${st.received} device messages stored (${st.statuses} statuses, ${st.events} events, ${st.telemetryReports} telemetry reports, ${st.logBatches} log batches)`);
    step(`dashboard: ${http.url}/#/rollouts/${encodeURIComponent(badView.id)}`);
    const result: DemoResult = { devices: o.devices, good, bad: badView, versions, sawBad, dashboard: http.url };
    if (!o.exit) {
      step('serving the dashboard; Ctrl-C stops the demo');
      await new Promise<void>((r) => {
        process.once('SIGINT', () => r());
        process.once('SIGTERM', () => r());
        stop?.addEventListener('abort', () => r(), { once: true });
      });
    }
    return result;
  } finally {
    step('stopping the fleet and the cloud');
    await sim?.close().catch(() => undefined);
    await http.close().catch(() => undefined);
    await cloud.close().catch(() => undefined);
  }
}

/** One line of a rollout's progress: state, and per wave its good and failed devices. */
export function progressLine(r: RolloutView): string {
  const waves = r.waves.map((w) => `${w.counts.good ?? 0}${(w.counts.failed ?? 0) > 0 ? `+${w.counts.failed}x` : ''}/${w.size}`).join(' ');
  const c = r.counts;
  return `${r.state.padEnd(12)} wave ${r.wave + 1}/${r.waves.length}  [${waves}]  good ${c.good ?? 0}, failed ${c.failed ?? 0}, installing ${(c.installing ?? 0) + (c.issued ?? 0)}, waiting ${c.waiting ?? 0}`;
}

function checkStop(stop: AbortSignal | undefined): void {
  if (stop?.aborted === true) throw new Error('The demo was stopped');
}

async function until(ok: () => Promise<boolean>, timeoutMs: number, what: string, stop?: AbortSignal): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    checkStop(stop);
    if (Date.now() > end) throw new Error(`The demo gave up waiting for ${what} after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: [...argv],
      options: {
        devices: { type: 'string', default: '50' },
        processes: { type: 'string', default: '4' },
        dir: { type: 'string' },
        port: { type: 'string', default: '8080' },
        exit: { type: 'boolean', default: false },
      },
      allowPositionals: false,
    }).values;
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message}\n`);
    return 2;
  }
  const int = (name: string, s: string, min: number, max: number): number => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`Invalid --${name} "${s}": need an integer in ${min}..${max}`);
    return n;
  };
  try {
    await runDemo({
      devices: int('devices', v.devices, 2, 2_000),
      processes: int('processes', v.processes, 1, 64),
      port: int('port', v.port, 0, 65_535),
      exit: v.exit,
      ...(v.dir === undefined ? {} : { dir: v.dir }),
    });
    return 0;
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  process.exitCode = await main(process.argv.slice(2));
  // the fleet's worker processes and sockets are closed; a stray timer must not keep the demo alive
  setTimeout(() => process.exit(), 2_000).unref();
}
