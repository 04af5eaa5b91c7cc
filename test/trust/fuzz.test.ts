// The fixed, smaller run of the trust fuzzer that `npm test` includes (FLEETLET_PROFILE=ci runs more).

import { describe, expect, it } from 'vitest';
import { allTargets, fuzz } from './fuzz.ts';

const RUNS = process.env['FLEETLET_PROFILE'] === 'ci' ? 600 : 300;

describe('trust fuzzing', () => {
  it.each(allTargets().map((t) => [t.name, t] as const))('%s: every input is accepted or refused with an UpdateRejected', (_name, target) => {
    const r = fuzz(target, RUNS, 20261125);
    expect(r.failures).toEqual([]);
    expect(r.runs).toBe(RUNS);
    // The inputs reach more than one refusal: the fuzzer is not stuck on one early check.
    expect(Object.keys(r.refused).length).toBeGreaterThan(1);
  });
});
