// Unit tests of module-level validation: type indices, limits, memories, constant expressions,
// segments, the start function and exports.

import { describe, expect, it } from 'vitest';
import { Op } from '../opcodes.ts';
import { ValType } from '../types.ts';
import type { ElemSegment, Global, Import, ModuleAst } from '../types.ts';
import { validateModule } from './index.ts';
import { body, expectValidationError, ft, ins, mod } from './_test-ast.ts';

const I = ValType.I32, L = ValType.I64, FR = ValType.FuncRef, XR = ValType.ExternRef;
const i32 = (v: number) => ins(Op.I32Const, v);
const valid = (m: ModuleAst) => expect(() => validateModule(m)).not.toThrow();
const emptyFunc = () => body([ins(Op.End)]);
const imp = (desc: Import['desc'], pos = 7): Import => ({ module: 'env', name: 'x', desc, pos });
const global = (type: ValType, mutable: boolean, init: Global['init'], pos = 30): Global => ({ type: { type, mutable }, init, pos });
const bounds = (min: number, max?: number) => ({ min, max });

describe('type indices', () => {
  it('rejects a function whose type index has no type', () => {
    expectValidationError(() => validateModule(mod({ types: [ft([], [])], funcs: [1], codes: [emptyFunc()] })), { what: /Unknown type "1"/ });
  });

  it('rejects an imported function whose type index has no type, at the import', () => {
    expectValidationError(() => validateModule(mod({ imports: [imp({ kind: 'func', typeIndex: 0 }, 12)] })), { what: /Unknown type "0"/, offset: 12 });
  });
});

describe('limits', () => {
  it('accept a memory of 65536 pages and reject one page more', () => {
    valid(mod({ mems: [{ bounds: bounds(65536, 65536) }] }));
    expectValidationError(() => validateModule(mod({ mems: [{ bounds: bounds(65537) }] })), { what: /memory minimum size must be at most 65536 pages/ });
    expectValidationError(() => validateModule(mod({ mems: [{ bounds: bounds(0, 65537) }] })), { what: /memory maximum size must be at most 65536 pages/ });
  });

  it('reject a minimum above the maximum, for memories and tables, imported or not', () => {
    expectValidationError(() => validateModule(mod({ mems: [{ bounds: bounds(2, 1) }] })), { what: /memory size minimum "2" must not be greater than the maximum "1"/ });
    expectValidationError(() => validateModule(mod({ tables: [{ elem: FR, bounds: bounds(5, 4) }] })), { what: /table size minimum "5"/ });
    expectValidationError(() => validateModule(mod({ imports: [imp({ kind: 'table', type: { elem: XR, bounds: bounds(3, 2) } }, 9)] })), {
      what: /table size minimum/, offset: 9,
    });
    expectValidationError(() => validateModule(mod({ imports: [imp({ kind: 'memory', type: { bounds: bounds(1, 0) } }, 10)] })), {
      what: /memory size minimum/, offset: 10,
    });
  });

  it('accept a table of 2^32-1 elements', () => {
    valid(mod({ tables: [{ elem: FR, bounds: bounds(0xffff_ffff, 0xffff_ffff) }] }));
  });

  it('allow several tables but at most one memory, counting imports', () => {
    valid(mod({ tables: [{ elem: FR, bounds: bounds(0) }, { elem: XR, bounds: bounds(0) }] }));
    expectValidationError(() => validateModule(mod({ mems: [{ bounds: bounds(0) }, { bounds: bounds(0) }] })), { what: /Multiple memories/ });
    expectValidationError(() => validateModule(mod({ imports: [imp({ kind: 'memory', type: { bounds: bounds(0) } })], mems: [{ bounds: bounds(0) }] })), {
      what: /Multiple memories/,
    });
  });
});

