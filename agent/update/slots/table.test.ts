// Tests of the slot store's tables as data: the transition table, the recovery table, the loop-breaker rows and the
// outcome machine.

import { describe, expect, it } from 'vitest';
import { EVENTS, nextOutcome, nextState, NoTransition, OUTCOME_TRANSITIONS, OUTCOMES, RECOVERY, STATES, TRANSITIONS, type UpdateState } from './table.ts';

describe('transition table', () => {
  it('has no two rows for the same state and event', () => {
    const keys = TRANSITIONS.map(([from, ev]) => `${from} ${ev}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('uses only declared states and events, and every one of them', () => {
    const states = new Set(TRANSITIONS.flatMap(([from, , to]) => [from, to]));
    const events = new Set(TRANSITIONS.map(([, ev]) => ev));
    expect([...states].sort()).toEqual([...STATES].sort());
    expect([...events].sort()).toEqual([...EVENTS].sort());
  });

  it('leaves every state and reaches every state from idle or a recovery', () => {
    for (const s of STATES) expect(TRANSITIONS.some(([from]) => from === s), s).toBe(true);
    const reached = new Set<UpdateState>(['idle', ...Object.values(RECOVERY)]);
    for (let grew = true; grew;) {
      grew = false;
      for (const [from, , to] of TRANSITIONS) {
        if (reached.has(from) && !reached.has(to)) {
          reached.add(to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...STATES].sort());
  });

  it('always leads back to idle (no state is a dead end)', () => {
    for (const s of STATES) {
      const seen = new Set<UpdateState>([s]);
      const queue: UpdateState[] = [s];
      while (queue.length > 0) {
        const cur = queue.shift()!;
        for (const [from, , to] of TRANSITIONS) if (from === cur && !seen.has(to)) (seen.add(to), queue.push(to));
      }
      expect(seen.has('idle'), s).toBe(true);
    }
  });

  it('looks rows up and refuses a missing one', () => {
    expect(nextState('written', 'commit-done')).toBe('committed');
    expect(nextState('probation', 'unhealthy')).toBe('rollback');
    expect(() => nextState('idle', 'commit-done')).toThrow(NoTransition);
    expect(() => nextState('idle', 'commit-done')).toThrow('No transition from "idle" on "commit-done"');
  });

  it('passes the commit point only through written (whose handler flips the pointer)', () => {
    const before = new Set<UpdateState>(['idle', 'verified', 'slot-pending', 'writing', 'aborted']);
    for (const [from, , to] of TRANSITIONS) {
      if (before.has(from) && !before.has(to)) expect(['written', 'failed'], `${from} -> ${to}`).toContain(to);
    }
    expect(TRANSITIONS.filter(([, , to]) => to === 'committed').map(([from]) => from)).toEqual(['written']);
  });
});

describe('recovery table', () => {
  it('has an entry for every persisted state, naming a state', () => {
    for (const s of STATES) expect(STATES, s).toContain(RECOVERY[s]);
    expect(Object.keys(RECOVERY).sort()).toEqual([...STATES].sort());
  });

  it('never resumes a state whose handler needs the job bytes a crash lost', () => {
    const needsJob = new Set<UpdateState>(['verified', 'slot-pending', 'writing']);
    for (const s of STATES) expect(needsJob.has(RECOVERY[s]), s).toBe(false);
    for (const s of needsJob) expect(RECOVERY[s]).toBe('aborted');
  });

  it('resumes past the commit point forward, never by discarding', () => {
    for (const s of ['written', 'committed', 'probation', 'good', 'rollback'] as const) expect(RECOVERY[s]).toBe(s);
  });

  it('gives a loop-detected row to exactly the states that recover to themselves (the ones a boot loop can store again)', () => {
    for (const s of STATES) {
      const hasRow = TRANSITIONS.some(([from, ev]) => from === s && ev === 'loop-detected');
      expect(hasRow, s).toBe(RECOVERY[s] === s && s !== 'idle');
    }
  });

  it('escapes a loop after the commit point by rolling back', () => {
    for (const s of ['written', 'committed', 'probation'] as const) expect(nextState(s, 'loop-detected')).toBe('rollback');
  });
});

describe('outcome machine', () => {
  it('has one row per outcome and event, over the declared outcomes', () => {
    const keys = OUTCOME_TRANSITIONS.map(([from, ev]) => `${from} ${ev}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const [from, , to] of OUTCOME_TRANSITIONS) {
      expect(OUTCOMES).toContain(from);
      expect(OUTCOMES).toContain(to);
    }
  });

  it('only gets worse within one update and resets when the next one starts', () => {
    expect(nextOutcome('no-failures', 'failure')).toBe('failed');
    expect(nextOutcome('failed', 'rollback-started')).toBe('rollback-attempted');
    expect(nextOutcome('rollback-attempted', 'failure')).toBe('rollback-attempted');
    expect(nextOutcome('rollback-attempted', 'rollback-error')).toBe('rollback-failed');
    expect(nextOutcome('rollback-failed', 'failure')).toBe('rollback-failed');
    for (const o of OUTCOMES) expect(nextOutcome(o, 'reset')).toBe('no-failures');
    expect(() => nextOutcome('no-failures', 'rollback-error')).toThrow(NoTransition);
  });
});
