// Rollout engine scenarios over a simulated fleet: a good version completes every wave; a failing version halts in
// wave 1 with its reason; a version 2x worse in fuel (or memory, or traps) halts by the regression rule; pause,
// resume, abort and roll back; wave timeouts and the minimum finished; a restart mid-rollout reaches the same outcome.
import { describe, expect, it } from 'vitest';
import { createRollout, progressSummary, step, type RolloutAction, type RolloutRecord } from '../../../cloud/rollout/index.ts';
import { NEW, OLD, REISSUED, SimRun, type SimOptions } from './_sim.ts';

const EXP: SimOptions['waves'] = { kind: 'exponential', initial: 2, factor: 2, max: 8 };
const base = { devices: 30, seed: 1, waves: EXP, noise: 0.2 } as const;

function publishes(actions: readonly RolloutAction[]) {
  return actions.filter((a) => a.kind === 'publish');
}

describe('rollout engine: outcomes', () => {
  it('a good version completes all waves, each device issued once, in wave order', () => {
    const run = new SimRun({ ...base, behaviour: {} }).run();
    expect(run.record.state).toBe('completed');
    expect(run.record.waveSizes).toEqual([2, 4, 8, 8, 8]);
    expect(progressSummary(run.record)).toEqual({ waiting: 0, issued: 0, installing: 0, good: 30, failed: 0 });
    const pubs = publishes(run.actions);
    expect(pubs.map((p) => p.wave)).toEqual([0, 1, 2, 3, 4]);
    expect(pubs.flatMap((p) => p.deviceIds)).toEqual(run.record.targets);
    expect(pubs.every((p) => p.release.manifestDigest === NEW.manifestDigest)).toBe(true);
    const codes = run.record.decisions.map((d) => d.code);
    expect(codes.filter((c) => c === 'wave-succeeded')).toHaveLength(5);
    expect(codes.at(-1)).toBe('completed');
    // The regression rule was judged once enough devices ran both versions, and found nothing.
    const judged = run.record.decisions.filter((d) => d.code === 'regression-judged');
    expect(judged.map((d) => d.regression?.outcome)).toEqual(['not-enough-devices', 'not-enough-devices', 'no-regression', 'no-regression', 'no-regression']);
  });

  it('a version its agents roll back halts in wave 1 with the failures as the reason', () => {
    const run = new SimRun({ ...base, behaviour: { fails: true } }).run();
    expect(run.record.state).toBe('halted');
    expect(run.record.halt?.code).toBe('failures');
    expect(run.record.wave).toBe(0);
    expect(run.record.halt?.reason).toContain('wave 1: 2 of 2 finished devices failed (health-failed), at or above the 20 % threshold');
    expect(publishes(run.actions).flatMap((p) => p.deviceIds)).toEqual(run.record.targets.slice(0, 2));
    expect(progressSummary(run.record).waiting).toBe(28);
  });

  it('a version whose fuel per tick is 2x worse halts by the regression rule once 8 devices ran both', () => {
    const run = new SimRun({ ...base, behaviour: { fuelFactor: 2 } }).run();
    expect(run.record.state).toBe('halted');
    expect(run.record.halt?.code).toBe('regression');
    expect(run.record.wave).toBe(2);
    expect(run.record.halt?.reason).toMatch(/fuelPerTick median [12]\.\d+x, 99 % lower bound 1\.\d+x vs limit 1\.250x/);
    expect(run.record.halt?.reason).not.toContain('memoryHighWaterPages');
    expect(progressSummary(run.record).waiting).toBe(16);
  });

  it('memory high-water 2x and a trap rate of 5 % halt by the regression rule, naming the metric', () => {
    const mem = new SimRun({ ...base, behaviour: { memoryFactor: 2 } }).run();
    expect(mem.record.halt?.code).toBe('regression');
    expect(mem.record.halt?.reason).toContain('memoryHighWaterPages');
    const traps = new SimRun({ ...base, behaviour: { trapRate: 0.05 } }).run();
    expect(traps.record.halt?.code).toBe('regression');
    expect(traps.record.halt?.reason).toContain('trapRate');
    expect(traps.record.halt?.reason).not.toContain('fuelPerTick');
  });

  it('a wave whose devices never answer halts at the wave timeout', () => {
    const run = new SimRun({ ...base, behaviour: {}, silent: new Set([3]), policy: { waveTimeoutMs: 60_000, successPercent: 100 } }).run();
    expect(run.record.state).toBe('halted');
    expect(run.record.halt).toEqual({ code: 'wave-timeout', reason: 'wave 2: 3 of 4 devices good after 60000 ms, below the 100 % success condition' });
  });

  it('a wave runs at least soakMs before the next starts', () => {
    const run = new SimRun({ ...base, behaviour: {}, policy: { soakMs: 30_000 } }).run();
    expect(run.record.state).toBe('completed');
    const starts = run.record.decisions.filter((d) => d.code === 'wave-started').map((d) => d.atMs);
    expect(starts).toEqual([0, 30_000, 60_000, 90_000, 120_000]);
  });

  it('the error threshold is judged only after minFinished devices finished', () => {
    const one = (i: number) => ({ fails: i === 2 });
    const waves = { kind: 'fixed', sizes: [2, 10] } as const;
    // One failure in a wave of 10: 1/1 would be over 30 %, but judged after 5 finished it is 1/5 = 20 %.
    const judgedLate = new SimRun({ ...base, devices: 12, waves, behaviour: one, policy: { errorPercent: 30, minFinished: 5, successPercent: 90 } }).run();
    expect(judgedLate.record.state).toBe('completed');
    expect(progressSummary(judgedLate.record)).toMatchObject({ good: 11, failed: 1 });
    const judgedEarly = new SimRun({ ...base, devices: 12, waves, behaviour: one, policy: { errorPercent: 30, minFinished: 1, successPercent: 90 } }).run();
    expect(judgedEarly.record.state).toBe('halted');
    expect(judgedEarly.record.halt?.code).toBe('failures');
  });

  it('an equal version that fails 1 in 10 completes when the success condition allows it, halts when it does not', () => {
    const some = (i: number) => ({ fails: i % 10 === 9 });
    const waves = { kind: 'fixed', sizes: [10] } as const;
    expect(new SimRun({ ...base, waves, behaviour: some, policy: { errorPercent: 50, successPercent: 90 } }).run().record.state).toBe('completed');
    const strict = new SimRun({ ...base, waves, behaviour: some, policy: { errorPercent: 50, successPercent: 100, waveTimeoutMs: 30_000 } }).run();
    expect(strict.record.halt?.code).toBe('wave-timeout');
  });
});

