// `fleetlet rollout`: create a rollout from flags (targets, waves, policy), follow it wave by wave with a progress
// bar until it settles, list rollouts, and send the operator's commands (start, pause, resume, abort, roll-back).

import type { Command } from 'commander';
import { CliError, EXIT } from '../../agent/cli/errors.ts';
import type { CliIo } from '../../agent/cli/main.ts';
import type { TargetSpec, WavePlanSpec } from '../rollout/plan.ts';
import type { RolloutPolicy } from '../rollout/record.ts';
import type { CreateRolloutRequest, RolloutCommandName, RolloutView } from '../service/ops.ts';
import type { CloudClient } from './client.ts';
import { clientOf, enc, number, numbers, sleep, statusLine, withConnection } from './_common.ts';
import { progressLine, SETTLED, short, table, time, waveLine } from './format.ts';

/** The flags of `rollout create` as commander gives them. */
export interface CreateFlags {
  readonly release: string;
  readonly id?: string;
  readonly devices?: string;
  readonly tag?: readonly string[];
  readonly deviceClass?: string;
  readonly seed?: string;
  readonly waves?: string;
  readonly percent?: string;
  readonly exponential?: string;
  readonly rollbackRelease?: string;
  readonly autoRollback?: boolean;
  readonly success?: string;
  readonly errorPercent?: string;
  readonly minFinished?: string;
  readonly waveTimeout?: string;
  readonly soak?: string;
  readonly start?: boolean;
}

const usage = (message: string): CliError => new CliError(message, EXIT.usage);

/**
 * The API request for the flags; ranges are left to the API (its error names the field).
 * @throws CliError (usage) for a missing or contradictory choice of targets or waves, or a value that is no number
 */
export function createRequest(f: CreateFlags): CreateRolloutRequest {
  const tags = f.tag ?? [];
  if ((f.devices === undefined) === (tags.length === 0 && f.deviceClass === undefined)) throw usage('Name the targets with either --devices a,b,c or --tag key=value (and/or --device-class)');
  let target: TargetSpec;
  if (f.devices !== undefined) {
    if (f.seed !== undefined) throw usage('--seed shuffles a --tag selection; a --devices list keeps its order');
    target = { kind: 'list', deviceIds: f.devices.split(',').map((s) => s.trim()).filter((s) => s !== '') };
  } else {
    const match: Record<string, string | string[]> = {};
    for (const t of tags) {
      const at = t.indexOf('=');
      if (at <= 0) throw usage(`Invalid --tag "${t}": need key=value`);
      const k = t.slice(0, at);
      const v = t.slice(at + 1);
      const had = match[k];
      match[k] = had === undefined ? v : [...(Array.isArray(had) ? had : [had]), v];
    }
    target = {
      kind: 'selector', match,
      ...(f.deviceClass === undefined ? {} : { deviceClass: f.deviceClass }),
      ...(f.seed === undefined ? {} : { order: { seed: number('--seed', f.seed) } }),
    };
  }
  const plans = [f.waves, f.percent, f.exponential].filter((x) => x !== undefined);
  if (plans.length !== 1) throw usage('Give the waves with exactly one of --waves 1,5,20, --percent 10,50,100 or --exponential INITIAL,FACTOR,MAX');
  let waves: WavePlanSpec;
  if (f.waves !== undefined) waves = { kind: 'fixed', sizes: numbers('--waves', f.waves) };
  else if (f.percent !== undefined) waves = { kind: 'percent', cumulative: numbers('--percent', f.percent) };
  else {
    const e = numbers('--exponential', f.exponential!);
    if (e.length !== 3) throw usage(`Invalid --exponential "${f.exponential}": need INITIAL,FACTOR,MAX (e.g. 1,2,100)`);
    waves = { kind: 'exponential', initial: e[0]!, factor: e[1]!, max: e[2]! };
  }
  const policy: { -readonly [K in keyof RolloutPolicy]?: RolloutPolicy[K] } = {};
  if (f.success !== undefined) policy.successPercent = number('--success', f.success);
  if (f.errorPercent !== undefined) policy.errorPercent = number('--error-percent', f.errorPercent);
  if (f.minFinished !== undefined) policy.minFinished = number('--min-finished', f.minFinished);
  if (f.waveTimeout !== undefined) policy.waveTimeoutMs = Math.round(number('--wave-timeout', f.waveTimeout) * 1000);
  if (f.soak !== undefined) policy.soakMs = Math.round(number('--soak', f.soak) * 1000);
  return {
    ...(f.id === undefined ? {} : { id: f.id }),
    release: f.release,
    target,
    waves,
    ...(Object.keys(policy).length === 0 ? {} : { policy }),
    ...(f.rollbackRelease === undefined ? {} : { rollbackRelease: f.rollbackRelease }),
    ...(f.autoRollback === true ? { autoRollback: true } : {}),
    ...(f.start === false ? { start: false } : {}),
  };
}

