// `npm run bench:agent`: what fleetlet's device agent costs. (a) For each misbehaving example shipped as an update,
// how long the agent took from the first sign of trouble, and from the commit, to having the previous version running
// again, under the production probation policy. (b) The agent's resident memory with 10 apps running, measured in a
// child process pinned to one CPU (taskset -c 0) that holds nothing but the agent; the goal is at most 100 MiB.
// Figures only: nothing here asserts a time. `npm run bench:agent -- rollback` or `-- memory` runs one part.

import { spawn } from 'node:child_process';
import { build } from 'esbuild';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_PROBATION } from '../../agent/runtime/probation.ts';
import { TrustStore } from '../../agent/update/trust-store.ts';
import { loadScenarioFile } from '../../device-sim/parse-scenario.ts';
import type { Scenario } from '../../device-sim/scenario.ts';
import { ensureBuilt } from '../../examples/build.ts';
import { REPO, example } from '../examples/_kit.ts';
import { wat } from '../fuzz/wat.ts';
import { T0, clockAt, manifest, removeDir, signManifest, signTrust, tempDir, trustUpdate } from '../trust/fixtures.ts';
import { SimGpio } from '../../device-sim/gpio/sim-gpio.ts';
import { agentWorld, until, type AgentWorld, type Release } from '../agent/agent-kit.ts';
import { HEALTHY_VERSION, MISBEHAVING, SIM_DEVICE, healthyRelease, releaseExample, sharedClock, shippedOutcomes, type Shipped } from './agent-misbehaving.ts';
import type { RssChildInput, RssChildOutput } from './agent-rss-child.ts';

const CI = process.env['FLEETLET_PROFILE'] === 'ci';
const ROUNDS = CI ? 1 : 3;
const RUN_MS = CI ? 5_000 : 10_000;
const GOAL_MIB = 100;
/** Extra node flags for the measured agent (FLEETLET_BENCH_NODE_FLAGS="--max-semi-space-size=1"), to try V8 settings. */
const NODE_FLAGS = (process.env['FLEETLET_BENCH_NODE_FLAGS'] ?? '').split(/\s+/).filter((f) => f !== '');
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

function signed(world: AgentWorld, name: string, module: Uint8Array, pages: number): Release {
  const m = manifest(module, { name, version: '1.0.0', sequence: 1, capabilities: [], targets: ['sim'], limits: { maxMemoryPages: pages, maxTableElements: 100, maxCallDepth: 200, maxStackSlots: 10_000, fuelPerTick: 1_000_000, hostCallsPerSecond: 100, tickPeriodMs: 100 } });
  const s = signManifest(m, world.keys.moduleSigner);
  world.fetcher.put(module);
  world.fetcher.put(s);
  return { name, version: '1.0.0', sequence: 1, module, manifest: m, signed: s };
}

