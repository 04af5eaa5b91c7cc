// The opcode table of WebAssembly 2.0 (without SIMD), written once as data: code, name,
// immediates, operand signature and fuel class. The decoder, validator, translator and
// disassembler all read it (fleetlet STYLE habit 7).

import { ValType } from './types.ts';

/** How the immediates that follow an opcode are encoded; see `Instr` in types.ts for where each lands. */
export type ImmKind =
  | 'none' | 'block' | 'label' | 'br_table' | 'func' | 'call_indirect' | 'local' | 'global'
  | 'table' | 'memarg' | 'i32' | 'i64' | 'f32' | 'f64' | 'select_t' | 'reftype' | 'memory'
  | 'memory_memory' | 'data_memory' | 'data' | 'elem' | 'elem_table' | 'table_table';

/**
 * Cost class of an operation, for fuel (the engine's `FuelCosts` maps each class to units).
 * `bulk` operations are also charged per element or byte at run time.
 */
export type FuelClass = 'base' | 'control' | 'call' | 'load' | 'store' | 'div' | 'float' | 'memory' | 'bulk' | 'table';

export interface OpInfo {
  readonly op: number;
  readonly name: string;
  readonly imm: ImmKind;
  /**
   * Operand types popped and pushed, for every instruction whose typing is fixed. `undefined`
   * for the instructions the validator types by hand (control, locals, globals, calls, select,
   * drop, references, tables, memory index checks happen there too).
   */
  readonly sig: { readonly params: readonly ValType[]; readonly results: readonly ValType[] } | undefined;
  readonly fuel: FuelClass;
  /** Natural alignment exponent, for memory access instructions. */
  readonly align?: number;
}

const I = ValType.I32, L = ValType.I64, F = ValType.F32, D = ValType.F64;

type Row = readonly [op: number, name: string, imm: ImmKind, params: readonly ValType[] | null, results: readonly ValType[] | null, fuel: FuelClass, align?: number];

