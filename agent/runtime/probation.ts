// The health gate: judges a version on probation from what the runner reports of it (traps, fuel and engine-limit
// exhaustion, capability denials and rate-limit refusals, its `health` export, ticks that stop) and answers as soon as
// it is sure, so a bad version is rolled back well before its window ends; a version that stays clean for the whole
// window is healthy. The update machine awaits `judge` in its probation state (agent/update/slots).

import type { AppReport } from '../host/app-report.ts';
import type { HealthGate, HealthVerdict } from '../update/slots/machine.ts';

/** What a version on probation may do before it is judged unhealthy (every count is over the probation window). */
export interface ProbationPolicy {
  /** Length of the probation window, ms. */
  readonly windowMs: number;
  /** Traps tolerated (default 0: one trap fails the version). */
  readonly maxTraps: number;
  /** Calls stopped at their fuel budget or an engine limit tolerated (default 2). */
  readonly maxExhaustions: number;
  /** Host calls refused for want of a capability tolerated (default 10: a module that keeps trying is broken). */
  readonly maxDenied: number;
  /** Host calls refused (or log lines dropped) by a rate limit tolerated (default 500). */
  readonly maxRateLimited: number;
  /** `health()` results of 0 in a row tolerated (default 2: the third fails it). */
  readonly maxUnhealthyReports: number;
  /** How often `health()` is asked, ms (default 1,000). */
  readonly healthEveryMs: number;
  /** A reactor that completes no tick for this long is stalled, ms (default: 5 tick periods, at least 5,000). */
  readonly tickStallMs?: number;
  /** How often the report is read, ms (default 100). */
  readonly pollMs: number;
}

export const DEFAULT_PROBATION: ProbationPolicy = Object.freeze({
  windowMs: 60_000,
  maxTraps: 0,
  maxExhaustions: 2,
  maxDenied: 10,
  maxRateLimited: 500,
  maxUnhealthyReports: 2,
  healthEveryMs: 1_000,
  pollMs: 100,
});

/** What the gate needs of the agent. */
export interface ProbationTarget {
  /** Starts the app under judgement when it is not running (after a crash the machine resumes probation at boot). Returns why it cannot start, or undefined. */
  ensureRunning(app: string): Promise<string | undefined>;
  /** The runner's report now, or undefined when the app is not in the runner. */
  report(app: string): AppReport | undefined;
  /** Asks the app's `health` export: its result, or undefined when it has none or the call failed. */
  health(app: string): Promise<number | undefined>;
  /** The app's tick period from its manifest, ms. */
  tickPeriodMs(app: string): number;
  /** Wall clock in ms (injected in tests); the machine's `probationStartedAt` is this in seconds. */
  now(): number;
  /** True once the agent is shutting down: no verdict is given then (the probation resumes at the next boot). */
  closing(): boolean;
  /** Waits ms (injected in tests). */
  sleep(ms: number): Promise<void>;
}

/** A verdict with the figures behind it (events and the bench read these). */
export interface ProbationRecord {
  readonly app: string;
  readonly version: string;
  readonly verdict: HealthVerdict;
  /** Clock time (ms) when the verdict was reached, and when the first sign of trouble was seen. */
  readonly decidedAtMs: number;
  readonly firstProblemAtMs: number | undefined;
}

/** Judges one report against the policy: the reason it fails, or undefined. */
export function problemOf(r: AppReport, p: ProbationPolicy): string | undefined {
  const e = r.lastError;
  const last = e === undefined ? '' : ` (last: ${e.reason}${e.kind === undefined ? '' : ` ${e.kind}`} in ${e.phase}: ${e.message})`;
  if (r.state === 'failed') return `the module failed${last}`;
  if (r.state === 'exited' && r.kind === 'reactor') return 'the module exited';
  if (r.state === 'exited' && r.exitCode !== 0) return `the module exited with code ${r.exitCode}`;
  if (r.traps > p.maxTraps) return `the module trapped ${r.traps} time${r.traps === 1 ? '' : 's'}${last}`;
  const exhausted = r.outOfFuel + r.exhausted;
  if (exhausted > p.maxExhaustions) return `the module ran out of fuel or hit an engine limit ${exhausted} times${last}`;
  if (r.host.denied > p.maxDenied) return `the module was refused ${r.host.denied} host calls it has no capability for`;
  if (r.host.rateLimited > p.maxRateLimited) return `the module was rate-limited ${r.host.rateLimited} times`;
  return undefined;
}

