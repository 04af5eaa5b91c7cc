// The full check of a CreateRolloutRequest as it arrives over HTTP (target, waves, policy and its ranges, the
// releases), so an operator's mistake comes back as one 400 naming the field before FleetOps is asked anything.

import type { CreateRolloutRequest } from '../service/ops.ts';
import type { TargetSpec, WavePlanSpec } from '../rollout/plan.ts';
import type { RolloutPolicy } from '../rollout/record.ts';
import type { RegressionConfig } from '../rollout/regression.ts';
import { array, bad, bool, DEVICE_ID, DIGEST, int, join, num, object, oneOf, ROLLOUT_ID, text } from './_validate.ts';

/** Most devices one list target may name, and most waves one plan may give. */
export const MAX_LIST_TARGETS = 100_000;
export const MAX_WAVES = 1000;
const DAY_MS = 86_400_000;
const TAG_KEY = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
const DEVICE_CLASS = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Checks the body of POST /api/rollouts.
 * @throws OpsError 'bad-request' with the path of the offending field (`waves.sizes[2]`, `policy.regression.confidence`)
 */
export function parseCreateRollout(body: unknown): CreateRolloutRequest {
  const b = object(body, '', ['id', 'release', 'target', 'waves', 'policy', 'rollbackRelease', 'autoRollback', 'start']);
  if (b['release'] === undefined) throw bad('Missing release: the manifest digest of an uploaded release', 'release');
  if (b['target'] === undefined) throw bad('Missing target: a device list or a tag selector', 'target');
  if (b['waves'] === undefined) throw bad('Missing waves: fixed, percent or exponential', 'waves');
  const id = b['id'] === undefined ? undefined : text(b['id'], 'id', { pattern: ROLLOUT_ID, what: 'a rollout id (letters, digits, ".", "_", ":", "-"; at most 64)' });
  const release = digest(b['release'], 'release');
  const rollbackRelease = b['rollbackRelease'] === undefined ? undefined : digest(b['rollbackRelease'], 'rollbackRelease');
  const autoRollback = b['autoRollback'] === undefined ? undefined : bool(b['autoRollback'], 'autoRollback');
  if (autoRollback === true && rollbackRelease === undefined) throw bad('Invalid autoRollback: a rollout rolls back by itself only with a rollbackRelease', 'autoRollback');
  if (rollbackRelease !== undefined && rollbackRelease === release) throw bad('Invalid rollbackRelease: it is the release being rolled out', 'rollbackRelease');
  const start = b['start'] === undefined ? undefined : bool(b['start'], 'start');
  const policy = b['policy'] === undefined ? undefined : parsePolicy(b['policy']);
  return {
    ...(id === undefined ? {} : { id }),
    release,
    target: parseTarget(b['target']),
    waves: parseWaves(b['waves']),
    ...(policy === undefined ? {} : { policy }),
    ...(rollbackRelease === undefined ? {} : { rollbackRelease }),
    ...(autoRollback === undefined ? {} : { autoRollback }),
    ...(start === undefined ? {} : { start }),
  };
}

function digest(v: unknown, field: string): string {
  return text(v, field, { pattern: DIGEST, max: 64, what: 'a manifest digest (64 lowercase hex digits)' });
}

export function parseTarget(v: unknown): TargetSpec {
  const kind = oneOf(object(v, 'target', ['kind', 'deviceIds', 'match', 'deviceClass', 'order'])['kind'], 'target.kind', ['list', 'selector'] as const);
  if (kind === 'list') {
    const t = object(v, 'target', ['kind', 'deviceIds']);
    const ids = array(t['deviceIds'], 'target.deviceIds', 1, MAX_LIST_TARGETS).map((d, i) => text(d, `target.deviceIds[${i}]`, { pattern: DEVICE_ID, max: 64, what: 'a device id' }));
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) throw bad(`Invalid target.deviceIds[${i}]: "${id}" is named twice`, `target.deviceIds[${i}]`);
      seen.add(id);
    });
    return { kind: 'list', deviceIds: ids };
  }
  const t = object(v, 'target', ['kind', 'match', 'deviceClass', 'order']);
  const raw = t['match'] === undefined ? {} : t['match'];
  const m = object(raw, 'target.match', raw !== null && typeof raw === 'object' ? Object.keys(raw) : []);
  const match: Record<string, string | readonly string[]> = {};
  for (const [k, want] of Object.entries(m)) {
    const field = join('target.match', k);
    if (!TAG_KEY.test(k)) throw bad(`Invalid tag name ${JSON.stringify(k.slice(0, 40))} in target.match: letters, digits, ".", "_", ":", "/", "-"; at most 64`, field);
    match[k] = Array.isArray(want) ? array(want, field, 1, 100).map((x, i) => text(x, `${field}[${i}]`, { max: 128 })) : text(want, field, { max: 128, what: 'a tag value or a list of them' });
  }
  const deviceClass = t['deviceClass'] === undefined ? undefined : text(t['deviceClass'], 'target.deviceClass', { pattern: DEVICE_CLASS, what: 'a device class (lowercase letters, digits, ".", "_", "-")' });
  if (Object.keys(match).length === 0 && deviceClass === undefined) throw bad('Invalid target: a selector names at least one tag in match or a deviceClass', 'target.match');
  let order: 'id' | { seed: number } | undefined;
  if (t['order'] !== undefined) {
    if (t['order'] === 'id') order = 'id';
    else order = { seed: int(object(t['order'], 'target.order', ['seed'])['seed'], 'target.order.seed', 0, 0xffff_ffff) };
  }
  return { kind: 'selector', match, ...(deviceClass === undefined ? {} : { deviceClass }), ...(order === undefined ? {} : { order }) };
}

