// Sensor models: each turns a model spec and the simulation seed into a value as a function of
// time since the start. Pure in time: the same seed and time give the same value, however many
// reads came before and in whatever order.

import { gaussian, hashString } from '../rng.ts';
import type { SensorModelSpec } from '../scenario.ts';

/** A sensor's value at `t` ms since the simulation started. */
export type SensorModel = (t: number) => number;

/** Builds the model for one sensor; `name` picks its random stream, so sensors are independent. */
export function createModel(spec: SensorModelSpec, seed: number, name: string): SensorModel {
  const stream = hashString(name);
  switch (spec.model) {
    case 'constant':
      return () => spec.value;
    case 'sine': {
      const w = (2 * Math.PI) / spec.periodMs;
      return (t) => {
        const base = spec.mean + spec.amplitude * Math.sin(w * (t + spec.phaseMs));
        // Noise is drawn per whole millisecond: two reads at the same time agree.
        return spec.noise === 0 ? base : base + spec.noise * gaussian(seed, stream, Math.floor(t));
      };
    }
    case 'random-walk':
      return randomWalk(spec, seed, stream);
    case 'steps':
      return (t) => valueAt(spec.steps, t);
    case 'replay': {
      const { samples, interpolate, loop } = spec;
      const first = samples[0]!.atMs;
      const last = samples[samples.length - 1]!.atMs;
      const span = last - first;
      return (t) => {
        let at = t;
        if (loop && span > 0 && at > last) at = first + ((at - first) % span);
        if (interpolate === 'step') return valueAt(samples, at);
        return linearAt(samples, at);
      };
    }
  }
}

/** The value of the last sample at or before t (the first sample's before it starts). */
function valueAt(samples: readonly { atMs: number; value: number }[], t: number): number {
  const i = lastAtOrBefore(samples, t);
  return samples[Math.max(0, i)]!.value;
}

function linearAt(samples: readonly { atMs: number; value: number }[], t: number): number {
  const i = lastAtOrBefore(samples, t);
  if (i < 0) return samples[0]!.value;
  const a = samples[i]!;
  const b = samples[i + 1];
  if (b === undefined || b.atMs === a.atMs) return a.value;
  return a.value + ((b.value - a.value) * (t - a.atMs)) / (b.atMs - a.atMs);
}

/** Index of the last sample with atMs <= t, or -1 (binary search over sorted samples). */
function lastAtOrBefore(samples: readonly { atMs: number }[], t: number): number {
  let lo = 0;
  let hi = samples.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid]!.atMs <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * x(0) = start; x(k) = clamp(x(k-1) + stepStdDev * g(k)) for step k = floor(t / stepMs). The
 * walk is memoised forward: a read costs the steps since the furthest one computed so far, and
 * reading an earlier time replays from the start.
 */
function randomWalk(spec: Extract<SensorModelSpec, { model: 'random-walk' }>, seed: number, stream: number): SensorModel {
  let k = 0;
  let x = spec.start;
  return (t) => {
    const target = Math.max(0, Math.floor(t / spec.stepMs));
    if (target < k) {
      k = 0;
      x = spec.start;
    }
    while (k < target) {
      k++;
      x = Math.min(spec.max, Math.max(spec.min, x + spec.stepStdDev * gaussian(seed, stream, k)));
    }
    return x;
  };
}
