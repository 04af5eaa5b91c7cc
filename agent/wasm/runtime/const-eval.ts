// Evaluation of constant expressions (global initialisers, segment offsets, element items) at
// instantiation: the result is a 64-bit bit pattern, with references encoded as in tables.

import { EngineBug } from '../errors.ts';
import { Op } from '../opcodes.ts';
import type { ConstExpr } from '../types.ts';
import type { GlobalInst } from './global.ts';
import type { FuncInst } from './store.ts';

/** Evaluates a validated constant expression into `out` (word 0 low, word 1 high). */
export function evalConst(expr: ConstExpr, globals: readonly GlobalInst[], funcs: readonly FuncInst[], out: Int32Array): void {
  const ins = expr[0];
  if (ins === undefined || expr.length !== 1) throw new EngineBug('constant expression of length other than 1');
  switch (ins.op) {
    case Op.I32Const: case Op.F32Const:
      out[0] = ins.a; out[1] = 0;
      return;
    case Op.I64Const: case Op.F64Const:
      out[0] = ins.a; out[1] = ins.b;
      return;
    case Op.RefNull:
      out[0] = 0; out[1] = 0;
      return;
    case Op.RefFunc:
      out[0] = funcs[ins.a]!.addr + 1; out[1] = 0;
      return;
    case Op.GlobalGet: {
      const g = globals[ins.a]!;
      out[0] = g.v[0]!; out[1] = g.v[1]!;
      return;
    }
    default:
      throw new EngineBug(`opcode 0x${ins.op.toString(16)} in a constant expression`);
  }
}
