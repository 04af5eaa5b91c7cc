// The layout of generated code on hand-written internal code: which code indexes become case
// labels, which branches break out of labelled blocks, which loops become JavaScript loops.

import { describe, expect, it } from 'vitest';
import { IOp } from '../code.ts';
import { instrLength } from './_instr.ts';
import { layout } from './_layout.ts';

/** Lays out `words` as internal code, with the entry points a call at `callAt` would add. */
function lay(words: number[], mustEnter: number[] = [0]) {
  const code = Int32Array.from(words);
  const pcs: number[] = [], lens: number[] = [];
  for (let pc = 0; pc < code.length; pc += instrLength(code, pc)) {
    pcs.push(pc);
    lens.push(instrLength(code, pc));
  }
  return layout(code, pcs, lens, new Set(mustEnter));
}

describe('layout', () => {
  // 0: fuel 1 | 2: br_if 0 -> 10 | 5: copy32 2 0 | 8: br -> 2 | 10: return
  const loop = [IOp.Fuel, 1, IOp.BrIf, 0, 10, IOp.Copy32, 2, 0, IOp.Br, 2, IOp.Return];

  it('makes the head of a loop a case label, and a loop without entry points inside a JavaScript loop', () => {
    const l = lay(loop);
    expect(l.cases).toEqual([0, 2]);
    expect(l.loops).toEqual(new Map([[2, 8]]));
  });

  it('breaks out of a loop to the instruction after it through a block enclosing the loop', () => {
    const l = lay(loop);
    expect(l.opens.get(2)).toEqual([{ kind: 'block', label: 10, end: 10 }, { kind: 'loop', label: 2, end: 10 }]);
    expect(l.starts).toEqual(new Set([0, 2, 10]));
  });

  it('keeps a loop with an entry point inside (after a call) in the dispatch loop', () => {
    const l = lay(loop, [0, 5]);
    expect(l.cases).toEqual([0, 2, 5, 10]); // 10 is now reached across the case label 5
    expect(l.loops.size).toBe(0);
    expect(l.opens.size).toBe(0);
  });

  // 0: br_unless 0 -> 12 | 3: br_unless 2 -> 9 | 6: copy32 4 0 | 9: copy32 4 2 | 12: return (nested ifs)
  it('nests the blocks of forward branches, the later target outermost', () => {
    const l = lay([IOp.BrUnless, 0, 12, IOp.BrUnless, 2, 9, IOp.Copy32, 4, 0, IOp.Copy32, 4, 2, IOp.Return]);
    expect(l.cases).toEqual([0]);
    expect(l.opens.get(0)).toEqual([{ kind: 'block', label: 12, end: 12 }]);
    expect(l.opens.get(3)).toEqual([{ kind: 'block', label: 9, end: 9 }]);
  });

  // 0: br_unless 0 -> 9 | 3: br_unless 2 -> 12 | 6: copy32 4 0 | 9: copy32 4 2 | 12: return (crossing)
  it('starts a block earlier when it would otherwise cross another', () => {
    const l = lay([IOp.BrUnless, 0, 9, IOp.BrUnless, 2, 12, IOp.Copy32, 4, 0, IOp.Copy32, 4, 2, IOp.Return]);
    expect(l.opens.get(0)).toEqual([{ kind: 'block', label: 12, end: 12 }, { kind: 'block', label: 9, end: 9 }]);
    expect(l.opens.has(3)).toBe(false);
  });
});
