// The crash sweep of fleetlet's real agent: one minimal cloud (aedes with auth, enrollment, chunk service, desired
// states) for the whole sweep; per run, a device data directory copied from an enrolled template that runs version 1,
// the agent process started in a child, version 2 published, the child SIGKILLed at a chosen point (a durable step of
// the slot store, or a random instant from the publish to "marked good"), the agent started again until it settles,
// then the device checked on disk: exactly version 1 or 2 verified and active, its own key-value state and floor,
// the update state idle, and no download file claiming bytes it does not hold.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { DaemonPlan } from '../../../agent/daemon.ts';
import { kvFile } from '../../../agent/host/kv-store.ts';
import { DOWNLOADS_DIR } from '../../../agent/update/download/downloader.ts';
import { SlotStore } from '../../../agent/update/slots/slot-store.ts';
import type { UpdateState } from '../../../agent/update/slots/table.ts';
import { TrustStore } from '../../../agent/update/trust-store.ts';
import { seeded } from '../crash-kit.ts';
import { e2eFleet, type E2eFleet, type E2eRelease } from '../e2e-kit.ts';
import { bigRelease, tagOf } from './module.ts';

export type Verdict = 'healthy' | 'unhealthy';
/** Where an update was when the child was killed, read from the state record and the downloads folder. */
export type Phase = 'before' | 'download' | 'write' | 'commit' | 'probation' | 'rollback' | 'done';
export const PHASES: readonly Phase[] = ['before', 'download', 'write', 'commit', 'probation', 'rollback', 'done'];

export const SWEEP_APP = 'meter';
const hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export interface AgentSweepOptions {
  /** Children run at once, each with its own enrolled device (default 2: the machine has two cores). */
  readonly workers?: number;
  /** Filler bytes in the module (default 512 KiB: 17 chunks of the downloader's 32 KiB). */
  readonly moduleBytes?: number;
  /** Probation window of the agent (default 2 s). */
  readonly probationMs?: number;
  /** How long a child may take to reach a wanted view (default 45 s). */
  readonly waitMs?: number;
}

interface Device {
  readonly deviceId: string;
  readonly plan: DaemonPlan;
  /** The enrolled data directory running version 1, copied for each run. */
  readonly template: string;
}

export interface AgentSweepWorld {
  readonly fleet: E2eFleet;
  readonly child: string;
  readonly devices: readonly Device[];
  readonly releases: { readonly v1: E2eRelease; readonly healthy: E2eRelease; readonly unhealthy: E2eRelease };
  readonly waitMs: number;
}

/** What the child prints: its agent's log lines and its view of the app (see child.ts). */
export interface ChildView {
  readonly t: 'view' | 'closed';
  readonly applied: number | null;
  readonly update: UpdateState;
  readonly running: boolean;
  readonly version: string | null;
  readonly state: string | null;
  readonly points: number;
}

/** One agent child: its output lines as they come, and waits on them. */
export class AgentChild {
  readonly lines: Record<string, unknown>[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly proc: ChildProcess;
  private waiters: (() => void)[] = [];
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(script: string, planFile: string, env: NodeJS.ProcessEnv = {}) {
    const clean = { ...process.env };
    delete clean['FLEETLET_CRASH_AT'];
    delete clean['FLEETLET_CRASH_TEAR'];
    this.proc = spawn(process.execPath, [script, planFile, SWEEP_APP], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.lines.push({ ...(JSON.parse(line) as Record<string, unknown>), at: Date.now() });
        } catch {
          this.stderr.push(`(stdout) ${line}`);
        }
      }
      this.wake();
    });
    this.proc.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exit = { code, signal };
        this.wake();
        resolve(this.exit);
      });
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The latest view line. */
  get view(): ChildView | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i]!['t'] === 'view' || this.lines[i]!['t'] === 'closed') return this.lines[i] as unknown as ChildView;
    return undefined;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** Waits for a view that `want` accepts; undefined when the child exits first or `ms` pass. */
  async waitView(want: (v: ChildView) => boolean, ms: number): Promise<ChildView | undefined> {
    const end = Date.now() + ms;
    for (;;) {
      const v = this.lines.filter((l) => l['t'] === 'view').map((l) => l as unknown as ChildView).find(want);
      if (v !== undefined) return v;
      if (this.exit !== undefined || Date.now() >= end) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, end - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.exit === undefined) this.proc.kill(signal);
  }

  /** Stops the child with SIGTERM (SIGKILL after `ms`) and returns how it ended. */
  async stop(ms = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; clean: boolean }> {
    this.kill('SIGTERM');
    const t = setTimeout(() => this.kill('SIGKILL'), ms);
    const e = await this.exited;
    clearTimeout(t);
    return { ...e, clean: e.code === 0 };
  }

  /** A short account of what the child said last (for a failing run's report). */
  tail(n = 6): string {
    const logs = this.lines.slice(-n).map((l) => JSON.stringify(l));
    return [...logs, ...this.stderr.slice(-3)].join('\n    ');
  }
}

