// The crash-point sweep of fleetlet's slot store: builds a device with version 1 installed, then runs the update to
// version 2 in a child process killed (SIGKILL) at a chosen persistence step, boots the store again and checks that
// the device runs exactly version 1 or version 2, verified, with the matching key-value state and floor.

import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { kvFile } from '../../agent/host/kv-store.ts';
import { encodeBundle } from '../../agent/update/bundle.ts';
import { verifyModuleBytes } from '../../agent/update/module-bytes.ts';
import { UpdateMachine } from '../../agent/update/slots/machine.ts';
import { TrustStore } from '../../agent/update/trust-store.ts';
import { manifest, signManifest, signTrust, standardKeys, trustUpdate, wasmModule } from '../trust/fixtures.ts';
import { kvText, sweepGate, SWEEP_APP, SWEEP_DEVICE, SWEEP_NOW } from './crash-gate.ts';

export type Verdict = 'healthy' | 'unhealthy';

export interface SweepWorld {
  readonly root: string;
  readonly template: string;
  readonly bundle: string;
  readonly child: string;
  readonly modules: { readonly v1: Uint8Array; readonly v2: Uint8Array };
}

/** One kill point: the step to kill at, whether unsynced temp data is torn, and an optional kill during recovery. */
export interface KillPoint {
  readonly verdict: Verdict;
  readonly crashAt: number;
  readonly tear: boolean;
  readonly recoveryCrashAt?: number;
}

export interface RunResult {
  readonly killed: boolean;
  readonly endedOn: 1 | 2;
  readonly problems: readonly string[];
}

const exec = (args: string[], env: NodeJS.ProcessEnv): Promise<{ signal: NodeJS.Signals | null; code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const e = err as (Error & { signal?: NodeJS.Signals | null; code?: number | null }) | null;
      resolve({ signal: e?.signal ?? null, code: e === null ? 0 : (typeof e.code === 'number' ? e.code : null), stdout, stderr });
    });
  });

