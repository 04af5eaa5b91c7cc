// How the fast tier reads internal code (exec/code.ts): each instruction's length, and what it
// does to control flow (falls through, branches, or is left to the interpreter).

import { IOp } from '../code.ts';
import { describeOp } from '../disasm.ts';

/** Operand count per internal opcode (-1 for an opcode the fast tier does not know). */
const OPERANDS = new Int8Array(256).fill(-1);
for (let op = 0; op < 256; op++) {
  const [name, n] = describeOp(op);
  if (!name.startsWith('op')) OPERANDS[op] = n;
}
OPERANDS[IOp.Fuel] = 1; // charge k

/**
 * Length in words of the instruction at `pc` (opcode included), or 0 for an opcode the fast
 * tier does not know (the caller then leaves the function to the interpreter).
 */
export function instrLength(code: Int32Array, pc: number): number {
  const op = code[pc]!;
  if (op === IOp.BrTable) return 3 + code[pc + 2]! + 1;
  const n = op >= 0 && op < 256 ? OPERANDS[op]! : -1;
  return n < 0 ? 0 : 1 + n;
}

/** Fused compare-and-branch opcodes (`a b t`). */
export function isFusedBranch(op: number): boolean {
  return op >= IOp.BrI32Eq && op <= IOp.BrI32GeU;
}

/**
 * Instructions the fast tier never compiles: calls and returns (the interpreter owns frames),
 * memory growth (it replaces the memory's buffer), bulk operations (they charge fuel per byte
 * and may suspend), table operations and function references (rare, and they need the store).
 */
const LEFT_TO_INTERPRETER: ReadonlySet<number> = new Set([
  IOp.Call, IOp.CallIndirect, IOp.Return, IOp.MemoryGrow, IOp.MemoryInit, IOp.DataDrop,
  IOp.MemoryCopy, IOp.MemoryFill, IOp.TableInit, IOp.ElemDrop, IOp.TableCopy, IOp.TableGrow,
  IOp.TableSize, IOp.TableFill, IOp.TableGet, IOp.TableSet, IOp.RefFunc, IOp.Unreachable,
]);

export function isLeftToInterpreter(op: number): boolean {
  return LEFT_TO_INTERPRETER.has(op);
}

/** True when control never reaches the next instruction in the compiled code. */
export function endsBlock(op: number): boolean {
  return op === IOp.Br || op === IOp.BrTable || isLeftToInterpreter(op);
}

/** Branch targets of the instruction at `pc` (empty for non-branches). */
export function targetsOf(code: Int32Array, pc: number): number[] {
  const op = code[pc]!;
  switch (op) {
    case IOp.Br:
      return [code[pc + 1]!];
    case IOp.BrIf:
    case IOp.BrUnless:
      return [code[pc + 2]!];
    case IOp.BrTable: {
      const n = code[pc + 2]!;
      return Array.from(code.subarray(pc + 3, pc + 3 + n + 1));
    }
    default:
      return isFusedBranch(op) ? [code[pc + 3]!] : [];
  }
}
