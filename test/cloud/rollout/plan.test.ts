// Rollout planning: targets resolve to a frozen, ordered list (or a typed refusal), and every wave plan puts each
// target in exactly one wave, in order, with the sizes asked for (fast-check properties).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planWaveSizes, resolveTargets, splitIntoWaves, RolloutError, type DeviceInfo, type WavePlanSpec } from '../../../cloud/rollout/index.ts';

const fleet: DeviceInfo[] = [
  { id: 'dev-c', tags: { site: 'north', ring: 'canary' }, deviceClass: 'pi4' },
  { id: 'dev-a', tags: { site: 'north' }, deviceClass: 'pi4' },
  { id: 'dev-b', tags: { site: 'south', ring: 'canary' }, deviceClass: 'pi3' },
  { id: 'dev-d', tags: { site: 'south' }, deviceClass: 'pi4' },
];

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof RolloutError ? e.code : `untyped: ${String(e)}`;
  }
  return undefined;
}

describe('resolveTargets', () => {
  it('keeps the order of an explicit list', () => {
    expect(resolveTargets({ kind: 'list', deviceIds: ['dev-d', 'dev-a'] }, fleet)).toEqual(['dev-d', 'dev-a']);
  });
  it('refuses a list naming a device that is not enrolled, twice, or none', () => {
    expect(codeOf(() => resolveTargets({ kind: 'list', deviceIds: ['dev-a', 'ghost'] }, fleet))).toBe('unknown-devices');
    expect(codeOf(() => resolveTargets({ kind: 'list', deviceIds: ['dev-a', 'dev-a'] }, fleet))).toBe('duplicate-devices');
    expect(codeOf(() => resolveTargets({ kind: 'list', deviceIds: [] }, fleet))).toBe('empty-target');
  });
  it('selects by every tag given, any of several values, and the device class, ordered by id', () => {
    expect(resolveTargets({ kind: 'selector', match: { site: 'north' } }, fleet)).toEqual(['dev-a', 'dev-c']);
    expect(resolveTargets({ kind: 'selector', match: { site: ['north', 'south'], ring: 'canary' } }, fleet)).toEqual(['dev-b', 'dev-c']);
    expect(resolveTargets({ kind: 'selector', match: {}, deviceClass: 'pi4' }, fleet)).toEqual(['dev-a', 'dev-c', 'dev-d']);
  });
  it('does not match a tag inherited from Object.prototype', () => {
    expect(codeOf(() => resolveTargets({ kind: 'selector', match: { constructor: 'x' } }, fleet))).toBe('empty-target');
  });
  it('refuses a selector that would match every device, one with no values, and one matching nothing', () => {
    expect(codeOf(() => resolveTargets({ kind: 'selector', match: {} }, fleet))).toBe('bad-selector');
    expect(codeOf(() => resolveTargets({ kind: 'selector', match: { site: [] } }, fleet))).toBe('bad-selector');
    expect(codeOf(() => resolveTargets({ kind: 'selector', match: { site: 'east' } }, fleet))).toBe('empty-target');
  });
  it('a seeded order is a permutation of the selection and the same for the same seed', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), { minLength: 1, maxLength: 60 }), fc.integer(), (ids, seed) => {
        const devices = ids.map((id) => ({ id, tags: { all: 'yes' } }));
        const spec = { kind: 'selector', match: { all: 'yes' }, order: { seed } } as const;
        const a = resolveTargets(spec, devices);
        expect([...a].sort()).toEqual([...ids].sort());
        expect(resolveTargets(spec, [...devices].reverse())).toEqual(a);
      }),
    );
  });
  it('a device tagged after creation is not in the frozen list', () => {
    const devices = fleet.map((d) => ({ ...d, tags: { ...d.tags } }));
    const frozen = resolveTargets({ kind: 'selector', match: { ring: 'canary' } }, devices);
    devices.push({ id: 'dev-e', tags: { ring: 'canary' }, deviceClass: 'pi4' });
    expect(frozen).toEqual(['dev-b', 'dev-c']);
  });
});

