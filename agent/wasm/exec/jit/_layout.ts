// The shape of the generated code: which code indexes are `case` labels of the dispatch switch
// (entry points), which forward branches become `break` out of a labelled block instead of a
// trip through the dispatch loop, and which innermost loops become JavaScript loops. Only case
// labels are entry points: the interpreter steps one instruction at a time until it reaches one.

import { targetsOf } from './_instr.ts';

/** A labelled statement of the generated code: a block ending before `end`, or a loop. */
export interface Opening {
  readonly kind: 'block' | 'loop';
  /** The target a block's `break` goes to, or a loop's head. */
  readonly label: number;
  /** Code index of the first instruction after the statement. */
  readonly end: number;
}

export interface Layout {
  /** Case labels in code order: entry points, loop heads, and targets a `break` cannot reach. */
  readonly cases: readonly number[];
  /** Code index -> block number, for case labels. */
  readonly caseOf: ReadonlyMap<number, number>;
  /** Every code index where a block starts (case labels and all branch targets). */
  readonly starts: ReadonlySet<number>;
  /** Code index -> labelled statements opening there, outermost first. */
  readonly opens: ReadonlyMap<number, readonly Opening[]>;
  /** Head -> code index of the last instruction, for the loops written as JavaScript loops. */
  readonly loops: ReadonlyMap<number, number>;
}

/**
 * Lays out a function whose instructions start at `pcs` (with `lens`): `mustEnter` are the code
 * indexes the interpreter must be able to enter at (0 and right after what it executes).
 */
export function layout(code: Int32Array, pcs: readonly number[], lens: readonly number[], mustEnter: ReadonlySet<number>): Layout {
  const cases = new Set(mustEnter);
  const forward: [number, number][] = [];
  const lastBack = new Map<number, number>();
  for (const pc of pcs) {
    for (const t of targetsOf(code, pc)) {
      if (t <= pc) {
        cases.add(t); // a loop head: entered again after a suspension
        lastBack.set(t, Math.max(lastBack.get(t) ?? pc, pc));
      } else {
        forward.push([pc, t]);
      }
    }
  }
  // A forward branch that would cross a case label goes through the dispatch loop: its target
  // becomes a case label too (which may make other branches cross).
  const sorted = (): number[] => [...cases].sort((a, b) => a - b);
  for (let changed = true; changed;) {
    changed = false;
    const labels = sorted();
    for (const [from, to] of forward) {
      if (!cases.has(to) && labels.some((c) => c > from && c < to)) {
        cases.add(to);
        changed = true;
      }
    }
  }
  const labels = sorted();
  const next = new Map<number, number>(pcs.map((pc, i) => [pc, pc + lens[i]!]));

  // Innermost loops (no case label after the head up to the last branch back) become loops,
  // unless a branch from outside lands inside.
  const loops = new Map<number, number>();
  for (const [h, e] of lastBack) {
    if (labels.some((c) => c > h && c <= e)) continue;
    if (forward.some(([from, to]) => from < h && to > h && to <= e)) continue;
    loops.set(h, e);
  }

  // Each other target gets a block opening at its first source; statements must nest, so a
  // block starting inside another statement and ending after it starts where that one starts.
  const start = new Map<number, number>();
  for (const [from, to] of forward) if (!cases.has(to)) start.set(to, Math.min(start.get(to) ?? from, from));
  const targets = [...start.keys()];
  for (let changed = true; changed;) {
    changed = false;
    for (const b2 of targets) {
      const s2 = start.get(b2)!;
      let s = s2;
      for (const b1 of targets) {
        const s1 = start.get(b1)!;
        if (b1 < b2 && s1 < s && s < b1) s = s1;
      }
      for (const [h, e] of loops) if (h < s && s <= e && b2 > e) s = h;
      if (s !== s2) {
        start.set(b2, s);
        changed = true;
      }
    }
  }
  const opens = new Map<number, Opening[]>();
  const add = (at: number, o: Opening): void => {
    const list = opens.get(at) ?? [];
    list.push(o);
    opens.set(at, list);
  };
  for (const t of targets) add(start.get(t)!, { kind: 'block', label: t, end: t });
  for (const [h, e] of loops) add(h, { kind: 'loop', label: h, end: next.get(e)! });
  // Outermost first: the later end first; on a tie the block encloses the loop.
  for (const list of opens.values()) list.sort((a, b) => b.end - a.end || (a.kind === 'block' ? -1 : 1));
  const starts = new Set<number>([...labels, ...targets]);
  return { cases: labels, caseOf: new Map(labels.map((pc, i) => [pc, i])), starts, opens, loops };
}
