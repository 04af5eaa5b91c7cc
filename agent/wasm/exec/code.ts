// The internal code that the translator emits and the interpreter runs: one Int32Array per
// function, each instruction an opcode followed by its operands.
//
// Operand grammar (fleetlet's register form, see DESIGN.md):
// - `d`, `a`, `b`, `c` are *word offsets* from the frame pointer: slot k of the frame is words
//   2k and 2k+1. `d` is written, the others are read; an instruction reads all its inputs
//   before it writes `d`, so `d` may alias an input.
// - `t` is an absolute code index (a branch target), `imm` an immediate, `idx` an index into
//   the instance's index space (function, global, table, segment), `off` a memarg offset (u32
//   stored as int32).
//
// Numeric instructions keep their WebAssembly opcode byte as internal opcode (0x45..0xc4,
// operands `d a` or `d a b`), as do loads (`d a off`) and stores (`a b off`: address, value);
// the 0xfc saturating truncations become 0xe0..0xe7. The internal-only opcodes are below.

export const enum IOp {
  Unreachable = 0x00, //
  Copy = 0x01, //             d a           64-bit move
  Const32 = 0x02, //          d imm
  Const64 = 0x03, //          d lo hi
  Br = 0x04, //               t
  BrIf = 0x05, //             a t           branch when the i32 at a is non-zero
  BrUnless = 0x06, //         a t           branch when it is zero
  BrTable = 0x07, //          a n t0..tn-1 tdefault
  Return = 0x08, //                         results already in slots 0..n-1
  Call = 0x09, //             idx base      callee frame starts at word `base`
  CallIndirect = 0x0a, //     typeIdx tableIdx a base
  Select = 0x0b, //           d a b c       d = c ? a : b
  GlobalGet = 0x0c, //        d idx
  GlobalSet = 0x0d, //        idx a
  TableGet = 0x0e, //         d idx a
  TableSet = 0x0f, //         idx a b
  MemorySize = 0x10, //       d
  MemoryGrow = 0x11, //       d a
  RefFunc = 0x12, //          d idx
  MemoryInit = 0x13, //       idx a b c     (dst, src, n)
  DataDrop = 0x14, //         idx
  MemoryCopy = 0x15, //       a b c
  MemoryFill = 0x16, //       a b c
  TableInit = 0x17, //        tableIdx elemIdx a b c
  ElemDrop = 0x18, //         idx
  TableCopy = 0x19, //        dstTable srcTable a b c
  TableGrow = 0x1a, //        d idx a b     (init value, delta)
  TableSize = 0x1b, //        d idx
  TableFill = 0x1c, //        idx a b c     (index, value, n)
  Copy32 = 0x1d, //           d a           32-bit move (i32, f32, references)
  Fuel = 0x1e, //             k             charge k units, or suspend here when fewer remain

  // Fused compare-and-branch: `a b t`, branch to t when the i32 comparison of a and b holds.
  BrI32Eq = 0xc8, BrI32Ne = 0xc9, BrI32LtS = 0xca, BrI32LtU = 0xcb, BrI32GtS = 0xcc,
  BrI32GtU = 0xcd, BrI32LeS = 0xce, BrI32LeU = 0xcf, BrI32GeS = 0xd0, BrI32GeU = 0xd1,
}

/** Internal opcode of a saturating truncation (0xfc00..0xfc07). */
export const SAT_BASE = 0xe0;

/** Translated code of one function. */
export interface CompiledFunc {
  readonly compiled: true;
  readonly code: Int32Array;
  /** Byte offset in the module of the WebAssembly instruction each code index came from (-1 between). */
  readonly posAt: Int32Array;
  readonly paramWords: number;
  /** Words occupied by parameters and locals. */
  readonly localWords: number;
  /** Constant pool, copied into the frame right after the locals at every entry. */
  readonly consts: Int32Array;
  /** Words a frame needs: locals plus the deepest operand stack. */
  readonly frameWords: number;
  readonly resultCount: number;
  /** Code compiled to JavaScript by the optional fast tier (exec/jit), once the function is hot. */
  jit: JitFn | undefined;
  /** Entries into the function, counted by the tiering policy. */
  calls: number;
}

/**
 * A function's internal code compiled to JavaScript. Called by the interpreter with the current
 * frame and a code index; runs from there and returns the code index of the first instruction it
 * leaves to the interpreter (calls, returns, fuel suspension, anything it does not compile).
 * Returns `pc` unchanged when `pc` is not one of its entry points.
 */
export type JitFn = (ex: unknown, inst: unknown, fp: number, pc: number) => number;
