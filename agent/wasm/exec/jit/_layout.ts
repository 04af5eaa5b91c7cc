// The shape of the generated code: which code indexes are `case` labels of the dispatch switch
// (entry points), and which forward branches become `break` out of a labelled block instead of
// a trip through the dispatch loop. Only case labels need to be entry points: the interpreter
// steps one instruction at a time until it reaches one, so the rest are optional.

import { targetsOf } from './_instr.ts';

export interface Layout {
  /** Case labels in code order: entry points, loop heads, and targets a `break` cannot reach. */
  readonly cases: readonly number[];
  /** Code index -> block number, for case labels. */
  readonly caseOf: ReadonlyMap<number, number>;
  /** Every code index where a block starts (case labels and all branch targets). */
  readonly starts: ReadonlySet<number>;
  /** Code index -> targets whose labelled block opens there, outermost first. */
  readonly opens: ReadonlyMap<number, readonly number[]>;
}

/**
 * Lays out a function whose instructions start at `pcs`: `mustEnter` are the code indexes the
 * interpreter must be able to enter at (0 and the instructions after those it executes).
 */
export function layout(code: Int32Array, pcs: readonly number[], mustEnter: ReadonlySet<number>): Layout {
  const cases = new Set(mustEnter);
  const forward: [number, number][] = [];
  for (const pc of pcs) {
    for (const t of targetsOf(code, pc)) {
      if (t <= pc) cases.add(t); // a loop head
      else forward.push([pc, t]);
    }
  }
  // A forward branch that would cross a case label goes through the dispatch loop: its target
  // becomes a case label too (which may make other branches cross).
  const sorted = (): number[] => [...cases].sort((a, b) => a - b);
  for (let changed = true; changed;) {
    changed = false;
    const labels = sorted();
    for (const [from, to] of forward) {
      if (cases.has(to)) continue;
      if (labels.some((c) => c > from && c < to)) {
        cases.add(to);
        changed = true;
      }
    }
  }
  // Each other target gets a block opening at its first source; blocks must nest, so one that
  // starts inside another and ends after it starts where the other starts.
  const start = new Map<number, number>();
  for (const [from, to] of forward) if (!cases.has(to)) start.set(to, Math.min(start.get(to) ?? from, from));
  const targets = [...start.keys()].sort((a, b) => a - b);
  for (let changed = true; changed;) {
    changed = false;
    for (const b1 of targets) {
      for (const b2 of targets) {
        if (b2 <= b1) continue;
        const s1 = start.get(b1)!, s2 = start.get(b2)!;
        if (s1 < s2 && s2 < b1) {
          start.set(b2, s1);
          changed = true;
        }
      }
    }
  }
  const opens = new Map<number, number[]>();
  for (const t of [...targets].reverse()) {
    const at = start.get(t)!;
    const list = opens.get(at) ?? [];
    list.push(t); // targets in decreasing order: the outermost block first
    opens.set(at, list);
  }
  const caseList = sorted();
  const starts = new Set<number>([...caseList, ...targets]);
  return { cases: caseList, caseOf: new Map(caseList.map((pc, i) => [pc, i])), starts, opens };
}
