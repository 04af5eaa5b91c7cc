// The crash sweep of fleetlet's real agent under vitest: the agent process (enrolled device, MQTT session, chunked
// download, desired state, update machine, health gate) killed with SIGKILL at durable steps of the slot store and at
// random instants from the publish of version 2 to its verdict, then started again; every run must end on exactly
// version 1 or 2, verified, with its own key-value state and floor, and no download file claiming bytes it lacks.
// A small set here; `FLEETLET_PROFILE=full` (or `npm run sweep:agent`) runs every step and 200 random instants.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentKillPlan, calibrate, dropAgentSweep, makeAgentSweep, runAgentPlan, tabulate, type AgentSweepWorld, type Calibration } from './kit.ts';

const FULL = process.env['FLEETLET_PROFILE'] === 'full';
const STEPS = FULL ? 'all' : 10;
const RANDOM = FULL ? 200 : 12;
const SEED = 20261125;

describe('crash sweep of the agent through download, write, commit and probation', () => {
  let world: AgentSweepWorld;
  let cal: Record<'healthy' | 'unhealthy', Calibration>;
  beforeAll(async () => {
    world = await makeAgentSweep();
    cal = { healthy: await calibrate(world, 'healthy'), unhealthy: await calibrate(world, 'unhealthy') };
  }, 120_000);
  afterAll(async () => {
    await dropAgentSweep(world);
  });

  it(`ends every kill point on exactly version 1 or 2, verified, with its own state and floor (${STEPS} steps, ${RANDOM} random instants)`, async () => {
    // The update passes dozens of durable steps (4 per atomic write) and its download takes a measurable time:
    // tiny figures would mean the kill points are not wired to the real agent.
    expect(cal.healthy.pointsAtDone - cal.healthy.pointsAtReady).toBeGreaterThan(40);
    expect(cal.unhealthy.pointsAtDone - cal.unhealthy.pointsAtReady).toBeGreaterThan(40);
    expect(cal.healthy.downloadMs).toBeGreaterThan(0);
    const plan = agentKillPlan(cal, { steps: STEPS, random: RANDOM, seed: SEED });
    const results = await runAgentPlan(world, plan);
    const bad = results.flatMap((r) => (r.problems.length > 0 ? [`${JSON.stringify(r.point)} (phase ${r.phase}): ${r.problems.join('; ')}`] : []));
    console.log(`agent crash sweep: ${plan.length} kill points tried\n${tabulate(results)}`);
    expect(bad).toEqual([]);
    expect(results.every((r) => r.killed)).toBe(true);
    // Both endings occur: a healthy version 2 always ends on 2 (the retained desired state), an unhealthy one on 1.
    expect(results.some((r) => r.endedOn === 1)).toBe(true);
    expect(results.some((r) => r.endedOn === 2)).toBe(true);
    // The kills reached the download and the slot writes, not only the probation.
    expect(results.some((r) => r.phase === 'download')).toBe(true);
    expect(results.some((r) => r.phase === 'write' || r.phase === 'commit')).toBe(true);
  }, FULL ? 3_600_000 : 240_000);

  // Finding 2 of DESIGN.md (probation-window.test.ts): a resumed probation counted the time the device was off, so the
  // agent marked the unhealthy version good at once. Fixed in the gate (a resumed probation gets a fresh window).
  it('rolls back an unhealthy version killed in probation when the device stays off past the window', async () => {
    const point = { verdict: 'unhealthy', kind: 'step', crashAt: cal.unhealthy.pointsAtProbation, downMs: 3_000 } as const;
    const [r] = await runAgentPlan(world, [point]);
    expect(r!.phase).toBe('probation');
    expect(r!.problems).toEqual([]);
    expect(r!.endedOn).toBe(1);
  }, 60_000);
});
