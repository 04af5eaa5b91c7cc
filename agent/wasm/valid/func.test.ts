// Unit tests of function body validation: operand typing, blocks, branches, calls, variables,
// memory, tables and references, each with the exact error it must raise.

import { describe, expect, it } from 'vitest';
import { Op } from '../opcodes.ts';
import { ValType } from '../types.ts';
import type { ElemSegment, Global, TableType } from '../types.ts';
import { validateModule } from './index.ts';
import { CODE_POS, expectValidationError, ft, ins, mod, oneFunc } from './_test-ast.ts';

const I = ValType.I32, L = ValType.I64, F = ValType.F32, D = ValType.F64;
const FR = ValType.FuncRef, XR = ValType.ExternRef;
const i32 = (v: number) => ins(Op.I32Const, v);
const i64 = (v: number) => ins(Op.I64Const, v, 0);
const f32 = () => ins(Op.F32Const, 0);
const f64 = () => ins(Op.F64Const, 0, 0);
const EMPTY = -64, BT_I32 = -1, BT_F32 = -3;
const I32_ADD = 0x6a, I64_ADD = 0x7c, I32_LOAD = 0x28, I64_LOAD = 0x29, I32_STORE8 = 0x3a;
const tableOf = (elem: ValType.FuncRef | ValType.ExternRef, min = 1): TableType => ({ elem, bounds: { min, max: undefined } });
const memory = { bounds: { min: 1, max: undefined } };
const valid = (m: Parameters<typeof validateModule>[0]) => expect(() => validateModule(m)).not.toThrow();

describe('operand typing', () => {
  it('accepts i32.add of two i32 constants returning i32', () => {
    valid(oneFunc(ft([], [I]), [i32(1), i32(2), ins(I32_ADD)]));
  });

  it('rejects i32.add of an i32 and an f64, naming both types and the instruction', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [i32(1), f64(), ins(I32_ADD)])), {
      what: /Type mismatch in "i32.add"/, offset: CODE_POS + 2, funcIndex: 0, expected: 'i32', actual: 'f64',
    });
  });

  it('rejects an operand popped from an empty stack, reporting nothing found', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [i32(1), ins(I32_ADD)])), {
      what: /Type mismatch in "i32.add"/, offset: CODE_POS + 1, expected: 'i32', actual: undefined,
    });
  });

  it('rejects a body that leaves an extra value, listing what is found', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [i32(1), i32(2)])), {
      what: /Type mismatch in "end"/, offset: CODE_POS + 2, expected: '[i32]', actual: '[i32 i32]',
    });
  });

  it('rejects a missing result', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], [L]), [])), { what: /Type mismatch/, expected: 'i64', actual: undefined });
  });

  it('counts the function index from the imports', () => {
    const m = mod({
      types: [ft([], []), ft([], [I])],
      imports: [{ module: 'm', name: 'f', desc: { kind: 'func', typeIndex: 0 }, pos: 5 }],
      funcs: [1],
      codes: [oneFunc(ft([], [I]), [f32()]).codes[0]!],
    });
    expectValidationError(() => validateModule(m), { what: /Type mismatch/, funcIndex: 1, expected: 'i32', actual: 'f32' });
  });

  it('accepts any operand types after unreachable (the stack is polymorphic)', () => {
    valid(oneFunc(ft([], [I]), [ins(Op.Unreachable), ins(I64_ADD), ins(Op.Drop)]));
  });

  it('still types values pushed after unreachable', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], []), [ins(Op.Unreachable), i32(0), ins(I64_ADD), ins(Op.Drop)])), {
      what: /Type mismatch in "i64.add"/, offset: CODE_POS + 2, expected: 'i64', actual: 'i32',
    });
  });

  it('rejects an instruction after the final end', () => {
    const m = oneFunc(ft([], []), []);
    const code = [...m.codes[0]!.code, { ...m.codes[0]!.code[0]!, op: Op.Nop, pos: 77 }];
    expectValidationError(() => validateModule({ ...m, codes: [{ ...m.codes[0]!, code }] }), { what: /after the final "end"/, offset: 77 });
  });
});

