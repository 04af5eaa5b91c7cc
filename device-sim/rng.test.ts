// Tests of the simulator's counter-based randomness: repeatable, independent of draw order,
// and with the moments a uniform and a standard normal should have.

import { describe, expect, it } from 'vitest';
import { gaussian, hashString, uniform } from './rng.ts';

describe('rng', () => {
  it('uniform gives the same value for the same (seed, stream, index) whatever was drawn before', () => {
    const a = uniform(7, hashString('t'), 1000);
    for (let i = 0; i < 10; i++) uniform(7, 1, i);
    expect(uniform(7, hashString('t'), 1000)).toBe(a);
    expect(uniform(8, hashString('t'), 1000)).not.toBe(a);
    expect(uniform(7, hashString('u'), 1000)).not.toBe(a);
  });

  it('uniform stays in [0, 1) with mean near 1/2', () => {
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const u = uniform(1, 2, i);
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
  });

  it('gaussian has mean near 0 and variance near 1', () => {
    let sum = 0;
    let sq = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const g = gaussian(3, 4, i);
      sum += g;
      sq += g * g;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.04);
  });

  it('hashString is FNV-1a', () => {
    // Published FNV-1a 32-bit test vectors.
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
    expect(hashString('foobar')).toBe(0xbf9cf968);
  });
});