const rows: readonly Row[] = [
  [0x00, 'unreachable', 'none', null, null, 'control'],
  [0x01, 'nop', 'none', [], [], 'base'],
  [0x02, 'block', 'block', null, null, 'control'],
  [0x03, 'loop', 'block', null, null, 'control'],
  [0x04, 'if', 'block', null, null, 'control'],
  [0x05, 'else', 'none', null, null, 'control'],
  [0x0b, 'end', 'none', null, null, 'control'],
  [0x0c, 'br', 'label', null, null, 'control'],
  [0x0d, 'br_if', 'label', null, null, 'control'],
  [0x0e, 'br_table', 'br_table', null, null, 'control'],
  [0x0f, 'return', 'none', null, null, 'control'],
  [0x10, 'call', 'func', null, null, 'call'],
  [0x11, 'call_indirect', 'call_indirect', null, null, 'call'],
  [0x1a, 'drop', 'none', null, null, 'base'],
  [0x1b, 'select', 'none', null, null, 'base'],
  [0x1c, 'select', 'select_t', null, null, 'base'],
  [0x20, 'local.get', 'local', null, null, 'base'],
  [0x21, 'local.set', 'local', null, null, 'base'],
  [0x22, 'local.tee', 'local', null, null, 'base'],
  [0x23, 'global.get', 'global', null, null, 'base'],
  [0x24, 'global.set', 'global', null, null, 'base'],
  [0x25, 'table.get', 'table', null, null, 'table'],
  [0x26, 'table.set', 'table', null, null, 'table'],
  [0x28, 'i32.load', 'memarg', [I], [I], 'load', 2],
  [0x29, 'i64.load', 'memarg', [I], [L], 'load', 3],
  [0x2a, 'f32.load', 'memarg', [I], [F], 'load', 2],
  [0x2b, 'f64.load', 'memarg', [I], [D], 'load', 3],
  [0x2c, 'i32.load8_s', 'memarg', [I], [I], 'load', 0],
  [0x2d, 'i32.load8_u', 'memarg', [I], [I], 'load', 0],
  [0x2e, 'i32.load16_s', 'memarg', [I], [I], 'load', 1],
  [0x2f, 'i32.load16_u', 'memarg', [I], [I], 'load', 1],
  [0x30, 'i64.load8_s', 'memarg', [I], [L], 'load', 0],
  [0x31, 'i64.load8_u', 'memarg', [I], [L], 'load', 0],
  [0x32, 'i64.load16_s', 'memarg', [I], [L], 'load', 1],
  [0x33, 'i64.load16_u', 'memarg', [I], [L], 'load', 1],
  [0x34, 'i64.load32_s', 'memarg', [I], [L], 'load', 2],
  [0x35, 'i64.load32_u', 'memarg', [I], [L], 'load', 2],
  [0x36, 'i32.store', 'memarg', [I, I], [], 'store', 2],
  [0x37, 'i64.store', 'memarg', [I, L], [], 'store', 3],
  [0x38, 'f32.store', 'memarg', [I, F], [], 'store', 2],
  [0x39, 'f64.store', 'memarg', [I, D], [], 'store', 3],
  [0x3a, 'i32.store8', 'memarg', [I, I], [], 'store', 0],
  [0x3b, 'i32.store16', 'memarg', [I, I], [], 'store', 1],
  [0x3c, 'i64.store8', 'memarg', [I, L], [], 'store', 0],
  [0x3d, 'i64.store16', 'memarg', [I, L], [], 'store', 1],
  [0x3e, 'i64.store32', 'memarg', [I, L], [], 'store', 2],
  [0x3f, 'memory.size', 'memory', [], [I], 'memory'],
  [0x40, 'memory.grow', 'memory', [I], [I], 'memory'],
  [0x41, 'i32.const', 'i32', [], [I], 'base'],
  [0x42, 'i64.const', 'i64', [], [L], 'base'],
  [0x43, 'f32.const', 'f32', [], [F], 'base'],
  [0x44, 'f64.const', 'f64', [], [D], 'base'],

  [0x45, 'i32.eqz', 'none', [I], [I], 'base'],
  [0x46, 'i32.eq', 'none', [I, I], [I], 'base'],
  [0x47, 'i32.ne', 'none', [I, I], [I], 'base'],
  [0x48, 'i32.lt_s', 'none', [I, I], [I], 'base'],
  [0x49, 'i32.lt_u', 'none', [I, I], [I], 'base'],
  [0x4a, 'i32.gt_s', 'none', [I, I], [I], 'base'],
  [0x4b, 'i32.gt_u', 'none', [I, I], [I], 'base'],
  [0x4c, 'i32.le_s', 'none', [I, I], [I], 'base'],
  [0x4d, 'i32.le_u', 'none', [I, I], [I], 'base'],
  [0x4e, 'i32.ge_s', 'none', [I, I], [I], 'base'],
  [0x4f, 'i32.ge_u', 'none', [I, I], [I], 'base'],
  [0x50, 'i64.eqz', 'none', [L], [I], 'base'],
  [0x51, 'i64.eq', 'none', [L, L], [I], 'base'],
  [0x52, 'i64.ne', 'none', [L, L], [I], 'base'],
  [0x53, 'i64.lt_s', 'none', [L, L], [I], 'base'],
  [0x54, 'i64.lt_u', 'none', [L, L], [I], 'base'],
  [0x55, 'i64.gt_s', 'none', [L, L], [I], 'base'],
  [0x56, 'i64.gt_u', 'none', [L, L], [I], 'base'],
  [0x57, 'i64.le_s', 'none', [L, L], [I], 'base'],
  [0x58, 'i64.le_u', 'none', [L, L], [I], 'base'],
  [0x59, 'i64.ge_s', 'none', [L, L], [I], 'base'],
  [0x5a, 'i64.ge_u', 'none', [L, L], [I], 'base'],
  [0x5b, 'f32.eq', 'none', [F, F], [I], 'float'],
  [0x5c, 'f32.ne', 'none', [F, F], [I], 'float'],
  [0x5d, 'f32.lt', 'none', [F, F], [I], 'float'],
  [0x5e, 'f32.gt', 'none', [F, F], [I], 'float'],
  [0x5f, 'f32.le', 'none', [F, F], [I], 'float'],
  [0x60, 'f32.ge', 'none', [F, F], [I], 'float'],
  [0x61, 'f64.eq', 'none', [D, D], [I], 'float'],
  [0x62, 'f64.ne', 'none', [D, D], [I], 'float'],
  [0x63, 'f64.lt', 'none', [D, D], [I], 'float'],
  [0x64, 'f64.gt', 'none', [D, D], [I], 'float'],
  [0x65, 'f64.le', 'none', [D, D], [I], 'float'],
  [0x66, 'f64.ge', 'none', [D, D], [I], 'float'],

  [0x67, 'i32.clz', 'none', [I], [I], 'base'],
  [0x68, 'i32.ctz', 'none', [I], [I], 'base'],
  [0x69, 'i32.popcnt', 'none', [I], [I], 'base'],
  [0x6a, 'i32.add', 'none', [I, I], [I], 'base'],
  [0x6b, 'i32.sub', 'none', [I, I], [I], 'base'],
  [0x6c, 'i32.mul', 'none', [I, I], [I], 'base'],
  [0x6d, 'i32.div_s', 'none', [I, I], [I], 'div'],
  [0x6e, 'i32.div_u', 'none', [I, I], [I], 'div'],
  [0x6f, 'i32.rem_s', 'none', [I, I], [I], 'div'],
  [0x70, 'i32.rem_u', 'none', [I, I], [I], 'div'],
  [0x71, 'i32.and', 'none', [I, I], [I], 'base'],
  [0x72, 'i32.or', 'none', [I, I], [I], 'base'],
  [0x73, 'i32.xor', 'none', [I, I], [I], 'base'],
  [0x74, 'i32.shl', 'none', [I, I], [I], 'base'],
  [0x75, 'i32.shr_s', 'none', [I, I], [I], 'base'],
  [0x76, 'i32.shr_u', 'none', [I, I], [I], 'base'],
  [0x77, 'i32.rotl', 'none', [I, I], [I], 'base'],
  [0x78, 'i32.rotr', 'none', [I, I], [I], 'base'],
  [0x79, 'i64.clz', 'none', [L], [L], 'base'],
  [0x7a, 'i64.ctz', 'none', [L], [L], 'base'],
  [0x7b, 'i64.popcnt', 'none', [L], [L], 'base'],
  [0x7c, 'i64.add', 'none', [L, L], [L], 'base'],
  [0x7d, 'i64.sub', 'none', [L, L], [L], 'base'],
  [0x7e, 'i64.mul', 'none', [L, L], [L], 'base'],
  [0x7f, 'i64.div_s', 'none', [L, L], [L], 'div'],
  [0x80, 'i64.div_u', 'none', [L, L], [L], 'div'],
  [0x81, 'i64.rem_s', 'none', [L, L], [L], 'div'],
  [0x82, 'i64.rem_u', 'none', [L, L], [L], 'div'],
  [0x83, 'i64.and', 'none', [L, L], [L], 'base'],
  [0x84, 'i64.or', 'none', [L, L], [L], 'base'],
  [0x85, 'i64.xor', 'none', [L, L], [L], 'base'],
  [0x86, 'i64.shl', 'none', [L, L], [L], 'base'],
  [0x87, 'i64.shr_s', 'none', [L, L], [L], 'base'],
  [0x88, 'i64.shr_u', 'none', [L, L], [L], 'base'],
  [0x89, 'i64.rotl', 'none', [L, L], [L], 'base'],
  [0x8a, 'i64.rotr', 'none', [L, L], [L], 'base'],
  [0x8b, 'f32.abs', 'none', [F], [F], 'float'],
  [0x8c, 'f32.neg', 'none', [F], [F], 'float'],
  [0x8d, 'f32.ceil', 'none', [F], [F], 'float'],
  [0x8e, 'f32.floor', 'none', [F], [F], 'float'],
  [0x8f, 'f32.trunc', 'none', [F], [F], 'float'],
  [0x90, 'f32.nearest', 'none', [F], [F], 'float'],
  [0x91, 'f32.sqrt', 'none', [F], [F], 'float'],
  [0x92, 'f32.add', 'none', [F, F], [F], 'float'],
  [0x93, 'f32.sub', 'none', [F, F], [F], 'float'],
  [0x94, 'f32.mul', 'none', [F, F], [F], 'float'],
  [0x95, 'f32.div', 'none', [F, F], [F], 'float'],
  [0x96, 'f32.min', 'none', [F, F], [F], 'float'],
  [0x97, 'f32.max', 'none', [F, F], [F], 'float'],
  [0x98, 'f32.copysign', 'none', [F, F], [F], 'float'],
  [0x99, 'f64.abs', 'none', [D], [D], 'float'],
  [0x9a, 'f64.neg', 'none', [D], [D], 'float'],
  [0x9b, 'f64.ceil', 'none', [D], [D], 'float'],
  [0x9c, 'f64.floor', 'none', [D], [D], 'float'],
  [0x9d, 'f64.trunc', 'none', [D], [D], 'float'],
  [0x9e, 'f64.nearest', 'none', [D], [D], 'float'],
  [0x9f, 'f64.sqrt', 'none', [D], [D], 'float'],
  [0xa0, 'f64.add', 'none', [D, D], [D], 'float'],
  [0xa1, 'f64.sub', 'none', [D, D], [D], 'float'],
  [0xa2, 'f64.mul', 'none', [D, D], [D], 'float'],
  [0xa3, 'f64.div', 'none', [D, D], [D], 'float'],
  [0xa4, 'f64.min', 'none', [D, D], [D], 'float'],
  [0xa5, 'f64.max', 'none', [D, D], [D], 'float'],
  [0xa6, 'f64.copysign', 'none', [D, D], [D], 'float'],

  [0xa7, 'i32.wrap_i64', 'none', [L], [I], 'base'],
  [0xa8, 'i32.trunc_f32_s', 'none', [F], [I], 'float'],
  [0xa9, 'i32.trunc_f32_u', 'none', [F], [I], 'float'],
  [0xaa, 'i32.trunc_f64_s', 'none', [D], [I], 'float'],
  [0xab, 'i32.trunc_f64_u', 'none', [D], [I], 'float'],
  [0xac, 'i64.extend_i32_s', 'none', [I], [L], 'base'],
  [0xad, 'i64.extend_i32_u', 'none', [I], [L], 'base'],
  [0xae, 'i64.trunc_f32_s', 'none', [F], [L], 'float'],
  [0xaf, 'i64.trunc_f32_u', 'none', [F], [L], 'float'],
  [0xb0, 'i64.trunc_f64_s', 'none', [D], [L], 'float'],
  [0xb1, 'i64.trunc_f64_u', 'none', [D], [L], 'float'],
  [0xb2, 'f32.convert_i32_s', 'none', [I], [F], 'float'],
  [0xb3, 'f32.convert_i32_u', 'none', [I], [F], 'float'],
  [0xb4, 'f32.convert_i64_s', 'none', [L], [F], 'float'],
  [0xb5, 'f32.convert_i64_u', 'none', [L], [F], 'float'],
  [0xb6, 'f32.demote_f64', 'none', [D], [F], 'float'],
  [0xb7, 'f64.convert_i32_s', 'none', [I], [D], 'float'],
  [0xb8, 'f64.convert_i32_u', 'none', [I], [D], 'float'],
  [0xb9, 'f64.convert_i64_s', 'none', [L], [D], 'float'],
  [0xba, 'f64.convert_i64_u', 'none', [L], [D], 'float'],
  [0xbb, 'f64.promote_f32', 'none', [F], [D], 'float'],
  [0xbc, 'i32.reinterpret_f32', 'none', [F], [I], 'base'],
  [0xbd, 'i64.reinterpret_f64', 'none', [D], [L], 'base'],
  [0xbe, 'f32.reinterpret_i32', 'none', [I], [F], 'base'],
  [0xbf, 'f64.reinterpret_i64', 'none', [L], [D], 'base'],
  [0xc0, 'i32.extend8_s', 'none', [I], [I], 'base'],
  [0xc1, 'i32.extend16_s', 'none', [I], [I], 'base'],
  [0xc2, 'i64.extend8_s', 'none', [L], [L], 'base'],
  [0xc3, 'i64.extend16_s', 'none', [L], [L], 'base'],
  [0xc4, 'i64.extend32_s', 'none', [L], [L], 'base'],

  [0xd0, 'ref.null', 'reftype', null, null, 'base'],
  [0xd1, 'ref.is_null', 'none', null, null, 'base'],
  [0xd2, 'ref.func', 'func', null, null, 'base'],

  [0xfc00, 'i32.trunc_sat_f32_s', 'none', [F], [I], 'float'],
  [0xfc01, 'i32.trunc_sat_f32_u', 'none', [F], [I], 'float'],
  [0xfc02, 'i32.trunc_sat_f64_s', 'none', [D], [I], 'float'],
  [0xfc03, 'i32.trunc_sat_f64_u', 'none', [D], [I], 'float'],
  [0xfc04, 'i64.trunc_sat_f32_s', 'none', [F], [L], 'float'],
  [0xfc05, 'i64.trunc_sat_f32_u', 'none', [F], [L], 'float'],
  [0xfc06, 'i64.trunc_sat_f64_s', 'none', [D], [L], 'float'],
  [0xfc07, 'i64.trunc_sat_f64_u', 'none', [D], [L], 'float'],
  [0xfc08, 'memory.init', 'data_memory', null, null, 'bulk'],
  [0xfc09, 'data.drop', 'data', null, null, 'base'],
  [0xfc0a, 'memory.copy', 'memory_memory', null, null, 'bulk'],
  [0xfc0b, 'memory.fill', 'memory', null, null, 'bulk'],
  [0xfc0c, 'table.init', 'elem_table', null, null, 'bulk'],
  [0xfc0d, 'elem.drop', 'elem', null, null, 'base'],
  [0xfc0e, 'table.copy', 'table_table', null, null, 'bulk'],
  [0xfc0f, 'table.grow', 'table', null, null, 'bulk'],
  [0xfc10, 'table.size', 'table', null, null, 'table'],
  [0xfc11, 'table.fill', 'table', null, null, 'bulk'],
];