describe('global initialisers', () => {
  const importedConst = imp({ kind: 'global', type: { type: I, mutable: false } });
  const importedMut = imp({ kind: 'global', type: { type: I, mutable: true } });

  it('accept constants, ref.null, ref.func and imported immutable globals', () => {
    valid(mod({
      imports: [importedConst],
      types: [ft([], [])],
      funcs: [0],
      codes: [emptyFunc()],
      globals: [
        global(L, true, [ins(Op.I64Const, 1, 0)]),
        global(XR, false, [ins(Op.RefNull, XR)]),
        global(FR, false, [ins(Op.RefFunc, 0)]),
        global(I, false, [ins(Op.GlobalGet, 0)]),
      ],
    }));
  });

  it('reject an initialiser of another type', () => {
    expectValidationError(() => validateModule(mod({ globals: [global(L, false, [i32(0)], 31)] })), {
      what: /Type mismatch in a constant expression/, expected: '[i64]', actual: '[i32]',
    });
  });

  it('reject an empty initialiser and one with two values', () => {
    expectValidationError(() => validateModule(mod({ globals: [global(I, false, [], 44)] })), { what: /Type mismatch/, offset: 44, actual: '[]' });
    expectValidationError(() => validateModule(mod({ globals: [global(I, false, [i32(0), i32(1)])] })), { what: /Type mismatch/, actual: '[i32 i32]' });
  });

  it('reject a non-constant instruction', () => {
    expectValidationError(() => validateModule(mod({ globals: [global(I, false, [i32(1), i32(2), ins(0x6a)])] })), {
      what: /Constant expression required: "i32.add" is not constant/,
    });
  });

  it('reject reading a global defined in the module, or a mutable import', () => {
    expectValidationError(() => validateModule(mod({ globals: [global(I, false, [i32(0)]), global(I, false, [ins(Op.GlobalGet, 0)])] })), {
      what: /Unknown global "0" in a constant expression/,
    });
    expectValidationError(() => validateModule(mod({ imports: [importedMut], globals: [global(I, false, [ins(Op.GlobalGet, 0)])] })), {
      what: /Constant expression required: global "0" is mutable/,
    });
  });

  it('reject ref.func of a function that does not exist', () => {
    expectValidationError(() => validateModule(mod({ globals: [global(FR, false, [ins(Op.RefFunc, 0)])] })), { what: /Unknown function "0"/ });
  });
});

describe('segments', () => {
  const table = { elem: FR, bounds: bounds(1) } as const;
  const active = (type: ValType.FuncRef | ValType.ExternRef, tableIndex: number, offset: ElemSegment['offset'], init: ElemSegment['init']): ElemSegment =>
    ({ mode: 'active', table: tableIndex, offset, type, init, pos: 50 });

  it('accept an active element segment of the table type with an i32 offset', () => {
    valid(mod({ tables: [table], types: [ft([], [])], funcs: [0], codes: [emptyFunc()], elems: [active(FR, 0, [i32(0)], [[ins(Op.RefFunc, 0)], [ins(Op.RefNull, FR)]])] }));
  });

  it('reject an active element segment for a missing table or of another type', () => {
    expectValidationError(() => validateModule(mod({ elems: [active(FR, 0, [i32(0)], [])] })), { what: /Unknown table "0" in elem segment "0"/, offset: 50 });
    expectValidationError(() => validateModule(mod({ tables: [table], elems: [active(XR, 0, [i32(0)], [])] })), {
      what: /Type mismatch: elem segment "0" does not fit table "0"/, expected: 'funcref', actual: 'externref',
    });
  });

  it('reject an element offset that is not i32 and items of another type', () => {
    expectValidationError(() => validateModule(mod({ tables: [table], elems: [active(FR, 0, [ins(Op.I64Const, 0, 0)], [])] })), {
      what: /Type mismatch in a constant expression/, expected: '[i32]', actual: '[i64]',
    });
    expectValidationError(() => validateModule(mod({ tables: [table], elems: [active(FR, 0, [i32(0)], [[ins(Op.RefNull, XR)]])] })), {
      what: /Type mismatch in a constant expression/, expected: '[funcref]', actual: '[externref]',
    });
  });

  it('do not require a table for passive and declarative segments', () => {
    valid(mod({ elems: [{ mode: 'passive', table: 0, offset: undefined, type: XR, init: [[ins(Op.RefNull, XR)]], pos: 1 }] }));
    valid(mod({ elems: [{ mode: 'declarative', table: 0, offset: undefined, type: FR, init: [], pos: 1 }] }));
  });

  it('require a memory for active data segments only', () => {
    const data = { mode: 'active' as const, memory: 0, offset: [i32(0)], bytes: new Uint8Array(2), pos: 60 };
    expectValidationError(() => validateModule(mod({ datas: [data] })), { what: /Unknown memory "0" in data segment "0"/, offset: 60 });
    valid(mod({ datas: [data], mems: [{ bounds: bounds(1) }] }));
    valid(mod({ datas: [{ ...data, mode: 'passive', offset: undefined }] }));
    expectValidationError(() => validateModule(mod({ datas: [{ ...data, offset: [ins(Op.F32Const, 0)] }], mems: [{ bounds: bounds(1) }] })), {
      what: /Type mismatch in a constant expression/, actual: '[f32]',
    });
  });
});

