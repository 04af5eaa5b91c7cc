// The crash-point sweep of fleetlet's slot store under vitest: every persistence step of the healthy and the rolled-back
// update killed once, plus random kill points (torn unsynced writes, kills during recovery); `FLEETLET_PROFILE=full`
// runs 200 random ones (as `npm run sweep:crash` does).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropWorld, killPlan, makeWorld, runPlan, type SweepWorld } from './crash-kit.ts';

const RANDOM = process.env['FLEETLET_PROFILE'] === 'full' ? 200 : 50;
const SEED = 20261125;

describe('crash-point sweep of the slot store', () => {
  let world: SweepWorld;
  beforeAll(async () => {
    world = await makeWorld();
  });
  afterAll(async () => {
    await dropWorld(world);
  });

  it(`ends every kill point on exactly version 1 or 2, verified, with its own key-value state and floor (${RANDOM} random points)`, async () => {
    const plan = await killPlan(world, RANDOM, SEED);
    const everyStep = plan.length - RANDOM;
    // Both paths pass dozens of persistence steps (4 per atomic write): a tiny count would mean the points are not wired.
    expect(everyStep).toBeGreaterThan(100);
    const results = await runPlan(world, plan);
    const bad = results.flatMap((r, i) => (r.problems.length > 0 ? [`${JSON.stringify(plan[i])}: ${r.problems.join('; ')}`] : []));
    expect(bad).toEqual([]);
    expect(results.filter((r) => r.killed).length).toBe(plan.length);
    // Both endings must occur: kills before the commit point keep version 1, kills after it on the healthy path reach 2.
    expect(results.some((r) => r.endedOn === 1)).toBe(true);
    expect(results.some((r) => r.endedOn === 2)).toBe(true);
    console.log(`crash sweep: ${plan.length} kill points tried (${everyStep} every-step, ${RANDOM} random), 0 bad runs`);
  });
});
