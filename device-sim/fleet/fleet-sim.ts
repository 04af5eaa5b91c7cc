// FleetSim: runs N simulated fleetlet devices in a few worker processes (child_process.fork of a bundled worker), keeps
// the latest state each worker reports, restarts a worker that a power cut killed (its devices boot again from
// their data directories, as devices do when power comes back), and stops them all cleanly.

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assignWorkers, planFleet, type FleetPlanOptions, type SimDeviceSpec } from './plan.ts';
import type { DeviceStat, FromWorker, SimAgentSettings, ToWorker, WorkerSpec } from './protocol.ts';
import { workerEntry } from './_bundle.ts';

/** Light agent settings for a simulated fleet (a device reports every 30 s; probation of 2 s). */
export const SIM_AGENT_DEFAULTS: SimAgentSettings = {
  statusIntervalMs: 30_000,
  telemetryIntervalMs: 60_000,
  keepaliveS: 30,
  probation: { windowMs: 2_000, pollMs: 100, healthEveryMs: 500 },
  backoff: { initialMs: 500, maxMs: 5_000 },
  download: { timeoutMs: 5_000, stallTimeoutMs: 60_000 },
};

export interface FleetSimOptions extends Omit<FleetPlanOptions, 'devices'> {
  /** How many devices, or the exact devices (from `planFleet`). */
  readonly devices: number | readonly SimDeviceSpec[];
  readonly brokerUrl: string;
  /** The fleet's pinned root keys (hex) and threshold, as in every device's config. */
  readonly enrollment: { readonly roots: readonly string[]; readonly threshold: number; readonly token?: string };
  /**
   * Where the devices' data directories go (default: a new folder in /dev/shm where there is one, else the temp
   * folder; removed by `close`). A power cut here is a process kill, which the page cache survives, so memory-backed
   * files keep the agent's guarantees while sparing the disk a thousand devices' fsyncs.
   */
  readonly dataRoot?: string;
  /** Worker processes for devices without power cuts (default 2). */
  readonly processes?: number;
  readonly agent?: Partial<SimAgentSettings>;
  /** Devices with power cuts per worker (default 25). */
  readonly fragileSize?: number;
  /** Default 1500 ms. */
  readonly cutWithinMs?: number;
  /** Devices each worker starts at once (default 25). */
  readonly startConcurrency?: number;
  /** How often workers report (default 250 ms). */
  readonly statsMs?: number;
  /** Node flags of the workers (default: `--max-semi-space-size=1`, see DESIGN.md). */
  readonly nodeFlags?: readonly string[];
  /** A device-sim scenario file (sensors, pins, ports) every device's simulated hardware runs; default none. */
  readonly scenario?: string;
  /** Each power cut as it happens. */
  readonly onCut?: (cut: PowerCut) => void;
}

export interface PowerCut {
  readonly deviceId: string;
  /** The update machine's state at the cut. */
  readonly update: string;
  readonly worker: number;
  readonly atMs: number;
}

/** The fleet as the workers last reported it. */
export interface FleetSnapshot {
  readonly total: number;
  readonly online: number;
  /** Devices whose agent is up (enrolled, session open). */
  readonly enrolled: number;
  readonly failed: number;
  /** Devices per running module version, "name@version". */
  readonly running: Readonly<Record<string, number>>;
  /** Devices running nothing. */
  readonly runningNothing: number;
}

export interface WorkerUsage {
  readonly worker: number;
  readonly devices: number;
  readonly rss: number;
  readonly heapUsed: number;
  /** CPU time used since the worker started, µs (user + system). */
  readonly cpuUs: number;
  readonly restarts: number;
}

interface Worker {
  readonly index: number;
  spec: WorkerSpec;
  child: ChildProcess;
  usage?: { rss: number; heapUsed: number; cpuUs: number };
  restarts: number;
  exited: Promise<void>;
  /** This run of the worker announced a power cut. */
  cut?: boolean;
  /** Exits in a row without a power cut. */
  crashes?: number;
}

export class FleetSim {
  readonly devices: readonly SimDeviceSpec[];
  readonly dataRoot: string;
  readonly cuts: PowerCut[] = [];
  readonly #stats = new Map<string, DeviceStat>();
  readonly #workers: Worker[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #ownsRoot: boolean;
  readonly #o: FleetSimOptions;
  #closing = false;

  private constructor(o: FleetSimOptions, devices: readonly SimDeviceSpec[], dataRoot: string, ownsRoot: boolean) {
    this.#o = o;
    this.devices = devices;
    this.dataRoot = dataRoot;
    this.#ownsRoot = ownsRoot;
  }

