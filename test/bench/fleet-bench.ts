// `npm run bench:fleet`: a 64 KiB module rolled out to 1,000 simulated fleetlet devices (real agents in worker
// processes, FleetSim) by the cloud service (FleetCloud: embedded broker, SQLite store, rollout driver), in
// exponential waves whose success conditions take no waiting time (soak 0). Prints the time to enroll, the agents'
// idle cost (RSS and CPU per agent), the time to each wave and to 100 %, chunk requests served, broker messages per
// second, and the RSS of the cloud process and of the simulator per agent. Figures only: nothing here asserts a time.
// Options: --devices N (default 1000; 200 with FLEETLET_PROFILE=ci), --processes K (default 2), --idle-s S (10),
// --initial N (wave 1 size, 10), --factor F (4), --max-wave N (cap on a wave's size; default none), --tick-ms T (the rollout driver's tick, 1000), --max-rollout-s S (stop watching after S s, 600), --cpu-prof DIR (the workers write V8 CPU profiles there; run the
// bench itself under `node --cpu-prof` for the cloud's).

import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeBundle } from '../../agent/update/bundle.ts';
import { manifestDigest } from '../../agent/update/verify.ts';
import { FleetCloud } from '../../cloud/service/cloud.ts';
import { FleetSim } from '../../device-sim/fleet/index.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { reactor } from '../agent/agent-kit.ts';
import { E2E_LIMITS, fleetKeys, type FleetKeys } from '../agent/e2e-kit.ts';
import { manifest, removeDir, signManifest, tempDir } from '../trust/fixtures.ts';

const CI = process.env['FLEETLET_PROFILE'] === 'ci';
const { values: args } = parseArgs({
  options: {
    devices: { type: 'string' },
    processes: { type: 'string' },
    'idle-s': { type: 'string' },
    initial: { type: 'string' },
    factor: { type: 'string' },
    'max-wave': { type: 'string' },
    'cpu-prof': { type: 'string' },
    'max-rollout-s': { type: 'string' },
    'tick-ms': { type: 'string' },
  },
});
const DEVICES = Number(args.devices ?? (CI ? 200 : 1000));
const PROCESSES = Number(args.processes ?? 2);
const IDLE_S = Number(args['idle-s'] ?? (CI ? 5 : 10));
const INITIAL = Number(args.initial ?? 10);
const FACTOR = Number(args.factor ?? 4);
// capped: an uncapped 4th wave (640 devices) stalls the cloud service today (device-sim/fleet/DESIGN.md)
const MAX_WAVE = Number(args['max-wave'] ?? DEVICES);
const MAX_ROLLOUT_MS = Number(args['max-rollout-s'] ?? 600) * 1000;
const TICK_MS = Number(args['tick-ms'] ?? 1000);
const MODULE_BYTES = 64 * 1024;
const APP = 'fleet-meter';
const MiB = 1024 * 1024;
const nowS = (): number => Math.floor(Date.now() / 1000);
const fmt = (n: number, d = 1): string => n.toFixed(d);

/** Appends a custom section ("fleetlet.pad") so the module is exactly `size` bytes. */
export function padModule(module: Uint8Array, size: number): Uint8Array {
  const name = Buffer.from('fleetlet.pad');
  const leb = (n: number): number[] => {
    const out: number[] = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n !== 0) b |= 0x80;
      out.push(b);
    } while (n !== 0);
    return out;
  };
  // section = id(1) + leb(content) + content; content = leb(name) + name + payload
  for (let payload = size - module.length - 1 - 1 - name.length; payload >= 0; payload--) {
    const content = leb(name.length).length + name.length + payload;
    const total = module.length + 1 + leb(content).length + content;
    if (total === size) return new Uint8Array([...module, 0, ...leb(content), ...leb(name.length), ...name, ...new Uint8Array(payload)]);
  }
  throw new RangeError(`Cannot pad a module of ${module.length} bytes to ${size}`);
}

