// Lazy, once-per-module translation: a function is translated on its first call and the code
// is shared by every instance of the same module.

import type { FuncType, ModuleAst } from '../types.ts';
import type { WasmFuncInst } from '../runtime/store.ts';
import type { CompiledFunc } from './code.ts';
import { DEFAULT_FUEL_COSTS } from './fuel.ts';
import { funcInfo, prepareTier } from './jit/index.ts';
import { funcTypesOf, translateFunction } from './translate.ts';

const funcTypesCache = new WeakMap<ModuleAst, FuncType[]>();

function funcTypes(m: ModuleAst): FuncType[] {
  let t = funcTypesCache.get(m);
  if (t === undefined) {
    t = funcTypesOf(m);
    funcTypesCache.set(m, t);
  }
  return t;
}

/** The translated code of a WebAssembly function instance (translating it on first use). */
export function compiledOf(f: WasmFuncInst): CompiledFunc {
  const known = f.code as CompiledFunc | undefined;
  if (known !== undefined) return known;
  const inst = f.instance;
  const def = f.index - (inst.funcs.length - inst.ast.funcs.length);
  let c = inst.codeCache[def] as CompiledFunc | undefined;
  if (c === undefined) {
    const types = funcTypes(inst.ast);
    c = translateFunction(inst.ast, types, def, inst.metering ? DEFAULT_FUEL_COSTS : undefined);
    const ast = inst.ast;
    prepareTier(c, () => funcInfo(ast, types, def)); // the fast tier's policy: compile now, count until hot, or never
    inst.codeCache[def] = c;
  }
  f.code = c;
  return c;
}