describe('blocks', () => {
  it('accepts a block with params and results given by a type index', () => {
    // type 1: [i32 i32] -> [i32]
    valid(oneFunc(ft([], [I]), [i32(1), i32(2), ins(Op.Block, 1), ins(I32_ADD), ins(Op.End)], { types: [ft([I, I], [I])] }));
  });

  it('rejects a block type index with no type', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], []), [ins(Op.Block, 9), ins(Op.End)])), {
      what: /Unknown type "9"/, offset: CODE_POS,
    });
  });

  it('rejects a block whose params are missing', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [i32(1), ins(Op.Block, 1), ins(I32_ADD), ins(Op.End)], { types: [ft([I, I], [I])] })), {
      what: /Type mismatch in "block"/, offset: CODE_POS + 1, expected: 'i32', actual: undefined,
    });
  });

  it('does not let a block pop values from outside it', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(1), ins(Op.Block, EMPTY), ins(Op.Drop), ins(Op.End), ins(Op.Drop)])), {
      what: /Type mismatch in "drop"/, offset: CODE_POS + 2,
    });
  });

  it('accepts if/else with a result, rejects else branches of another type', () => {
    valid(oneFunc(ft([I], [I]), [ins(Op.LocalGet, 0), ins(Op.If, BT_I32), i32(1), ins(Op.Else), i32(2), ins(Op.End)]));
    expectValidationError(() => validateModule(oneFunc(ft([I], [I]), [ins(Op.LocalGet, 0), ins(Op.If, BT_I32), i32(1), ins(Op.Else), f32(), ins(Op.End)])), {
      what: /Type mismatch in "end"/, offset: CODE_POS + 5, expected: 'i32', actual: 'f32',
    });
  });

  it('requires the if condition to be i32', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i64(0), ins(Op.If, EMPTY), ins(Op.End)])), {
      what: /Type mismatch in "if"/, expected: 'i32', actual: 'i64',
    });
  });

  it('accepts an if without else when its params equal its results', () => {
    // type 1: [i32] -> [i32]
    valid(oneFunc(ft([], [I]), [i32(5), i32(1), ins(Op.If, 1), ins(Op.End)], { types: [ft([I], [I])] }));
  });

  it('rejects an if without else that has a result', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [i32(1), ins(Op.If, BT_I32), i32(1), ins(Op.End)])), {
      what: /if without else/, offset: CODE_POS + 3, expected: '[i32]', actual: '[]',
    });
  });

  it('rejects else outside an if', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], []), [ins(Op.Block, EMPTY), ins(Op.Else), ins(Op.End)])), {
      what: /Else without a matching if/, offset: CODE_POS + 1,
    });
  });

  it('types a branch to a loop with the loop params', () => {
    // type 1: [i32] -> []
    valid(oneFunc(ft([], []), [i32(0), ins(Op.Loop, 1), ins(Op.Br, 0), ins(Op.End)], { types: [ft([I], [])] }));
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(0), ins(Op.Loop, 1), ins(Op.Drop), ins(Op.Br, 0), ins(Op.End)], { types: [ft([I], [])] })), {
      what: /Type mismatch in "br"/, offset: CODE_POS + 3, expected: 'i32', actual: undefined,
    });
  });
});