describe('rollout engine: operator commands', () => {
  it('pause holds the next wave and the wave timer; resume continues to completion', () => {
    const run = new SimRun({ ...base, behaviour: {}, policy: { waveTimeoutMs: 60_000 } });
    run.run(undefined, (r) => r.wave === 1);
    run.command({ type: 'pause', atMs: 0, by: 'ops' });
    expect(run.record.state).toBe('paused');
    run.run(run.nowMs + 600_000);
    expect(run.record.state).toBe('paused');
    expect(run.record.wave).toBe(1);
    expect(progressSummary(run.record)).toMatchObject({ good: 6, waiting: 24 });
    expect(step(run.record, { type: 'pause', atMs: run.nowMs })).toMatchObject({ ok: false, error: { code: 'not-allowed' } });
    run.command({ type: 'resume', atMs: 0, by: 'ops' });
    run.run();
    expect(run.record.state).toBe('completed');
    expect(run.log().filter((l) => /^(paused|resumed)/.test(l))).toEqual(['paused: paused by ops in wave 2', 'resumed: resumed by ops in wave 2']);
  });

  it('abort stops issuing waves; later reports change no state; only roll back is accepted after', () => {
    const run = new SimRun({ ...base, behaviour: {} });
    run.run(undefined, (r) => r.wave === 2);
    run.command({ type: 'abort', atMs: 0, by: 'ops' });
    const issued = publishes(run.actions).flatMap((p) => p.deviceIds).length;
    run.run(run.nowMs + 60_000);
    for (let i = 0; i < 20; i++) run.apply({ type: 'tick', atMs: (run.nowMs += 1000) });
    expect(run.record.state).toBe('aborted');
    expect(publishes(run.actions).flatMap((p) => p.deviceIds)).toHaveLength(issued);
    for (const type of ['start', 'pause', 'resume', 'abort'] as const) {
      expect(step(run.record, { type, atMs: run.nowMs })).toMatchObject({ ok: false, error: { code: 'not-allowed' } });
    }
    expect(step(run.record, { type: 'roll-back', atMs: run.nowMs, release: REISSUED }).ok).toBe(true);
  });

  it('roll back re-issues the old module with a higher sequence to every issued device, then reports rolled-back', () => {
    const run = new SimRun({ ...base, behaviour: { fuelFactor: 2 } }).run();
    expect(run.record.halt?.code).toBe('regression');
    const issued = run.record.devices.filter((d) => d.phase !== 'waiting').map((d) => d.id);
    run.command({ type: 'roll-back', atMs: 0, release: REISSUED, by: 'ops' });
    expect(run.record.state).toBe('rolling-back');
    const rb = run.actions.filter((a) => a.kind === 'publish-rollback');
    expect(rb).toHaveLength(1);
    expect(rb[0]).toMatchObject({ deviceIds: issued, release: REISSUED, replaces: NEW });
    expect(REISSUED.sequence).toBeGreaterThan(NEW.sequence);
    run.run();
    expect(run.record.state).toBe('rolled-back');
    expect(run.log().at(-1)).toBe(`rolled-back: all ${issued.length} devices run 1.0.0 again`);
    // Each issued device was told: new release, then the re-signed old one.
    for (const id of issued) expect(run.fleet.desired.get(id)).toEqual([NEW.manifestDigest, REISSUED.manifestDigest]);
  });

  it('roll back refuses a release that devices would take as a downgrade, another version, or the same release', () => {
    const run = new SimRun({ ...base, behaviour: { fails: true } }).run();
    const at = run.nowMs;
    expect(step(run.record, { type: 'roll-back', atMs: at, release: { ...REISSUED, sequence: NEW.sequence } })).toMatchObject({ ok: false, error: { code: 'bad-rollback-release' } });
    expect(step(run.record, { type: 'roll-back', atMs: at, release: { ...REISSUED, version: '0.9.0' } })).toMatchObject({ ok: false, error: { code: 'bad-rollback-release' } });
    expect(step(run.record, { type: 'roll-back', atMs: at, release: { ...NEW, sequence: 99 } })).toMatchObject({ ok: false, error: { code: 'bad-rollback-release' } });
    expect(step(run.record, { type: 'roll-back', atMs: at, release: { ...REISSUED, manifestDigest: 'XY' } })).toMatchObject({ ok: false, error: { code: 'bad-rollback-release' } });
  });

  it('a created rollout takes no command but start and abort', () => {
    const { record } = createRollout({ id: 'r', app: 'thermo', release: NEW, previous: OLD, target: { kind: 'list', deviceIds: ['a'] }, waves: { kind: 'fixed', sizes: [1] } }, [{ id: 'a', tags: {} }], 0);
    for (const type of ['pause', 'resume'] as const) expect(step(record, { type, atMs: 1 })).toMatchObject({ ok: false, error: { code: 'not-allowed' } });
    expect(step(record, { type: 'roll-back', atMs: 1, release: REISSUED })).toMatchObject({ ok: false, error: { code: 'not-allowed' } });
    const aborted = step(record, { type: 'abort', atMs: 1 });
    expect(aborted).toMatchObject({ ok: true, record: { state: 'aborted' } });
    // Nothing was issued, so there is nothing to roll back.
    expect(aborted.ok && step(aborted.record, { type: 'roll-back', atMs: 2, release: REISSUED })).toMatchObject({ ok: false, error: { code: 'not-allowed' } });
  });
});