export function parseWaves(v: unknown): WavePlanSpec {
  const kind = oneOf(object(v, 'waves', ['kind', 'sizes', 'cumulative', 'initial', 'factor', 'max'])['kind'], 'waves.kind', ['fixed', 'percent', 'exponential'] as const);
  switch (kind) {
    case 'fixed': {
      const w = object(v, 'waves', ['kind', 'sizes']);
      return { kind, sizes: array(w['sizes'], 'waves.sizes', 1, MAX_WAVES).map((s, i) => int(s, `waves.sizes[${i}]`, 1, MAX_LIST_TARGETS)) };
    }
    case 'percent': {
      const w = object(v, 'waves', ['kind', 'cumulative']);
      const c = array(w['cumulative'], 'waves.cumulative', 1, 100).map((p, i) => num(p, `waves.cumulative[${i}]`, 0, 100, { min: true }));
      c.forEach((p, i) => {
        if (i > 0 && p <= c[i - 1]!) throw bad(`Invalid waves.cumulative[${i}] ${p}: cumulative percentages must grow (the one before is ${c[i - 1]})`, `waves.cumulative[${i}]`);
      });
      if (c[c.length - 1] !== 100) throw bad(`Invalid waves.cumulative: the last percentage is ${c[c.length - 1]}, need 100`, `waves.cumulative[${c.length - 1}]`);
      return { kind, cumulative: c };
    }
    case 'exponential': {
      const w = object(v, 'waves', ['kind', 'initial', 'factor', 'max']);
      const initial = int(w['initial'], 'waves.initial', 1, MAX_LIST_TARGETS);
      const factor = num(w['factor'], 'waves.factor', 1, 100);
      const max = int(w['max'], 'waves.max', 1, MAX_LIST_TARGETS);
      if (max < initial) throw bad(`Invalid waves.max ${max}: need at least the initial size ${initial}`, 'waves.max');
      return { kind, initial, factor, max };
    }
  }
}

const POLICY_FIELDS = ['successPercent', 'errorPercent', 'minFinished', 'waveTimeoutMs', 'soakMs', 'regression'] as const;
const REGRESSION_FIELDS = ['fuelMargin', 'memoryMargin', 'trapRateMargin', 'minDevices', 'confidence', 'minTicks'] as const;

export function parsePolicy(v: unknown): Partial<RolloutPolicy> {
  const p = object(v, 'policy', POLICY_FIELDS);
  const out: { -readonly [K in keyof RolloutPolicy]?: RolloutPolicy[K] } = {};
  if (p['successPercent'] !== undefined) out.successPercent = num(p['successPercent'], 'policy.successPercent', 0, 100, { min: true });
  if (p['errorPercent'] !== undefined) out.errorPercent = num(p['errorPercent'], 'policy.errorPercent', 0, 100, { min: true });
  if (p['minFinished'] !== undefined) out.minFinished = int(p['minFinished'], 'policy.minFinished', 1, MAX_LIST_TARGETS);
  if (p['waveTimeoutMs'] !== undefined) out.waveTimeoutMs = int(p['waveTimeoutMs'], 'policy.waveTimeoutMs', 1, 30 * DAY_MS);
  if (p['soakMs'] !== undefined) out.soakMs = int(p['soakMs'], 'policy.soakMs', 0, 30 * DAY_MS);
  if (p['regression'] !== undefined) {
    const r = object(p['regression'], 'policy.regression', REGRESSION_FIELDS);
    const reg: { -readonly [K in keyof RegressionConfig]?: RegressionConfig[K] } = {};
    for (const k of ['fuelMargin', 'memoryMargin', 'trapRateMargin'] as const) if (r[k] !== undefined) reg[k] = num(r[k], `policy.regression.${k}`, 0, 1000);
    if (r['minDevices'] !== undefined) reg.minDevices = int(r['minDevices'], 'policy.regression.minDevices', 1, MAX_LIST_TARGETS);
    if (r['minTicks'] !== undefined) reg.minTicks = int(r['minTicks'], 'policy.regression.minTicks', 1, 1_000_000_000);
    if (r['confidence'] !== undefined) reg.confidence = num(r['confidence'], 'policy.regression.confidence', 0.5, 1, { min: true, max: true });
    // The engine merges a partial regression config over its defaults (engine.ts createRollout).
    out.regression = reg as RegressionConfig;
  }
  return out;
}