describe('branches', () => {
  it('rejects a label beyond the enclosing blocks', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], []), [ins(Op.Block, EMPTY), ins(Op.Br, 2), ins(Op.End)])), {
      what: /Unknown label "2" in "br"/, offset: CODE_POS + 1,
    });
  });

  it('lets br target the function frame, carrying its results', () => {
    valid(oneFunc(ft([], [I]), [i32(1), ins(Op.Br, 0)]));
  });

  it('br_if keeps the label values on the stack', () => {
    valid(oneFunc(ft([], [I]), [ins(Op.Block, BT_I32), i32(1), i32(0), ins(Op.BrIf, 0), ins(Op.End)]));
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [ins(Op.Block, BT_I32), f32(), i32(0), ins(Op.BrIf, 0), ins(Op.End)])), {
      what: /Type mismatch in "br_if"/, expected: 'i32', actual: 'f32',
    });
  });

  it('br_if gives back the label types even from a polymorphic stack', () => {
    // After unreachable, br_if to an i32 label pushes a real i32: adding an f32 to it fails.
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [
      ins(Op.Block, BT_I32), ins(Op.Unreachable), ins(Op.BrIf, 0), f32(), ins(0x92), ins(Op.End),
    ])), { what: /Type mismatch in "f32.add"/, expected: 'f32', actual: 'i32' });
  });

  it('br_table requires the same arity for all its labels', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], []), [
      ins(Op.Block, EMPTY), ins(Op.Block, BT_I32), i32(0), i32(0), ins(Op.BrTable, 0, 0, [1]), ins(Op.End), ins(Op.Drop), ins(Op.End),
    ])), { what: /Type mismatch: label "1" carries 0 values/, offset: CODE_POS + 4 });
  });

  it('br_table accepts labels of different types of one arity in unreachable code (2.0 rule)', () => {
    valid(oneFunc(ft([], [I]), [
      ins(Op.Block, BT_I32), ins(Op.Block, BT_F32), ins(Op.Unreachable), ins(Op.BrTable, 1, 0, [0]), ins(Op.End), ins(Op.Drop), i32(0), ins(Op.End),
    ]));
  });

  it('br_table checks a known operand against every label', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [
      ins(Op.Block, BT_I32), ins(Op.Block, BT_F32), ins(Op.Unreachable), f32(), i32(0), ins(Op.BrTable, 1, 0, [0]), ins(Op.End), ins(Op.Drop), i32(0), ins(Op.End),
    ])), { what: /Type mismatch in "br_table"/, expected: 'i32', actual: 'f32' });
  });

  it('br_table requires an i32 index', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i64(0), ins(Op.BrTable, 0, 0, [])])), {
      what: /Type mismatch in "br_table"/, expected: 'i32', actual: 'i64',
    });
  });

  it('return checks the function results', () => {
    valid(oneFunc(ft([], [I, L]), [i32(0), i64(0), ins(Op.Return)]));
    expectValidationError(() => validateModule(oneFunc(ft([], [I, L]), [i64(0), i32(0), ins(Op.Return)])), {
      what: /Type mismatch in "return"/, expected: 'i64', actual: 'i32',
    });
  });
});

describe('calls', () => {
  it('call pops the params and pushes the results of the callee', () => {
    // function 0: [] -> [i64]; function 1 (type 1): [i32 f64] -> [i64]
    const m = mod({
      types: [ft([], [L]), ft([I, D], [L])],
      funcs: [0, 1],
      codes: [
        oneFunc(ft([], []), [i32(1), f64(), ins(Op.Call, 1)]).codes[0]!,
        oneFunc(ft([], []), [i64(0)]).codes[0]!,
      ],
    });
    valid(m);
  });

  it('rejects a call to a function that does not exist', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], []), [ins(Op.Call, 3)])), { what: /Unknown function "3" in "call"/, offset: CODE_POS });
  });

  it('call_indirect needs a funcref table and a known type', () => {
    valid(oneFunc(ft([], []), [i32(0), ins(Op.CallIndirect, 0, 0)], { tables: [tableOf(FR)] }));
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(0), ins(Op.CallIndirect, 0, 0)])), { what: /Unknown table "0"/ });
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(0), ins(Op.CallIndirect, 0, 0)], { tables: [tableOf(XR)] })), {
      what: /not a funcref table/, expected: 'funcref', actual: 'externref',
    });
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(0), ins(Op.CallIndirect, 4, 0)], { tables: [tableOf(FR)] })), {
      what: /Unknown type "4"/,
    });
  });

  it('call_indirect uses the table index in b', () => {
    valid(oneFunc(ft([], []), [i32(0), ins(Op.CallIndirect, 0, 1)], { tables: [tableOf(XR), tableOf(FR)] }));
  });
});

