// The conformance suite every SensorBackend must pass: listing, reading with units and clock
// times, typed errors for unknown sensors, failed reads, aborts and use after close.

import { describe, expect, it } from 'vitest';
import { HardwareError, type HardwareErrorCode } from './errors.ts';
import type { SensorBackend } from './sensor.ts';

export interface ExpectedSensor {
  readonly name: string;
  readonly unit: string;
  /** The value a read must return at the harness's current time. */
  readonly value: number;
  /** Allowed absolute difference (default 1e-9). */
  readonly tolerance?: number;
}

export interface SensorHarness {
  readonly backend: SensorBackend;
  /** Every sensor the backend must list (it may list more), with what a read returns now. */
  readonly expected: readonly ExpectedSensor[];
  /** A listed sensor whose read fails with "io"; undefined skips that test, with `skipReason`. */
  readonly failing: string | undefined;
  readonly skipReason?: string;
  /** The backend's clock reading now. */
  now(): number;
  cleanup(): Promise<void>;
}

async function rejectsWith(p: Promise<unknown>, code: HardwareErrorCode, device?: string): Promise<HardwareError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HardwareError);
  expect((e as HardwareError).code).toBe(code);
  if (device !== undefined) expect((e as HardwareError).device).toBe(device);
  return e as HardwareError;
}

/** Registers the suite under `label`; `make` builds a fresh harness per test. */
export function sensorConformance(label: string, make: () => Promise<SensorHarness>): void {
  const withHarness = (fn: (h: SensorHarness) => Promise<void>) => async () => {
    const h = await make();
    try {
      await fn(h);
    } finally {
      await h.cleanup();
    }
  };

  describe(`SensorBackend conformance: ${label}`, () => {
    it('list names every expected sensor with its unit, sorted by name, each once', withHarness(async (h) => {
      const list = await h.backend.list();
      const names = list.map((s) => s.name);
      expect(names).toEqual([...names].sort());
      expect(new Set(names).size).toBe(names.length);
      for (const x of h.expected) {
        const info = list.find((s) => s.name === x.name);
        expect(info, `sensor "${x.name}" is listed`).toBeDefined();
        expect(info!.unit).toBe(x.unit);
        expect(info!.source.length).toBeGreaterThan(0);
      }
    }));

    it('read returns each sensor\'s value, unit and name, stamped with the clock time', withHarness(async (h) => {
      for (const x of h.expected) {
        const r = await h.backend.read(x.name);
        expect(r.name).toBe(x.name);
        expect(r.unit).toBe(x.unit);
        expect(Math.abs(r.value - x.value), `"${x.name}" read ${r.value}, expected ${x.value}`).toBeLessThanOrEqual(x.tolerance ?? 1e-9);
        expect(r.at).toBe(h.now());
      }
    }));

    it('concurrent reads of every sensor all resolve', withHarness(async (h) => {
      const rs = await Promise.all(h.expected.map((x) => h.backend.read(x.name)));
      expect(rs.map((r) => r.name)).toEqual(h.expected.map((x) => x.name));
    }));

    it('read of an unknown name fails with "unknown-sensor" naming it', withHarness(async (h) => {
      const e = await rejectsWith(h.backend.read('no-such-sensor'), 'unknown-sensor', 'no-such-sensor');
      expect(e.message).toContain('"no-such-sensor"');
    }));

    it('read of a failing sensor fails with "io"', withHarness(async (h) => {
      if (h.failing === undefined) {
        expect(h.skipReason, 'a harness without a failing sensor says why').toBeTruthy();
        return;
      }
      await rejectsWith(h.backend.read(h.failing), 'io', h.failing);
    }));

    it('read with an aborted signal fails with "aborted"', withHarness(async (h) => {
      const ac = new AbortController();
      ac.abort();
      await rejectsWith(h.backend.read(h.expected[0]!.name, { signal: ac.signal }), 'aborted');
    }));

    it('list and read fail with "closed" after close', withHarness(async (h) => {
      await h.backend.close();
      await rejectsWith(h.backend.list(), 'closed');
      await rejectsWith(h.backend.read(h.expected[0]!.name), 'closed');
    }));
  });
}
