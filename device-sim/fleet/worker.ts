// A fleet simulator worker process: runs its share of the simulated devices, each a real fleetlet agent with its own
// data directory and MQTT session, applies their faults (link outages and slow links through a per-device relay,
// skewed clocks, power cuts that SIGKILL this process while an update is under way), and reports every device's
// state to the simulator over the IPC channel. Started by FleetSim with child_process.fork.

import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { AgentLog } from '../../agent/agent.ts';
import { hashString, uniform } from '../rng.ts';
import { startLink, type DeviceLink } from './link.ts';
import type { SimDeviceSpec } from './plan.ts';
import type { DevicePhaseName, DeviceStat, FromWorker, ToWorker, WorkerSpec } from './protocol.ts';
import { startSimAgent, type SimAgent } from './sim-agent.ts';

interface Device {
  readonly spec: SimDeviceSpec;
  phase: DevicePhaseName;
  sim?: SimAgent;
  link?: DeviceLink;
  error?: string;
  timer?: NodeJS.Timeout;
  cutArmed: boolean;
}

const send = (m: FromWorker, then?: () => void): void => {
  if (process.send === undefined) return;
  process.send(m, undefined, {}, () => then?.());
};

let stopping = false;
const devices: Device[] = [];

function stat(d: Device): DeviceStat {
  const modules = d.sim?.agent.modules().map((m) => [m.name, m.version, m.state] as const) ?? [];
  return {
    id: d.spec.id,
    phase: d.phase,
    online: d.sim?.session.connected ?? false,
    modules,
    ...(d.sim === undefined ? {} : { update: d.sim.agent.machine.record.state }),
    ...(d.error === undefined ? {} : { error: d.error }),
    outages: d.link?.outages ?? 0,
  };
}

function report(spec: WorkerSpec): void {
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  send({ type: 'stats', worker: spec.worker, rss: mem.rss, heapUsed: mem.heapUsed, cpuUserUs: cpu.user, cpuSystemUs: cpu.system, devices: devices.map(stat) });
}

async function startDevice(spec: WorkerSpec, d: Device): Promise<void> {
  const dataDir = join(spec.dataRoot, d.spec.id);
  await mkdir(dataDir, { recursive: true });
  if ((d.spec.offline !== undefined || d.spec.slow !== undefined) && d.link === undefined) {
    d.link = await startLink(spec.brokerUrl, d.spec.slow);
    if (d.spec.offline !== undefined) scheduleOutage(spec, d, 0);
  }
  const log: AgentLog = (level, msg) => {
    if (level === 'error') d.error = msg.slice(0, 200);
  };
  for (let attempt = 0; !stopping; attempt++) {
    d.phase = 'starting';
    try {
      d.sim = await startSimAgent(
        {
          dataDir,
          deviceId: d.spec.id,
          deviceClass: 'sim',
          broker: { url: d.link?.url ?? spec.brokerUrl, keepaliveS: spec.agent.keepaliveS },
          enrollment: spec.enrollment,
          probation: spec.agent.probation,
          statusIntervalMs: spec.agent.statusIntervalMs,
          telemetryIntervalMs: spec.agent.telemetryIntervalMs,
          backoff: spec.agent.backoff,
          download: spec.agent.download,
          skewMs: d.spec.skewMs,
          ...(spec.scenario === undefined ? {} : { hardware: { kind: 'sim' as const, scenario: spec.scenario } }),
        },
        log,
      );
      d.phase = 'up';
      delete d.error;
      if (stopping) await d.sim.close().catch(() => undefined);
      return;
    } catch (e) {
      d.phase = 'failed';
      d.error = (e instanceof Error ? e.message : String(e)).slice(0, 200);
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5))));
    }
  }
}

/** The k-th outage of a device with offline periods: seeded times, so a run can be repeated. */
function scheduleOutage(spec: WorkerSpec, d: Device, k: number): void {
  const o = d.spec.offline!;
  const waitMs = Math.round(o.everyMs * (0.5 + uniform(spec.seed, hashString(`outage:${d.spec.id}`), k)));
  d.timer = setTimeout(() => {
    if (stopping) return;
    d.link?.goDown();
    d.timer = setTimeout(() => {
      d.link?.up();
      if (!stopping) scheduleOutage(spec, d, k + 1);
    }, o.forMs);
  }, waitMs);
  d.timer.unref();
}

/** Watches the devices due a power cut; once one's update machine leaves idle, the process dies within `cutWithinMs`. */
function watchPowerCuts(spec: WorkerSpec): void {
  const due = devices.filter((d) => d.spec.powerCut && !spec.cutDone.includes(d.spec.id));
  if (due.length === 0) return;
  const t = setInterval(() => {
    for (const d of due) {
      if (d.cutArmed || d.sim === undefined || d.sim.agent.machine.record.state === 'idle') continue;
      d.cutArmed = true;
      const delay = Math.round(uniform(spec.seed, hashString(`cut:${d.spec.id}`), spec.cutDone.length) * spec.cutWithinMs);
      setTimeout(() => {
        const update = d.sim?.agent.machine.record.state ?? 'unknown';
        if (update === 'idle') {
          d.cutArmed = false; // the update ended first: wait for the next one
          return;
        }
        clearInterval(t);
        // every device of this process loses power with it; those mid-update count as cut (no second cut for them)
        const hit = devices.filter((x) => x.sim !== undefined && x.sim.agent.machine.record.state !== 'idle').map((x) => ({ id: x.spec.id, update: x.sim!.agent.machine.record.state }));
        // no JavaScript of this process runs after this: no state written, no goodbye, as in a power cut
        send({ type: 'cut', worker: spec.worker, devices: hit }, () => process.kill(process.pid, 'SIGKILL'));
      }, delay);
    }
  }, 10);
}

async function run(spec: WorkerSpec): Promise<void> {
  for (const s of spec.devices) devices.push({ spec: s, phase: 'waiting', cutArmed: false });
  setInterval(() => report(spec), spec.statsMs); // until the process ends
  watchPowerCuts(spec);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (!stopping && next < devices.length) await startDevice(spec, devices[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, spec.startConcurrency) }, lane));
  report(spec);
}

async function stop(spec: WorkerSpec | undefined): Promise<void> {
  if (stopping) return;
  stopping = true;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < devices.length) {
      const d = devices[next++]!;
      if (d.timer !== undefined) clearTimeout(d.timer);
      await d.sim?.close().catch(() => undefined);
      d.phase = 'stopped';
      await d.link?.close().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  send({ type: 'stopped', worker: spec?.worker ?? -1 }, () => process.exit(0));
}

let current: WorkerSpec | undefined;
process.on('message', (m: ToWorker) => {
  if (m.type === 'start' && current === undefined) {
    current = m.spec;
    void run(m.spec);
  } else if (m.type === 'stop') void stop(current);
});
// the simulator went away: nothing to report to
process.on('disconnect', () => void stop(current).finally(() => process.exit(0)));
