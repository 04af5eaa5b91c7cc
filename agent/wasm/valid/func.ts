// Validation of one function body: the operand and control stack typing of every instruction,
// recording the operand-stack height before each one for fleetlet's translator.

import { ValidationError } from '../errors.ts';
import { Op, opInfo, prefixedOpInfo } from '../opcodes.ts';
import type { OpInfo } from '../opcodes.ts';
import { isNumType, isRefType, ValType, valTypeName } from '../types.ts';
import type { FuncBody, FuncType } from '../types.ts';
import type { Context } from './context.ts';
import { LocalTypes } from './_locals.ts';
import { FUNC_FRAME, TypeStack, typeList, UNKNOWN } from './_stack.ts';

export interface FuncValidation {
  /**
   * Per instruction of the body (same indexing as FuncBody.code): the operand-stack height
   * (number of values, excluding locals) before the instruction, or -1 when the instruction
   * cannot run: after unreachable/br/br_table/return until the end of its block, and anywhere
   * inside a block entered from such code. For `else` and `end`: the base height of the
   * enclosing block (height when it was entered minus its param count), reachable or not.
   */
  readonly heights: Int32Array;
  /**
   * Maximum operand-stack height reached in the function: at least every height above and every
   * height after a push, counting unreachable code too (so a slot always exists for any value).
   */
  readonly maxHeight: number;
}

const NONE: readonly ValType[] = [];

/** Block types written as one value type (`Instr.a` = -1 ... -17), by -a. */
const valueBlockTypes: (FuncType | undefined)[] = (() => {
  const table: (FuncType | undefined)[] = new Array(18).fill(undefined);
  for (const t of [ValType.I32, ValType.I64, ValType.F32, ValType.F64, ValType.V128, ValType.FuncRef, ValType.ExternRef]) {
    table[128 - t] = { params: NONE, results: [t] };
  }
  return table;
})();
const EMPTY_BLOCK: FuncType = { params: NONE, results: NONE };

function info(op: number): OpInfo | undefined {
  return op >= 0xfc00 ? prefixedOpInfo(op - 0xfc00) : op >= 0 && op < 256 ? opInfo(op) : undefined;
}

/**
 * Validates the body of function `funcIndex` (in the function index space) of type `type`.
 * @param stack reused across the functions of a module
 * @throws ValidationError
 */