/** The lines of `rollout status`. */
export function rolloutSummary(v: RolloutView): string[] {
  const out = [
    `rollout  ${v.id}`,
    `app      ${v.app} ${v.release.version} (sequence ${v.release.sequence}, ${short(v.release.manifestDigest)})${v.previous === undefined ? '' : ` replacing ${v.previous.version}`}`,
    `state    ${v.state}${v.halt === undefined ? '' : `: ${v.halt.reason}`}`,
    `created  ${time(v.createdAtMs)} by ${v.createdBy}, updated ${time(v.updatedAtMs)}`,
    `devices  ${v.counts.good} good, ${v.counts.failed} failed, ${v.counts.installing + v.counts.issued} in progress, ${v.counts.waiting} waiting`,
    ...v.waves.map((_, i) => `${i === v.wave ? '>' : ' '} ${waveLine(v, i)}`),
  ];
  const recent = v.decisions.slice(-5);
  if (recent.length > 0) out.push('recent decisions:', ...recent.map((d) => `  ${time(d.atMs)} ${d.code}: ${d.reason}`));
  return out;
}

/**
 * Follows a rollout until it settles (completed, halted, aborted, rolled back) or `signal` aborts, showing its
 * progress line on each change (on stderr with `toErr`, so that stdout can carry JSON); resolves to the last view.
 */
export async function watchRollout(client: CloudClient, io: CliIo, id: string, o: { intervalMs?: number; signal?: AbortSignal; first?: RolloutView; toErr?: boolean } = {}): Promise<RolloutView> {
  const line = statusLine(io, o.toErr === true);
  let v = o.first ?? (await client.get<RolloutView>(`/api/rollouts/${enc(id)}`));
  // Waves that ended before the watch began, or between two looks, still get their final line.
  let shownWave = 0;
  try {
    for (;;) {
      while (shownWave >= 0 && shownWave < v.wave) {
        line.show(waveLine(v, shownWave));
        line.end();
        shownWave++;
      }
      shownWave = v.wave;
      line.show(progressLine(v));
      if (SETTLED.has(v.state) || o.signal?.aborted === true) break;
      await sleep(o.intervalMs ?? 1000, o.signal);
      v = await client.get<RolloutView>(`/api/rollouts/${enc(id)}`);
    }
  } finally {
    line.end();
  }
  return v;
}

