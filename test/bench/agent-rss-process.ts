// The agent's memory as a device runs it, for `npm run bench:agent`: the bundled `fleetlet agent --config FILE`
// (agent/build) in its own process, started with the environment and node flags of the systemd unit
// (agent/systemd/fleetlet-agent.service, read here so the bench cannot drift from it), pinned to one CPU, enrolling with
// the minimal cloud and running the desired state it publishes. Resident memory is read from /proc/PID/status outside
// the process, so the measurement adds nothing to what is measured.

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { decodeStatus, type Status } from '../../schemas/messages/status.ts';
import { topicFor } from '../../schemas/topics.ts';
import type { MiniCloud } from '../../cloud/mini-cloud.ts';
import type { ProbeReport } from './agent-rss-probe.ts';

/** What the unit gives node: `Environment=` variables and the flags between `node` and the script in `ExecStart=`. */
export interface UnitSettings {
  readonly env: Readonly<Record<string, string>>;
  readonly nodeFlags: readonly string[];
}

/**
 * Reads the runtime settings from a systemd unit file.
 * @throws Error when ExecStart does not start node
 */
export async function unitSettings(file: string): Promise<UnitSettings> {
  const text = await readFile(file, 'utf8');
  const env: Record<string, string> = {};
  let exec: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const e = /^Environment=(.*)$/.exec(line);
    if (e !== null) {
      for (const pair of e[1]!.split(/\s+/).filter((p) => p !== '')) {
        const eq = pair.replace(/^"|"$/g, '').indexOf('=');
        if (eq > 0) env[pair.replace(/^"|"$/g, '').slice(0, eq)] = pair.replace(/^"|"$/g, '').slice(eq + 1);
      }
    }
    const x = /^ExecStart=(.*)$/.exec(line);
    if (x !== null) exec = x[1];
  }
  const tokens = (exec ?? '').split(/\s+/);
  const at = tokens.findIndex((t) => t === 'node' || t.endsWith('/node'));
  if (at < 0) throw new Error(`The unit "${file}" does not start node in ExecStart`);
  const nodeFlags: string[] = [];
  for (const t of tokens.slice(at + 1)) {
    if (!t.startsWith('-')) break;
    nodeFlags.push(t);
  }
  return { env, nodeFlags };
}

export interface ProcessRun {
  readonly label: string;
  /** node's flags (before the script). */
  readonly nodeFlags: readonly string[];
  /** Added to the bench's own environment. */
  readonly env: Readonly<Record<string, string>>;
}

export interface ProcessFigures {
  readonly label: string;
  /** VmRSS once the agent logged "agent running" (enrolled, session up, no desired state yet), bytes. */
  readonly rssRunning: number;
  /** VmRSS when the cloud first saw every expected app running in a status report. */
  readonly rssInstalled: number;
  /** VmRSS after `runMs` more of running. */
  readonly rss: number;
  /** VmHWM at that moment: the peak resident memory of the whole run. */
  readonly peakRss: number;
  /** From spawn to "agent running", and from there to every app running, ms. */
  readonly startMs: number;
  readonly installMs: number;
  readonly running: number;
  readonly cpu: string;
  /** The exit status after SIGTERM (0: a clean stop). */
  readonly exitCode: number | null;
  /** With a probe: its report at each stage (after the VmRSS reading of that stage). */
  readonly probes?: readonly { readonly stage: string; readonly report: ProbeReport }[];
}

