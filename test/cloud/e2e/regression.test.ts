// The regression rule on a simulated fleet: 12 real agents on device-sim hardware whose "load" sensor is a noisy
// random walk (each device its own seed), a real FleetCloud (embedded aedes, SQLite), and the "load" app whose fuel
// per tick follows the sensor. An equal build completes in waves 4, 4, 4 although each device's fuel per tick moves
// by about +-20 % from one window to the next; a build with twice the loops (healthy, only slower) is halted by the
// regression rule at the end of wave 2, the first wave end with the rule's 8 devices measured, and wave 3 never
// gets it. The tests run in order on one fleet: 1.0.0 -> 1.1.0 (equal) -> 1.2.0 (2x).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricJudgement } from '../../../cloud/rollout/regression.ts';
import type { RolloutRecord } from '../../../cloud/rollout/record.ts';
import { baselinesReady, FAST_POLICY, installEverywhere, loadRelease, startSimFleet, type SimFleet } from './kit.ts';

/** Loops per unit of the sensor reading of the old build. */
const LOOPS = 10;
/** Loops of the slow build: FLEETLET_E2E_SLOWDOWN=1 makes it equal, to see this test fail (the rollout completes). */
const SLOWDOWN = Number(process.env['FLEETLET_E2E_SLOWDOWN'] ?? '2');

