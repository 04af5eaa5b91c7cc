// `npm run bench:agent`: what fleetlet's device agent costs. (a) For each misbehaving example shipped as an update,
// how long the agent took from the first sign of trouble, and from the commit, to having the previous version running
// again, under the production probation policy. (b) The agent's resident memory with 10 apps running, as a device runs it: the
// bundled `fleetlet agent` (npm run build:agent) with the systemd unit's node flags and environment, in its own process
// pinned to one CPU, enrolled with the minimal cloud (agent-rss-process.ts); the goal is at most 100 MiB, RSS and peak.
// Plain node on the same bundle is the second row.
// Figures only: nothing here asserts a time. `npm run bench:agent -- rollback` or `-- memory` runs one part;
// `-- memory where` adds a diagnostic run with a probe that says where the memory goes (agent-rss-probe.ts).

import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { AGENT_BUNDLE, buildAgent } from '../../agent/build/build.ts';
import { DEFAULT_PROBATION } from '../../agent/runtime/probation.ts';
import { MiniCloud, type Release as CloudRelease } from '../../cloud/mini-cloud.ts';
import { ensureBuilt, findExamples } from '../../examples/build.ts';
import { manifestFromDescriptor } from '../../schemas/app-descriptor.ts';
import { REPO, example } from '../examples/_kit.ts';
import { wat } from '../fuzz/wat.ts';
import { DAY, manifest, removeDir, sha256, signManifest, tempDir } from '../trust/fixtures.ts';
import { SimGpio } from '../../device-sim/gpio/sim-gpio.ts';
import { agentWorld, until } from '../agent/agent-kit.ts';
import { fleetKeys, release, type FleetKeys } from '../agent/e2e-kit.ts';
import { HEALTHY_VERSION, MISBEHAVING, SIM_DEVICE, healthyRelease, releaseExample, sharedClock, shippedOutcomes, type Shipped } from './agent-misbehaving.ts';
import { measureAgentProcess, unitSettings, type ProcessFigures, type ProcessRun } from './agent-rss-process.ts';

const CI = process.env['FLEETLET_PROFILE'] === 'ci';
const ROUNDS = CI ? 1 : 3;
const RUN_MS = CI ? 5_000 : 10_000;
const GOAL_MIB = 100;
/**
 * Settings to try on top of the unit's, as a third row: node flags and NAME=value environment variables
 * (FLEETLET_BENCH_NODE_FLAGS="MALLOC_ARENA_MAX=1 --optimize-for-size").
 */
const TRY = (process.env['FLEETLET_BENCH_NODE_FLAGS'] ?? '').split(/\s+/).filter((f) => f !== '');
const NODE_FLAGS = TRY.filter((f) => f.startsWith('-'));
const TRY_ENV = Object.fromEntries(TRY.filter((f) => !f.startsWith('-') && f.includes('=')).map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]));
const MiB = 1024 * 1024;