  /**
   * Plans the devices and starts the workers; resolves once every worker is running (its devices start in the
   * background: `waitFor` the state you need).
   * @throws FleetPlanError for bad options; Error when the worker cannot be built
   */
  static async start(o: FleetSimOptions): Promise<FleetSim> {
    const devices = typeof o.devices === 'number' ? planFleet({ ...o, devices: o.devices }) : o.devices;
    const ownsRoot = o.dataRoot === undefined;
    const dataRoot = o.dataRoot ?? (await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'fleetlet-sim-')));
    await mkdir(dataRoot, { recursive: true });
    const sim = new FleetSim(o, devices, dataRoot, ownsRoot);
    const entry = await workerEntry();
    const agent = { ...SIM_AGENT_DEFAULTS, ...o.agent };
    assignWorkers(devices, o.processes ?? 2, o.fragileSize ?? 25).forEach((g, i) => {
      const spec: WorkerSpec = {
        worker: i,
        devices: g.devices,
        brokerUrl: o.brokerUrl,
        enrollment: o.enrollment,
        dataRoot,
        agent,
        seed: o.seed ?? 1,
        cutDone: [],
        cutWithinMs: o.cutWithinMs ?? 1_500,
        startConcurrency: o.startConcurrency ?? 25,
        statsMs: o.statsMs ?? 250,
        ...(o.scenario === undefined ? {} : { scenario: o.scenario }),
      };
      sim.#workers.push(sim.#spawn(entry, i, spec, 0));
    });
    return sim;
  }

  #spawn(entry: { file: string; execArgv: string[] }, index: number, spec: WorkerSpec, restarts: number): Worker {
    const child = fork(entry.file, [], {
      execArgv: [...entry.execArgv, ...(this.#o.nodeFlags ?? ['--max-semi-space-size=1'])],
      // hundreds of agents' file writes share libuv's pool (4 threads by default)
      env: { ...process.env, MALLOC_ARENA_MAX: process.env['MALLOC_ARENA_MAX'] ?? '2', UV_THREADPOOL_SIZE: process.env['UV_THREADPOOL_SIZE'] ?? '16' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const w: Worker = { index, spec, child, restarts, exited: new Promise((r) => child.once('exit', () => r())) };
    child.on('message', (m: FromWorker) => this.#onMessage(w, m));
    child.once('exit', (code, signal) => {
      if (this.#closing || this.#workers[index] !== w) return;
      // a power cut: power comes back, the devices boot from their data directories; a worker that keeps crashing
      // without a cut (a bug) is started again at most 3 times, its devices left 'failed'
      const cut = this.cuts.filter((c) => c.worker === index).map((c) => c.deviceId);
      if (!w.cut && (w.crashes ?? 0) >= 3) {
        for (const d of spec.devices) this.#stats.set(d.id, { id: d.id, phase: 'failed', online: false, modules: [], outages: 0, error: `worker exited with ${signal ?? code}` });
        return;
      }
      for (const d of spec.devices) this.#stats.set(d.id, { id: d.id, phase: 'waiting', online: false, modules: [], outages: this.#stats.get(d.id)?.outages ?? 0, ...(signal === null && code !== 0 ? { error: `worker exited with ${code}` } : {}) });
      const next = this.#spawn(entry, index, { ...spec, cutDone: [...new Set([...spec.cutDone, ...cut])] }, w.restarts + 1);
      next.crashes = w.cut ? 0 : (w.crashes ?? 0) + 1;
      this.#workers[index] = next;
    });
    child.send({ type: 'start', spec } satisfies ToWorker);
    return w;
  }

  #onMessage(w: Worker, m: FromWorker): void {
    if (m.type === 'stats') {
      if (this.#workers[w.index] !== w) return;
      w.usage = { rss: m.rss, heapUsed: m.heapUsed, cpuUs: m.cpuUserUs + m.cpuSystemUs };
      for (const d of m.devices) this.#stats.set(d.id, d);
      for (const f of [...this.#waiters]) f();
    } else if (m.type === 'cut') {
      w.cut = true;
      for (const d of m.devices) {
        const cut = { deviceId: d.id, update: d.update, worker: m.worker, atMs: Date.now() };
        this.cuts.push(cut);
        this.#o.onCut?.(cut);
      }
    }
  }

  /** One device as its worker last reported it. */
  device(id: string): DeviceStat | undefined {
    return this.#stats.get(id);
  }

  snapshot(): FleetSnapshot {
    let online = 0;
    let enrolled = 0;
    let failed = 0;
    let nothing = 0;
    const running: Record<string, number> = {};
    for (const d of this.devices) {
      const s = this.#stats.get(d.id);
      if (s === undefined) {
        nothing++;
        continue;
      }
      if (s.online) online++;
      if (s.phase === 'up') enrolled++;
      if (s.phase === 'failed') failed++;
      const live = s.modules.filter((m) => m[2] === 'running' || m[2] === 'probation');
      if (live.length === 0) nothing++;
      for (const [name, version] of live) running[`${name}@${version}`] = (running[`${name}@${version}`] ?? 0) + 1;
    }
    return { total: this.devices.length, online, enrolled, failed, running, runningNothing: nothing };
  }

  /** Each worker's memory and CPU as last reported. */
  usage(): WorkerUsage[] {
    return this.#workers.map((w) => ({ worker: w.index, devices: w.spec.devices.length, rss: w.usage?.rss ?? 0, heapUsed: w.usage?.heapUsed ?? 0, cpuUs: w.usage?.cpuUs ?? 0, restarts: w.restarts }));
  }

  /**
   * Resolves with the first snapshot (after a worker's report) that satisfies `ok`.
   * @throws Error when `timeoutMs` passes first, with the last snapshot in the message
   */
  waitFor(ok: (s: FleetSnapshot, sim: FleetSim) => boolean, timeoutMs: number): Promise<FleetSnapshot> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const s = this.snapshot();
        if (!ok(s, this)) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(s);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`The simulated fleet did not reach the state in ${timeoutMs} ms; last: ${JSON.stringify(this.snapshot())}, ${this.cuts.length} power cuts`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Stops every device cleanly (apps' state written, sessions closed), then the workers; removes a temp data root. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const w of this.#workers) {
      if (w.child.connected) w.child.send({ type: 'stop' } satisfies ToWorker);
    }
    await Promise.all(
      this.#workers.map(async (w) => {
        const t = setTimeout(() => w.child.kill('SIGKILL'), 20_000);
        await w.exited;
        clearTimeout(t);
      }),
    );
    if (this.#ownsRoot) await rm(this.dataRoot, { recursive: true, force: true });
  }
}