describe('start and exports', () => {
  it('require the start function to exist and take and return nothing', () => {
    const types = [ft([], []), ft([I], [])];
    valid(mod({ types, funcs: [0], codes: [emptyFunc()], start: 0 }));
    expectValidationError(() => validateModule(mod({ types, funcs: [0], codes: [emptyFunc()], start: 1 })), { what: /Unknown start function "1"/ });
    expectValidationError(() => validateModule(mod({ types, funcs: [1], codes: [body([ins(Op.End)])], start: 0 })), {
      what: /Start function "0" must take and return nothing/, expected: '[] -> []', actual: '[i32] -> []',
    });
  });

  it('reject two exports of one name', () => {
    const types = [ft([], [])];
    expectValidationError(() => validateModule(mod({
      types, funcs: [0], codes: [emptyFunc()],
      exports: [{ name: 'a', kind: 'func', index: 0, pos: 70 }, { name: 'a', kind: 'func', index: 0, pos: 75 }],
    })), { what: /Duplicate export name "a"/, offset: 75 });
  });

  it('reject exports of missing entities of each kind', () => {
    for (const kind of ['func', 'table', 'memory', 'global'] as const) {
      expectValidationError(() => validateModule(mod({ exports: [{ name: 'x', kind, index: 0, pos: 80 }] })), {
        what: new RegExp(`Unknown ${kind} "0" in export "x"`), offset: 80,
      });
    }
  });

  it('count imported entities in the export index spaces', () => {
    valid(mod({
      imports: [imp({ kind: 'global', type: { type: I, mutable: true } }), imp({ kind: 'table', type: { elem: XR, bounds: bounds(0) } })],
      exports: [{ name: 'g', kind: 'global', index: 0, pos: 1 }, { name: 't', kind: 'table', index: 0, pos: 2 }],
    }));
  });
});

describe('the result', () => {
  it('has one entry per defined function, imports excluded', () => {
    const v = validateModule(mod({
      types: [ft([], [])],
      imports: [imp({ kind: 'func', typeIndex: 0 })],
      funcs: [0, 0],
      codes: [emptyFunc(), body([ins(Op.Call, 0), ins(Op.End)])],
    }));
    expect(v.funcs.length).toBe(2);
    expect(Array.from(v.funcs[1]!.heights)).toEqual([0, 0]);
  });

  it('reports the function index, imports counted, for errors in bodies', () => {
    expectValidationError(() => validateModule(mod({
      types: [ft([], [])],
      imports: [imp({ kind: 'func', typeIndex: 0 }), imp({ kind: 'func', typeIndex: 0 })],
      funcs: [0, 0],
      codes: [emptyFunc(), body([i32(0), ins(Op.End)])],
    })), { what: /Type mismatch/, funcIndex: 3 });
  });
});