async function memory(): Promise<void> {
  const world = await agentWorld();
  const blobsDir = await tempDir('fleetlet-bench-blobs-');
  try {
    const releases: Release[] = ['thermostat', 'gps-logger', 'template'].map((n) => releaseExample(world, n, '1.0.0', 1));
    for (let i = 1; i <= 3; i++) releases.push(world.release(`tiny-${i}`, '1.0.0', 1, 'good', { targets: ['sim'], limits: { maxMemoryPages: 1, maxTableElements: 100, maxCallDepth: 200, maxStackSlots: 10_000, fuelPerTick: 200_000, hostCallsPerSecond: 100, tickPeriodMs: 100 } }));
    for (const [fns, kib] of [[100, 0], [400, 16], [1600, 64], [50, 256]] as const) {
      const pages = Math.max(1, Math.ceil((kib * 1024 + 1) / 65536)) + 1;
      releases.push(signed(world, `gen-${fns}f-${kib}k`, generatedReactor(fns, kib), pages));
    }
    const sizes = releases.map((r) => `${r.name} ${(r.module.length / 1024).toFixed(1)} KiB`);

    // The device's data directory: provisioned trust, every blob on disk for the child's fetcher.
    const trust = await TrustStore.open(world.dir, { clock: clockAt(T0) });
    await trust.provision(signTrust(trustUpdate(world.keys.all), world.keys.roots));
    for (const [hex, bytes] of world.fetcher.blobs) await writeFile(join(blobsDir, hex), bytes);
    await world.publishState(releases.map((release) => ({ release })));

    const thermo = loadScenarioFile(example('thermostat', 'scenario.json'));
    const gps = loadScenarioFile(example('gps-logger', 'scenario.json'));
    const scenario: Scenario = { ...thermo, sensors: thermo.sensors, gpio: thermo.gpio, serial: gps.serial };
    const input: RssChildInput = { brokerUrl: world.broker.url, dataDir: world.dir, blobsDir, identity: SIM_DEVICE, scenario, pins: { 17: 'relay' }, expect: releases.length, runMs: RUN_MS };
    // Bundled, so the measured process holds the agent and its packages, not a TypeScript loader.
    const child = join(REPO, 'node_modules', '.cache', 'fleetlet-bench', 'agent-rss-child.mjs');
    await build({ entryPoints: [join(import.meta.dirname, 'agent-rss-child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: child, logLevel: 'error' });
    const out = await new Promise<RssChildOutput>((resolve, reject) => {
      const p = spawn('taskset', ['-c', '0', process.execPath, '--expose-gc', ...NODE_FLAGS, child, JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      p.stdout.on('data', (d: Buffer) => (text += d.toString()));
      p.on('error', reject);
      p.on('exit', (code) => {
        const line = text.split('\n').find((l) => l.startsWith('{'));
        if (code !== 0 || line === undefined) reject(new Error(`The memory child exited with ${code}: ${text.slice(0, 500)}`));
        else resolve(JSON.parse(line) as RssChildOutput);
      });
    });
    const mib = (b: number): string => (b / MiB).toFixed(1);
    process.stdout.write(`\n(b) One agent in a child process (plain node${NODE_FLAGS.length === 0 ? '' : ` ${NODE_FLAGS.join(' ')}`} on an esbuild bundle) pinned with taskset (CPUs ${out.cpu}), aedes in the parent; ${out.running.length} apps running (${sizes.join(', ')}), then ${RUN_MS / 1000} s of running:\n\n`);
    process.stdout.write(`${table(['figure', 'MiB', 'goal'], [
      ['RSS before the agent starts (Node and the code loaded)', mib(out.rssBeforeAgent), ''],
      [`RSS with ${out.running.length} apps running`, mib(out.rss), `<= ${GOAL_MIB}`],
      ['RSS after a full GC', mib(out.stages.at(-1)!.usage.rss), ''],
      ['peak RSS (VmHWM)', mib(out.peakRss), `<= ${GOAL_MIB}`],
      ['JS heap used', mib(out.heapUsed), ''],
    ])}\n`);
    process.stdout.write(`\nWhere it goes (MiB, process.memoryUsage()):\n\n${table(['stage', 'rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'], out.stages.map(({ stage, usage: u }) => [stage, mib(u.rss), mib(u.heapTotal), mib(u.heapUsed), mib(u.external), mib(u.arrayBuffers)]), false)}\n`);
    process.stdout.write(`\nInstalling the ${out.running.length} apps one after another (1 s probation each) took ${(out.installMs / 1000).toFixed(1)} s. Goal ${out.peakRss <= GOAL_MIB * MiB ? 'met' : 'NOT met'}: peak ${mib(out.peakRss)} MiB.\n`);
  } finally {
    await world.close();
    await removeDir(blobsDir);
  }
}

async function main(): Promise<void> {
  await ensureBuilt(['thermostat', 'gps-logger', 'template', ...MISBEHAVING]);
  process.stdout.write(`npm run bench:agent${CI ? ' (FLEETLET_PROFILE=ci)' : ''}: node ${process.version}, ${new Date().toISOString()}\n`);
  const only = process.argv.slice(2).filter((a) => a !== '--');
  if (only.length === 0 || only.includes('rollback')) await rollbackTimes();
  if (only.length === 0 || only.includes('memory')) await memory();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench:agent: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
