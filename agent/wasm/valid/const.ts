// Validation of constant expressions: global initialisers, segment offsets and element items.

import { ValidationError } from '../errors.ts';
import { infoOf, Op } from '../opcodes.ts';
import { ValType, valTypeName } from '../types.ts';
import type { ConstExpr } from '../types.ts';
import type { Context } from './context.ts';
import { typeList } from './_stack.ts';

/**
 * Checks that `expr` is constant and produces exactly one value of type `expected`. Constant
 * instructions are `*.const`, `ref.null`, `ref.func` and `global.get` of an imported immutable
 * global (WebAssembly 2.0 lets constant expressions read imported globals only).
 * @param pos byte offset of the entry that holds the expression, used when the expression is empty
 * @throws ValidationError
 */
export function validateConstExpr(ctx: Context, expr: ConstExpr, expected: ValType, pos: number): void {
  const stack: number[] = [];
  for (const ins of expr) {
    switch (ins.op) {
      case Op.I32Const: stack.push(ValType.I32); break;
      case Op.I64Const: stack.push(ValType.I64); break;
      case Op.F32Const: stack.push(ValType.F32); break;
      case Op.F64Const: stack.push(ValType.F64); break;
      case Op.RefNull: stack.push(ins.a); break;
      case Op.RefFunc:
        if (ins.a < 0 || ins.a >= ctx.funcs.length) throw new ValidationError(`Unknown function "${ins.a}"`, ins.pos);
        stack.push(ValType.FuncRef);
        break;
      case Op.GlobalGet: {
        if (ins.a < 0 || ins.a >= ctx.importedGlobals) {
          throw new ValidationError(`Unknown global "${ins.a}" in a constant expression (only imported globals can be read there)`, ins.pos);
        }
        const g = ctx.globals[ins.a]!;
        if (g.mutable) throw new ValidationError(`Constant expression required: global "${ins.a}" is mutable`, ins.pos);
        stack.push(g.type);
        break;
      }
      default:
        throw new ValidationError(`Constant expression required: "${opName(ins.op)}" is not constant`, ins.pos);
    }
  }
  if (stack.length !== 1 || stack[0] !== expected) {
    const at = expr.length > 0 ? expr[expr.length - 1]!.pos : pos;
    throw new ValidationError('Type mismatch in a constant expression', at, undefined, `[${valTypeName(expected)}]`, typeList(stack));
  }
}

function opName(op: number): string {
  try {
    return infoOf(op).name;
  } catch {
    return `opcode 0x${op.toString(16)}`;
  }
}
