// Operator commands on a simulated fleet: 8 real agents (device-sim hardware with the noisy load sensor) under a real
// FleetCloud. Pause in wave 1 holds the next wave even once wave 1 succeeded (reports are still recorded); resume
// judges at once, starts wave 2 and the rollout completes. Abort in wave 2 stops issuing, as the engine documents
// (cloud/rollout/DESIGN.md, "devices keep what they have"): wave 3 never gets the release, the devices already issued
// it finish installing and keep running it, the rollout's record stays as the abort left it (the driver follows a
// rollout no further once it is aborted), and an aborted rollout cannot be resumed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpsError } from '../../../cloud/service/ops.ts';
import { FAST_POLICY, installEverywhere, loadRelease, startSimFleet, type SimFleet } from './kit.ts';
import { until } from '../../agent/agent-kit.ts';

const LOOPS = 10;
const WAVES = { kind: 'fixed', sizes: [2, 3, 3] } as const;

let f: SimFleet;
const t0 = Date.now();
const figures: string[] = [];
const note = (line: string): void => {
  figures.push(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`);
};

beforeAll(async () => {
  f = await startSimFleet({ devices: 8 });
  await installEverywhere(f, loadRelease(f.keys, '1.0.0', 1, LOOPS), 'install-1.0.0');
  note('8 devices online, 1.0.0 installed everywhere');
}, 90_000);

afterAll(async () => {
  await f?.close();
  process.stdout.write(`${figures.join('\n')}\n`);
});

const codes = (r: { decisions: readonly { code: string }[] }): string[] => r.decisions.map((d) => d.code);
const desiredVersion = async (id: string): Promise<string | undefined> => (await f.cloud.ops.getDevice(id)).desired?.modules.find((m) => m.name === 'load')?.version;

describe('pause, resume and abort on a simulated fleet', () => {
  it('pause in wave 1 holds wave 2 even after wave 1 succeeds; resume starts it at once and the rollout completes', async () => {
    const [w1, later] = [f.ids.slice(0, 2), f.ids.slice(2)];
    const release = await f.upload(loadRelease(f.keys, '1.1.0', 2, LOOPS));
    const started = Date.now();
    await f.rollout({ id: 'pause-1.1.0', release, target: { kind: 'list', deviceIds: [...f.ids] }, waves: WAVES, policy: FAST_POLICY });
    const paused = await f.cloud.ops.commandRollout('pause-1.1.0', 'pause', 'e2e-operator');
    expect(paused).toMatchObject({ state: 'paused', wave: 0 });

    // wave 1 finishes while paused: its devices are recorded good, and the rollout waits
    await f.waitRollout('pause-1.1.0', 'wave 1 good while paused', (r) => r.waves[0]!.counts.good === 2);
    await f.moreReports(f.ids, 2); // every device reported twice more; the driver ticked every 100 ms meanwhile
    const held = await f.cloud.ops.getRollout('pause-1.1.0');
    note(`pause: wave 1 good after ${((Date.now() - started) / 1000).toFixed(1)} s, still paused`);
    expect(held).toMatchObject({ state: 'paused', wave: 0 });
    expect(held.waves.map((w) => w.counts.waiting)).toEqual([0, 3, 3]);
    expect(codes(held)).toEqual(['created', 'started', 'wave-started', 'paused']);
    for (const id of w1) expect(f.runs(id)).toBe('1.1.0');
    for (const id of later) {
      expect(f.runs(id)).toBe('1.0.0');
      expect(await desiredVersion(id)).toBe('1.0.0');
    }

    // resume judges at once: wave 1 succeeded, wave 2 starts in the same step
    const resumed = await f.cloud.ops.commandRollout('pause-1.1.0', 'resume', 'e2e-operator');
    expect(resumed).toMatchObject({ state: 'running', wave: 1 });
    expect(codes(resumed).slice(4)).toEqual(['resumed', 'regression-judged', 'wave-succeeded', 'wave-started']);
    const done = await f.waitRollout('pause-1.1.0', 'the resumed rollout to finish', (r) => r.state !== 'running');
    note(`pause/resume: ${done.state} ${((Date.now() - started) / 1000).toFixed(1)} s after its creation`);
    expect(done.state, done.decisions.at(-1)?.reason).toBe('completed');
    expect(done.counts).toMatchObject({ good: 8, failed: 0 });
    await until('every device reports 1.1.0 running', () => f.ids.every((id) => f.runs(id) === '1.1.0') || undefined);
    const audit = (await f.cloud.ops.listAudit({ actor: 'e2e-operator', limit: 2 })).items.map((e) => [e.action, e.subject]);
    expect(audit).toEqual([['resume-rollout', 'pause-1.1.0'], ['pause-rollout', 'pause-1.1.0']]);
  }, 60_000);

  it('abort in wave 2: wave 3 never gets the release, the devices already issued it keep it, and it cannot be resumed', async () => {
    const [issued, w3] = [f.ids.slice(0, 5), f.ids.slice(5)];
    const release = await f.upload(loadRelease(f.keys, '1.2.0', 3, LOOPS));
    const started = Date.now();
    await f.rollout({ id: 'abort-1.2.0', release, target: { kind: 'list', deviceIds: [...f.ids] }, waves: WAVES, policy: FAST_POLICY });
    await f.waitRollout('abort-1.2.0', 'wave 2 to start', (r) => r.wave >= 1 || r.state !== 'running');
    const aborted = await f.cloud.ops.commandRollout('abort-1.2.0', 'abort', 'e2e-operator');
    note(`abort: in wave ${aborted.wave + 1}, ${((Date.now() - started) / 1000).toFixed(1)} s after creation; ${aborted.decisions.at(-1)?.reason}`);
    expect(aborted).toMatchObject({ state: 'aborted', wave: 1 });
    expect(aborted.decisions.at(-1)).toMatchObject({ code: 'aborted', reason: 'aborted by e2e-operator; 3 devices never received 1.2.0' });
    // wave 2 had not finished: it was caught mid-way
    expect(aborted.waves[1]!.counts.good).toBeLessThan(3);

    // the devices of waves 1 and 2 finish installing and keep running 1.2.0; the rollout stays aborted
    const markedGood = (id: string, version: string): boolean => {
      const last = f.reports.get(id)?.at(-1);
      return last?.version === version && last.state === 'running';
    };
    await until('waves 1 and 2 run 1.2.0, marked good', () => issued.every((id) => markedGood(id, '1.2.0')) || undefined, 30_000);
    await f.moreReports(f.ids, 2);
    // the driver stops following a rollout once it is aborted (cloud/rollout/driver.ts FINAL): its record stays as
    // the abort left it, wave 2 counted as it was then; the devices' own reports (above, and the device views) show
    // what they run now
    const after = await f.cloud.ops.getRollout('abort-1.2.0');
    expect(after).toMatchObject({ state: 'aborted', wave: 1, counts: { ...aborted.counts, waiting: 3, failed: 0 } });
    expect(after.decisions).toEqual(aborted.decisions);
    expect(codes(after).filter((c) => c === 'wave-started')).toHaveLength(2);
    for (const id of issued) expect((await f.cloud.ops.getDevice(id)).modules).toContainEqual(expect.objectContaining({ name: 'load', version: '1.2.0', state: 'running' }));
    for (const id of w3) {
      expect(f.reports.get(id)!.some((x) => x.version === '1.2.0')).toBe(false);
      expect(f.runs(id)).toBe('1.1.0');
      expect(await desiredVersion(id)).toBe('1.1.0');
    }
    for (const id of issued) expect(await desiredVersion(id)).toBe('1.2.0');

    const refused = await f.cloud.ops.commandRollout('abort-1.2.0', 'resume', 'e2e-operator').then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(OpsError);
    // refused by the driver, which follows an aborted rollout no further (the engine would say the same in its words)
    expect(refused).toMatchObject({ code: 'conflict', message: expect.stringMatching(/^Cannot resume rollout "abort-1\.2\.0": it is aborted, which is final/) });
    note(`resume after abort: ${(refused as OpsError).code}: ${(refused as OpsError).message}`);
    expect((await f.cloud.ops.getRollout('abort-1.2.0')).state).toBe('aborted');
  }, 60_000);
});
