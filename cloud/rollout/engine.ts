// The rollout engine: a deterministic state machine over a serialisable RolloutRecord. Each step takes an event
// (operator command, device report, clock tick) and returns the new record plus actions as data (publish the release
// to a wave, publish the re-signed old release for a rollback, record a decision). It reads no clock, store or
// network; the caller persists the record before it carries out the actions.

import { RolloutError } from './errors.ts';
import { planWaveSizes, resolveTargets, type DeviceInfo } from './plan.ts';
import { checkRegressionConfig, DEFAULT_REGRESSION, judgeRegression, type DevicePair, type VersionMetrics } from './regression.ts';
import {
  RECORD_VERSION,
  type Decision,
  type DevicePhase,
  type DeviceProgress,
  type HaltCode,
  type Release,
  type ReportedModule,
  type RolloutAction,
  type RolloutEvent,
  type RolloutPolicy,
  type RolloutRecord,
  type RolloutSpec,
  type RolloutState,
  type StepResult,
} from './record.ts';

/** 90 % good per wave; halt at 20 % failed once 5 finished; 1 h per wave; no soak; default regression rule. */
export const DEFAULT_POLICY: RolloutPolicy = {
  successPercent: 90,
  errorPercent: 20,
  minFinished: 5,
  waveTimeoutMs: 3_600_000,
  soakMs: 0,
  regression: DEFAULT_REGRESSION,
};