export function validateFunc(ctx: Context, body: FuncBody, funcIndex: number, type: FuncType, stack: TypeStack): FuncValidation {
  const locals = new LocalTypes(type.params, body);
  const code = body.code;
  const n = code.length;
  const heights = new Int32Array(n);
  const s = stack;
  s.begin(funcIndex, type.results, body.pos);

  const blockType = (a: number): FuncType => {
    if (a === -64) return EMPTY_BLOCK;
    const t = a >= 0 ? ctx.types[a] : a >= -17 ? valueBlockTypes[-a] : undefined;
    if (t === undefined) throw s.fail(a >= 0 ? `Unknown type "${a}"` : `Unknown block type "${a}"`);
    return t;
  };
  const needMemory = (index: number): void => {
    if (index < 0 || index >= ctx.mems) throw s.fail(`Unknown memory "${index}"`);
  };
  const table = (index: number): ValType => {
    const t = ctx.tables[index];
    if (t === undefined) throw s.fail(`Unknown table "${index}"`);
    return t.elem;
  };

  for (let i = 0; i < n; i++) {
    const ins = code[i]!;
    const op = ins.op;
    s.pos = ins.pos;
    if (s.depth === 0) {
      s.op = FUNC_FRAME;
      throw s.fail('Instruction after the final "end"');
    }
    const oi = info(op);
    if (oi === undefined) {
      throw new ValidationError(`Unknown opcode "0x${op.toString(16)}"`, ins.pos, funcIndex);
    }
    s.op = op;
    heights[i] = s.liveHeight();

    const sig = oi.sig;
    if (sig !== undefined) {
      if (oi.imm === 'memarg') {
        needMemory(0);
        if (ins.a > oi.align!) {
          throw s.fail('Alignment must not be larger than natural', `at most ${oi.align}`, `${ins.a}`);
        }
      } else if (oi.imm === 'memory') {
        needMemory(ins.a);
      }
      s.popAll(sig.params);
      s.pushAll(sig.results);
      continue;
    }

    switch (op) {
      case Op.Unreachable:
        s.markUnreachable();
        break;
      case Op.Block:
      case Op.Loop: {
        const bt = blockType(ins.a);
        s.popAll(bt.params);
        s.pushCtrl(op, bt.params, bt.results);
        break;
      }
      case Op.If: {
        const bt = blockType(ins.a);
        s.popExpect(ValType.I32);
        s.popAll(bt.params);
        s.pushCtrl(op, bt.params, bt.results);
        break;
      }
      case Op.Else: {
        const f = s.top();
        if (f.op !== Op.If) throw s.fail('Else without a matching if');
        heights[i] = f.height;
        const start = f.start;
        const end = f.end;
        s.popCtrl();
        s.pushCtrl(Op.Else, start, end);
        break;
      }
      case Op.End: {
        const f = s.top();
        heights[i] = f.height;
        const fop = f.op;
        const start = f.start;
        const end = f.end;
        s.popCtrl();
        if (fop === Op.If && !sameTypes(start, end)) {
          throw s.fail('Type mismatch: an if without else must have as many results as params of the same types', typeList(end), typeList(start));
        }
        s.pushAll(end);
        break;
      }
      case Op.Br:
        s.popAll(TypeStack.labelTypes(s.frameAt(ins.a)));
        s.markUnreachable();
        break;
      case Op.BrIf: {
        const types = TypeStack.labelTypes(s.frameAt(ins.a));
        s.popExpect(ValType.I32);
        s.popAll(types);
        s.pushAll(types);
        break;
      }
      case Op.BrTable: {
        s.popExpect(ValType.I32);
        const dflt = TypeStack.labelTypes(s.frameAt(ins.a));
        const labels = ins.labels ?? new Uint32Array(0);
        for (let k = 0; k < labels.length; k++) {
          const types = TypeStack.labelTypes(s.frameAt(labels[k]!));
          if (types.length !== dflt.length) {
            throw s.fail(`Type mismatch: label "${labels[k]}" carries ${types.length} values, the default label ${dflt.length}`, typeList(dflt), typeList(types));
          }
          s.popAllKeep(types);
        }
        s.popAll(dflt);
        s.markUnreachable();
        break;
      }
      case Op.Return:
        s.popAll(type.results);
        s.markUnreachable();
        break;
      case Op.Call: {
        const callee = ctx.funcs[ins.a];
        if (callee === undefined) throw s.fail(`Unknown function "${ins.a}"`);
        s.popAll(callee.params);
        s.pushAll(callee.results);
        break;
      }
      case Op.CallIndirect: {
        const elem = table(ins.b);
        if (elem !== ValType.FuncRef) throw s.fail(`Type mismatch: table "${ins.b}" is not a funcref table`, 'funcref', valTypeName(elem));
        const ft = ctx.types[ins.a];
        if (ft === undefined) throw s.fail(`Unknown type "${ins.a}"`);
        s.popExpect(ValType.I32);
        s.popAll(ft.params);
        s.pushAll(ft.results);
        break;
      }
      case Op.Drop:
        s.pop();
        break;
      case Op.Select: {
        s.popExpect(ValType.I32);
        const t1 = s.pop();
        const t2 = s.pop();
        if (!isNumOrVec(t1)) throw s.fail('Type mismatch: select without a type needs numeric operands', 'a numeric type', valTypeName(t1));
        if (!isNumOrVec(t2)) throw s.fail('Type mismatch: select without a type needs numeric operands', 'a numeric type', valTypeName(t2));
        if (t1 !== t2 && t1 !== UNKNOWN && t2 !== UNKNOWN) throw s.fail('Type mismatch', valTypeName(t1), valTypeName(t2));
        s.push(t1 === UNKNOWN ? t2 : t1);
        break;
      }
      case Op.SelectT: {
        if (ins.labels !== undefined && ins.labels.length !== 1) {
          throw s.fail('Invalid result arity: a typed select names exactly one type', '1', `${ins.labels.length}`);
        }
        const t = ins.labels !== undefined ? ins.labels[0]! : ins.a;
        s.popExpect(ValType.I32);
        s.popExpect(t);
        s.popExpect(t);
        s.push(t);
        break;
      }
      case Op.LocalGet:
      case Op.LocalSet:
      case Op.LocalTee: {
        const t = locals.get(ins.a);
        if (t === 0) throw s.fail(`Unknown local "${ins.a}"`);
        if (op === Op.LocalGet) {
          s.push(t);
        } else {
          s.popExpect(t);
          if (op === Op.LocalTee) s.push(t);
        }
        break;
      }
      case Op.GlobalGet:
      case Op.GlobalSet: {
        const g = ctx.globals[ins.a];
        if (g === undefined) throw s.fail(`Unknown global "${ins.a}"`);
        if (op === Op.GlobalGet) {
          s.push(g.type);
        } else {
          if (!g.mutable) throw s.fail(`Global "${ins.a}" is immutable`);
          s.popExpect(g.type);
        }
        break;
      }
      case Op.TableGet: {
        const t = table(ins.a);
        s.popExpect(ValType.I32);
        s.push(t);
        break;
      }
      case Op.TableSet: {
        const t = table(ins.a);
        s.popExpect(t);
        s.popExpect(ValType.I32);
        break;
      }
      case Op.RefNull:
        if (!isRefType(ins.a)) throw s.fail(`Unknown reference type "${ins.a}"`);
        s.push(ins.a);
        break;
      case Op.RefIsNull: {
        const t = s.pop();
        if (t !== UNKNOWN && !isRefType(t)) throw s.fail('Type mismatch', 'a reference type', valTypeName(t));
        s.push(ValType.I32);
        break;
      }
      case Op.RefFunc:
        if (ins.a < 0 || ins.a >= ctx.funcs.length) throw s.fail(`Unknown function "${ins.a}"`);
        if (ctx.refs[ins.a] !== 1) {
          throw s.fail(`Undeclared function reference: function "${ins.a}" appears in no element segment, export or global initialiser`);
        }
        s.push(ValType.FuncRef);
        break;
      case Op.MemoryInit:
        needMemory(ins.b);
        if (ins.a < 0 || ins.a >= ctx.datas) throw s.fail(`Unknown data segment "${ins.a}"`);
        popI32s(s, 3);
        break;
      case Op.DataDrop:
        if (ins.a < 0 || ins.a >= ctx.datas) throw s.fail(`Unknown data segment "${ins.a}"`);
        break;
      case Op.MemoryCopy:
        needMemory(ins.a);
        needMemory(ins.b);
        popI32s(s, 3);
        break;
      case Op.MemoryFill:
        needMemory(ins.a);
        popI32s(s, 3);
        break;
      case Op.TableInit: {
        const t = table(ins.b);
        const e = ctx.elems[ins.a];
        if (e === undefined) throw s.fail(`Unknown elem segment "${ins.a}"`);
        if (e !== t) throw s.fail(`Type mismatch: elem segment "${ins.a}" does not fit table "${ins.b}"`, valTypeName(t), valTypeName(e));
        popI32s(s, 3);
        break;
      }
      case Op.ElemDrop:
        if (ctx.elems[ins.a] === undefined) throw s.fail(`Unknown elem segment "${ins.a}"`);
        break;
      case Op.TableCopy: {
        const dst = table(ins.a);
        const src = table(ins.b);
        if (dst !== src) throw s.fail(`Type mismatch: table "${ins.b}" cannot be copied into table "${ins.a}"`, valTypeName(dst), valTypeName(src));
        popI32s(s, 3);
        break;
      }
      case Op.TableGrow: {
        const t = table(ins.a);
        s.popExpect(ValType.I32);
        s.popExpect(t);
        s.push(ValType.I32);
        break;
      }
      case Op.TableSize:
        table(ins.a);
        s.push(ValType.I32);
        break;
      case Op.TableFill: {
        const t = table(ins.a);
        s.popExpect(ValType.I32);
        s.popExpect(t);
        s.popExpect(ValType.I32);
        break;
      }
      default:
        throw new ValidationError(`Opcode "${oi.name}" has no typing rule in fleetlet's validator`, ins.pos, funcIndex);
    }
  }
  if (s.depth !== 0) {
    s.op = FUNC_FRAME;
    throw s.fail('Function body ends before its final "end"');
  }
  return { heights, maxHeight: s.max };
}

function popI32s(s: TypeStack, count: number): void {
  for (let k = 0; k < count; k++) s.popExpect(ValType.I32);
}

function isNumOrVec(t: number): boolean {
  return t === UNKNOWN || isNumType(t) || t === ValType.V128;
}

function sameTypes(a: readonly ValType[], b: readonly ValType[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