describe('parametric instructions', () => {
  it('select without a type accepts numeric operands of one type', () => {
    valid(oneFunc(ft([], [D]), [f64(), f64(), i32(1), ins(Op.Select)]));
    expectValidationError(() => validateModule(oneFunc(ft([], [D]), [f64(), f32(), i32(1), ins(Op.Select)])), { what: /Type mismatch in "select"/ });
  });

  it('select without a type rejects reference operands', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], [FR]), [ins(Op.RefNull, FR), ins(Op.RefNull, FR), i32(1), ins(Op.Select)])), {
      what: /needs numeric operands/, actual: 'funcref',
    });
  });

  it('select in unreachable code takes the type of the one known operand', () => {
    valid(oneFunc(ft([], [L]), [ins(Op.Unreachable), i64(0), i32(0), ins(Op.Select)]));
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [ins(Op.Unreachable), i64(0), i32(0), ins(Op.Select)])), {
      what: /Type mismatch in "end"/, expected: 'i32', actual: 'i64',
    });
  });

  it('typed select accepts references of its type', () => {
    valid(oneFunc(ft([], [XR]), [ins(Op.RefNull, XR), ins(Op.RefNull, XR), i32(1), ins(Op.SelectT, XR, 1)]));
    expectValidationError(() => validateModule(oneFunc(ft([], [XR]), [ins(Op.RefNull, FR), ins(Op.RefNull, XR), i32(1), ins(Op.SelectT, XR, 1)])), {
      what: /Type mismatch in "select"/, expected: 'externref', actual: 'funcref',
    });
  });

  it('typed select must name exactly one type (b counts the types)', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [i32(1), i32(1), i32(1), ins(Op.SelectT, I, 2)])), {
      what: /Invalid result arity/,
    });
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [i32(1), i32(1), i32(1), ins(Op.SelectT, 0, 0)])), {
      what: /Invalid result arity/,
    });
  });

  it('drop needs a value', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], []), [ins(Op.Drop)])), { what: /Type mismatch in "drop"/ });
  });
});

describe('variables', () => {
  it('locals are the params followed by the declared runs', () => {
    valid(oneFunc(ft([I], [D]), [ins(Op.LocalGet, 0), ins(Op.LocalSet, 2), ins(Op.LocalGet, 3)], {}, [{ count: 2, type: I }, { count: 1, type: D }]));
    expectValidationError(() => validateModule(oneFunc(ft([I], []), [ins(Op.LocalGet, 0), ins(Op.LocalSet, 2)], {}, [{ count: 1, type: I }, { count: 1, type: D }])), {
      what: /Type mismatch in "local.set"/, expected: 'f64', actual: 'i32',
    });
  });

  it('rejects a local index past the last local', () => {
    expectValidationError(() => validateModule(oneFunc(ft([I], []), [ins(Op.LocalGet, 2), ins(Op.Drop)], {}, [{ count: 1, type: I }])), {
      what: /Unknown local "2" in "local.get"/, offset: CODE_POS,
    });
  });

  it('finds local types in very large runs without expanding them', () => {
    valid(oneFunc(ft([], [L]), [ins(Op.LocalGet, 150_000)], {}, [{ count: 100_000, type: I }, { count: 100_000, type: L }]));
    expectValidationError(() => validateModule(oneFunc(ft([], [L]), [ins(Op.LocalGet, 99_999)], {}, [{ count: 100_000, type: I }, { count: 100_000, type: L }])), {
      what: /Type mismatch in "end"/, expected: 'i64', actual: 'i32',
    });
  });

  it('local.tee leaves its value', () => {
    valid(oneFunc(ft([F], [F]), [f32(), ins(Op.LocalTee, 0)]));
  });

  it('global.set needs a mutable global', () => {
    const globals: Global[] = [
      { type: { type: I, mutable: false }, init: [i32(0)], pos: 3 },
      { type: { type: I, mutable: true }, init: [i32(0)], pos: 4 },
    ];
    valid(oneFunc(ft([], []), [i32(1), ins(Op.GlobalSet, 1)], { globals }));
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(1), ins(Op.GlobalSet, 0)], { globals })), {
      what: /Global "0" is immutable/, offset: CODE_POS + 1,
    });
    expectValidationError(() => validateModule(oneFunc(ft([], []), [ins(Op.GlobalGet, 2), ins(Op.Drop)], { globals })), { what: /Unknown global "2"/ });
  });
});