function build(): { single: (OpInfo | undefined)[]; prefixed: (OpInfo | undefined)[]; all: OpInfo[] } {
  const single: (OpInfo | undefined)[] = new Array(256).fill(undefined);
  const prefixed: (OpInfo | undefined)[] = new Array(18).fill(undefined);
  const all: OpInfo[] = [];
  for (const [op, name, imm, params, results, fuel, align] of rows) {
    const info: OpInfo = {
      op, name, imm, fuel,
      sig: params === null || results === null ? undefined : { params, results },
      ...(align === undefined ? {} : { align }),
    };
    if (op >= 0xfc00) prefixed[op & 0xff] = info;
    else single[op] = info;
    all.push(info);
  }
  return { single, prefixed, all };
}

const table = build();

/** Every opcode, in table order. */
export const OPCODES: readonly OpInfo[] = table.all;

/** Info for a one-byte opcode, or undefined when the byte is not an opcode of WebAssembly 2.0. */
export function opInfo(byte: number): OpInfo | undefined {
  return table.single[byte];
}

/** Info for a 0xfc-prefixed opcode by its sub-opcode, or undefined. */
export function prefixedOpInfo(sub: number): OpInfo | undefined {
  return sub >= 0 && sub < table.prefixed.length ? table.prefixed[sub] : undefined;
}