async function status(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/status`, 'utf8');
}
const kB = (text: string, field: string): number => {
  const m = new RegExp(`^${field}:\\s+([0-9]+) kB$`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]) * 1024;
};

/**
 * Runs `node FLAGS bundle agent --config FILE` pinned to CPU 0 until every expected app runs, lets it run `runMs`,
 * reads its memory, then stops it with SIGTERM.
 * @throws Error when the agent exits early or the apps are not running within `timeoutMs`
 */
export async function measureAgentProcess(o: {
  readonly run: ProcessRun;
  readonly bundle: string;
  readonly configFile: string;
  readonly cloud: MiniCloud;
  readonly deviceId: string;
  /** Publishes the desired state; called once the agent runs with no apps. */
  readonly deploy: () => Promise<unknown>;
  readonly expect: number;
  readonly runMs: number;
  readonly timeoutMs?: number;
  /** The built agent-rss-probe, preloaded with --expose-gc: a diagnostic run (see the probe's header). */
  readonly probe?: string;
}): Promise<ProcessFigures> {
  let latest: Status | undefined;
  const topic = topicFor('status', o.deviceId);
  const onMessage = (t: string, payload: Buffer): void => {
    if (t !== topic || payload.length === 0) return;
    try {
      latest = decodeStatus(new Uint8Array(payload));
    } catch {
      // a report the bench cannot read changes nothing it measures
    }
  };
  o.cloud.client.on('message', onMessage);
  await o.cloud.client.subscribeAsync(topic, { qos: 1 });
  const started = performance.now();
  const probeFlags = o.probe === undefined ? [] : ['--expose-gc', '--import', pathToFileURL(o.probe).href];
  const child = spawn('taskset', ['-c', '0', process.execPath, ...o.run.nodeFlags, ...probeFlags, o.bundle, 'agent', '--config', o.configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...o.run.env },
  });
  const lines: string[] = [];
  let err = '';
  child.stdout.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter((l) => l !== '')));
  const reports: ProbeReport[] = [];
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    for (;;) {
      const at = err.indexOf('fleetlet-probe ');
      const end = at < 0 ? -1 : err.indexOf('\n', at);
      if (end < 0) break;
      reports.push(JSON.parse(err.slice(at + 'fleetlet-probe '.length, end)) as ProbeReport);
      err = err.slice(0, at) + err.slice(end + 1);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = started + (o.timeoutMs ?? 180_000);
  const waitFor = async (what: string, done: () => boolean): Promise<void> => {
    while (!done()) {
      if (gone) throw new Error(`The agent exited before ${what}: ${err.slice(0, 800)}${lines.slice(-5).join('\n')}`);
      if (performance.now() > deadline) throw new Error(`No ${what} within ${o.timeoutMs ?? 180_000} ms: ${lines.slice(-5).join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const probes: { stage: string; report: ProbeReport }[] = [];
  const probeAt = async (stage: string): Promise<void> => {
    if (o.probe === undefined) return;
    const have = reports.length;
    child.kill('SIGUSR2');
    await waitFor(`the probe's report (${stage})`, () => reports.length > have);
    probes.push({ stage, report: reports[have]! });
  };
  const running = (): number => latest?.modules.filter((m) => m.state === 'running').length ?? 0;
  try {
    await waitFor('"agent running"', () => lines.some((l) => l.includes('"agent running"')));
    // The pid is taskset's until it execs node: the same process, so /proc/PID is node's by now.
    const pid = child.pid!;
    const startMs = performance.now() - started;
    const rssRunning = kB(await status(pid), 'VmRSS');
    await probeAt('enrolled, no apps');
    await o.deploy();
    await waitFor(`${o.expect} apps running`, () => running() >= o.expect);
    const installMs = performance.now() - started - startMs;
    const rssInstalled = kB(await status(pid), 'VmRSS');
    await probeAt(`${o.expect} apps running`);
    await new Promise((r) => setTimeout(r, o.runMs));
    const text = await status(pid);
    const figures = { label: o.run.label, rssRunning, rssInstalled, rss: kB(text, 'VmRSS'), peakRss: kB(text, 'VmHWM'), startMs, installMs, running: running(), cpu: /^Cpus_allowed_list:\s+(.*)$/m.exec(text)?.[1] ?? '?' };
    await probeAt(`after ${o.runMs / 1000} s`);
    child.kill('SIGTERM');
    return { ...figures, exitCode: await exited, ...(o.probe === undefined ? {} : { probes }) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    o.cloud.client.off('message', onMessage);
    await o.cloud.client.unsubscribeAsync(topic).catch(() => undefined);
  }
}
