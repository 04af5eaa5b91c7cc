// The validator's operand-type stack and control stack for one function body, as in the spec
// appendix "Validation Algorithm", plus the bookkeeping fleetlet's translator needs (heights).

import { ValidationError } from '../errors.ts';
import { infoOf, Op } from '../opcodes.ts';
import { valTypeName } from '../types.ts';
import type { ValType } from '../types.ts';

const LOOP = Op.Loop;

/** The Unknown (bottom) operand type: what a stack-polymorphic frame yields below its base. */
export const UNKNOWN = 0;

/** `CtrlFrame.op` of the frame that stands for the whole function body (its label is the return). */
export const FUNC_FRAME = -1;

/** One entered block; objects are pooled per depth and reused, so never keep one across a push. */
export interface CtrlFrame {
  /** Op.Block, Op.Loop, Op.If, Op.Else, or FUNC_FRAME. */
  op: number;
  start: readonly ValType[];
  end: readonly ValType[];
  /** Operand-stack height below the block's params (the frame's base). */
  height: number;
  /** The rest of the block is stack-polymorphic (after unreachable, br, br_table, return). */
  unreachable: boolean;
  /** The block was entered from unreachable code: typed as usual, but none of it can run. */
  dead: boolean;
}

/** Printable form of a type sequence, as in error messages: `[i32 f64]`. */
export function typeList(types: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < types.length; i++) s += (i === 0 ? '' : ' ') + typeName(types[i]!);
  return `[${s}]`;
}

function typeName(t: number): string {
  return t === UNKNOWN ? 'any' : valTypeName(t);
}

/**
 * The spec's `vals` and `ctrls`, with pops that throw ValidationError naming the current
 * instruction. One instance is reused for every function of a module (no per-instruction
 * allocation: types are bytes in a growable array, frames are pooled).
 */
export class TypeStack {
  private vals = new Uint8Array(256);
  /** Number of operand types on the stack. */
  len = 0;
  /** Highest `len` reached since `begin`. */
  max = 0;
  private readonly frames: CtrlFrame[] = [];
  /** Number of open control frames (the function frame included). */
  depth = 0;
  private scratch = new Uint8Array(16);

  /** Where errors point: the function being validated and the current instruction. */
  funcIndex = 0;
  pos = 0;
  op = 0;

  /** Starts a function body: an empty stack and the function frame. */
  begin(funcIndex: number, results: readonly ValType[], pos: number): void {
    this.funcIndex = funcIndex;
    this.pos = pos;
    this.op = Op.Block;
    this.len = 0;
    this.max = 0;
    this.depth = 0;
    this.pushCtrl(FUNC_FRAME, [], results);
  }

  /** The innermost open frame. */
  top(): CtrlFrame {
    return this.frames[this.depth - 1]!;
  }

  /** Height for the translator before the current instruction: -1 when it cannot run. */
  liveHeight(): number {
    const f = this.frames[this.depth - 1]!;
    return f.unreachable || f.dead ? -1 : this.len;
  }

  push(t: number): void {
    if (this.len === this.vals.length) {
      const grown = new Uint8Array(this.vals.length * 2);
      grown.set(this.vals);
      this.vals = grown;
    }
    this.vals[this.len++] = t;
    if (this.len > this.max) this.max = this.len;
  }

  pushAll(types: readonly ValType[]): void {
    for (let i = 0; i < types.length; i++) this.push(types[i]!);
  }

  /** Pops any operand type (UNKNOWN when the frame is polymorphic and at its base). */
  pop(): number {
    const f = this.frames[this.depth - 1]!;
    if (this.len === f.height) {
      if (f.unreachable) return UNKNOWN;
      throw this.fail('Type mismatch', 'a value', undefined);
    }
    return this.vals[--this.len]!;
  }

  /** Pops an operand that must have type `t` (UNKNOWN matches); returns the actual type. */
  popExpect(t: number): number {
    const f = this.frames[this.depth - 1]!;
    if (this.len === f.height) {
      if (f.unreachable) return UNKNOWN;
      throw this.fail('Type mismatch', typeName(t), undefined);
    }
    const actual = this.vals[--this.len]!;
    if (actual !== t && actual !== UNKNOWN) throw this.fail('Type mismatch', typeName(t), typeName(actual));
    return actual;
  }

  /** Pops operands of `types`, last first. */
  popAll(types: readonly ValType[]): void {
    for (let i = types.length - 1; i >= 0; i--) this.popExpect(types[i]!);
  }

  /**
   * Pops operands of `types` and pushes back what was popped (the spec's
   * `push_vals(pop_vals(types))` in br_table): known types stay, missing ones become UNKNOWN.
   */
  popAllKeep(types: readonly ValType[]): void {
    const n = types.length;
    if (this.scratch.length < n) this.scratch = new Uint8Array(n);
    const popped = this.scratch;
    for (let i = n - 1; i >= 0; i--) popped[i] = this.popExpect(types[i]!);
    for (let i = 0; i < n; i++) this.push(popped[i]!);
  }

  /** Enters a block whose params are already popped: records the base height, pushes the params. */
  pushCtrl(op: number, start: readonly ValType[], end: readonly ValType[]): void {
    const outer = this.depth === 0 ? undefined : this.frames[this.depth - 1]!;
    const dead = outer !== undefined && (outer.unreachable || outer.dead);
    let f = this.frames[this.depth];
    if (f === undefined) {
      f = { op, start, end, height: this.len, unreachable: false, dead };
      this.frames.push(f);
    } else {
      f.op = op;
      f.start = start;
      f.end = end;
      f.height = this.len;
      f.unreachable = false;
      f.dead = dead;
    }
    this.depth++;
    this.pushAll(start);
  }

  /** Leaves the innermost block: checks its results and that nothing else is left above its base. */
  popCtrl(): CtrlFrame {
    const f = this.frames[this.depth - 1]!;
    this.popAll(f.end);
    if (this.len !== f.height) {
      const found = Array.from(this.vals.subarray(f.height, this.len)).concat(f.end);
      throw this.fail('Type mismatch', typeList(f.end), typeList(found));
    }
    this.depth--;
    return f;
  }

  /** The frame `n` labels out (0 = innermost). @throws ValidationError when there is no such label */
  frameAt(n: number): CtrlFrame {
    if (n >= this.depth || n < 0) throw this.fail(`Unknown label "${n}"`);
    return this.frames[this.depth - 1 - n]!;
  }

  /** The types a branch to `f` carries: a loop's params, any other block's results. */
  static labelTypes(f: CtrlFrame): readonly ValType[] {
    return f.op === LOOP ? f.start : f.end;
  }

  /** Makes the rest of the innermost block stack-polymorphic. */
  markUnreachable(): void {
    const f = this.frames[this.depth - 1]!;
    this.len = f.height;
    f.unreachable = true;
  }

  /** A ValidationError about the current instruction. */
  fail(what: string, expected?: string, actual?: string): ValidationError {
    const name = this.op === FUNC_FRAME ? 'function' : infoOf(this.op).name;
    return new ValidationError(`${what} in "${name}"`, this.pos, this.funcIndex, expected, actual);
  }
}