/** Exit status of a watch: 0 for completed, else a one-line error saying how the rollout ended. */
function settle(v: RolloutView): void {
  if (!SETTLED.has(v.state) || v.state === 'completed') return;
  if (v.state === 'halted') throw new CliError(`rollout ${v.id} halted${v.halt === undefined ? '' : `: ${v.halt.reason}`}`);
  throw new CliError(`rollout ${v.id} ended ${v.state}`);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function viewLine(v: RolloutView): string {
  return `rollout ${v.id}: ${v.app} ${v.release.version} to ${plural(v.waves.reduce((a, w) => a + w.size, 0), 'device')} in ${plural(v.waves.length, 'wave')} (${v.waves.map((w) => w.size).join(', ')}); ${v.state}`;
}

/** Registers `fleetlet rollout create|status|list|start|pause|resume|abort|roll-back`. */
export function registerRollout(program: Command, io: CliIo): void {
  const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
  const json = (v: unknown): void => io.out(JSON.stringify(v, null, 2));
  const watchOptions = (o: { interval: string }): { intervalMs: number; signal: AbortSignal; done(): void } => {
    const ac = new AbortController();
    const stop = (): void => ac.abort();
    process.once('SIGINT', stop);
    return { intervalMs: number('--interval', o.interval), signal: ac.signal, done: () => process.off('SIGINT', stop) };
  };
  const rollout = withConnection(program.command('rollout').description('Create rollouts of an uploaded release, follow them, pause, resume, abort or roll them back'));

  rollout.command('create')
    .description('Create a rollout (started at once unless --no-start)')
    .requiredOption('--release <digest>', 'the release\'s manifest digest (from `fleetlet release upload`)')
    .option('--devices <ids>', 'target exactly these devices, in this order (a,b,c)')
    .option('--tag <key=value>', 'target devices with this tag; repeat for more tags (all must match) or values (any matches)', collect)
    .option('--device-class <class>', 'target only devices of this class')
    .option('--seed <n>', 'shuffle the --tag selection with this seed')
    .option('--waves <sizes>', 'fixed wave sizes, the last repeated (1,5,20)')
    .option('--percent <cumulative>', 'cumulative percentages ending at 100 (10,50,100)')
    .option('--exponential <initial,factor,max>', 'waves growing by a factor up to a cap (1,2,100)')
    .option('--rollback-release <digest>', 'the re-signed previous release a roll back re-issues')
    .option('--auto-rollback', 'roll back by itself when the rollout halts (needs --rollback-release)')
    .option('--success <percent>', 'a wave succeeds when this percentage of its devices are good')
    .option('--error-percent <percent>', 'halt when this percentage of a wave\'s finished devices failed')
    .option('--min-finished <n>', 'judge failures once this many of a wave\'s devices finished')
    .option('--wave-timeout <seconds>', 'halt when a wave has not succeeded in this long')
    .option('--soak <seconds>', 'run each wave at least this long before the next')
    .option('--id <id>', 'rollout id (default: chosen by the cloud)')
    .option('--no-start', 'create it without starting it')
    .option('--watch', 'follow it until it settles')
    .option('--interval <ms>', 'how often --watch asks, in milliseconds', '1000')
    .option('--json', 'print the API\'s JSON')
    .action(async function (this: Command, o: CreateFlags & { watch?: boolean; interval: string; json?: boolean }) {
      const client = clientOf(this, io);
      const v = await client.post<RolloutView>('/api/rollouts', createRequest(o));
      if (o.json === true && o.watch !== true) return json(v);
      if (o.json === true) io.err(viewLine(v));
      else io.out(viewLine(v));
      if (o.watch !== true) return;
      const w = watchOptions(o);
      try {
        const end = await watchRollout(client, io, v.id, { intervalMs: w.intervalMs, signal: w.signal, first: v, toErr: o.json === true });
        if (o.json === true) json(end);
        settle(end);
      } finally {
        w.done();
      }
    });

  rollout.command('status')
    .description('A rollout\'s state, waves and recent decisions; --watch follows it until it settles')
    .argument('<id>', 'rollout id')
    .option('--watch', 'follow it until it settles (exit 0 when it completes)')
    .option('--interval <ms>', 'how often --watch asks, in milliseconds', '1000')
    .option('--json', 'print the API\'s JSON')
    .action(async function (this: Command, id: string, o: { watch?: boolean; interval: string; json?: boolean }) {
      const client = clientOf(this, io);
      if (o.watch !== true) {
        const v = await client.get<RolloutView>(`/api/rollouts/${enc(id)}`);
        if (o.json === true) return json(v);
        return rolloutSummary(v).forEach((l) => io.out(l));
      }
      const w = watchOptions(o);
      try {
        const end = await watchRollout(client, io, id, { intervalMs: w.intervalMs, signal: w.signal, toErr: o.json === true });
        if (o.json === true) json(end);
        else rolloutSummary(end).forEach((l) => io.out(l));
        settle(end);
      } finally {
        w.done();
      }
    });

  rollout.command('list')
    .description('Rollouts, newest first (every page)')
    .option('--state <state>', 'only rollouts in this state')
    .option('--json', 'print the API\'s JSON')
    .action(async function (this: Command, o: { state?: string; json?: boolean }) {
      const items = await clientOf(this, io).all<RolloutView>('/api/rollouts', { state: o.state });
      if (o.json === true) return json({ items });
      const rows = items.map((v) => [v.id, v.app, v.release.version, v.state, v.wave < 0 ? '-' : `${v.wave + 1}/${v.waves.length}`, String(v.counts.good), String(v.counts.failed), String(v.waves.reduce((a, w) => a + w.size, 0)), time(v.createdAtMs)]);
      (rows.length === 0 ? ['no rollouts'] : table(['ROLLOUT', 'APP', 'VERSION', 'STATE', 'WAVE', 'GOOD', 'FAILED', 'DEVICES', 'CREATED'], rows)).forEach((l) => io.out(l));
    });

  const commands: readonly [RolloutCommandName, string][] = [
    ['start', 'Start a rollout created with --no-start'],
    ['pause', 'Pause a running rollout: no new wave starts, devices already sent the release carry on'],
    ['resume', 'Resume a paused rollout'],
    ['abort', 'Abort a rollout: no more devices get the release (those that have it keep it)'],
    ['roll-back', 'Roll back: re-issue the rollback release to every device that got the new one'],
  ];
  for (const [name, description] of commands) {
    rollout.command(name)
      .description(description)
      .argument('<id>', 'rollout id')
      .option('--json', 'print the API\'s JSON')
      .action(async function (this: Command, id: string, o: { json?: boolean }) {
        const v = await clientOf(this, io).post<RolloutView>(`/api/rollouts/${enc(id)}/${name}`);
        if (o.json === true) return json(v);
        io.out(`rollout ${v.id}: ${v.state}`);
      });
  }
}