/** Builds the child as one ES module (plain `node` starts it far faster than tsx) and a device with version 1. */
export async function makeWorld(): Promise<SweepWorld> {
  const root = await mkdtemp(join(tmpdir(), 'fleetlet-crash-'));
  const outDir = join(process.cwd(), 'node_modules', '.cache', 'fleetlet-crash-sweep');
  await mkdir(outDir, { recursive: true });
  const child = join(outDir, `child-${process.pid}.mjs`);
  await build({ entryPoints: [join(import.meta.dirname, 'crash-child.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: child, logLevel: 'error' });

  const keys = standardKeys();
  const template = join(root, 'template');
  const trust = await TrustStore.open(template, { clock: () => SWEEP_NOW });
  await trust.provision(signTrust(trustUpdate(keys.all), keys.roots.slice(0, 2)));
  const v1 = wasmModule(1);
  const v2 = wasmModule(2);
  const bundleOf = (m: Uint8Array, sequence: number, version: string): Uint8Array =>
    encodeBundle({ signedManifest: signManifest(manifest(m, { name: SWEEP_APP, sequence, version }), keys.moduleSigner), module: m });
  const machine = await UpdateMachine.open({ dataDir: template, trust, device: SWEEP_DEVICE, health: sweepGate(template, 'healthy') });
  const r = await machine.installBundle(bundleOf(v1, 1, '1.0.0'));
  if (r.outcome !== 'no-failures') throw new Error(`Setting up version 1 failed: ${r.reason}`);
  const bundle = join(root, 'v2.bundle');
  await writeFile(bundle, bundleOf(v2, 2, '2.0.0'));
  return { root, template, bundle, child, modules: { v1, v2 } };
}

export async function dropWorld(w: SweepWorld): Promise<void> {
  await rm(w.root, { recursive: true, force: true });
  await rm(w.child, { force: true });
}

/** Runs the update once without a crash and returns how many persistence steps it passed. */
export async function countPoints(w: SweepWorld, verdict: Verdict): Promise<number> {
  const dir = join(w.root, `count-${verdict}`);
  await cp(w.template, dir, { recursive: true });
  const out = await exec([w.child, dir, w.bundle, verdict, 'install'], {});
  if (out.code !== 0) throw new Error(`The crash child failed without a crash: ${out.stderr}`);
  await rm(dir, { recursive: true, force: true });
  return (JSON.parse(out.stdout) as { points: number }).points;
}

/** Kills an update at one point, boots again (maybe killed once more during recovery), then checks the device. */
export async function runKillPoint(w: SweepWorld, k: KillPoint, runId: number): Promise<RunResult> {
  const dir = join(w.root, `run-${runId}`);
  await cp(w.template, dir, { recursive: true });
  try {
    const first = await exec([w.child, dir, w.bundle, k.verdict, 'install'], { FLEETLET_CRASH_AT: String(k.crashAt), FLEETLET_CRASH_TEAR: k.tear ? '1' : '0' });
    const killed = first.signal === 'SIGKILL';
    if (!killed && first.code !== 0) return { killed, endedOn: 1, problems: [`child failed: ${first.stderr.trim()}`] };
    if (k.recoveryCrashAt !== undefined) {
      await exec([w.child, dir, w.bundle, k.verdict, 'boot'], { FLEETLET_CRASH_AT: String(k.recoveryCrashAt), FLEETLET_CRASH_TEAR: k.tear ? '1' : '0' });
    }
    return { killed, ...(await checkDevice(w, dir, k.verdict)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Boots the store in this process (no crash points) and lists everything wrong with the device afterwards. */
export async function checkDevice(w: SweepWorld, dir: string, verdict: Verdict): Promise<{ endedOn: 1 | 2; problems: string[] }> {
  const problems: string[] = [];
  const trust = await TrustStore.open(dir, { clock: () => SWEEP_NOW });
  const machine = await UpdateMachine.open({ dataDir: dir, trust, device: SWEEP_DEVICE, health: sweepGate(dir, verdict) });
  const after = await machine.boot();
  if (after.state !== 'idle') problems.push(`state after boot is "${after.state}"`);
  const active = await machine.store.activeModule(SWEEP_APP).catch((e: unknown) => {
    problems.push(`active slot unreadable: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  });
  if (active === undefined) {
    problems.push('no module is active');
    return { endedOn: 1, problems };
  }
  const { manifest: m } = trust.verifyManifest(active.signedManifest, SWEEP_DEVICE);
  await verifyModuleBytes(m, active.module);
  const endedOn = m.sequence === 2 ? 2 : 1;
  const expected = endedOn === 2 ? w.modules.v2 : w.modules.v1;
  if (Buffer.compare(Buffer.from(active.module), Buffer.from(expected)) !== 0) problems.push(`the active module's bytes are not version ${endedOn}'s`);
  if (verdict === 'unhealthy' && endedOn === 2) problems.push('an unhealthy version 2 stayed active');
  const kv = await readFile(kvFile(dir, SWEEP_APP), 'utf8').catch(() => '(none)');
  const wantKv = Buffer.from(kvText(endedOn === 2 ? '2.0.0' : '1.0.0')).toString('utf8');
  if (kv !== wantKv) problems.push(`key-value state is "${kv}", expected "${wantKv}"`);
  const floor = trust.floors.manifests[SWEEP_APP] ?? 0;
  if (floor !== endedOn) problems.push(`floor is ${floor} on version ${endedOn}`);
  const again = await machine.boot();
  if (again.storeCount !== after.storeCount || again.state !== 'idle') problems.push('a second boot changed the state record');
  return { endedOn, problems };
}

/** A small seeded generator (mulberry32), so a failing random sweep can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every kill point of both paths once, then `random` random ones (torn writes, kills during recovery). */
export async function killPlan(w: SweepWorld, random: number, seed: number): Promise<KillPoint[]> {
  const plan: KillPoint[] = [];
  const counts = { healthy: await countPoints(w, 'healthy'), unhealthy: await countPoints(w, 'unhealthy') };
  for (const verdict of ['healthy', 'unhealthy'] as const) {
    for (let n = 1; n <= counts[verdict]; n++) plan.push({ verdict, crashAt: n, tear: false });
  }
  const rnd = seeded(seed);
  for (let i = 0; i < random; i++) {
    const verdict: Verdict = rnd() < 0.5 ? 'healthy' : 'unhealthy';
    const crashAt = 1 + Math.floor(rnd() * counts[verdict]);
    const tear = rnd() < 0.5;
    const k: KillPoint = rnd() < 0.5 ? { verdict, crashAt, tear, recoveryCrashAt: 1 + Math.floor(rnd() * 12) } : { verdict, crashAt, tear };
    plan.push(k);
  }
  return plan;
}

/** Runs a plan, two children at a time (the machine has two cores), and returns each run's result. */
export async function runPlan(w: SweepWorld, plan: readonly KillPoint[], parallel = 2): Promise<RunResult[]> {
  const results: RunResult[] = new Array(plan.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.length) {
      const i = next++;
      results[i] = await runKillPoint(w, plan[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}
