// A disassembler for internal code (code.ts), for debugging the translator and tuning fusions.

import { OPCODES } from '../opcodes.ts';
import { IOp, SAT_BASE, type CompiledFunc } from './code.ts';

/** Operand counts and names of the internal-only opcodes. */
const INTERNAL: Record<number, readonly [string, number]> = {
  [IOp.Unreachable]: ['unreachable', 0], [IOp.Copy]: ['copy', 2], [IOp.Copy32]: ['copy32', 2],
  [IOp.Const32]: ['const32', 2], [IOp.Const64]: ['const64', 3], [IOp.Br]: ['br', 1],
  [IOp.BrIf]: ['br_if', 2], [IOp.BrUnless]: ['br_unless', 2], [IOp.Return]: ['return', 0],
  [IOp.Call]: ['call', 2], [IOp.CallIndirect]: ['call_indirect', 4], [IOp.Select]: ['select', 4],
  [IOp.GlobalGet]: ['global.get', 2], [IOp.GlobalSet]: ['global.set', 2], [IOp.TableGet]: ['table.get', 3],
  [IOp.TableSet]: ['table.set', 3], [IOp.MemorySize]: ['memory.size', 1], [IOp.MemoryGrow]: ['memory.grow', 2],
  [IOp.RefFunc]: ['ref.func', 2], [IOp.MemoryInit]: ['memory.init', 4], [IOp.DataDrop]: ['data.drop', 1],
  [IOp.MemoryCopy]: ['memory.copy', 3], [IOp.MemoryFill]: ['memory.fill', 3], [IOp.TableInit]: ['table.init', 5],
  [IOp.ElemDrop]: ['elem.drop', 1], [IOp.TableCopy]: ['table.copy', 5], [IOp.TableGrow]: ['table.grow', 4],
  [IOp.TableSize]: ['table.size', 2], [IOp.TableFill]: ['table.fill', 4], [IOp.Fuel]: ['fuel', 1],
  [IOp.BrI32Eq]: ['br_i32_eq', 3], [IOp.BrI32Ne]: ['br_i32_ne', 3], [IOp.BrI32LtS]: ['br_i32_lt_s', 3],
  [IOp.BrI32LtU]: ['br_i32_lt_u', 3], [IOp.BrI32GtS]: ['br_i32_gt_s', 3], [IOp.BrI32GtU]: ['br_i32_gt_u', 3],
  [IOp.BrI32LeS]: ['br_i32_le_s', 3], [IOp.BrI32LeU]: ['br_i32_le_u', 3], [IOp.BrI32GeS]: ['br_i32_ge_s', 3],
  [IOp.BrI32GeU]: ['br_i32_ge_u', 3],
};

/** Name and operand count of an internal opcode. */
export function describeOp(op: number): readonly [string, number] {
  const known = INTERNAL[op];
  if (known !== undefined) return known;
  for (const info of OPCODES) {
    const iop = info.op >= 0xfc00 ? SAT_BASE + (info.op & 0xff) : info.op;
    if (iop === op && info.sig !== undefined) {
      const n = info.imm === 'memarg' ? 3 : info.sig.params.length + 1;
      return [info.name, n];
    }
  }
  return [`op${op}`, 0];
}

/** One line per instruction: code index, name, operands. */
export function disassemble(f: CompiledFunc): string {
  const lines: string[] = [];
  const c = f.code;
  for (let pc = 0; pc < c.length;) {
    const op = c[pc]!;
    let [name, n] = describeOp(op);
    if (op === IOp.BrTable) n = 2 + c[pc + 2]! + 1;
    const ops = Array.from(c.subarray(pc + 1, pc + 1 + n));
    lines.push(`${String(pc).padStart(5)}  ${name} ${ops.join(' ')}`);
    pc += 1 + n;
  }
  return lines.join('\n');
}
