// The abstract syntax of a WebAssembly 2.0 module, as the decoder produces it and the validator,
// translator and runtime read it (the spec's "structure" chapter; no behaviour lives here).

/** A value type, written as its binary encoding byte so that decoding needs no mapping. */
export const enum ValType {
  I32 = 0x7f,
  I64 = 0x7e,
  F32 = 0x7d,
  F64 = 0x7c,
  V128 = 0x7b,
  FuncRef = 0x70,
  ExternRef = 0x6f,
}

export type RefType = ValType.FuncRef | ValType.ExternRef;

/** Printable name of a value type, for error messages. */
export function valTypeName(t: number): string {
  switch (t) {
    case ValType.I32: return 'i32';
    case ValType.I64: return 'i64';
    case ValType.F32: return 'f32';
    case ValType.F64: return 'f64';
    case ValType.V128: return 'v128';
    case ValType.FuncRef: return 'funcref';
    case ValType.ExternRef: return 'externref';
    default: return `type 0x${(t >>> 0).toString(16)}`;
  }
}

export function isRefType(t: number): t is RefType {
  return t === ValType.FuncRef || t === ValType.ExternRef;
}

export function isNumType(t: number): boolean {
  return t === ValType.I32 || t === ValType.I64 || t === ValType.F32 || t === ValType.F64;
}

export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

/** Size bounds of a memory (in 64 KiB pages) or a table (in elements); the spec calls them limits. */
export interface SizeBounds {
  readonly min: number;
  /** Absent when the module declares no maximum. */
  readonly max: number | undefined;
}

export interface TableType {
  readonly elem: RefType;
  readonly bounds: SizeBounds;
}

export interface MemType {
  readonly bounds: SizeBounds;
}

export interface GlobalType {
  readonly type: ValType;
  readonly mutable: boolean;
}

export type ExternKind = 'func' | 'table' | 'memory' | 'global';

export type ImportDesc =
  | { readonly kind: 'func'; readonly typeIndex: number }
  | { readonly kind: 'table'; readonly type: TableType }
  | { readonly kind: 'memory'; readonly type: MemType }
  | { readonly kind: 'global'; readonly type: GlobalType };

export interface Import {
  readonly module: string;
  readonly name: string;
  readonly desc: ImportDesc;
  /** Byte offset of the import entry in the binary. */
  readonly pos: number;
}

export interface Export {
  readonly name: string;
  readonly kind: ExternKind;
  readonly index: number;
  readonly pos: number;
}

/**
 * One decoded instruction. Immediates are already decoded (no LEB128 survives the decoder):
 *
 * | immediate kind (see opcodes.ts) | a | b | labels |
 * |---|---|---|---|
 * | block (block, loop, if)  | block type: -64 empty, -1 i32, -2 i64, -3 f32, -4 f64, -5 v128, -16 funcref, -17 externref (the s33 value), or a type index >= 0 | | |
 * | label (br, br_if)        | depth | | |
 * | br_table                 | default depth | | the depths |
 * | func (call, ref.func)    | function index | | |
 * | call_indirect            | type index | table index | |
 * | local, global, table     | the index | | |
 * | memarg                   | alignment exponent | offset (0..2^32-1) | |
 * | i32                      | value (int32) | | |
 * | i64                      | low 32 bits (int32) | high 32 bits (int32) | |
 * | f32                      | bit pattern (int32) | | |
 * | f64                      | low 32 bits of the pattern | high 32 bits | |
 * | select_t                 | the value type | | |
 * | reftype (ref.null)       | the reference type | | |
 * | memory (memory.size/grow/fill) | memory index (0) | | |
 * | memory_memory (memory.copy)  | destination memory (0) | source memory (0) | |
 * | data_memory (memory.init)    | data index | memory index (0) | |
 * | data (data.drop), elem (elem.drop) | the index | | |
 * | elem_table (table.init)  | element segment index | table index | |
 * | table_table (table.copy) | destination table | source table | |
 */
export interface Instr {
  /** Opcode id: the byte for one-byte opcodes, 0xfc00 | sub-opcode for the 0xfc prefix. */
  readonly op: number;
  /** Byte offset of the opcode in the module binary. */
  readonly pos: number;
  readonly a: number;
  readonly b: number;
  readonly labels: Uint32Array | undefined;
}

/** A constant expression (global initialisers, segment offsets, element items), ending before `end`. */
export type ConstExpr = readonly Instr[];

export interface Global {
  readonly type: GlobalType;
  readonly init: ConstExpr;
  readonly pos: number;
}

export type SegmentMode = 'active' | 'passive' | 'declarative';

export interface ElemSegment {
  readonly mode: SegmentMode;
  /** Table index, for active segments. */
  readonly table: number;
  /** Offset expression, for active segments. */
  readonly offset: ConstExpr | undefined;
  readonly type: RefType;
  /** One constant expression per element; a `funcidx` vector becomes `ref.func i` expressions. */
  readonly init: readonly ConstExpr[];
  readonly pos: number;
}

export interface DataSegment {
  readonly mode: 'active' | 'passive';
  readonly memory: number;
  readonly offset: ConstExpr | undefined;
  readonly bytes: Uint8Array;
  readonly pos: number;
}

export interface LocalRun {
  readonly count: number;
  readonly type: ValType;
}

export interface FuncBody {
  /** Declared locals (parameters excluded), as in the binary: runs of one type. */
  readonly locals: readonly LocalRun[];
  /** Total number of declared locals (sum of the runs). */
  readonly localCount: number;
  /** The instructions, including the final `end`. */
  readonly code: readonly Instr[];
  /** Byte offset of the body (its size field) in the binary. */
  readonly pos: number;
}

export interface CustomSection {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly pos: number;
}

/** What the name section says, when present and well-formed (a malformed name section is ignored, as the spec allows). */
export interface NameMap {
  readonly module: string | undefined;
  readonly funcs: ReadonlyMap<number, string>;
  readonly locals: ReadonlyMap<number, ReadonlyMap<number, string>>;
}

export interface ModuleAst {
  readonly types: readonly FuncType[];
  readonly imports: readonly Import[];
  /** Type index of each function defined in the module (function section), in order. */
  readonly funcs: readonly number[];
  readonly tables: readonly TableType[];
  readonly mems: readonly MemType[];
  readonly globals: readonly Global[];
  readonly exports: readonly Export[];
  readonly start: number | undefined;
  readonly elems: readonly ElemSegment[];
  readonly datas: readonly DataSegment[];
  /** Present when the module has a data count section. */
  readonly dataCount: number | undefined;
  /** One body per defined function, in order. */
  readonly codes: readonly FuncBody[];
  readonly customs: readonly CustomSection[];
  readonly names: NameMap;
}
