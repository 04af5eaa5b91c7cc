// The fixed fuzzing set that `npm test` runs: every decoder of untrusted bytes in schemas/ under
// generated and mutated inputs must accept or refuse with a typed error, never anything else.

import { describe, expect, it } from 'vitest';
import { suiteSize } from '../../test/fuzz/profile.ts';
import { allTargets, fuzz } from './run.ts';

const PER_DECODER = suiteSize('FLEETLET_SCHEMA_FUZZ', 800);

describe('schema fuzzing', () => {
  it.each(allTargets().map((t, i) => [t.name, t, i] as const))(`%s decoder: ${PER_DECODER} inputs, only typed refusals and consistent acceptances`, (_name, target, i) => {
    const r = fuzz(target, PER_DECODER, 2026 + i);
    expect(r.failures).toEqual([]);
    expect(r.runs).toBe(PER_DECODER);
    // the inputs reach both sides: some decode, and refusals come from several rules
    expect(r.accepted).toBeGreaterThan(PER_DECODER / 20);
    expect(Object.keys(r.refused).length).toBeGreaterThan(5);
  });
});