describe('memory instructions', () => {
  it('need a memory', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [i32(0), ins(I32_LOAD, 2, 0)])), { what: /Unknown memory "0" in "i32.load"/, offset: CODE_POS + 1 });
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [ins(Op.MemorySize, 0)])), { what: /Unknown memory "0" in "memory.size"/ });
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(0), i32(0), i32(0), ins(Op.MemoryFill, 0)])), { what: /Unknown memory "0"/ });
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(0), i32(0), i32(0), ins(Op.MemoryCopy, 0, 0)])), { what: /Unknown memory "0"/ });
  });

  it('accept an imported memory', () => {
    valid(oneFunc(ft([], [L]), [i32(0), ins(I64_LOAD, 3, 8)], { imports: [{ module: 'm', name: 'mem', desc: { kind: 'memory', type: memory }, pos: 1 }] }));
  });

  it('reject an alignment above the natural one', () => {
    valid(oneFunc(ft([], []), [i32(0), i32(0), ins(I32_STORE8, 0, 0)], { mems: [memory] }));
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(0), i32(0), ins(I32_STORE8, 1, 0)], { mems: [memory] })), {
      what: /Alignment must not be larger than natural in "i32.store8"/, expected: 'at most 0', actual: '1',
    });
    expectValidationError(() => validateModule(oneFunc(ft([], [L]), [i32(0), ins(I64_LOAD, 4, 0)], { mems: [memory] })), { what: /Alignment/ });
  });

  it('memory.init and data.drop need a data segment', () => {
    const datas = [{ mode: 'passive' as const, memory: 0, offset: undefined, bytes: new Uint8Array(1), pos: 9 }];
    valid(oneFunc(ft([], []), [i32(0), i32(0), i32(0), ins(Op.MemoryInit, 0, 0), ins(Op.DataDrop, 0)], { mems: [memory], datas, dataCount: 1 }));
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(0), i32(0), i32(0), ins(Op.MemoryInit, 1, 0)], { mems: [memory], datas, dataCount: 1 })), {
      what: /Unknown data segment "1" in "memory.init"/,
    });
    expectValidationError(() => validateModule(oneFunc(ft([], []), [ins(Op.DataDrop, 1)], { mems: [memory], datas, dataCount: 1 })), {
      what: /Unknown data segment "1" in "data.drop"/,
    });
  });

  it('memory.grow takes and returns i32', () => {
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [i64(1), ins(Op.MemoryGrow, 0)], { mems: [memory] })), {
      what: /Type mismatch in "memory.grow"/, expected: 'i32', actual: 'i64',
    });
  });
});

