// Validation of one function body: the operand and control stack typing of every instruction,
// recording the operand-stack height before each one for fleetlet's translator.

import { ValidationError } from '../errors.ts';
import { Op, opInfo, prefixedOpInfo } from '../opcodes.ts';
import type { OpInfo } from '../opcodes.ts';
import { ValType, valTypeName } from '../types.ts';
import type { FuncBody, FuncType } from '../types.ts';
import type { Context } from './context.ts';
import { LocalTypes } from './_locals.ts';
import { FUNC_FRAME, TypeStack, typeList, UNKNOWN } from './_stack.ts';

// Opcode ids and value types copied into module constants once: under tsx every use of an
// imported enum member is a getter call, which dominated validation time in the switch below.
const BLOCK = Op.Block,
  BR = Op.Br,
  BR_IF = Op.BrIf,
  BR_TABLE = Op.BrTable,
  CALL = Op.Call,
  CALL_INDIRECT = Op.CallIndirect,
  DATA_DROP = Op.DataDrop,
  DROP = Op.Drop,
  ELEM_DROP = Op.ElemDrop,
  ELSE = Op.Else,
  END = Op.End,
  GLOBAL_GET = Op.GlobalGet,
  GLOBAL_SET = Op.GlobalSet,
  IF = Op.If,
  LOCAL_GET = Op.LocalGet,
  LOCAL_SET = Op.LocalSet,
  LOCAL_TEE = Op.LocalTee,
  LOOP = Op.Loop,
  MEMORY_COPY = Op.MemoryCopy,
  MEMORY_FILL = Op.MemoryFill,
  MEMORY_INIT = Op.MemoryInit,
  REF_FUNC = Op.RefFunc,
  REF_IS_NULL = Op.RefIsNull,
  REF_NULL = Op.RefNull,
  RETURN = Op.Return,
  SELECT = Op.Select,
  SELECT_T = Op.SelectT,
  TABLE_COPY = Op.TableCopy,
  TABLE_FILL = Op.TableFill,
  TABLE_GET = Op.TableGet,
  TABLE_GROW = Op.TableGrow,
  TABLE_INIT = Op.TableInit,
  TABLE_SET = Op.TableSet,
  TABLE_SIZE = Op.TableSize,
  UNREACHABLE = Op.Unreachable;
const T_EXTERN_REF = ValType.ExternRef, T_F32 = ValType.F32, T_F64 = ValType.F64, T_FUNC_REF = ValType.FuncRef, T_I32 = ValType.I32, T_I64 = ValType.I64, T_V128 = ValType.V128;

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
  for (const t of [T_I32, T_I64, T_F32, T_F64, T_V128, T_FUNC_REF, T_EXTERN_REF]) {
    table[128 - t] = { params: NONE, results: [t] };
  }
  return table;
})();
const EMPTY_BLOCK: FuncType = { params: NONE, results: NONE };

/** The opcode table indexed by `Instr.op` (one-byte ops at their byte, 0xfc ops at 256 + sub-opcode), read once. */
const infoByOp: readonly (OpInfo | undefined)[] = (() => {
  const all: (OpInfo | undefined)[] = [];
  for (let b = 0; b < 256; b++) all.push(opInfo(b));
  for (let sub = 0; sub < 256; sub++) all.push(prefixedOpInfo(sub));
  return all;
})();

