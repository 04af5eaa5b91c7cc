// Child process of fleetlet's agent crash sweep: runs the real agent process (`startAgentProcess`, what `fleetlet
// agent` runs) from a JSON DaemonPlan file and prints one JSON line per change the sweep watches: the agent's own log
// lines, and a `view` line whenever the applied desired sequence, the update state, the module shown or the number of
// persistence steps passed changes. SIGTERM stops it cleanly (a `closed` line, exit 0); `FLEETLET_CRASH_AT=N` (read
// by the update machine) SIGKILLs it at the Nth durable step of the slot store.
// Usage: node agent-sweep-child.mjs <planFile> <app>

import { readFile } from 'node:fs/promises';
import { startAgentProcess, type DaemonPlan } from '../../../agent/daemon.ts';

const [planFile, app] = process.argv.slice(2);
if (planFile === undefined || app === undefined) {
  process.stderr.write('Usage: agent-sweep-child <planFile> <app>\n');
  process.exit(2);
}
// Lines to a pipe are written synchronously on Linux, so the last line before a SIGKILL is not lost.
const say = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const plan = JSON.parse(await readFile(planFile, 'utf8')) as DaemonPlan;
// The handler is in place before the first line that may make the parent stop this child.
let stop: (() => void) | undefined;
let stopAsked = false;
process.on('SIGTERM', () => {
  stopAsked = true;
  stop?.();
});
const running = await startAgentProcess(plan, (level, msg, fields) => say({ t: 'log', level, msg, ...fields }));
const { agent } = running;

let last = '';
const view = (): Record<string, unknown> => {
  const m = agent.modules().find((v) => v.name === app);
  return {
    t: 'view',
    applied: agent.status().desiredSequence ?? null,
    update: agent.machine.record.state,
    running: agent.supervisor.isRunning(app),
    version: m?.version ?? null,
    state: m?.state ?? null,
    points: agent.machine.store.crash.passed,
  };
};
const poll = (): void => {
  const v = view();
  const s = JSON.stringify(v);
  if (s !== last) {
    last = s;
    say(v);
  }
};
const timer = setInterval(poll, 20);
let stopping = false;
stop = () => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  void (async () => {
    await running.close();
    say({ ...view(), t: 'closed' });
    process.exit(0);
  })().catch((e: unknown) => {
    process.stderr.write(`close failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
};
say({ t: 'up' });
poll();
if (stopAsked) stop();
