// Unit tests of the operand-stack heights the validator hands to the translator, on functions
// whose heights were worked out by hand (comments give each instruction's height).

import { describe, expect, it } from 'vitest';
import { Op } from '../opcodes.ts';
import { ValType } from '../types.ts';
import type { FuncType, Instr, LocalRun } from '../types.ts';
import { validateModule } from './index.ts';
import type { FuncValidation } from './index.ts';
import { body, ft, ins, mod } from './_test-ast.ts';

const I = ValType.I32;
const i32 = (v: number) => ins(Op.I32Const, v);
const I32_ADD = 0x6a, I32_SUB = 0x6b;

/** Validates one function (type 0 = `type`, extra types after it); `code` includes the final end. */
function heightsOf(type: FuncType, code: readonly Instr[], types: readonly FuncType[] = [], locals: readonly LocalRun[] = []): FuncValidation {
  const v = validateModule(mod({ types: [type, ...types], funcs: [0], codes: [body(code, locals)] }));
  return v.funcs[0]!;
}

describe('operand-stack heights', () => {
  it('counts operands before each instruction, and gives end the block base', () => {
    const v = heightsOf(ft([I], [I]), [
      ins(Op.LocalGet, 0), //  0
      i32(1), //               1
      ins(I32_ADD), //         2
      ins(Op.Block, -1), //    1
      i32(2), //               1
      ins(Op.End), //          1 (base of the block)
      ins(I32_ADD), //         2
      ins(Op.End), //          0 (base of the function)
    ]);
    expect(Array.from(v.heights)).toEqual([0, 1, 2, 1, 1, 1, 2, 0]);
    expect(v.maxHeight).toBe(2);
  });

  it('puts the base of a block with params below its params', () => {
    // type 1: [i32 i32] -> [i32]
    const v = heightsOf(ft([], [I]), [
      i32(1), //              0
      i32(2), //              1
      i32(3), //              2
      ins(Op.Block, 1), //    3
      ins(I32_ADD), //        3 (the two params sit at heights 1 and 2)
      ins(Op.End), //         1
      ins(I32_ADD), //        2
      ins(Op.End), //         0
    ], [ft([I, I], [I])]);
    expect(Array.from(v.heights)).toEqual([0, 1, 2, 3, 3, 1, 2, 0]);
    expect(v.maxHeight).toBe(3);
  });

  it('restarts else at the if base plus its params', () => {
    // type 1: [i32] -> [i32]
    const v = heightsOf(ft([I], [I]), [
      i32(10), //             0
      ins(Op.LocalGet, 0), // 1
      ins(Op.If, 1), //       2
      i32(1), //              1
      ins(I32_ADD), //        2
      ins(Op.Else), //        0 (base of the if)
      i32(2), //              1
      ins(I32_SUB), //        2
      ins(Op.End), //         0
      ins(Op.End), //         0
    ], [ft([I], [I])]);
    expect(Array.from(v.heights)).toEqual([0, 1, 2, 1, 2, 0, 1, 2, 0, 0]);
    expect(v.maxHeight).toBe(2);
  });

  it('marks code after br and unreachable with -1 until the end of the block', () => {
    const v = heightsOf(ft([], []), [
      ins(Op.Block, -64), //  0
      i32(1), //              0
      ins(Op.Br, 0), //       1
      i32(2), //             -1
      ins(Op.Drop), //       -1
      ins(Op.End), //         0 (end always gets the base)
      ins(Op.Nop), //         0 (reachable again: the br targets this point)
      ins(Op.End), //         0
    ]);
    expect(Array.from(v.heights)).toEqual([0, 0, 1, -1, -1, 0, 0, 0]);
    expect(v.maxHeight).toBe(1);
  });

  it('makes the else branch live again after a dead then branch', () => {
    const v = heightsOf(ft([], []), [
      i32(1), //              0
      ins(Op.If, -64), //     1
      ins(Op.Unreachable), // 0
      i32(5), //             -1
      ins(Op.Drop), //       -1
      ins(Op.Else), //        0
      ins(Op.Nop), //         0
      ins(Op.End), //         0
      ins(Op.End), //         0
    ]);
    expect(Array.from(v.heights)).toEqual([0, 1, 0, -1, -1, 0, 0, 0, 0]);
  });

  it('marks a whole block entered from dead code with -1, except its end', () => {
    const v = heightsOf(ft([], []), [
      ins(Op.Return), //      0
      ins(Op.Block, -64), // -1
      i32(1), //             -1
      ins(Op.Drop), //       -1
      ins(Op.End), //         0 (base: the polymorphic stack was empty)
      ins(Op.End), //         0
    ]);
    expect(Array.from(v.heights)).toEqual([0, -1, -1, -1, 0, 0]);
    // The i32.const pushed in dead code still counts: every value gets a slot.
    expect(v.maxHeight).toBe(1);
  });

  it('keeps br_if reachable and counts the condition', () => {
    const v = heightsOf(ft([], [I]), [
      ins(Op.Loop, -1), //    0
      i32(7), //              0
      i32(1), //              1
      ins(Op.BrIf, 0), //     2 (a loop label carries no values here)
      ins(Op.End), //         0
      ins(Op.End), //         0
    ]);
    expect(Array.from(v.heights)).toEqual([0, 0, 1, 2, 0, 0]);
    expect(v.maxHeight).toBe(2);
  });

  it('marks code after br_table and return with -1', () => {
    const v = heightsOf(ft([], [I]), [
      ins(Op.Block, -1), //   0
      i32(3), //              0
      i32(0), //              1
      ins(Op.BrTable, 0, 0, [0, 1]), // 2
      ins(Op.Drop), //       -1
      ins(Op.End), //         0
      ins(Op.Return), //      1
      ins(Op.Nop), //        -1
      ins(Op.End), //         0
    ]);
    expect(Array.from(v.heights)).toEqual([0, 0, 1, 2, -1, 0, 1, -1, 0]);
    expect(v.maxHeight).toBe(2);
  });

  it('counts the results of a call and of a multi-value block', () => {
    // type 1: [] -> [i32 i32 i32]
    const v = validateModule(mod({
      types: [ft([], [I]), ft([], [I, I, I])],
      funcs: [0, 1],
      codes: [
        body([
          ins(Op.Call, 1), //    0
          ins(I32_ADD), //       3
          ins(I32_ADD), //       2
          ins(Op.End), //        0
        ]),
        body([
          ins(Op.Block, 1), //   0
          i32(1), //             0
          i32(2), //             1
          i32(3), //             2
          ins(Op.End), //        0
          ins(Op.End), //        0
        ]),
      ],
    }));
    expect(Array.from(v.funcs[0]!.heights)).toEqual([0, 3, 2, 0]);
    expect(v.funcs[0]!.maxHeight).toBe(3);
    expect(Array.from(v.funcs[1]!.heights)).toEqual([0, 0, 1, 2, 0, 0]);
    expect(v.funcs[1]!.maxHeight).toBe(3);
  });

  it('does not count locals as operands', () => {
    const v = heightsOf(ft([I, I], [I]), [ins(Op.LocalGet, 3), ins(Op.End)], [], [{ count: 2, type: I }]);
    expect(Array.from(v.heights)).toEqual([0, 0]);
    expect(v.maxHeight).toBe(1);
  });
});