let f: SimFleet;
const t0 = Date.now();
const figures: string[] = [];
const note = (line: string): void => {
  figures.push(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`);
};

beforeAll(async () => {
  f = await startSimFleet({ devices: 12 });
  note('12 devices enrolled and online');
  await installEverywhere(f, loadRelease(f.keys, '1.0.0', 1, LOOPS), 'install-1.0.0');
  note('1.0.0 installed everywhere');
}, 90_000);

afterAll(async () => {
  await f?.close();
  process.stdout.write(`${figures.join('\n')}\n`);
});

/** Per device, the fuel ratio new/old the rule read (its formula), from the stored record. */
function fuelRatios(r: RolloutRecord): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of r.devices) {
    if (d.baseline !== undefined && d.current !== undefined) out.set(d.id, (d.current.fuelPerTick + 1) / (d.baseline.fuelPerTick + 1));
  }
  return out;
}

const show = (m: Map<string, number>): string => [...m.values()].sort((a, b) => a - b).map((v) => v.toFixed(2)).join(' ');

/** How much one device's reported fuel per tick of `version` moved between its reports (max / min, 20 ticks on). */
function reportSpread(version: string): number[] {
  return f.ids.map((id) => {
    const fuel = (f.reports.get(id) ?? []).filter((x) => x.version === version && (x.metrics?.ticks ?? 0) >= 20).map((x) => x.metrics!.fuelPerTick);
    return fuel.length < 2 ? 1 : Math.max(...fuel) / Math.min(...fuel);
  });
}

describe('regression rule on a simulated fleet with noisy sensors', () => {
  it('an equal build whose per-device fuel per tick is noisy is not halted: the rollout completes', async () => {
    await baselinesReady(f, '1.0.0', 40);
    const started = Date.now();
    const release = await f.upload(loadRelease(f.keys, '1.1.0', 2, LOOPS));
    const created = await f.rollout({ id: 'equal-1.1.0', release, target: { kind: 'list', deviceIds: [...f.ids] }, waves: { kind: 'fixed', sizes: [4] }, policy: FAST_POLICY });
    expect(created.previous?.version).toBe('1.0.0');
    const done = await f.waitRollout('equal-1.1.0', 'the equal rollout to finish', (r) => r.state !== 'running');
    const record = await f.record('equal-1.1.0');
    const judged = record.decisions.filter((d) => d.code === 'regression-judged');
    const ratios = fuelRatios(record);
    note(`equal 1.1.0: ${done.state} in ${((Date.now() - started) / 1000).toFixed(1)} s; judgements ${judged.map((d) => `${d.regression?.outcome}(${d.regression?.devices})`).join(', ')}`);
    note(`equal 1.1.0: per-device fuel ratios new/old: ${show(ratios)}`);
    for (const d of judged) if (d.regression?.outcome !== 'not-enough-devices') note(`equal 1.1.0: ${d.reason}`);
    note(`1.0.0 reports' fuel per tick max/min per device: ${reportSpread('1.0.0').map((v) => v.toFixed(2)).join(' ')}`);

    expect(done.state, done.decisions.at(-1)?.reason).toBe('completed');
    expect(done.counts).toMatchObject({ good: 12, failed: 0 });
    // the rule was applied (not skipped for lack of devices) at waves 2 and 3, and found nothing
    expect(judged.map((d) => [d.wave, d.regression?.outcome, d.regression?.devices])).toEqual([
      [0, 'not-enough-devices', 4],
      [1, 'no-regression', 8],
      [2, 'no-regression', 12],
    ]);
    // every device was measured on both versions, and the noise was real: the devices' ratios spread over 20 % and more
    expect(ratios.size).toBe(12);
    const sorted = [...ratios.values()].sort((a, b) => a - b);
    expect(sorted.at(-1)! / sorted[0]!).toBeGreaterThan(1.2);
    expect(f.ids.every((id) => f.runs(id) === '1.1.0')).toBe(true);
  }, 60_000);

  it('a build twice as slow (healthy) is halted by the regression rule before the last wave gets it', async () => {
    await baselinesReady(f, '1.1.0', 40);
    const started = Date.now();
    const slow = loadRelease(f.keys, '1.2.0', 3, LOOPS * SLOWDOWN);
    const release = await f.upload(slow);
    const created = await f.rollout({ id: 'slow-1.2.0', release, target: { kind: 'list', deviceIds: [...f.ids] }, waves: { kind: 'fixed', sizes: [4] }, policy: FAST_POLICY });
    expect(created.previous?.version).toBe('1.1.0');
    const done = await f.waitRollout('slow-1.2.0', 'the slow rollout to stop', (r) => r.state !== 'running');
    const record = await f.record('slow-1.2.0');
    const ratios = fuelRatios(record);
    const halted = record.decisions.find((d) => d.code === 'halted');
    note(`slow 1.2.0 (${SLOWDOWN}x loops): ${done.state} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${halted?.reason ?? done.decisions.at(-1)?.reason}`);
    note(`slow 1.2.0: per-device fuel ratios new/old: ${show(ratios)}`);
    const measured = record.devices.filter((d) => d.current !== undefined);
    note(`slow 1.2.0: ticks of the new version the rule read: ${measured.map((d) => d.current!.ticks).join(' ')}; of the old: ${record.devices.map((d) => d.baseline?.ticks ?? 0).join(' ')}`);
    // every device's baseline is its own 1.1.0 metrics, from its status reports (before the rollout for waves 1 and 2)
    for (const d of record.devices) expect(d.baseline).toMatchObject({ version: '1.1.0', ticks: expect.any(Number) });
    expect(record.devices.every((d) => d.baseline!.ticks >= 20)).toBe(true);

    expect(done.state, done.decisions.at(-1)?.reason).toBe('halted');
    expect(done.halt?.code).toBe('regression');
    expect(halted).toMatchObject({ code: 'halted', halt: 'regression', wave: 1 });
    expect(halted?.reason).toMatch(/^wave 2: regression on 8 devices: fuelPerTick median \d\.\d+x, 99 % lower bound \d\.\d+x vs limit 1\.250x$/);
    const judgement = record.decisions.filter((d) => d.code === 'regression-judged').at(-1)!.regression!;
    const by = (m: string): MetricJudgement => judgement.judgements.find((j) => j.metric === m)!;
    expect(by('fuelPerTick')).toMatchObject({ regressed: true });
    expect(by('fuelPerTick').lowerBound).toBeGreaterThan(1.25);
    expect(by('memoryHighWaterPages').regressed).toBe(false);
    expect(by('trapRate').regressed).toBe(false);

    // no device failed: the health gate saw nothing wrong, waves 1 and 2 run 1.2.0, marked good
    expect(done.counts).toMatchObject({ good: 8, failed: 0, waiting: 4 });
    const [w1, w2, w3] = [f.ids.slice(0, 4), f.ids.slice(4, 8), f.ids.slice(8)];
    for (const id of [...w1, ...w2]) expect(f.reports.get(id)?.at(-1)).toMatchObject({ version: '1.2.0', state: 'running' });
    // wave 3 never got it: no report of 1.2.0, and its desired state still names 1.1.0
    for (const id of w3) {
      expect(f.reports.get(id)!.some((x) => x.version === '1.2.0')).toBe(false);
      expect((await f.cloud.ops.getDevice(id)).desired?.modules).toEqual([expect.objectContaining({ name: 'load', version: '1.1.0' })]);
    }
    expect(done.waves[2]!.counts.waiting).toBe(4);
  }, 60_000);
});
