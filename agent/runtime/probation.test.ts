import { describe, expect, it } from 'vitest';
import type { AppReport } from '../host/app-report.ts';
import { ProbationGate, type ProbationTarget } from './probation.ts';

function report(over: Partial<AppReport> = {}, host: Partial<AppReport['host']> = {}): AppReport {
  return {
    name: 'a', kind: 'reactor', state: 'running', ticks: 0, missedTicks: 0,
    fuel: { lastTick: 0, maxTick: 0, meanTick: 0, total: 0 }, memory: { pages: 1, highWaterPages: 1, capPages: 4 },
    traps: 0, outOfFuel: 0, exhausted: 0, lastError: undefined, exitCode: undefined, logLines: 0, droppedLogLines: 0,
    host: { calls: {}, denied: 0, rateLimited: 0, quotaRefused: 0, faults: 0, hardwareErrors: 0, logLines: 0, droppedLogLines: 0, published: 0, publishedBytes: 0, kvBytes: 0, hostBytes: 0, hostBytesHighWater: 0, recent: [], ...host },
    ...over,
  };
}

/** A target on a virtual clock: `script(t)` gives the report at time t (ms since probation began). */
function target(script: (t: number) => AppReport | undefined, health: (t: number) => number | undefined = () => 1): ProbationTarget & { t: number } {
  const start = 1_000_000_000;
  const tt = {
    t: 0,
    ensureRunning: async () => undefined,
    report: () => script(tt.t),
    health: async () => health(tt.t),
    tickPeriodMs: () => 100,
    now: () => start + tt.t,
    closing: () => false,
    sleep: async (ms: number) => {
      tt.t += ms;
    },
  };
  return tt;
}

const START_S = 1_000_000;
const policy = { windowMs: 10_000, pollMs: 100, healthEveryMs: 500 };

describe('ProbationGate', () => {
  it('passes a version that ticks cleanly for the whole window, and only at its end', async () => {
    const t = target((ms) => report({ ticks: Math.floor(ms / 100) }));
    const v = await new ProbationGate(t, policy).judge('a', '1.0.0', START_S);
    expect(v).toEqual({ healthy: true });
    expect(t.t).toBe(11_000); // the start is stored in whole seconds: the window counts from the end of that second
  });
  it.each([
    ['a trap', (ms: number) => report({ ticks: ms / 100, traps: ms > 3000 ? 1 : 0 }), /trapped 1 time/],
    ['a failed module', (ms: number) => report({ ticks: ms / 100, state: ms > 2000 ? 'failed' : 'running' }), /the module failed/],
    ['repeated fuel exhaustion', (ms: number) => report({ ticks: ms / 100, outOfFuel: Math.floor(ms / 1000) }), /ran out of fuel or hit an engine limit 3 times/],
    ['denied host calls', (ms: number) => report({ ticks: ms / 100 }, { denied: Math.floor(ms / 100) }), /refused 11 host calls/],
    ['a rate-limit flood', (ms: number) => report({ ticks: ms / 100 }, { rateLimited: ms }), /rate-limited/],
    ['ticks that stop', (ms: number) => report({ ticks: Math.min(20, ms / 100) }), /no tick completed for 5000 ms/],
  ])('fails a version on %s, before the window ends', async (_what, script, reason) => {
    const t = target(script);
    const v = await new ProbationGate(t, policy).judge('a', '1.0.0', START_S);
    expect(v.healthy).toBe(false);
    expect(v.healthy === false && v.reason).toMatch(reason);
    expect(t.t).toBeLessThan(10_000);
  });
  it('fails a version whose health() reports 0 three times in a row, not twice', async () => {
    const t = target((ms) => report({ ticks: ms / 100 }), (ms) => (ms >= 2000 && ms < 2600 ? 0 : 1));
    expect(await new ProbationGate(t, policy).judge('a', '1.0.0', START_S)).toEqual({ healthy: true });
    const t2 = target((ms) => report({ ticks: ms / 100 }), (ms) => (ms >= 2000 ? 0 : 1));
    const v = await new ProbationGate(t2, policy).judge('a', '1.0.0', START_S);
    expect(v.healthy === false && v.reason).toMatch(/health\(\) reported 0 3 times/);
    expect(t2.t).toBeLessThan(4_000);
  });
  it('fails at once a version that cannot start', async () => {
    const t = target(() => report());
    t.ensureRunning = async () => 'capability-denied: gpio';
    const v = await new ProbationGate(t, policy).judge('a', '1.0.0', START_S);
    expect(v).toEqual({ healthy: false, reason: 'Cannot start a 1.0.0: capability-denied: gpio' });
  });
  it('gives a probation resumed after a restart a fresh window (what was watched before died with the process)', async () => {
    const t = target((ms) => report({ ticks: Math.floor(ms / 100) }));
    const v = await new ProbationGate(t, policy).judge('a', '1.0.0', START_S - 100); // began 100 s before this boot
    expect(v).toEqual({ healthy: true });
    expect(t.t).toBe(10_000);
  });
});