const settledOn = (sequence: number) => (v: ChildView): boolean => v.applied === sequence && v.update === 'idle' && v.running;

/** Builds the child (plain `node` starts a bundle far faster than tsx), the cloud, the releases and one template per worker. */
export async function makeAgentSweep(o: AgentSweepOptions = {}): Promise<AgentSweepWorld> {
  const outDir = join(process.cwd(), 'node_modules', '.cache', 'fleetlet-agent-sweep');
  await mkdir(outDir, { recursive: true });
  const child = join(outDir, `child-${process.pid}.mjs`);
  await build({ entryPoints: [join(import.meta.dirname, 'child.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: child, logLevel: 'error' });
  const probationMs = o.probationMs ?? 2_000;
  const fleet = await e2eFleet('aedes');
  const bytes = o.moduleBytes ?? 512 * 1024;
  const releases = {
    v1: bigRelease(fleet.keys, SWEEP_APP, '1.0.0', 1, true, bytes),
    healthy: bigRelease(fleet.keys, SWEEP_APP, '2.0.0', 2, true, bytes),
    unhealthy: bigRelease(fleet.keys, SWEEP_APP, '2.0.0', 2, false, bytes),
  };
  const waitMs = o.waitMs ?? 45_000;
  const world = { fleet, child, releases, waitMs, devices: [] as Device[] };
  try {
    const devices = await Promise.all(Array.from({ length: Math.max(1, o.workers ?? 2) }, async (_, i): Promise<Device> => {
      const deviceId = `dev-sweep-${i}`;
      const plan = await fleet.plan(deviceId, { probation: { windowMs: probationMs, pollMs: 20, healthEveryMs: 100 }, download: { timeoutMs: 2_000, stallTimeoutMs: 20_000 } });
      const planFile = join(fleet.dir, `${deviceId}-template.json`);
      await writeFile(planFile, JSON.stringify(plan));
      const seq = (await fleet.cloud.setDesired(deviceId, [{ name: SWEEP_APP, release: releases.v1 }])).state.sequence;
      const c = new AgentChild(child, planFile);
      const ok = await c.waitView((v) => settledOn(seq)(v) && v.version === '1.0.0' && v.state === 'running', waitMs);
      const stopped = await c.stop();
      if (ok === undefined || !stopped.clean) throw new Error(`The template device ${deviceId} did not come up running version 1:\n    ${c.tail()}`);
      return { deviceId, plan, template: plan.dataDir };
    }));
    world.devices.push(...devices);
  } catch (e) {
    await dropAgentSweep(world);
    throw e;
  }
  return world;
}

export async function dropAgentSweep(w: Pick<AgentSweepWorld, 'fleet' | 'child'>): Promise<void> {
  await w.fleet.close();
  await rm(w.child, { force: true });
}

/**
 * One kill point: by durable step (`crashAt`, counted from the child's start) or by time after the publish (`afterMs`);
 * `downMs` keeps the device off that long before the agent starts again (default: at once).
 */
export type AgentKillPoint =
  | { readonly verdict: Verdict; readonly kind: 'step'; readonly crashAt: number; readonly downMs?: number }
  | { readonly verdict: Verdict; readonly kind: 'time'; readonly afterMs: number; readonly downMs?: number };

export interface AgentRunResult {
  readonly point: AgentKillPoint;
  readonly killed: boolean;
  readonly phase: Phase;
  readonly endedOn: 0 | 1 | 2;
  readonly problems: readonly string[];
}

/** An update with no kill: the step counts and times the plan is drawn from. */
export interface Calibration {
  readonly verdict: Verdict;
  /** Durable steps passed when version 1 runs and version 2 is about to be published. */
  readonly pointsAtReady: number;
  /** Durable steps passed when the update has settled (marked good, or rolled back). */
  readonly pointsAtDone: number;
  /** Time from the publish to the first durable step of the update (the download is over). */
  readonly downloadMs: number;
  /** Durable steps passed when the probation record is stored (the new version runs under judgement). */
  readonly pointsAtProbation: number;
  /** Time from the publish to settled. */
  readonly doneMs: number;
}

interface Started {
  readonly dir: string;
  readonly planFile: string;
  readonly first: AgentChild;
  readonly v2Sequence: Promise<number>;
  readonly publishedAt: number;
  readonly ready: ChildView | undefined;
}

/** Copies the template, starts the agent, waits until it runs version 1 for this run's state, then publishes version 2. */
async function startRun(w: AgentSweepWorld, device: Device, runId: string, verdict: Verdict, env: NodeJS.ProcessEnv): Promise<Started> {
  const dir = join(w.fleet.dir, 'runs', runId);
  await rm(dir, { recursive: true, force: true });
  await cp(device.template, dir, { recursive: true });
  const planFile = join(w.fleet.dir, 'runs', `${runId}.json`);
  await writeFile(planFile, JSON.stringify({ ...device.plan, dataDir: dir }));
  const v1Seq = (await w.fleet.cloud.setDesired(device.deviceId, [{ name: SWEEP_APP, release: w.releases.v1 }])).state.sequence;
  const first = new AgentChild(w.child, planFile, env);
  const ready = await first.waitView((v) => settledOn(v1Seq)(v) && v.version === '1.0.0', w.waitMs);
  const publishedAt = Date.now();
  const v2Sequence = w.fleet.cloud.setDesired(device.deviceId, [{ name: SWEEP_APP, release: verdict === 'healthy' ? w.releases.healthy : w.releases.unhealthy }]).then((p) => p.state.sequence);
  return { dir, planFile, first, v2Sequence, publishedAt, ready };
}

/** Runs the update once with no kill and measures its step counts and times. */
export async function calibrate(w: AgentSweepWorld, verdict: Verdict): Promise<Calibration> {
  const device = w.devices[0]!;
  const s = await startRun(w, device, `calibrate-${verdict}`, verdict, {});
  try {
    if (s.ready === undefined) throw new Error(`Calibration: the agent did not come up on version 1:\n    ${s.first.tail()}`);
    const seq = await s.v2Sequence;
    const firstStep = s.first.waitView((v) => v.points > s.ready!.points, w.waitMs).then(() => Date.now());
    const done = await s.first.waitView(settledOn(seq), w.waitMs);
    const doneMs = Date.now() - s.publishedAt;
    if (done === undefined) throw new Error(`Calibration: the ${verdict} update did not settle:\n    ${s.first.tail()}`);
    const want = verdict === 'healthy' ? '2.0.0' : '1.0.0';
    if (done.version !== want) throw new Error(`Calibration: the ${verdict} update ended on ${String(done.version)}, expected ${want}`);
    const probation = s.first.lines.find((l) => l['t'] === 'view' && l['update'] === 'probation') as ChildView | undefined;
    if (probation === undefined) throw new Error(`Calibration: the ${verdict} update never showed its probation`);
    return { verdict, pointsAtReady: s.ready.points, pointsAtDone: done.points, pointsAtProbation: probation.points, downloadMs: (await firstStep) - s.publishedAt, doneMs };
  } finally {
    await s.first.stop();
    await rm(s.dir, { recursive: true, force: true });
  }
}

/** Where the update was, from the files a killed agent left. */
export async function phaseOnDisk(w: AgentSweepWorld, dir: string, verdict: Verdict): Promise<Phase> {
  const target = verdict === 'healthy' ? w.releases.healthy : w.releases.unhealthy;
  const rec = await new SlotStore(dir).loadState().catch(() => undefined);
  const state = rec?.state ?? 'idle';
  switch (state) {
    case 'verified': case 'slot-pending': case 'writing': return 'write';
    case 'written': case 'committed': return 'commit';
    case 'probation': case 'good': return 'probation';
    case 'rollback': case 'failed': case 'aborted': return 'rollback';
    case 'idle': break;
  }
  const targetDigest = hex(target.signedManifest);
  if (rec !== undefined && rec.manifestDigest === targetDigest) return 'done';
  const names = await readdir(join(dir, DOWNLOADS_DIR)).catch(() => [] as string[]);
  const m = hex(target.module);
  if (names.some((n) => n.startsWith(m))) return 'download';
  return 'before';
}

/** Download files that claim what they do not hold: a `.blob` that hashes wrong, a bitmap claiming chunks not on disk as sent. */
export async function tornDownloads(w: AgentSweepWorld, dir: string): Promise<string[]> {
  const problems: string[] = [];
  const d = join(dir, DOWNLOADS_DIR);
  const names = await readdir(d).catch(() => [] as string[]);
  const known = new Map([w.releases.v1, w.releases.healthy, w.releases.unhealthy].flatMap((r) => [[hex(r.module), r.module], [hex(r.signedManifest), r.signedManifest]] as const));
  for (const n of names) {
    const blob = /^([0-9a-f]{64})\.blob$/.exec(n);
    if (blob !== null && hex(await readFile(join(d, n))) !== blob[1]) problems.push(`downloads/${n} does not hash to its name`);
    const bitmap = /^([0-9a-f]{64})\.bitmap$/.exec(n);
    if (bitmap === null) continue;
    let rec: { size: number; chunkSize: number; bits: string };
    try {
      rec = JSON.parse(await readFile(join(d, n), 'utf8')) as typeof rec;
    } catch (e) {
      problems.push(`downloads/${n} does not parse: ${(e as Error).message}`);
      continue;
    }
    const want = known.get(bitmap[1]!);
    if (want === undefined) {
      problems.push(`downloads/${n} is for a blob the sweep never published`);
      continue;
    }
    const part = await readFile(join(d, `${bitmap[1]}.part`)).catch(() => undefined);
    const bits = Buffer.from(rec.bits, 'base64');
    // A bitmap whose data file is gone or shorter than its last claimed chunk is never trusted: the downloader discards
    // it on open (a kill inside `promote`, between the rename to `.blob` and the bitmap's removal, leaves one).
    let claimedEnd = 0;
    for (let i = bits.length * 8 - 1; i >= 0 && claimedEnd === 0; i--) if ((bits[i >> 3]! & (1 << (i & 7))) !== 0) claimedEnd = Math.min(rec.size, (i + 1) * rec.chunkSize);
    if (part === undefined || part.length < claimedEnd) continue;
    for (let i = 0; i * rec.chunkSize < rec.size; i++) {
      if ((bits[i >> 3]! & (1 << (i & 7))) === 0) continue;
      const from = i * rec.chunkSize;
      const to = Math.min(rec.size, from + rec.chunkSize);
      if (Buffer.compare(part.subarray(from, to), Buffer.from(want.subarray(from, to))) !== 0) {
        problems.push(`downloads/${n} claims chunk ${i} but the partial file does not hold its bytes`);
        break;
      }
    }
  }
  return problems;
}

/** What a settled, stopped device holds, and everything wrong with it. */
export async function checkAgentDevice(w: AgentSweepWorld, dir: string, verdict: Verdict, deviceId: string): Promise<{ endedOn: 0 | 1 | 2; problems: string[] }> {
  const problems: string[] = [];
  const store = new SlotStore(dir);
  const rec = await store.loadState().catch((e: unknown) => {
    problems.push(`the update state cannot be read: ${(e as Error).message}`);
    return undefined;
  });
  if (rec !== undefined && rec.state !== 'idle') problems.push(`the update state is "${rec.state}", not idle`);
  const active = await store.activeModule(SWEEP_APP).catch((e: unknown) => {
    problems.push(`the active slot does not hold what it claims: ${(e as Error).message}`);
    return undefined;
  });
  problems.push(...(await tornDownloads(w, dir)));
  if (active === undefined) {
    problems.push('no module is active');
    return { endedOn: 0, problems };
  }
  const trust = await TrustStore.open(dir);
  try {
    trust.verifyManifest(active.signedManifest, { deviceId, deviceClass: 'sim' });
  } catch (e) {
    problems.push(`the active manifest does not verify: ${(e as Error).message}`);
  }
  const endedOn = active.manifest.sequence === 2 ? 2 : 1;
  const release = endedOn === 1 ? w.releases.v1 : verdict === 'healthy' ? w.releases.healthy : w.releases.unhealthy;
  if (Buffer.compare(Buffer.from(active.module), Buffer.from(release.module)) !== 0) problems.push(`the active module's bytes are not version ${endedOn}'s`);
  if (active.record.status !== 'good') problems.push(`the active slot is "${active.record.status}", not good`);
  if (verdict === 'unhealthy' && endedOn === 2) problems.push('an unhealthy version 2 stayed active');
  if (verdict === 'healthy' && endedOn === 1) problems.push('a healthy version 2 was published but the device stayed on version 1');
  const kv = await readFile(kvFile(dir, SWEEP_APP)).catch(() => Buffer.alloc(0));
  const own = tagOf(SWEEP_APP, release.version, endedOn === 1 || verdict === 'healthy');
  // "meter@2.0.0" is a prefix of the unhealthy tag, so the other version is told apart by its version alone.
  const other = `${SWEEP_APP}@${endedOn === 1 ? '2.0.0' : '1.0.0'}`;
  if (!kv.includes(Buffer.from(own)) || kv.includes(Buffer.from(other))) problems.push(`the key-value file holds "${kv.toString('latin1').replace(/[^ -~]/g, '.')}", expected the state of ${own}`);
  const floor = trust.floors.manifests[SWEEP_APP] ?? 0;
  if (floor !== endedOn) problems.push(`the anti-rollback floor is ${floor} on version ${endedOn}`);
  return { endedOn, problems };
}

/** Kills one update at `k`, starts the agent again until it settles, stops it, and checks the device. */
export async function runAgentKillPoint(w: AgentSweepWorld, device: Device, k: AgentKillPoint, runId: number): Promise<AgentRunResult> {
  const env = k.kind === 'step' ? { FLEETLET_CRASH_AT: String(k.crashAt) } : {};
  const s = await startRun(w, device, `run-${runId}`, k.verdict, env);
  const problems: string[] = [];
  let killed = false;
  let phase: Phase = 'before';
  try {
    if (s.ready === undefined && !s.first.hasExited) problems.push(`the agent did not come up on version 1:\n    ${s.first.tail()}`);
    if (k.kind === 'time') {
      const t = setTimeout(() => s.first.kill('SIGKILL'), Math.max(0, s.publishedAt + k.afterMs - Date.now()));
      const e = await s.first.exited;
      clearTimeout(t);
      killed = e.signal === 'SIGKILL';
    } else {
      const e = await Promise.race([s.first.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), w.waitMs))]);
      if (e === undefined) problems.push(`step ${k.crashAt} was never reached`);
      killed = e?.signal === 'SIGKILL';
      if (e !== undefined && !killed) problems.push(`the agent ended without the crash: code ${String(e.code)}:\n    ${s.first.tail()}`);
    }
    await s.first.stop();
    const v2Seq = await s.v2Sequence;
    phase = await phaseOnDisk(w, s.dir, k.verdict);
    problems.push(...(await tornDownloads(w, s.dir)).map((p) => `at the kill: ${p}`));
    if (k.downMs !== undefined) await new Promise((r) => setTimeout(r, k.downMs));
    const second = new AgentChild(w.child, s.planFile);
    const settled = await second.waitView(settledOn(v2Seq), w.waitMs);
    const stopped = await second.stop();
    if (settled === undefined) problems.push(`the restarted agent did not settle on desired state ${v2Seq}:\n    ${second.tail()}`);
    else if (!stopped.clean) problems.push(`the restarted agent did not stop cleanly (code ${String(stopped.code)}, signal ${String(stopped.signal)}):\n    ${second.tail()}`);
    const checked = await checkAgentDevice(w, s.dir, k.verdict, device.deviceId);
    problems.push(...checked.problems);
    if (checked.problems.length > 0) {
      const steps = second.lines.filter((l) => l['msg'] === 'update step' || String(l['msg']).startsWith('update.')).slice(-6);
      problems.push(`the restarted agent's last update steps:\n    ${steps.map((l) => JSON.stringify(l)).join('\n    ')}`);
    }
    return { point: k, killed, phase, endedOn: checked.endedOn, problems };
  } finally {
    s.first.kill('SIGKILL');
    await rm(s.dir, { recursive: true, force: true });
    await rm(s.planFile, { force: true });
  }
}

export interface PlanOptions {
  /** Every durable step of both paths (`'all'`), or this many spread evenly over them. */
  readonly steps: 'all' | number;
  /** Random instants from the publish to settled; a third of them inside the download. */
  readonly random: number;
  readonly seed: number;
}

/** The kill points: durable steps from the calibration's counts, then random instants within its times. */
export function agentKillPlan(cal: Readonly<Record<Verdict, Calibration>>, o: PlanOptions): AgentKillPoint[] {
  const plan: AgentKillPoint[] = [];
  const all: AgentKillPoint[] = [];
  for (const verdict of ['healthy', 'unhealthy'] as const) {
    const c = cal[verdict];
    for (let n = c.pointsAtReady + 1; n <= c.pointsAtDone; n++) all.push({ verdict, kind: 'step', crashAt: n });
  }
  if (o.steps === 'all' || o.steps >= all.length) plan.push(...all);
  else for (let i = 0; i < o.steps; i++) plan.push(all[Math.floor((i * all.length) / o.steps)]!);
  const rnd = seeded(o.seed);
  for (let i = 0; i < o.random; i++) {
    const verdict: Verdict = i % 2 === 0 ? 'healthy' : 'unhealthy';
    const c = cal[verdict];
    const span = i % 3 === 0 ? c.downloadMs : c.doneMs;
    plan.push({ verdict, kind: 'time', afterMs: Math.round(rnd() * span) });
  }
  return plan;
}

/** Runs a plan with one worker per device; `onResult` sees each run as it ends. */
export async function runAgentPlan(w: AgentSweepWorld, plan: readonly AgentKillPoint[], onResult?: (r: AgentRunResult, i: number) => void): Promise<AgentRunResult[]> {
  const results: AgentRunResult[] = new Array(plan.length);
  let next = 0;
  await Promise.all(w.devices.map(async (device) => {
    while (next < plan.length) {
      const i = next++;
      results[i] = await runAgentKillPoint(w, device, plan[i]!, i).catch((e: unknown) => ({
        point: plan[i]!, killed: false, phase: 'before' as Phase, endedOn: 0 as const, problems: [`the run failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`],
      }));
      onResult?.(results[i], i);
    }
  }));
  return results;
}

/** The sweep's figures: kill points tried, endings, bad runs and the phases hit. */
export function tabulate(results: readonly AgentRunResult[]): string {
  const rows: string[] = [];
  const line = (label: string, rs: readonly AgentRunResult[]): void => {
    const phases = PHASES.map((p) => rs.filter((r) => r.phase === p).length);
    rows.push(`${label.padEnd(22)} ${String(rs.length).padStart(5)} ${String(rs.filter((r) => r.killed).length).padStart(7)} ${String(rs.filter((r) => r.endedOn === 1).length).padStart(5)} ${String(rs.filter((r) => r.endedOn === 2).length).padStart(5)} ${String(rs.filter((r) => r.problems.length > 0).length).padStart(4)}  ${phases.map((n) => String(n).padStart(10)).join('')}`);
  };
  rows.push(`${'kill points'.padEnd(22)} ${'tried'.padStart(5)} ${'killed'.padStart(7)} ${'on v1'.padStart(5)} ${'on v2'.padStart(5)} ${'bad'.padStart(4)}  ${PHASES.map((p) => p.padStart(10)).join('')}`);
  for (const kind of ['step', 'time'] as const) {
    for (const verdict of ['healthy', 'unhealthy'] as const) {
      const rs = results.filter((r) => r.point.kind === kind && r.point.verdict === verdict);
      if (rs.length > 0) line(`${kind === 'step' ? 'every step' : 'random time'}, ${verdict}`, rs);
    }
  }
  line('all', results);
  return rows.join('\n');
}
