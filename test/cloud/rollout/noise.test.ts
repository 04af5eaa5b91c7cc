// The regression rule inside the engine over many seeded fleets: a version equal to the old one, measured with
// ±20 % multiplicative noise on every device, is never halted; a version whose fuel per tick is 2x worse is halted
// by the regression rule in at least 99 % of seeds. Prints the rates (the figures in cloud/rollout/DESIGN.md).
import { describe, expect, it } from 'vitest';
import { SimRun } from './_sim.ts';

const SEEDS = process.env.FLEETLET_PROFILE === 'ci' ? 50 : 200;
const fleet = { devices: 40, waves: { kind: 'exponential', initial: 2, factor: 2, max: 16 }, noise: 0.2 } as const;

describe('regression rule over seeded fleets', () => {
  it(`equal but noisy (±20 %): no false halt in ${SEEDS} seeds`, () => {
    const halted: string[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const run = new SimRun({ ...fleet, seed, behaviour: {} }).run();
      if (run.record.state !== 'completed') halted.push(`seed ${seed}: ${run.record.halt?.reason ?? run.record.state}`);
    }
    console.log(`equal, ±20 % noise: ${halted.length} false halts in ${SEEDS} seeds`);
    expect(halted).toEqual([]);
  });

  it(`fuel 2x worse (±20 % noise): halted by the regression rule in >= 99 % of ${SEEDS} seeds`, () => {
    let byRegression = 0;
    const waves: number[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const run = new SimRun({ ...fleet, seed, behaviour: { fuelFactor: 2 } }).run();
      if (run.record.halt?.code === 'regression' && run.record.halt.reason.includes('fuelPerTick')) {
        byRegression++;
        waves.push(run.record.wave + 1);
      }
    }
    console.log(`fuel 2x: halted by regression in ${byRegression} of ${SEEDS} seeds, at waves ${[...new Set(waves)].join(', ')}`);
    expect(byRegression / SEEDS).toBeGreaterThanOrEqual(0.99);
  });

  it(`fuel 1.5x worse under ±40 % noise: halted in at least 40 % of seeds (the rule's power at 40 devices), equal under ±40 % never`, () => {
    let caught = 0;
    let falseHalts = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      if (new SimRun({ ...fleet, noise: 0.4, seed, behaviour: { fuelFactor: 1.5 } }).run().record.halt?.code === 'regression') caught++;
      if (new SimRun({ ...fleet, noise: 0.4, seed, behaviour: {} }).run().record.state !== 'completed') falseHalts++;
    }
    console.log(`±40 % noise: fuel 1.5x halted in ${caught} of ${SEEDS}; equal halted in ${falseHalts} of ${SEEDS}`);
    expect(falseHalts).toBe(0);
    expect(caught / SEEDS).toBeGreaterThanOrEqual(0.4);
  });
});
