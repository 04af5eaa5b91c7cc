// Control flow and liveness of one function's internal code, per instruction and per frame slot
// (two words): which slots hold a value that some later instruction reads. The fast tier loads
// only live slots when it is entered, keeps values that die within a block in JavaScript
// variables only, and knows which slots the interpreter needs when control goes back to it.

import { IOp } from '../code.ts';
import { endsBlock, isLeftToInterpreter, targetsOf } from './_instr.ts';

/** What an instruction reads and writes, in slots; `exit` when the interpreter executes it. */
export interface Effects {
  readonly uses: readonly number[];
  readonly defs: readonly number[];
  readonly exit: boolean;
}

/** What the compiler may know about a function from its module (numbers only). */
export interface FuncInfo {
  /** Parameters of function `idx` (in the module's function index space). */
  readonly funcParams: (idx: number) => number;
  /** Parameters of type `idx`. */
  readonly typeParams: (idx: number) => number;
  /**
   * Per local (parameters first): 1 when its type is 32 bits wide (i32, f32, references), so
   * that no reader ever looks at its slot's high word.
   */
  readonly narrow: Uint8Array;
}

/**
 * Operand positions (1-based, after the opcode) read and written by the instructions left to
 * the interpreter, per the operand grammar of code.ts.
 */
const EXIT_OPERANDS: Readonly<Record<number, { readonly uses: readonly number[]; readonly defs: readonly number[] }>> = {
  [IOp.MemoryGrow]: { uses: [2], defs: [1] },
  [IOp.TableGet]: { uses: [3], defs: [1] },
  [IOp.TableSet]: { uses: [2, 3], defs: [] },
  [IOp.RefFunc]: { uses: [], defs: [1] },
  [IOp.MemoryInit]: { uses: [2, 3, 4], defs: [] },
  [IOp.DataDrop]: { uses: [], defs: [] },
  [IOp.MemoryCopy]: { uses: [1, 2, 3], defs: [] },
  [IOp.MemoryFill]: { uses: [1, 2, 3], defs: [] },
  [IOp.TableInit]: { uses: [3, 4, 5], defs: [] },
  [IOp.ElemDrop]: { uses: [], defs: [] },
  [IOp.TableCopy]: { uses: [3, 4, 5], defs: [] },
  [IOp.TableGrow]: { uses: [3, 4], defs: [1] },
  [IOp.TableSize]: { uses: [], defs: [1] },
  [IOp.TableFill]: { uses: [2, 3, 4], defs: [] },
  [IOp.Unreachable]: { uses: [], defs: [] },
};

/**
 * What an instruction left to the interpreter reads and writes. A call reads its arguments
 * (the callee's frame starts at `base`); its results are loaded again when control comes back.
 */
export function exitEffects(code: Int32Array, pc: number, resultCount: number, arity: FuncInfo | undefined, slots: number): Effects {
  const op = code[pc]!;
  const range = (from: number, n: number): number[] => Array.from({ length: Math.max(0, Math.min(n, slots - from)) }, (_, i) => from + i);
  switch (op) {
    case IOp.Return:
      return { uses: range(0, resultCount), defs: [], exit: true };
    case IOp.Call: {
      const base = code[pc + 2]! >> 1;
      const n = arity === undefined ? slots : arity.funcParams(code[pc + 1]!);
      return { uses: range(base, n), defs: [], exit: true };
    }
    case IOp.CallIndirect: {
      const base = code[pc + 4]! >> 1;
      const n = arity === undefined ? slots : arity.typeParams(code[pc + 1]!);
      return { uses: [code[pc + 3]! >> 1, ...range(base, n)], defs: [], exit: true };
    }
    default: {
      const known = EXIT_OPERANDS[op];
      if (known === undefined) return { uses: range(0, slots), defs: [], exit: true }; // anything else: assume it reads every slot
      return { uses: known.uses.map((i) => code[pc + i]! >> 1), defs: known.defs.map((i) => code[pc + i]! >> 1), exit: true };
    }
  }
}

/** Successor code indexes of the instruction at pc (length len), as the interpreter runs it. */
export function successors(code: Int32Array, pc: number, len: number): number[] {
  const op = code[pc]!;
  if (op === IOp.Return || op === IOp.Unreachable) return [];
  const next = endsBlock(op) && !isLeftToInterpreter(op) ? [] : [pc + len];
  return [...next, ...targetsOf(code, pc)].filter((t) => t < code.length);
}

/** Per-instruction liveness as bit sets over slots. */
export class Liveness {
  /** Words per bit set. */
  readonly stride: number;
  /** liveIn[i * stride ...]: slots live before instruction i. */
  readonly liveIn: Uint32Array;

  constructor(
    readonly slots: number,
    /** Code index of each instruction, in order. */
    readonly pcs: readonly number[],
    effects: readonly Effects[],
    succ: readonly (readonly number[])[],
  ) {
    const n = pcs.length;
    this.stride = (slots + 31) >>> 5;
    const s = this.stride;
    this.liveIn = new Uint32Array(n * s);
    const indexOf = new Map<number, number>(pcs.map((pc, i) => [pc, i]));
    const succIdx = succ.map((list) => list.map((t) => indexOf.get(t)!));
    const out = new Uint32Array(s);
    for (let changed = true; changed;) {
      changed = false;
      for (let i = n - 1; i >= 0; i--) {
        out.fill(0);
        for (const j of succIdx[i]!) for (let w = 0; w < s; w++) out[w]! |= this.liveIn[j * s + w]!;
        for (const d of effects[i]!.defs) out[d >>> 5]! &= ~(1 << (d & 31));
        for (const u of effects[i]!.uses) out[u >>> 5]! |= 1 << (u & 31);
        for (let w = 0; w < s; w++) {
          if (this.liveIn[i * s + w] !== out[w]) {
            this.liveIn[i * s + w] = out[w]!;
            changed = true;
          }
        }
      }
    }
  }

  /** True when slot is live before instruction i. */
  isLiveIn(i: number, slot: number): boolean {
    return (this.liveIn[i * this.stride + (slot >>> 5)]! & (1 << (slot & 31))) !== 0;
  }

  /** The slots live before instruction i. */
  liveSlots(i: number): number[] {
    const out: number[] = [];
    for (let w = 0; w < this.stride; w++) {
      for (let bits = this.liveIn[i * this.stride + w]!; bits !== 0; bits &= bits - 1) {
        out.push((w << 5) + 31 - Math.clz32(bits & -bits));
      }
    }
    return out;
  }
}