function bundle(keys: FleetKeys, version: string, sequence: number): { bytes: Uint8Array; digest: string } {
  const module = padModule(reactor('good', `${APP}@${version}`), MODULE_BYTES);
  const m = manifest(module, { name: APP, version, sequence, capabilities: ['kv:4096'], limits: { ...E2E_LIMITS, tickPeriodMs: 10_000 }, targets: ['sim'], issuedAt: nowS() - 60, expiresAt: nowS() + 90 * 86_400 });
  const signedManifest = signManifest(m, keys.moduleSigner);
  return { bytes: encodeBundle({ signedManifest, module }), digest: Buffer.from(manifestDigest(signedManifest)).toString('hex') };
}

async function main(): Promise<void> {
  const keys = fleetKeys();
  const dir = await tempDir('fleetlet-fleet-bench-');
  let published = 0;
  const warnings = new Map<string, number>();
  let chunkRequests = 0;
  const t0 = performance.now();
  const cloud = await FleetCloud.start({
    dataDir: join(dir, 'cloud'),
    trust: keys.trust,
    stateSigner: { kid: keys.stateSigner.id, seed: keys.stateSigner.kp.seed },
    broker: { embedded: { port: 0 } },
    enrollment: { autoAccept: true, retryAfterMs: 1_000 },
    chunkRate: { perSecond: 200, burst: 100 },
    rolloutTickMs: TICK_MS,
    log: (level, msg, fields) => {
      if (level !== 'warn' && level !== 'error') return;
      const key = `${msg}: ${String(fields['error'] ?? fields['code'] ?? '').replace(/"[^"]*"/g, '"…"').slice(0, 160)}`;
      warnings.set(key, (warnings.get(key) ?? 0) + 1);
    },
  });
  const chunkSuffix = `/${TOPICS.chunkRequest.suffix}`;
  cloud.broker?.aedes.on('publish', (packet, client) => {
    if (client === null) return; // the broker's own $SYS messages
    published++;
    if (packet.topic.endsWith(chunkSuffix)) chunkRequests++;
  });
  const sim = await FleetSim.start({
    devices: DEVICES,
    processes: PROCESSES,
    brokerUrl: cloud.url,
    enrollment: { roots: keys.roots.map((r) => Buffer.from(r.kp.publicKey).toString('hex')), threshold: 2 },
    ...(args['cpu-prof'] === undefined ? {} : { nodeFlags: ['--max-semi-space-size=1', '--cpu-prof', '--cpu-prof-dir', args['cpu-prof']] }),
  });
  try {
    console.log(`fleetlet bench:fleet — ${DEVICES} simulated devices in ${PROCESSES} processes, a ${MODULE_BYTES / 1024} KiB module, exponential waves (${INITIAL}, x${FACTOR}, at most ${MAX_WAVE})`);
    const enrollCpu0 = process.cpuUsage();
    await sim.waitFor((s) => s.enrolled === DEVICES && s.online === DEVICES, 900_000);
    const enrolledMs = performance.now() - t0;
    const enrollCpu = process.cpuUsage(enrollCpu0);
    const enrollSimCpuUs = sim.usage().reduce((a, u) => a + u.cpuUs, 0);
    console.log(`enrolled and online: ${DEVICES} devices in ${fmt(enrolledMs / 1000)} s (${fmt((DEVICES * 1000) / enrolledMs, 0)} devices/s); CPU per enrollment: sim ${fmt(enrollSimCpuUs / 1e3 / DEVICES)} ms, cloud ${fmt((enrollCpu.user + enrollCpu.system) / 1e3 / DEVICES)} ms`);

    // idle cost: the agents enrolled, nothing installed, status every 30 s
    await new Promise((r) => setTimeout(r, 2_000));
    const before = sim.usage();
    const msgsBefore = published;
    const idleStart = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const idleS = (performance.now() - idleStart) / 1000;
    const after = sim.usage();
    const cpuUs = after.reduce((a, u) => a + u.cpuUs, 0) - before.reduce((a, u) => a + u.cpuUs, 0);
    const rss = after.reduce((a, u) => a + u.rss, 0);
    console.log(`idle: sim RSS ${fmt(rss / MiB)} MiB = ${fmt(rss / MiB / DEVICES, 2)} MiB per agent (${after.map((u) => `worker ${u.worker}: ${u.devices} agents, ${fmt(u.rss / MiB)} MiB, heap ${fmt(u.heapUsed / MiB)} MiB`).join('; ')})`);
    console.log(`idle: sim CPU ${fmt((cpuUs / 1e6 / idleS) * 100)} % of one core = ${fmt(cpuUs / 1e3 / idleS / DEVICES, 3)} ms CPU per agent per second; broker ${fmt((published - msgsBefore) / idleS)} messages/s`);
    console.log(`idle: cloud process RSS ${fmt(process.memoryUsage().rss / MiB)} MiB`);

    const v1 = bundle(keys, '1.0.0', 1);
    await cloud.ops.uploadBundle(v1.bytes, 'bench');
    const msgs0 = published;
    const chunks0 = chunkRequests;
    const cpu0 = process.cpuUsage();
    const simCpu0 = sim.usage().reduce((a, u) => a + u.cpuUs, 0);
    const start = performance.now();
    const view = await cloud.ops.createRollout(
      { id: 'bench', release: v1.digest, target: { kind: 'selector', match: {}, deviceClass: 'sim' }, waves: { kind: 'exponential', initial: INITIAL, factor: FACTOR, max: MAX_WAVE }, policy: { soakMs: 0, minFinished: 1, successPercent: 100 } },
      'bench',
    );
    console.log(`rollout: ${view.waves.length} waves of ${view.waves.map((w) => w.size).join(', ')}`);
    let last = view;
    let peakRss = process.memoryUsage().rss;
    let shown = performance.now();
    for (;;) {
      last = await cloud.ops.getRollout('bench');
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (last.state !== 'running' && last.state !== 'created') break;
      if (performance.now() - start > MAX_ROLLOUT_MS) break;
      if (performance.now() - shown >= 5_000) {
        shown = performance.now();
        console.log(`  ${fmt((shown - start) / 1000)} s  wave ${last.wave + 1}: ${JSON.stringify(last.counts)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const totalMs = performance.now() - start;
    const created = last.createdAtMs;
    for (const d of last.decisions) {
      if (d.code === 'wave-started' || d.code === 'wave-succeeded' || d.code === 'completed' || d.code === 'halted') console.log(`  +${fmt((d.atMs - created) / 1000, 2)} s  ${d.code}: ${d.reason}`);
    }
    const simCpu = sim.usage().reduce((a, u) => a + u.cpuUs, 0) - simCpu0;
    const cpu = process.cpuUsage(cpu0);
    const good = last.counts.good;
    console.log(`rollout ${last.state}: ${good} of ${DEVICES} good (${fmt((good * 100) / DEVICES)} %) in ${fmt(totalMs / 1000, 2)} s${last.state === 'completed' ? '' : ` (${JSON.stringify(last.counts)}${last.halt === undefined ? '' : `, halt: ${last.halt.reason}`})`}`);
    console.log(`chunk requests served: ${chunkRequests - chunks0} (${fmt((chunkRequests - chunks0) / DEVICES, 2)} per device); broker messages in: ${published - msgs0}, ${fmt(((published - msgs0) * 1000) / totalMs, 0)}/s`);
    console.log(`CPU during the rollout: cloud ${fmt(((cpu.user + cpu.system) / 1e3 / totalMs) * 100)} % of a core, sim ${fmt((simCpu / 1e3 / totalMs) * 100)} %`);
    const simRss = sim.usage().reduce((a, u) => a + u.rss, 0);
    console.log(`memory after the rollout: cloud process RSS ${fmt(process.memoryUsage().rss / MiB)} MiB (peak sampled ${fmt(peakRss / MiB)}), sim ${fmt(simRss / MiB)} MiB = ${fmt(simRss / MiB / DEVICES, 2)} MiB per agent`);
    for (const [w, n] of [...warnings].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`cloud warning x${n}: ${w}`);
    const s = sim.snapshot();
    console.log(`devices: ${JSON.stringify(s.running)}, running nothing ${s.runningNothing}, goal 100 % in <= 60 s: ${good === DEVICES && totalMs <= 60_000 ? 'met' : 'not met'}`);
  } finally {
    await sim.close();
    await cloud.close();
    await removeDir(dir);
  }
}

await main();