/** A Markdown table; the first column and `lastIsText` the last are text (left), the others figures (right). */
function table(head: readonly string[], rows: readonly (readonly string[])[], lastIsText = true): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const left = (i: number): boolean => i === 0 || (lastIsText && i === head.length - 1);
  const line = (r: readonly string[]): string => `| ${r.map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (left(i) ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '-');
const span = (xs: readonly number[]): string => (xs.length === 0 ? 'not rolled back' : xs.length === 1 ? ms(xs[0]!) : `${ms(median(xs))} (max ${ms(Math.max(...xs))})`);

// ---- (a) rollback times ----

async function rollbackTimes(): Promise<void> {
  const world = await agentWorld();
  try {
    const clock = sharedClock();
    const hardware = () => ({ clock, gpio: new SimGpio({ '17': { kind: 'output' } }, { time: clock }) });
    // The healthy versions go in under a short probation; the agent then restarts with the production policy.
    const first = await world.startAgent({ identity: SIM_DEVICE, now: clock.now, hardware: hardware() });
    await world.publishState(MISBEHAVING.map((name) => ({ release: healthyRelease(world, name) })));
    await until('the healthy versions', () => first.agent.modules().filter((m) => m.version === HEALTHY_VERSION && m.state === 'running').length === MISBEHAVING.length, 60_000);
    await first.agent.idle();
    await first.agent.close();
    const { agent, reporter } = await world.startAgent({ identity: SIM_DEVICE, now: clock.now, hardware: hardware(), probation: DEFAULT_PROBATION });
    const results: Shipped[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const version = `1.0.${round}`;
      const before = agent.installs.length;
      await world.publishState(MISBEHAVING.map((name) => ({ release: releaseExample(world, name, version, 10 + round) })));
      await until(`round ${round}`, () => agent.installs.length >= before + MISBEHAVING.length, 5 * DEFAULT_PROBATION.windowMs + 60_000);
      await agent.idle();
      results.push(...shippedOutcomes(agent, reporter.events, version));
    }
    const rows = MISBEHAVING.map((app) => {
      const mine = results.filter((r) => r.app === app);
      const done = mine.filter((r) => r.rolledBackAtMs !== undefined && r.verdict !== undefined && !r.verdict.verdict.healthy);
      const reason = done.at(-1)?.verdict?.verdict.healthy === false ? (done.at(-1)!.verdict!.verdict as { reason: string }).reason.replace(/^\S+ \S+ failed probation: /, '') : 'not caught';
      return [
        app,
        `${done.length}/${mine.length}`,
        span(done.flatMap((r) => (r.verdict!.firstProblemAtMs === undefined ? [] : [r.rolledBackAtMs! - r.verdict!.firstProblemAtMs]))),
        span(done.map((r) => r.verdict!.decidedAtMs - r.committedAtMs!)),
        span(done.map((r) => r.rolledBackAtMs! - r.committedAtMs!)),
        reason.length > 60 ? `${reason.slice(0, 57)}...` : reason,
      ];
    });
    process.stdout.write(`\n(a) Misbehaving examples shipped as updates of a healthy 0.9.0, ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}; production probation (window ${DEFAULT_PROBATION.windowMs / 1000} s, report read every ${DEFAULT_PROBATION.pollMs} ms). Wall ms, median (max):\n\n`);
    process.stdout.write(`${table(['app', 'rolled back', 'first problem -> previous running', 'commit -> verdict', 'commit -> previous running', 'reason'], rows)}\n`);
  } finally {
    await world.close();
  }
}

// ---- (b) resident memory with 10 apps ----

/** A reactor with `functions` generated functions (its code size) and `dataKiB` of data in its memory. */
function generatedReactor(functions: number, dataKiB: number): Uint8Array {
  const fns = Array.from({ length: functions }, (_, i) => `(func $f${i} (param i32) (result i32) local.get 0 i32.const ${i + 1} i32.mul i32.const ${(i * 7919) % 1000} i32.add i32.const 3 i32.shr_u)`).join('\n');
  const calls = Array.from({ length: functions }, (_, i) => `(call $f${i} (global.get $n)) drop`).join(' ');
  const pages = Math.max(1, Math.ceil((dataKiB * 1024 + 1) / 65536));
  const data = dataKiB === 0 ? '' : `(data (i32.const 0) "${'\\a5'.repeat(dataKiB * 1024)}")`;
  return wat(`(module (memory (export "memory") ${pages}) ${data}
    (global $n (mut i32) (i32.const 0))
    ${fns}
    (func (export "init"))
    (func (export "tick") global.get $n i32.const 1 i32.add global.set $n ${calls})
    (func (export "health") (result i32) i32.const 1))`);
}

const GEN_LIMITS = { maxTableElements: 100, maxCallDepth: 200, maxStackSlots: 10_000, fuelPerTick: 1_000_000, hostCallsPerSecond: 100, tickPeriodMs: 100 };
const TINY_LIMITS = { maxMemoryPages: 1, maxTableElements: 100, maxCallDepth: 200, maxStackSlots: 10_000, fuelPerTick: 200_000, hostCallsPerSecond: 100, tickPeriodMs: 100 };
/** The generated reactors: [functions, KiB of data]. */
const GENERATED = [[100, 0], [400, 16], [1600, 64], [50, 256]] as const;

/** The 10 apps, signed for the fleet: 3 examples, 3 tiny reactors, 4 generated reactors of growing code or data. */
function tenApps(keys: FleetKeys): { name: string; release: CloudRelease; size: number }[] {
  const apps: { name: string; release: CloudRelease; size: number }[] = [];
  const now = Math.floor(Date.now() / 1000);
  for (const name of ['thermostat', 'gps-logger', 'template']) {
    const app = findExamples().find((a) => a.name === name)!;
    const module = new Uint8Array(readFileSync(app.output));
    const m = manifestFromDescriptor({ ...app.descriptor, version: '1.0.0' }, { sequence: 1, digest: sha256(module), size: module.length, issuedAt: now - DAY, expiresAt: now + 90 * DAY });
    apps.push({ name, release: { module, signedManifest: signManifest(m, keys.moduleSigner) }, size: module.length });
  }
  for (let i = 1; i <= 3; i++) {
    const r = release(keys, `tiny-${i}`, '1.0.0', 1, 'good', { limits: TINY_LIMITS });
    apps.push({ name: r.name, release: r, size: r.module.length });
  }
  for (const [fns, kib] of GENERATED) {
    const module = generatedReactor(fns, kib);
    const pages = Math.max(1, Math.ceil((kib * 1024 + 1) / 65536)) + 1;
    const name = `gen-${fns}f-${kib}k`;
    const m = manifest(module, { name, version: '1.0.0', sequence: 1, capabilities: [], targets: ['sim'], limits: { maxMemoryPages: pages, ...GEN_LIMITS }, issuedAt: now - 60, expiresAt: now + 90 * DAY });
    apps.push({ name, release: { module, signedManifest: signManifest(m, keys.moduleSigner) }, size: module.length });
  }
  return apps;
}

/** The simulated hardware the examples need: the thermostat's room and relay (pin 17), the GPS logger's receiver. */
async function scenarioFile(dir: string): Promise<string> {
  const thermo = JSON.parse(readFileSync(example('thermostat', 'scenario.json'), 'utf8')) as Record<string, unknown>;
  const gps = JSON.parse(readFileSync(example('gps-logger', 'scenario.json'), 'utf8')) as Record<string, unknown>;
  const file = join(dir, 'scenario.json');
  await writeFile(file, JSON.stringify({ version: 1, seed: 7, sensors: thermo['sensors'], gpio: { '17': { kind: 'output' } }, serial: gps['serial'] }));
  return file;
}

/** `where`: one more run of the unit's configuration with the probe, and where its memory goes at each stage. */
async function memory(where: boolean): Promise<void> {
  const unitFile = join(REPO, 'agent/systemd/fleetlet-agent.service');
  const unit = await unitSettings(unitFile);
  const bytes = await buildAgent();
  const runs: ProcessRun[] = [
    { label: 'as the unit runs it', nodeFlags: unit.nodeFlags, env: unit.env },
    { label: 'default node', nodeFlags: [], env: {} },
    ...(TRY.length === 0 ? [] : [{ label: `unit + ${TRY.join(' ')}`, nodeFlags: [...unit.nodeFlags, ...NODE_FLAGS], env: { ...unit.env, ...TRY_ENV } }]),
    ...(where ? [{ label: 'unit, probed (diagnostic)', nodeFlags: unit.nodeFlags, env: unit.env }] : []),
  ];
  const keys = fleetKeys();
  const dir = await tempDir('fleetlet-bench-mem-');
  const cloud = await MiniCloud.start({ dataDir: join(dir, 'cloud'), trust: keys.trust, stateSigner: { kid: keys.stateSigner.id, seed: keys.stateSigner.kp.seed } });
  try {
    const apps = tenApps(keys);
    const scenario = await scenarioFile(dir);
    const figures: ProcessFigures[] = [];
    const probe = join(dir, 'agent-rss-probe.mjs');
    if (where) await build({ entryPoints: [join(import.meta.dirname, 'agent-rss-probe.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: probe, logLevel: 'error' });
    for (const [i, run] of runs.entries()) {
      const deviceId = `bench-mem-${i + 1}`;
      const configFile = join(dir, `${deviceId}.json`);
      await writeFile(configFile, JSON.stringify({
        dataDir: join(dir, deviceId),
        device: { id: deviceId, class: 'sim' },
        broker: { url: cloud.url, keepaliveS: 30 },
        enrollment: { roots: keys.roots.map((r) => Buffer.from(r.kp.publicKey).toString('hex')), threshold: 2 },
        hardware: { kind: 'sim', scenario },
        probation: { windowS: 1 },
        reporting: { statusIntervalS: 10, telemetryIntervalS: 5 },
        log: { level: 'info' },
      }));
      const deploy = () => cloud.setDesired(deviceId, apps.map((a) => ({ name: a.name, release: a.release })));
      figures.push(await measureAgentProcess({ run, bundle: AGENT_BUNDLE, configFile, cloud, deviceId, deploy, expect: apps.length, runMs: RUN_MS, ...(where && i === runs.length - 1 ? { probe } : {}) }));
    }
    const mib = (b: number): string => (b / MiB).toFixed(1);
    const flags = (r: ProcessRun): string => [...Object.entries(r.env).map(([k, v]) => `${k}=${v}`), 'node', ...r.nodeFlags].join(' ');
    process.stdout.write(`\n(b) The agent as a device runs it: ${relative(REPO, AGENT_BUNDLE)} (${(bytes / 1024).toFixed(0)} KiB, npm run build:agent), "fleetlet agent --config" in its own process pinned with taskset (CPUs ${figures[0]!.cpu}), enrolled with the minimal cloud (aedes) in the bench's process; simulated hardware; ${apps.length} apps (${apps.map((a) => `${a.name} ${(a.size / 1024).toFixed(1)} KiB`).join(', ')}), then ${RUN_MS / 1000} s of running. Resident memory from /proc/PID/status:\n\n`);
    for (const r of runs) process.stdout.write(`- ${r.label}: ${flags(r)}\n`);
    process.stdout.write(`\n${table(['run', 'enrolled, no apps', `${apps.length} apps running`, `after ${RUN_MS / 1000} s`, 'peak (VmHWM)', 'start ms', 'apps ms', 'exit'], figures.map((f) => [
      f.label, mib(f.rssRunning), mib(f.rssInstalled), mib(f.rss), mib(f.peakRss), ms(f.startMs), ms(f.installMs), String(f.exitCode),
    ]), false)}\n`);
    const probes = figures.at(-1)?.probes;
    if (probes !== undefined) {
      process.stdout.write(`\nWhere it goes (the probed run; MiB; "rss" before and after a full GC, then the heap after it):\n\n${table(
        ['stage', 'rss', 'rss after GC', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers', 'bytecode', 'code', 'script source'],
        probes.map(({ stage, report: r }) => [stage, mib(r.before.rss), mib(r.after.rss), mib(r.after.heapTotal), mib(r.after.heapUsed), mib(r.after.external), mib(r.after.arrayBuffers), mib(r.code.bytecodeAndMetadata), mib(r.code.codeAndMetadata), mib(r.code.externalScript)]),
        false,
      )}\n`);
      const last = probes.at(-1)!.report.spaces;
      process.stdout.write(`\nHeap spaces used at the end (MiB): ${Object.entries(last).map(([k, v]) => `${k} ${mib(v)}`).join(', ')}\n`);
    }
    const unitRun = figures[0]!;
    const met = unitRun.rss <= GOAL_MIB * MiB && unitRun.peakRss <= GOAL_MIB * MiB;
    process.stdout.write(`\nGoal (<= ${GOAL_MIB} MiB, RSS and peak, as the unit runs it) ${met ? 'met' : 'NOT met'}: RSS ${mib(unitRun.rss)}, peak ${mib(unitRun.peakRss)} MiB.\n`);
  } finally {
    await cloud.close();
    await removeDir(dir);
  }
}

async function main(): Promise<void> {
  await ensureBuilt(['thermostat', 'gps-logger', 'template', ...MISBEHAVING]);
  process.stdout.write(`npm run bench:agent${CI ? ' (FLEETLET_PROFILE=ci)' : ''}: node ${process.version}, ${new Date().toISOString()}\n`);
  const only = process.argv.slice(2).filter((a) => a !== '--');
  if (only.length === 0 || only.includes('rollback')) await rollbackTimes();
  if (only.length === 0 || only.includes('memory')) await memory(only.includes('where'));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench:agent: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