describe('table and reference instructions', () => {
  const elems: ElemSegment[] = [
    { mode: 'passive', table: 0, offset: undefined, type: FR, init: [[ins(Op.RefNull, FR)]], pos: 20 },
    { mode: 'passive', table: 0, offset: undefined, type: XR, init: [], pos: 21 },
  ];

  it('type table.get, table.set, table.size, table.grow and table.fill by the table element type', () => {
    valid(oneFunc(ft([], [I]), [
      i32(0), ins(Op.TableGet, 1), ins(Op.Drop),
      i32(0), ins(Op.RefNull, XR), ins(Op.TableSet, 1),
      i32(0), ins(Op.RefNull, XR), i32(2), ins(Op.TableFill, 1),
      ins(Op.RefNull, FR), i32(1), ins(Op.TableGrow, 0), ins(Op.Drop),
      ins(Op.TableSize, 1),
    ], { tables: [tableOf(FR), tableOf(XR)] }));
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(0), ins(Op.RefNull, FR), ins(Op.TableSet, 1)], { tables: [tableOf(FR), tableOf(XR)] })), {
      what: /Type mismatch in "table.set"/, expected: 'externref', actual: 'funcref',
    });
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [ins(Op.TableSize, 2)], { tables: [tableOf(FR), tableOf(XR)] })), {
      what: /Unknown table "2" in "table.size"/,
    });
  });

  it('table.init needs the segment type to equal the table type', () => {
    const tables = [tableOf(FR), tableOf(XR)];
    valid(oneFunc(ft([], []), [i32(0), i32(0), i32(0), ins(Op.TableInit, 1, 1), ins(Op.ElemDrop, 0)], { tables, elems }));
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(0), i32(0), i32(0), ins(Op.TableInit, 0, 1)], { tables, elems })), {
      what: /Type mismatch: elem segment "0" does not fit table "1"/, expected: 'externref', actual: 'funcref',
    });
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(0), i32(0), i32(0), ins(Op.TableInit, 2, 0)], { tables, elems })), {
      what: /Unknown elem segment "2"/,
    });
    expectValidationError(() => validateModule(oneFunc(ft([], []), [ins(Op.ElemDrop, 5)], { tables, elems })), { what: /Unknown elem segment "5" in "elem.drop"/ });
  });

  it('table.copy needs tables of one element type', () => {
    const tables = [tableOf(FR), tableOf(XR), tableOf(FR)];
    valid(oneFunc(ft([], []), [i32(0), i32(0), i32(0), ins(Op.TableCopy, 2, 0)], { tables }));
    expectValidationError(() => validateModule(oneFunc(ft([], []), [i32(0), i32(0), i32(0), ins(Op.TableCopy, 0, 1)], { tables })), {
      what: /cannot be copied/, expected: 'funcref', actual: 'externref',
    });
  });

  it('ref.is_null needs a reference', () => {
    valid(oneFunc(ft([], [I]), [ins(Op.RefNull, XR), ins(Op.RefIsNull)]));
    valid(oneFunc(ft([], [I]), [ins(Op.Unreachable), ins(Op.RefIsNull)]));
    expectValidationError(() => validateModule(oneFunc(ft([], [I]), [i32(0), ins(Op.RefIsNull)])), {
      what: /Type mismatch in "ref.is_null"/, expected: 'a reference type', actual: 'i32',
    });
  });

  it('ref.func needs a function declared outside function bodies', () => {
    const undeclared = oneFunc(ft([], [FR]), [ins(Op.RefFunc, 0)]);
    expectValidationError(() => validateModule(undeclared), { what: /Undeclared function reference/, offset: CODE_POS });
    valid({ ...undeclared, exports: [{ name: 'f', kind: 'func', index: 0, pos: 1 }] });
    valid({ ...undeclared, elems: [{ mode: 'declarative', table: 0, offset: undefined, type: FR, init: [[ins(Op.RefFunc, 0)]], pos: 2 }] });
    valid({ ...undeclared, globals: [{ type: { type: FR, mutable: false }, init: [ins(Op.RefFunc, 0)], pos: 3 }] });
    expectValidationError(() => validateModule(oneFunc(ft([], [FR]), [ins(Op.RefFunc, 1)])), { what: /Unknown function "1" in "ref.func"/ });
  });
});
