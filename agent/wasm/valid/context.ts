// The validation context C of the spec: the types of everything a module's code can refer to
// (functions, tables, memories, globals, segments) and the set of declared function references.

import { ValidationError } from '../errors.ts';
import { Op } from '../opcodes.ts';
import type { ConstExpr, FuncType, GlobalType, ModuleAst, RefType, TableType } from '../types.ts';

export interface Context {
  readonly types: readonly FuncType[];
  /** The type of every function in the function index space (imports first). */
  readonly funcs: readonly FuncType[];
  readonly importedFuncs: number;
  readonly tables: readonly TableType[];
  /** Number of memories in the memory index space (imports first). */
  readonly mems: number;
  /** Every global in the global index space (imports first). */
  readonly globals: readonly GlobalType[];
  /** Constant expressions may only read the first `importedGlobals` globals (WebAssembly 2.0). */
  readonly importedGlobals: number;
  /** Reference type of each element segment. */
  readonly elems: readonly RefType[];
  /** Number of data segments. */
  readonly datas: number;
  /**
   * The spec's C.refs, by function index: 1 when the function is named outside function bodies
   * (in an element segment, an export or a constant expression), which `ref.func` requires.
   */
  readonly refs: Uint8Array;
}

/**
 * Builds the context of a module. Resolving function types is part of it, so this is where
 * the type indices of function imports and of the function section are checked.
 * @throws ValidationError for a type index with no type
 */
export function buildContext(m: ModuleAst): Context {
  const funcs: FuncType[] = [];
  const tables: TableType[] = [];
  const globals: GlobalType[] = [];
  let mems = 0;
  for (const imp of m.imports) {
    const d = imp.desc;
    switch (d.kind) {
      case 'func':
        funcs.push(funcType(m, d.typeIndex, imp.pos));
        break;
      case 'table':
        tables.push(d.type);
        break;
      case 'memory':
        mems++;
        break;
      case 'global':
        globals.push(d.type);
        break;
    }
  }
  const importedFuncs = funcs.length;
  const importedGlobals = globals.length;
  for (let i = 0; i < m.funcs.length; i++) {
    const pos = i < m.codes.length ? m.codes[i]!.pos : 0;
    funcs.push(funcType(m, m.funcs[i]!, pos));
  }
  for (const t of m.tables) tables.push(t);
  mems += m.mems.length;
  for (const g of m.globals) globals.push(g.type);

  const refs = new Uint8Array(funcs.length);
  const declare = (expr: ConstExpr | undefined): void => {
    if (expr === undefined) return;
    for (const ins of expr) {
      if (ins.op === Op.RefFunc && ins.a >= 0 && ins.a < refs.length) refs[ins.a] = 1;
    }
  };
  for (const g of m.globals) declare(g.init);
  for (const e of m.elems) {
    declare(e.offset);
    for (const item of e.init) declare(item);
  }
  for (const d of m.datas) declare(d.offset);
  for (const ex of m.exports) {
    if (ex.kind === 'func' && ex.index >= 0 && ex.index < refs.length) refs[ex.index] = 1;
  }

  return {
    types: m.types,
    funcs,
    importedFuncs,
    tables,
    mems,
    globals,
    importedGlobals,
    elems: m.elems.map((e) => e.type),
    datas: m.datas.length,
    refs,
  };
}

function funcType(m: ModuleAst, typeIndex: number, pos: number): FuncType {
  const t = m.types[typeIndex];
  if (t === undefined) throw new ValidationError(`Unknown type "${typeIndex}"`, pos);
  return t;
}