export class ProbationGate implements HealthGate {
  readonly policy: ProbationPolicy;
  /** The last verdicts, newest last (bounded). */
  readonly history: ProbationRecord[] = [];

  constructor(private readonly target: ProbationTarget, policy: Partial<ProbationPolicy> = {}) {
    this.policy = { ...DEFAULT_PROBATION, ...policy };
  }

  async judge(app: string, version: string, probationStartedAt: number): Promise<HealthVerdict> {
    const t = this.target;
    const p = this.policy;
    // The machine stores the start in whole seconds: count from the end of that second, so the window is never short.
    // A probation resumed after a restart (or judged late) gets a fresh window from now: what the version did before the
    // restart was watched by a process that is gone, and the time the device was off proves nothing (both found by the
    // agent crash sweep, test/agent/agent-sweep).
    const end = Math.max((probationStartedAt + 1) * 1000 + p.windowMs, t.now() + p.windowMs);
    let firstProblemAt: number | undefined;
    const done = (verdict: HealthVerdict): HealthVerdict => {
      this.history.push({ app, version, verdict, decidedAtMs: t.now(), firstProblemAtMs: firstProblemAt });
      if (this.history.length > 64) this.history.shift();
      return verdict;
    };
    if (t.closing()) return new Promise<HealthVerdict>(() => {});
    const cannot = await t.ensureRunning(app);
    if (cannot !== undefined) return done({ healthy: false, reason: `Cannot start ${app} ${version}: ${cannot}` });
    let lastTicks = -1;
    let lastTickChangeAt = t.now();
    let nextHealthAt = t.now() + p.healthEveryMs;
    let unhealthyReports = 0;
    for (;;) {
      if (t.closing()) return new Promise<HealthVerdict>(() => {});
      const now = t.now();
      const r = t.report(app);
      if (r === undefined) return done({ healthy: false, reason: `${app} ${version} is not running` });
      const problem = problemOf(r, p);
      if (problem !== undefined) {
        // the runner's error times are on the device's monotonic clock, not this one: the gate notes when it saw it
        firstProblemAt ??= now;
        return done({ healthy: false, reason: `${app} ${version} failed probation: ${problem}` });
      }
      if (r.kind === 'reactor' && r.state === 'running') {
        if (r.ticks !== lastTicks) {
          lastTicks = r.ticks;
          lastTickChangeAt = now;
        } else {
          const stall = p.tickStallMs ?? Math.max(5_000, 5 * t.tickPeriodMs(app));
          if (now - lastTickChangeAt >= stall) return done({ healthy: false, reason: `${app} ${version} failed probation: no tick completed for ${now - lastTickChangeAt} ms` });
        }
      }
      if (now >= nextHealthAt && r.state === 'running') {
        nextHealthAt = now + p.healthEveryMs;
        const h = await t.health(app);
        if (h === 0) {
          unhealthyReports++;
          firstProblemAt ??= now;
          if (unhealthyReports > p.maxUnhealthyReports) return done({ healthy: false, reason: `${app} ${version} failed probation: health() reported 0 ${unhealthyReports} times in a row` });
        } else if (h !== undefined) {
          unhealthyReports = 0;
        }
      }
      if (now >= end) return done({ healthy: true });
      await t.sleep(Math.max(1, Math.min(p.pollMs, end - now)));
    }
  }
}
