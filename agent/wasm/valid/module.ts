// Validation of a whole module: its entries (imports, tables, memories, globals, segments,
// start, exports) and then every function body, in the spec's order of checks.

import { ValidationError } from '../errors.ts';
import { ValType, valTypeName } from '../types.ts';
import type { ModuleAst, SizeBounds } from '../types.ts';
import { validateConstExpr } from './const.ts';
import { buildContext } from './context.ts';
import type { Context } from './context.ts';
import { validateFunc } from './func.ts';
import type { FuncValidation } from './func.ts';
import { TypeStack, typeList } from './_stack.ts';

export interface ModuleValidation {
  /** One per defined function (ast.codes order). */
  readonly funcs: readonly FuncValidation[];
}

/** Memories hold at most 2^16 pages of 64 KiB (4 GiB) in WebAssembly 2.0. */
const MAX_PAGES = 65536;
/** Table sizes are 32-bit. */
const MAX_TABLE = 0xffff_ffff;

/**
 * Validates a decoded module and returns, for each defined function, what the translator needs.
 * @throws ValidationError on the first rule the module breaks
 */
export function validateModule(m: ModuleAst): ModuleValidation {
  const ctx = buildContext(m);
  checkEntries(m, ctx);
  if (m.codes.length !== m.funcs.length) {
    throw new ValidationError(`Module declares ${m.funcs.length} functions but has ${m.codes.length} bodies`, 0);
  }
  const stack = new TypeStack();
  const funcs: FuncValidation[] = [];
  for (let i = 0; i < m.codes.length; i++) {
    const index = ctx.importedFuncs + i;
    funcs.push(validateFunc(ctx, m.codes[i]!, index, ctx.funcs[index]!, stack));
  }
  return { funcs };
}

function checkEntries(m: ModuleAst, ctx: Context): void {
  for (const imp of m.imports) {
    const d = imp.desc;
    if (d.kind === 'table') checkBounds(d.type.bounds, MAX_TABLE, 'table', imp.pos);
    else if (d.kind === 'memory') checkBounds(d.type.bounds, MAX_PAGES, 'memory', imp.pos);
  }
  // Table and memory definitions carry no byte offset in the AST: errors point at byte 0.
  for (const t of m.tables) checkBounds(t.bounds, MAX_TABLE, 'table', 0);
  for (const mem of m.mems) checkBounds(mem.bounds, MAX_PAGES, 'memory', 0);
  if (ctx.mems > 1) throw new ValidationError(`Multiple memories: a module may have at most one, this one has ${ctx.mems}`, 0);

  for (const g of m.globals) validateConstExpr(ctx, g.init, g.type.type, g.pos);

  for (let i = 0; i < m.elems.length; i++) {
    const e = m.elems[i]!;
    if (e.mode === 'active') {
      const t = ctx.tables[e.table];
      if (t === undefined) throw new ValidationError(`Unknown table "${e.table}" in elem segment "${i}"`, e.pos);
      if (t.elem !== e.type) {
        throw new ValidationError(`Type mismatch: elem segment "${i}" does not fit table "${e.table}"`, e.pos, undefined, valTypeName(t.elem), valTypeName(e.type));
      }
      validateConstExpr(ctx, e.offset ?? [], ValType.I32, e.pos);
    }
    for (const item of e.init) validateConstExpr(ctx, item, e.type, e.pos);
  }

  for (let i = 0; i < m.datas.length; i++) {
    const d = m.datas[i]!;
    if (d.mode !== 'active') continue;
    if (d.memory < 0 || d.memory >= ctx.mems) throw new ValidationError(`Unknown memory "${d.memory}" in data segment "${i}"`, d.pos);
    validateConstExpr(ctx, d.offset ?? [], ValType.I32, d.pos);
  }

  if (m.start !== undefined) {
    const f = ctx.funcs[m.start];
    if (f === undefined) throw new ValidationError(`Unknown start function "${m.start}"`, 0);
    if (f.params.length !== 0 || f.results.length !== 0) {
      throw new ValidationError(`Start function "${m.start}" must take and return nothing`, 0, undefined, '[] -> []', `${typeList(f.params)} -> ${typeList(f.results)}`);
    }
  }

  const names = new Set<string>();
  for (const ex of m.exports) {
    if (names.has(ex.name)) throw new ValidationError(`Duplicate export name "${ex.name}"`, ex.pos);
    names.add(ex.name);
    const count = ex.kind === 'func' ? ctx.funcs.length : ex.kind === 'table' ? ctx.tables.length : ex.kind === 'memory' ? ctx.mems : ctx.globals.length;
    if (!(ex.index >= 0 && ex.index < count)) throw new ValidationError(`Unknown ${ex.kind} "${ex.index}" in export "${ex.name}"`, ex.pos);
  }
}

function checkBounds(b: SizeBounds, limit: number, what: 'table' | 'memory', pos: number): void {
  const unit = what === 'memory' ? 'pages' : 'elements';
  if (b.min > limit) throw new ValidationError(`The ${what} minimum size must be at most ${limit} ${unit}, not "${b.min}"`, pos);
  if (b.max !== undefined) {
    if (b.max > limit) throw new ValidationError(`The ${what} maximum size must be at most ${limit} ${unit}, not "${b.max}"`, pos);
    if (b.min > b.max) throw new ValidationError(`The ${what} size minimum "${b.min}" must not be greater than the maximum "${b.max}"`, pos);
  }
}