/** Info for an `Instr.op` id (either form). */
export function infoOf(op: number): OpInfo {
  const info = op >= 0xfc00 ? table.prefixed[op & 0xff] : table.single[op];
  if (info === undefined) throw new Error(`no opcode 0x${op.toString(16)}`);
  return info;
}

/** Named opcode ids, for code that switches on `Instr.op`. */
export const enum Op {
  Unreachable = 0x00, Nop = 0x01, Block = 0x02, Loop = 0x03, If = 0x04, Else = 0x05, End = 0x0b,
  Br = 0x0c, BrIf = 0x0d, BrTable = 0x0e, Return = 0x0f, Call = 0x10, CallIndirect = 0x11,
  Drop = 0x1a, Select = 0x1b, SelectT = 0x1c,
  LocalGet = 0x20, LocalSet = 0x21, LocalTee = 0x22, GlobalGet = 0x23, GlobalSet = 0x24,
  TableGet = 0x25, TableSet = 0x26,
  MemorySize = 0x3f, MemoryGrow = 0x40,
  I32Const = 0x41, I64Const = 0x42, F32Const = 0x43, F64Const = 0x44,
  RefNull = 0xd0, RefIsNull = 0xd1, RefFunc = 0xd2,
  MemoryInit = 0xfc08, DataDrop = 0xfc09, MemoryCopy = 0xfc0a, MemoryFill = 0xfc0b,
  TableInit = 0xfc0c, ElemDrop = 0xfc0d, TableCopy = 0xfc0e, TableGrow = 0xfc0f,
  TableSize = 0xfc10, TableFill = 0xfc11,
}