describe('rollout engine: records', () => {
  it('step never changes its input, and every decision comes back as a record action too', () => {
    const run = new SimRun({ ...base, behaviour: {} });
    const snapshots: [RolloutRecord, string][] = [];
    const recorded: string[] = [];
    run.run(undefined, (r) => {
      snapshots.push([r, JSON.stringify(r)]);
      return false;
    });
    for (const [r, text] of snapshots) expect(JSON.stringify(r)).toBe(text);
    for (const a of run.actions) if (a.kind === 'record') recorded.push(a.decision.code);
    expect(recorded).toEqual(run.record.decisions.slice(1).map((d) => d.code));
    expect(run.record.decisions.every((d) => d.reason.length > 0)).toBe(true);
  });

  it('reports from devices outside the target, or without the app, return the same record', () => {
    const run = new SimRun({ ...base, behaviour: {} });
    const r = run.record;
    expect(step(r, { type: 'report', atMs: 5, deviceId: 'stranger', module: { state: 'running', version: '9.9.9', manifestDigest: NEW.manifestDigest } })).toMatchObject({ ok: true, record: r, actions: [] });
    expect(step(r, { type: 'report', atMs: 5, deviceId: r.targets[0]!, module: undefined })).toMatchObject({ ok: true, record: r, actions: [] });
  });

  it('a digest reported as bytes counts the same as hex', () => {
    const run = new SimRun({ ...base, behaviour: {} });
    const id = run.record.targets[0]!;
    const r = step(run.record, { type: 'report', atMs: 5, deviceId: id, module: { state: 'running', version: NEW.version, manifestDigest: new Uint8Array(32).fill(0xbb) } });
    expect(r.ok && r.record.devices[0]!.phase).toBe('good');
  });
});

describe('rollout engine: restart', () => {
  it('a restart at any second of a rollout (losing that step\'s actions) reaches the same outcome', () => {
    for (const behaviour of [{}, { fuelFactor: 2 }, { fails: true }]) {
      const plain = new SimRun({ ...base, behaviour }).run();
      const outcome = (r: RolloutRecord) => ({ state: r.state, wave: r.wave, halt: r.halt?.code, phases: r.devices.map((d) => d.phase), codes: r.decisions.map((d) => d.code) });
      for (let t = 1; t <= plain.nowMs / 1000; t++) {
        const run = new SimRun({ ...base, behaviour });
        run.run(t * 1000 - 1000);
        run.restart();
        run.run();
        expect(outcome(run.record), `restart at ${t} s`).toEqual(outcome(plain.record));
      }
    }
  });
});
