// Two findings of the agent crash sweep in fleetlet's health gate (agent/runtime/probation.ts `judge`), as tests on a
// virtual clock. Both were fixed in the gate; these tests keep them fixed.
// 1. The update machine stores `probationStartedAt` in whole seconds and the gate ends the window at that second plus
//    `windowMs`, so the window is up to 999 ms short: with a 1 s window the sweep saw an unhealthy version marked good
//    47 ms into probation, before its first health() call.
// 2. A probation resumed after a restart ends at the stored start plus the window, counting the time the device was
//    down: an agent back after the window's end marks the new version good on the gate's first pass, without a single
//    health() call or report read after the restart.

import { describe, expect, it } from 'vitest';
import type { AppReport } from '../../../agent/host/app-report.ts';
import { ProbationGate, type ProbationTarget } from '../../../agent/runtime/probation.ts';

const running = (ticks: number): AppReport => ({
  name: 'meter', kind: 'reactor', state: 'running', ticks, missedTicks: 0,
  fuel: { lastTick: 0, maxTick: 0, meanTick: 0, total: 0 }, memory: { pages: 1, highWaterPages: 1, capPages: 4 },
  traps: 0, outOfFuel: 0, exhausted: 0, lastError: undefined, exitCode: undefined, logLines: 0, droppedLogLines: 0,
  host: { calls: {}, denied: 0, rateLimited: 0, quotaRefused: 0, faults: 0, hardwareErrors: 0, logLines: 0, droppedLogLines: 0, published: 0, publishedBytes: 0, kvBytes: 0, hostBytes: 0, hostBytesHighWater: 0, recent: [] },
});

/** An app that ticks but whose health() always says 0, on a virtual clock starting at `startMs`. */
function unhealthyApp(startMs: number): ProbationTarget & { healthCalls: number } {
  let t = startMs;
  const target = {
    healthCalls: 0,
    ensureRunning: async () => undefined,
    report: () => running(Math.floor((t - startMs) / 20)),
    health: async () => {
      target.healthCalls++;
      return 0;
    },
    tickPeriodMs: () => 20,
    now: () => t,
    closing: () => false,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
  return target;
}

describe('ProbationGate.judge (findings of the agent crash sweep)', () => {
  it('watches a version for the whole window even when probation began late in a second', async () => {
    const startedMs = 1_800_000_000_999; // probation began 999 ms into a second; the machine stores the second
    const app = unhealthyApp(startedMs);
    const gate = new ProbationGate(app, { windowMs: 1_000, pollMs: 20, healthEveryMs: 100 });
    const v = await gate.judge('meter', '2.0.0', Math.floor(startedMs / 1000));
    // health() says 0 from the start: three reports (300 ms) fail it well inside a 1 s window
    expect(app.healthCalls).toBeGreaterThan(0);
    expect(v.healthy).toBe(false);
  });

  it('does not mark a version good on resume without watching it, when the device was down past the window', async () => {
    const bootMs = 1_800_000_100_000; // the agent is back 100 s after probation began (window 60 s)
    const app = unhealthyApp(bootMs);
    const gate = new ProbationGate(app, { windowMs: 60_000, pollMs: 100, healthEveryMs: 1_000 });
    const v = await gate.judge('meter', '2.0.0', bootMs / 1000 - 100);
    expect(app.healthCalls).toBeGreaterThan(0);
    expect(v.healthy).toBe(false);
  });
});