function info(op: number): OpInfo | undefined {
  return op >= 0xfc00 ? infoByOp[256 + op - 0xfc00] : op >= 0 && op < 256 ? infoByOp[op] : undefined;
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
      case UNREACHABLE:
        s.markUnreachable();
        break;
      case BLOCK:
      case LOOP: {
        const bt = blockType(ins.a);
        s.popAll(bt.params);
        s.pushCtrl(op, bt.params, bt.results);
        break;
      }
      case IF: {
        const bt = blockType(ins.a);
        s.popExpect(T_I32);
        s.popAll(bt.params);
        s.pushCtrl(op, bt.params, bt.results);
        break;
      }
      case ELSE: {
        const f = s.top();
        if (f.op !== IF) throw s.fail('Else without a matching if');
        heights[i] = f.height;
        const start = f.start;
        const end = f.end;
        s.popCtrl();
        s.pushCtrl(ELSE, start, end);
        break;
      }
      case END: {
        const f = s.top();
        heights[i] = f.height;
        const fop = f.op;
        const start = f.start;
        const end = f.end;
        s.popCtrl();
        if (fop === IF && !sameTypes(start, end)) {
          throw s.fail('Type mismatch: an if without else must have as many results as params of the same types', typeList(end), typeList(start));
        }
        s.pushAll(end);
        break;
      }
      case BR:
        s.popAll(TypeStack.labelTypes(s.frameAt(ins.a)));
        s.markUnreachable();
        break;
      case BR_IF: {
        const types = TypeStack.labelTypes(s.frameAt(ins.a));
        s.popExpect(T_I32);
        s.popAll(types);
        s.pushAll(types);
        break;
      }
      case BR_TABLE: {
        s.popExpect(T_I32);
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
      case RETURN:
        s.popAll(type.results);
        s.markUnreachable();
        break;
      case CALL: {
        const callee = ctx.funcs[ins.a];
        if (callee === undefined) throw s.fail(`Unknown function "${ins.a}"`);
        s.popAll(callee.params);
        s.pushAll(callee.results);
        break;
      }
      case CALL_INDIRECT: {
        const elem = table(ins.b);
        if (elem !== T_FUNC_REF) throw s.fail(`Type mismatch: table "${ins.b}" is not a funcref table`, 'funcref', valTypeName(elem));
        const ft = ctx.types[ins.a];
        if (ft === undefined) throw s.fail(`Unknown type "${ins.a}"`);
        s.popExpect(T_I32);
        s.popAll(ft.params);
        s.pushAll(ft.results);
        break;
      }
      case DROP:
        s.pop();
        break;
      case SELECT: {
        s.popExpect(T_I32);
        const t1 = s.pop();
        const t2 = s.pop();
        if (!isNumOrVec(t1)) throw s.fail('Type mismatch: select without a type needs numeric operands', 'a numeric type', valTypeName(t1));
        if (!isNumOrVec(t2)) throw s.fail('Type mismatch: select without a type needs numeric operands', 'a numeric type', valTypeName(t2));
        if (t1 !== t2 && t1 !== UNKNOWN && t2 !== UNKNOWN) throw s.fail('Type mismatch', valTypeName(t1), valTypeName(t2));
        s.push(t1 === UNKNOWN ? t2 : t1);
        break;
      }
      case SELECT_T: {
        // The decoder puts the number of types in `b` and the first type in `a`.
        if (ins.b !== 1) throw s.fail('Invalid result arity: a typed select names exactly one type', '1', `${ins.b}`);
        const t = ins.a;
        s.popExpect(T_I32);
        s.popExpect(t);
        s.popExpect(t);
        s.push(t);
        break;
      }
      case LOCAL_GET:
      case LOCAL_SET:
      case LOCAL_TEE: {
        const t = locals.get(ins.a);
        if (t === 0) throw s.fail(`Unknown local "${ins.a}"`);
        if (op === LOCAL_GET) {
          s.push(t);
        } else {
          s.popExpect(t);
          if (op === LOCAL_TEE) s.push(t);
        }
        break;
      }
      case GLOBAL_GET:
      case GLOBAL_SET: {
        const g = ctx.globals[ins.a];
        if (g === undefined) throw s.fail(`Unknown global "${ins.a}"`);
        if (op === GLOBAL_GET) {
          s.push(g.type);
        } else {
          if (!g.mutable) throw s.fail(`Global "${ins.a}" is immutable`);
          s.popExpect(g.type);
        }
        break;
      }
      case TABLE_GET: {
        const t = table(ins.a);
        s.popExpect(T_I32);
        s.push(t);
        break;
      }
      case TABLE_SET: {
        const t = table(ins.a);
        s.popExpect(t);
        s.popExpect(T_I32);
        break;
      }
      case REF_NULL:
        if (!isRef(ins.a)) throw s.fail(`Unknown reference type "${ins.a}"`);
        s.push(ins.a);
        break;
      case REF_IS_NULL: {
        const t = s.pop();
        if (t !== UNKNOWN && !isRef(t)) throw s.fail('Type mismatch', 'a reference type', valTypeName(t));
        s.push(T_I32);
        break;
      }
      case REF_FUNC:
        if (ins.a < 0 || ins.a >= ctx.funcs.length) throw s.fail(`Unknown function "${ins.a}"`);
        if (ctx.refs[ins.a] !== 1) {
          throw s.fail(`Undeclared function reference: function "${ins.a}" appears in no element segment, export or global initialiser`);
        }
        s.push(T_FUNC_REF);
        break;
      case MEMORY_INIT:
        needMemory(ins.b);
        if (ins.a < 0 || ins.a >= ctx.datas) throw s.fail(`Unknown data segment "${ins.a}"`);
        popI32s(s, 3);
        break;
      case DATA_DROP:
        if (ins.a < 0 || ins.a >= ctx.datas) throw s.fail(`Unknown data segment "${ins.a}"`);
        break;
      case MEMORY_COPY:
        needMemory(ins.a);
        needMemory(ins.b);
        popI32s(s, 3);
        break;
      case MEMORY_FILL:
        needMemory(ins.a);
        popI32s(s, 3);
        break;
      case TABLE_INIT: {
        const t = table(ins.b);
        const e = ctx.elems[ins.a];
        if (e === undefined) throw s.fail(`Unknown elem segment "${ins.a}"`);
        if (e !== t) throw s.fail(`Type mismatch: elem segment "${ins.a}" does not fit table "${ins.b}"`, valTypeName(t), valTypeName(e));
        popI32s(s, 3);
        break;
      }
      case ELEM_DROP:
        if (ctx.elems[ins.a] === undefined) throw s.fail(`Unknown elem segment "${ins.a}"`);
        break;
      case TABLE_COPY: {
        const dst = table(ins.a);
        const src = table(ins.b);
        if (dst !== src) throw s.fail(`Type mismatch: table "${ins.b}" cannot be copied into table "${ins.a}"`, valTypeName(dst), valTypeName(src));
        popI32s(s, 3);
        break;
      }
      case TABLE_GROW: {
        const t = table(ins.a);
        s.popExpect(T_I32);
        s.popExpect(t);
        s.push(T_I32);
        break;
      }
      case TABLE_SIZE:
        table(ins.a);
        s.push(T_I32);
        break;
      case TABLE_FILL: {
        const t = table(ins.a);
        s.popExpect(T_I32);
        s.popExpect(t);
        s.popExpect(T_I32);
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
  for (let k = 0; k < count; k++) s.popExpect(T_I32);
}

function isNumOrVec(t: number): boolean {
  return t === UNKNOWN || t === T_I32 || t === T_I64 || t === T_F32 || t === T_F64 || t === T_V128;
}

function isRef(t: number): boolean {
  return t === T_FUNC_REF || t === T_EXTERN_REF;
}

function sameTypes(a: readonly ValType[], b: readonly ValType[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