const planArb: fc.Arbitrary<WavePlanSpec> = fc.oneof(
  fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 6 }).map((sizes) => ({ kind: 'fixed', sizes }) as const),
  fc
    .uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 6 })
    .map((ps) => ({ kind: 'percent', cumulative: [...ps.sort((a, b) => a - b), 100] }) as const),
  fc
    .record({ initial: fc.integer({ min: 1, max: 20 }), factor: fc.double({ min: 1, max: 5, noNaN: true }), extra: fc.integer({ min: 0, max: 500 }) })
    .map(({ initial, factor, extra }) => ({ kind: 'exponential', initial, factor, max: initial + extra }) as const),
);

describe('planWaveSizes and splitIntoWaves', () => {
  it('every target is in exactly one wave, order kept, no empty wave', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), planArb, (total, spec) => {
        const targets = Array.from({ length: total }, (_, i) => `d${i}`);
        const sizes = planWaveSizes(total, spec);
        expect(sizes.every((s) => Number.isSafeInteger(s) && s >= 1)).toBe(true);
        expect(splitIntoWaves(targets, sizes).flat()).toEqual(targets);
      }),
    );
  });
  it('fixed: the sizes as listed, the last repeated, only the final wave cut short', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 6 }), (total, asked) => {
        const sizes = planWaveSizes(total, { kind: 'fixed', sizes: asked });
        sizes.slice(0, -1).forEach((s, i) => expect(s).toBe(asked[Math.min(i, asked.length - 1)]));
        expect(sizes.at(-1)!).toBeLessThanOrEqual(asked[Math.min(sizes.length - 1, asked.length - 1)]!);
      }),
    );
    expect(planWaveSizes(23, { kind: 'fixed', sizes: [1, 2, 5] })).toEqual([1, 2, 5, 5, 5, 5]);
  });
  it('percent: after wave i, ceil(total * p_i / 100) targets have a wave', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 6 }), (total, ps) => {
        const cumulative = [...ps.sort((a, b) => a - b), 100];
        const sizes = planWaveSizes(total, { kind: 'percent', cumulative });
        const ends = sizes.map((_, i) => sizes.slice(0, i + 1).reduce((a, b) => a + b, 0));
        const expected = [...new Set(cumulative.map((p) => Math.ceil((total * p) / 100)))].filter((e) => e > 0);
        expect(ends).toEqual(expected);
      }),
    );
    expect(planWaveSizes(200, { kind: 'percent', cumulative: [1, 10, 50, 100] })).toEqual([2, 18, 80, 100]);
  });
  it('exponential: each wave the factor times the one before (rounded up), capped, only the final cut short', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 20 }), fc.double({ min: 1, max: 5, noNaN: true }), fc.integer({ min: 0, max: 500 }), (total, initial, factor, extra) => {
        const max = initial + extra;
        const sizes = planWaveSizes(total, { kind: 'exponential', initial, factor, max });
        let want = initial;
        sizes.forEach((s, i) => {
          const asked = Math.min(max, Math.ceil(want - 1e-9));
          if (i < sizes.length - 1) expect(s).toBe(asked);
          else expect(s).toBeLessThanOrEqual(asked);
          want = Math.min(max, want * factor);
        });
      }),
    );
    expect(planWaveSizes(100, { kind: 'exponential', initial: 2, factor: 2, max: 32 })).toEqual([2, 4, 8, 16, 32, 32, 6]);
  });
  it('refuses invalid plans with a typed error', () => {
    const bad: WavePlanSpec[] = [
      { kind: 'fixed', sizes: [] },
      { kind: 'fixed', sizes: [0] },
      { kind: 'fixed', sizes: [1.5] },
      { kind: 'percent', cumulative: [10, 50] },
      { kind: 'percent', cumulative: [50, 10, 100] },
      { kind: 'percent', cumulative: [0, 100] },
      { kind: 'exponential', initial: 0, factor: 2, max: 10 },
      { kind: 'exponential', initial: 2, factor: 0.5, max: 10 },
      { kind: 'exponential', initial: 5, factor: 2, max: 4 },
    ];
    for (const spec of bad) expect(codeOf(() => planWaveSizes(10, spec)), JSON.stringify(spec)).toBe('bad-wave-plan');
    expect(codeOf(() => planWaveSizes(0, { kind: 'fixed', sizes: [1] }))).toBe('bad-wave-plan');
    expect(codeOf(() => splitIntoWaves(['a', 'b'], [1]))).toBe('bad-wave-plan');
  });
});