/** Which operator command each state accepts (one table; reports and ticks are accepted everywhere). */
const COMMANDS: Readonly<Record<'start' | 'pause' | 'resume' | 'abort' | 'roll-back', readonly RolloutState[]>> = {
  start: ['created'],
  pause: ['running'],
  resume: ['paused'],
  abort: ['created', 'running', 'paused', 'halted'],
  'roll-back': ['running', 'paused', 'halted', 'completed', 'aborted'],
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Mutable<RolloutRecord> & { devices: DeviceProgress[]; decisions: Decision[] };

const hexOf = (d: Uint8Array | string): string => (typeof d === 'string' ? d.toLowerCase() : Buffer.from(d).toString('hex'));

/**
 * Creates a rollout: resolves and freezes its targets, plans its waves, checks its policy. Baselines (the old
 * version's metrics per device, from reports received before) may be given; reports in state 'created' add more.
 * @throws RolloutError 'empty-target', 'unknown-devices', 'duplicate-devices', 'bad-selector', 'bad-wave-plan', 'bad-config'
 */
export function createRollout(spec: RolloutSpec, devices: readonly DeviceInfo[], atMs: number, baselines: Readonly<Record<string, VersionMetrics & { version: string }>> = {}): { record: RolloutRecord; actions: RolloutAction[] } {
  const policy: RolloutPolicy = { ...DEFAULT_POLICY, ...spec.policy, regression: { ...DEFAULT_REGRESSION, ...spec.policy?.regression } };
  checkPolicy(spec.id, policy);
  if (!/^[0-9a-f]{64}$/.test(spec.release.manifestDigest)) throw new RolloutError('bad-config', `Invalid release digest "${spec.release.manifestDigest}": need 64 lowercase hex digits`, spec.id);
  const targets = resolveTargets(spec.target, devices);
  const waveSizes = planWaveSizes(targets.length, spec.waves);
  const progress: DeviceProgress[] = [];
  let at = 0;
  waveSizes.forEach((size, wave) => {
    for (let i = 0; i < size; i++, at++) {
      const id = targets[at]!;
      const b = Object.hasOwn(baselines, id) ? baselines[id] : undefined;
      progress.push(b === undefined ? { id, wave, phase: 'waiting' } : { id, wave, phase: 'waiting', baseline: { ...b } });
    }
  });
  const d: Draft = {
    schemaVersion: RECORD_VERSION,
    id: spec.id,
    app: spec.app,
    release: { ...spec.release },
    ...(spec.previous === undefined ? {} : { previous: { ...spec.previous } }),
    policy,
    targets,
    waveSizes,
    state: 'created',
    wave: -1,
    devices: progress,
    decisions: [],
    createdAtMs: atMs,
    updatedAtMs: atMs,
    revision: 0,
  };
  const actions: RolloutAction[] = [];
  decide(d, actions, { atMs, code: 'created', reason: `${targets.length} devices frozen in ${waveSizes.length} waves (${waveSizes.join(', ')}) for ${spec.app} ${spec.release.version}` });
  return { record: d, actions };
}

function checkPolicy(id: string, p: RolloutPolicy): void {
  const pct = (k: 'successPercent' | 'errorPercent'): void => {
    if (!(p[k] > 0 && p[k] <= 100)) throw new RolloutError('bad-config', `Invalid ${k} ${p[k]}: need a number in (0, 100]`, id);
  };
  pct('successPercent');
  pct('errorPercent');
  for (const k of ['minFinished', 'waveTimeoutMs', 'soakMs'] as const) {
    if (!Number.isSafeInteger(p[k]) || p[k] < (k === 'soakMs' ? 0 : 1)) throw new RolloutError('bad-config', `Invalid ${k} ${p[k]}: need an integer >= ${k === 'soakMs' ? 0 : 1}`, id);
  }
  try {
    checkRegressionConfig(p.regression);
  } catch (e) {
    throw new RolloutError('bad-config', (e as Error).message, id);
  }
}

/** Steps the rollout by one event. Pure: the input record is not changed. Refuses only commands (never reports or ticks). */
export function step(record: RolloutRecord, event: RolloutEvent): StepResult {
  if (event.type !== 'report' && event.type !== 'tick') {
    if (!COMMANDS[event.type].includes(record.state)) {
      return { ok: false, error: new RolloutError('not-allowed', `Cannot ${event.type} a rollout that is ${record.state}`, record.id) };
    }
  }
  const d: Draft = { ...record, devices: record.devices.slice(), decisions: record.decisions.slice() };
  const actions: RolloutAction[] = [];
  const now = event.atMs;
  const by = 'by' in event && event.by !== undefined ? ` by ${event.by}` : '';
  switch (event.type) {
    case 'start':
      d.state = 'running';
      decide(d, actions, { atMs: now, code: 'started', reason: `started${by}` });
      startWave(d, actions, 0, now);
      break;
    case 'pause':
      d.state = 'paused';
      d.pausedAtMs = now;
      decide(d, actions, { atMs: now, code: 'paused', reason: `paused${by} in wave ${d.wave + 1}`, wave: d.wave });
      break;
    case 'resume':
      d.state = 'running';
      if (d.waveStartedAtMs !== undefined && d.pausedAtMs !== undefined) d.waveStartedAtMs += Math.max(0, now - d.pausedAtMs);
      delete d.pausedAtMs;
      decide(d, actions, { atMs: now, code: 'resumed', reason: `resumed${by} in wave ${d.wave + 1}`, wave: d.wave });
      advance(d, actions, now);
      break;
    case 'abort':
      d.state = 'aborted';
      delete d.pausedAtMs;
      decide(d, actions, { atMs: now, code: 'aborted', reason: `aborted${by}; ${count(d, 'waiting')} devices never received ${d.release.version}` });
      break;
    case 'roll-back': {
      if (d.devices.every((x) => x.phase === 'waiting')) {
        return { ok: false, error: new RolloutError('not-allowed', 'Cannot roll back a rollout that issued its release to no device', d.id) };
      }
      const refused = checkRollbackRelease(d, event.release);
      if (refused !== undefined) return { ok: false, error: refused };
      startRollback(d, actions, event.release, now, by);
      break;
    }
    case 'report':
      if (!applyReport(d, event.deviceId, event.module)) return { ok: true, record, actions: [] };
      if (d.state === 'running') advance(d, actions, now);
      if (d.state === 'rolling-back') finishRollback(d, actions, now);
      break;
    case 'tick':
      if (d.state !== 'running') return { ok: true, record, actions: [] };
      advance(d, actions, now);
      if (actions.length === 0) return { ok: true, record, actions: [] };
      break;
  }
  d.updatedAtMs = Math.max(d.updatedAtMs, now);
  d.revision = record.revision + 1;
  return { ok: true, record: d, actions };
}

function decide(d: Draft, actions: RolloutAction[], decision: Decision): void {
  d.decisions.push(decision);
  actions.push({ kind: 'record', rolloutId: d.id, decision });
}

function count(d: Draft, phase: DevicePhase): number {
  return d.devices.filter((p) => p.phase === phase).length;
}

/** Waves are consecutive runs of `targets`: the index range of one. */
function waveRange(d: Draft, wave: number): [number, number] {
  let start = 0;
  for (let w = 0; w < wave; w++) start += d.waveSizes[w]!;
  return [start, start + d.waveSizes[wave]!];
}

function waveDevices(d: Draft, wave: number): DeviceProgress[] {
  return d.devices.slice(...waveRange(d, wave));
}

/** Target index by device id, built once per frozen target list (records share it from step to step). */
const indexes = new WeakMap<readonly string[], Map<string, number>>();

function indexOf(d: Draft, deviceId: string): number {
  let m = indexes.get(d.targets);
  if (m === undefined) {
    m = new Map(d.targets.map((id, i) => [id, i]));
    indexes.set(d.targets, m);
  }
  return m.get(deviceId) ?? -1;
}

function startWave(d: Draft, actions: RolloutAction[], wave: number, now: number): void {
  d.wave = wave;
  d.waveStartedAtMs = now;
  const ids: string[] = [];
  const [from, to] = waveRange(d, wave);
  for (let i = from; i < to; i++) {
    const p = d.devices[i]!;
    d.devices[i] = { ...p, phase: 'issued', issuedAtMs: now };
    ids.push(p.id);
  }
  decide(d, actions, { atMs: now, code: 'wave-started', reason: `wave ${wave + 1} of ${d.waveSizes.length}: ${ids.length} devices get ${d.release.version}`, wave });
  actions.push({ kind: 'publish', rolloutId: d.id, app: d.app, wave, deviceIds: ids, release: d.release });
}

/** Judges the current wave until nothing changes: halt on failures, succeed (after the regression rule), or time out. */
function advance(d: Draft, actions: RolloutAction[], now: number): void {
  const p = d.policy;
  while (d.state === 'running') {
    const wave = waveDevices(d, d.wave);
    const good = wave.filter((x) => x.phase === 'good').length;
    const failed = wave.filter((x) => x.phase === 'failed').length;
    const finished = good + failed;
    const label = `wave ${d.wave + 1}`;
    if (failed > 0 && finished >= Math.min(p.minFinished, wave.length) && failed * 100 >= p.errorPercent * finished) {
      const codes = [...new Set(wave.filter((x) => x.phase === 'failed').map((x) => x.errorCode ?? x.lastState ?? 'failed'))].join(', ');
      halt(d, actions, now, 'failures', `${label}: ${failed} of ${finished} finished devices failed (${codes}), at or above the ${p.errorPercent} % threshold`);
      return;
    }
    const started = d.waveStartedAtMs ?? now;
    if (good * 100 >= p.successPercent * wave.length && now - started >= p.soakMs) {
      const verdict = judgeRegression(pairs(d), p.regression);
      const regression = { outcome: verdict.outcome, devices: verdict.devices, judgements: verdict.judgements };
      decide(d, actions, { atMs: now, code: 'regression-judged', reason: verdict.reason, wave: d.wave, regression });
      if (verdict.outcome === 'regressed') {
        halt(d, actions, now, 'regression', `${label}: ${verdict.reason}`);
        return;
      }
      decide(d, actions, { atMs: now, code: 'wave-succeeded', reason: `${label}: ${good} of ${wave.length} devices good, ${failed} failed`, wave: d.wave });
      if (d.wave + 1 >= d.waveSizes.length) {
        d.state = 'completed';
        delete d.waveStartedAtMs;
        decide(d, actions, { atMs: now, code: 'completed', reason: `all ${d.waveSizes.length} waves succeeded: ${count(d, 'good')} of ${d.targets.length} devices good` });
        return;
      }
      startWave(d, actions, d.wave + 1, now);
      continue;
    }
    if (now - started >= p.waveTimeoutMs) {
      halt(d, actions, now, 'wave-timeout', `${label}: ${good} of ${wave.length} devices good after ${now - started} ms, below the ${p.successPercent} % success condition`);
    }
    return;
  }
}

function halt(d: Draft, actions: RolloutAction[], now: number, code: HaltCode, reason: string): void {
  d.state = 'halted';
  d.halt = { code, reason };
  decide(d, actions, { atMs: now, code: 'halted', reason, wave: d.wave, halt: code });
}

/** Every device with an old-version baseline and new-version metrics, for the regression rule. */
function pairs(d: Draft): DevicePair[] {
  const out: DevicePair[] = [];
  for (const x of d.devices) if (x.baseline !== undefined && x.current !== undefined) out.push({ deviceId: x.id, before: x.baseline, after: x.current });
  return out;
}

const INSTALLING = new Set(['pending', 'downloading', 'starting', 'probation', 'stopped']);

/** Folds one report into the device's progress; false when it changes nothing (unknown device, same news). */
function applyReport(d: Draft, deviceId: string, m: ReportedModule | undefined): boolean {
  const i = indexOf(d, deviceId);
  if (i < 0 || m === undefined) return false;
  const before = d.devices[i]!;
  const p: Mutable<DeviceProgress> = { ...before };
  const digest = hexOf(m.manifestDigest);
  const metrics = m.metrics === undefined ? undefined : { ticks: m.metrics.ticks, fuelPerTick: m.metrics.fuelPerTick, memoryHighWaterPages: m.metrics.memoryHighWaterPages, traps: m.metrics.traps };
  const rollbackDigest = d.rollback?.release.manifestDigest;
  if (digest === rollbackDigest) {
    if (m.state === 'running' && p.phase !== 'waiting') p.rolledBack = true;
  } else if (digest === d.release.manifestDigest) {
    if (p.phase !== 'waiting') {
      p.phase = m.state === 'running' ? 'good' : m.state === 'failed' || m.state === 'rolled-back' ? 'failed' : INSTALLING.has(m.state) ? 'installing' : p.phase;
      if (metrics !== undefined && (m.state === 'running' || m.state === 'probation')) p.current = metrics;
    }
  } else if (m.state === 'rolled-back' || (m.errorCode !== undefined && p.phase !== 'waiting')) {
    // The agent rolled the new release back (or refused it) and runs an old version again.
    if (p.phase !== 'waiting') p.phase = 'failed';
  } else if (m.state === 'running' && m.errorCode === undefined && metrics !== undefined) {
    p.baseline = { version: m.version, ...metrics };
  }
  p.lastState = m.state;
  if (m.errorCode === undefined) delete p.errorCode;
  else p.errorCode = m.errorCode;
  if (JSON.stringify(p) === JSON.stringify(before)) return false;
  d.devices[i] = p;
  return true;
}

function checkRollbackRelease(d: Draft, r: Release): RolloutError | undefined {
  const refuse = (why: string): RolloutError => new RolloutError('bad-rollback-release', `Cannot roll back with ${r.version} (sequence ${r.sequence}): ${why}`, d.id);
  if (!/^[0-9a-f]{64}$/.test(r.manifestDigest)) return refuse('its digest is not 64 lowercase hex digits');
  if (r.manifestDigest === d.release.manifestDigest) return refuse('it is the release being rolled out');
  if (r.sequence <= d.release.sequence) return refuse(`its sequence must be above ${d.release.sequence}, or devices that took ${d.release.version} refuse it as a downgrade`);
  if (d.previous !== undefined && r.version !== d.previous.version) return refuse(`the previous release is ${d.previous.version}`);
  return undefined;
}

function startRollback(d: Draft, actions: RolloutAction[], release: Release, now: number, by: string): void {
  const from = d.state;
  d.state = 'rolling-back';
  d.rollback = { release: { ...release }, startedAtMs: now };
  delete d.pausedAtMs;
  const ids = d.devices.filter((x) => x.phase !== 'waiting').map((x) => x.id);
  decide(d, actions, { atMs: now, code: 'rollback-started', reason: `rollback${by} from ${from}: ${ids.length} devices get ${release.version} re-issued at sequence ${release.sequence}` });
  actions.push({ kind: 'publish-rollback', rolloutId: d.id, app: d.app, deviceIds: ids, release: d.rollback.release, replaces: d.release });
  finishRollback(d, actions, now);
}

function finishRollback(d: Draft, actions: RolloutAction[], now: number): void {
  const issued = d.devices.filter((x) => x.phase !== 'waiting');
  if (issued.length > 0 && issued.every((x) => x.rolledBack === true)) {
    d.state = 'rolled-back';
    decide(d, actions, { atMs: now, code: 'rolled-back', reason: `all ${issued.length} devices run ${d.rollback!.release.version} again` });
  }
}

/**
 * The publishes to repeat after the cloud restarts (the actions of the last step may not all have been carried
 * out): the release to every issued device not yet finished, or the rollback release to every device not yet back.
 * Publishing the same release again is harmless: a device that has it changes nothing.
 */
export function resumeActions(r: RolloutRecord): RolloutAction[] {
  if (r.state === 'rolling-back' && r.rollback !== undefined) {
    const ids = r.devices.filter((x) => x.phase !== 'waiting' && x.rolledBack !== true).map((x) => x.id);
    return ids.length === 0 ? [] : [{ kind: 'publish-rollback', rolloutId: r.id, app: r.app, deviceIds: ids, release: r.rollback.release, replaces: r.release }];
  }
  if (r.state === 'created' || r.state === 'rolled-back') return [];
  const byWave = new Map<number, string[]>();
  for (const x of r.devices) {
    if (x.phase !== 'issued' && x.phase !== 'installing') continue;
    byWave.set(x.wave, [...(byWave.get(x.wave) ?? []), x.id]);
  }
  return [...byWave].map(([wave, deviceIds]) => ({ kind: 'publish', rolloutId: r.id, app: r.app, wave, deviceIds, release: r.release }));
}

/** Devices per phase, for a dashboard or a test. */
export function progressSummary(r: RolloutRecord): Record<DevicePhase, number> {
  const out: Record<DevicePhase, number> = { waiting: 0, issued: 0, installing: 0, good: 0, failed: 0 };
  for (const x of r.devices) out[x.phase]++;
  return out;
}
