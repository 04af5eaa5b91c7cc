// The device side of `npm run bench:agent`'s memory figure: one agent, alone in this process (the parent runs the
// broker and signs, bundles this file with esbuild so no TypeScript loader sits in the measured process, and pins it
// to one CPU), installs the desired state waiting on the broker, lets its apps run, then prints one JSON line with its
// resident memory now, after a full GC, and at its peak.
//
// Input: one JSON argument, RssChildInput. Output: one JSON line, RssChildOutput, on stdout.

import mqtt from 'mqtt';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, type ModuleFetcher, type Reporter } from '../../agent/agent.ts';
import { hostDevice } from '../../agent/host/device.ts';
import { busFromClient } from '../../agent/session/client-bus.ts';
import { TrustStore } from '../../agent/update/trust-store.ts';
import type { DeviceIdentity } from '../../agent/update/verify.ts';
import type { Scenario } from '../../device-sim/scenario.ts';
import { simulatedHardware, startSimulation } from '../../device-sim/simulation.ts';
import type { TimeSource } from '../../agent/host/hw/time.ts';
import { T0, clockAt } from '../trust/fixtures.ts';

export interface RssChildInput {
  readonly brokerUrl: string;
  /** A data directory whose trust store is provisioned. */
  readonly dataDir: string;
  /** Manifests and modules, one file each, named by the hex SHA-256 of their bytes. */
  readonly blobsDir: string;
  readonly identity: DeviceIdentity;
  readonly scenario: Scenario;
  /** GPIO line names by pin number. */
  readonly pins: Readonly<Record<number, string>>;
  /** How many modules must be running before the clock starts. */
  readonly expect: number;
  /** How long they run before the figures are read, ms. */
  readonly runMs: number;
}

export interface RssChildOutput {
  /** Resident memory once the modules are loaded and before the agent starts, bytes. */
  readonly rssBeforeAgent: number;
  readonly rss: number;
  /** VmHWM: the process's peak resident memory, bytes. */
  readonly peakRss: number;
  readonly heapUsed: number;
  /** process.memoryUsage() at each stage, in order. */
  readonly stages: readonly { readonly stage: string; readonly usage: NodeJS.MemoryUsage }[];
  readonly running: readonly string[];
  /** From the agent's start to every expected module running, ms. */
  readonly installMs: number;
  readonly cpu: string;
}

/** Blobs from a directory (the chunk service in production). */
class DirFetcher implements ModuleFetcher {
  constructor(private readonly dir: string) {}
  async fetchManifest(digest: Uint8Array): Promise<Uint8Array> {
    return this.read(digest);
  }
  async fetchModule(digest: Uint8Array, size: number): Promise<Uint8Array> {
    const b = await this.read(digest);
    if (b.length !== size) throw new Error(`Blob ${Buffer.from(digest).toString('hex')} has ${b.length} bytes, not ${size}`);
    return b;
  }
  private async read(digest: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await readFile(join(this.dir, Buffer.from(digest).toString('hex'))));
  }
}

/** The session would publish these; the bench drops them so nothing piles up in memory. */
const dropping: Reporter = { status: () => {}, event: () => {}, telemetry: () => {}, logs: () => {} };

async function statusField(field: string): Promise<number> {
  const text = await readFile('/proc/self/status', 'utf8');
  const m = new RegExp(`^${field}:\\s+([0-9]+) kB$`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]) * 1024;
}

/** The agent's clock and the apps' scheduler clock: one time line from T0 (s), as the trust store's fixed clock says. */
function benchClock(): TimeSource {
  const origin = performance.now();
  return {
    now: () => T0 * 1000 + (performance.now() - origin),
    setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '') as RssChildInput;
  const stages: { stage: string; usage: NodeJS.MemoryUsage }[] = [{ stage: 'code loaded', usage: process.memoryUsage() }];
  const clock = benchClock();
  const sim = await startSimulation(input.scenario, { time: clock });
  const hw = simulatedHardware(sim, clock);
  const trust = await TrustStore.open(input.dataDir, { clock: clockAt(T0) });
  const client = await mqtt.connectAsync(input.brokerUrl, { clientId: `bench-${input.identity.deviceId}` });
  stages.push({ stage: 'simulator, trust store, MQTT client', usage: process.memoryUsage() });
  const rssBeforeAgent = process.memoryUsage().rss;
  const started = performance.now();
  const agent = await Agent.start({
    dataDir: input.dataDir,
    identity: input.identity,
    agentVersion: '0.1.0',
    trust,
    bus: busFromClient(client),
    reporter: dropping,
    fetcher: new DirFetcher(input.blobsDir),
    hardware: hostDevice(hw, { clock, pins: input.pins }),
    probation: { windowMs: 1_000, pollMs: 50, healthEveryMs: 250 },
    now: clock.now,
    statusIntervalMs: 10_000,
    telemetryIntervalMs: 5_000,
  });
  stages.push({ stage: 'agent started (installs begun)', usage: process.memoryUsage() });
  const running = (): string[] => agent.modules().filter((m) => m.state === 'running' && agent.supervisor.isRunning(m.name)).map((m) => m.name);
  const deadline = performance.now() + 180_000;
  while (running().length < input.expect) {
    if (performance.now() > deadline) throw new Error(`Only ${running().length} of ${input.expect} modules running after 180 s: ${JSON.stringify(agent.modules())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const installMs = performance.now() - started;
  stages.push({ stage: 'apps installed', usage: process.memoryUsage() });
  await new Promise((r) => setTimeout(r, input.runMs));
  const rss = process.memoryUsage().rss;
  stages.push({ stage: `after ${input.runMs / 1000} s running`, usage: process.memoryUsage() });
  (globalThis as { gc?: () => void }).gc?.();
  stages.push({ stage: 'after a full GC', usage: process.memoryUsage() });
  const out: RssChildOutput = {
    rssBeforeAgent,
    rss,
    peakRss: await statusField('VmHWM'),
    heapUsed: process.memoryUsage().heapUsed,
    stages,
    running: running(),
    installMs,
    cpu: (await readFile('/proc/self/status', 'utf8')).match(/^Cpus_allowed_list:\s+(.*)$/m)?.[1] ?? '?',
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  await agent.close();
  await client.endAsync(true).catch(() => undefined);
  await hw.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`agent-rss-child: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
