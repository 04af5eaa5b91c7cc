// Tests of the sensor models: values at chosen times worked out by hand, determinism under a
// seed whatever the read order, and the noise and walk statistics.

import { describe, expect, it } from 'vitest';
import { createModel } from './models.ts';

describe('sensor models', () => {
  it('sine follows mean + amplitude * sin(2 pi (t + phase) / period)', () => {
    const m = createModel({ model: 'sine', mean: 20, amplitude: 4, periodMs: 1000, phaseMs: 250, noise: 0 }, 1, 't');
    expect(m(0)).toBeCloseTo(24, 12); // quarter period ahead: the peak
    expect(m(250)).toBeCloseTo(20, 12);
    expect(m(500)).toBeCloseTo(16, 12);
  });

  it('sine noise is repeatable under a seed, per sensor name, and has the asked spread', () => {
    const spec = { model: 'sine', mean: 0, amplitude: 0, periodMs: 1000, phaseMs: 0, noise: 2 } as const;
    const a = createModel(spec, 5, 'a');
    const a2 = createModel(spec, 5, 'a');
    const b = createModel(spec, 5, 'b');
    const backwards = Array.from({ length: 100 }, (_, i) => a2(99 - i)).reverse();
    expect(Array.from({ length: 100 }, (_, i) => a(i))).toEqual(backwards);
    expect(a(7)).not.toBe(b(7));
    let sq = 0;
    for (let t = 0; t < 10_000; t++) sq += a(t) ** 2;
    expect(Math.sqrt(sq / 10_000)).toBeGreaterThan(1.9);
    expect(Math.sqrt(sq / 10_000)).toBeLessThan(2.1);
  });

  it('random walk starts at start, steps once per stepMs, stays in [min, max], replays the same', () => {
    const spec = { model: 'random-walk', start: 50, stepMs: 100, stepStdDev: 5, min: 40, max: 60 } as const;
    const m = createModel(spec, 9, 'h');
    expect(m(0)).toBe(50);
    expect(m(99)).toBe(50);
    const v1 = m(100);
    expect(v1).not.toBe(50);
    expect(m(199)).toBe(v1);
    const far = m(100_000);
    const seen: number[] = [];
    for (let t = 0; t <= 100_000; t += 100) seen.push(m(t)); // reading backwards replays from the start
    expect(seen[seen.length - 1]).toBe(far);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(40);
    expect(Math.max(...seen)).toBeLessThanOrEqual(60);
    expect(createModel(spec, 9, 'h')(100_000)).toBe(far);
    expect(createModel(spec, 10, 'h')(100_000)).not.toBe(far);
  });

  it('steps hold each value from its time on, the first one before it', () => {
    const m = createModel({ model: 'steps', steps: [{ atMs: 100, value: 1 }, { atMs: 200, value: 2 }] }, 0, 's');
    expect([m(0), m(100), m(199), m(200), m(1e9)]).toEqual([1, 1, 1, 2, 2]);
  });

  it('replay interpolates linearly or by step, holds the last value, or loops', () => {
    const samples = [{ atMs: 0, value: 10 }, { atMs: 100, value: 20 }, { atMs: 200, value: 0 }];
    const lin = createModel({ model: 'replay', samples, interpolate: 'linear', loop: false }, 0, 'r');
    expect([lin(50), lin(150), lin(500)]).toEqual([15, 10, 0]);
    const step = createModel({ model: 'replay', samples, interpolate: 'step', loop: false }, 0, 'r');
    expect([step(50), step(150), step(500)]).toEqual([10, 20, 0]);
    const loop = createModel({ model: 'replay', samples, interpolate: 'linear', loop: true }, 0, 'r');
    // The trace spans 200 ms: 250 plays as 50, 350 as 150.
    expect([loop(250), loop(350)]).toEqual([15, 10]);
  });
});
