// The fast tier's compiler: turns one function's internal code (exec/code.ts) into JavaScript
// source, one `case` per basic block inside a dispatch loop, with every operand a literal, and
// lets V8 compile it. Frame words that are only ever read and written as int32 live in
// JavaScript locals while the compiled code runs (loaded at entry, stored back at every exit);
// constants become literals; the rest is read and written in the executor's value stack.
//
// Contract with the interpreter (interp.ts, which calls `jit(ex, inst, fp, pc)` at the top of
// every iteration): run from `pc` when it is an entry point (else return it unchanged) and
// return the code index of the first instruction left to the interpreter, with the frame, the
// fuel counter and memory exactly as the interpreter would have left them there.

import type { CompiledFunc, JitFn } from '../code.ts';
import { IOp } from '../code.ts';
import { emitterOf, lit, type Frame } from './_ops.ts';
import { endsBlock, instrLength, isFusedBranch, isLeftToInterpreter, targetsOf } from './_instr.ts';
import { RUNTIME, RUNTIME_NAMES } from './_runtime.ts';

/** Functions with more internal code than this stay interpreted (V8 stops optimising giant functions). */
export const MAX_CODE_WORDS = 24_000;
/** Generated source above this many characters is dropped (the function stays interpreted). */
export const MAX_SOURCE_CHARS = 600_000;
/** At most this many frame words become JavaScript locals (the rest stay in the value stack). */
const MAX_LOCAL_WORDS = 512;

/** Comparison operator of each fused compare-and-branch, on int32 (s) or uint32 (u) operands. */
const FUSED: Readonly<Record<number, readonly [string, boolean]>> = {
  [IOp.BrI32Eq]: ['===', false], [IOp.BrI32Ne]: ['!==', false],
  [IOp.BrI32LtS]: ['<', false], [IOp.BrI32LtU]: ['<', true],
  [IOp.BrI32GtS]: ['>', false], [IOp.BrI32GtU]: ['>', true],
  [IOp.BrI32LeS]: ['<=', false], [IOp.BrI32LeU]: ['<=', true],
  [IOp.BrI32GeS]: ['>=', false], [IOp.BrI32GeU]: ['>=', true],
};

/** What the recording pass learnt about each frame word. */
const READ = 1, WRITTEN = 2, FLOAT = 4;

/** Why a function was not compiled (for tests and diagnostics). */
export type Refusal = 'too-large' | 'unknown-opcode' | 'odd-float-slot' | 'source-too-large';

export type CompileOutcome =
  | { readonly ok: true; readonly fn: JitFn; readonly source: string }
  | { readonly ok: false; readonly why: Refusal };

interface Instr {
  readonly pc: number;
  readonly op: number;
  readonly len: number;
}

function decode(code: Int32Array): Instr[] | undefined {
  const out: Instr[] = [];
  for (let pc = 0; pc < code.length;) {
    const len = instrLength(code, pc);
    if (len === 0) return undefined;
    out.push({ pc, op: code[pc]!, len });
    pc += len;
  }
  return out;
}

/** True when the fast tier leaves this instruction to the interpreter. */
function leaves(op: number): boolean {
  if (isLeftToInterpreter(op)) return true;
  if (op === IOp.Fuel || op === IOp.Br || op === IOp.BrIf || op === IOp.BrUnless || op === IOp.BrTable || isFusedBranch(op)) return false;
  return emitterOf(op) === undefined;
}

const f64Scratch = new Float64Array(1);
const f32Scratch = new Float32Array(f64Scratch.buffer, 0, 1);
const i32Scratch = new Int32Array(f64Scratch.buffer);

/** A number as a literal that reads back to the same double (undefined for NaN: its bits matter). */
function numLit(v: number): string | undefined {
  if (v !== v) return undefined;
  if (v === Infinity) return '(1 / 0)';
  if (v === -Infinity) return '(-1 / 0)';
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${String(v)})` : String(v);
}

class CodeFrame implements Frame {
  /** Per word: READ | WRITTEN | FLOAT, filled by the recording pass. */
  readonly use: Uint8Array;
  readonly globals = new Set<number>();
  usesMemory = false;
  refusal: Refusal | undefined;
  /** Set for the writing pass: which words are JavaScript locals. */
  promoted: Uint8Array | undefined;

  constructor(private readonly cf: CompiledFunc) {
    this.use = new Uint8Array(cf.frameWords + 2);
  }

  /**
   * Constant words that some instruction writes anyway (result copies before a Return may reuse
   * the constants' slots when a function has few locals): they are read from the frame.
   */
  readonly overwritten = new Set<number>();

  konst(k: number): number | undefined {
    const i = k - this.cf.localWords;
    if (i < 0 || i >= this.cf.consts.length || this.overwritten.has(k)) return undefined;
    return this.cf.consts[i]!;
  }

  /** Records a write of word k (a constant's word stops being read as a literal). */
  private written(k: number): void {
    const i = k - this.cf.localWords;
    if (i >= 0 && i < this.cf.consts.length && !this.overwritten.has(k)) {
      this.overwritten.add(k);
      this.changed = true;
    }
    this.mark(k, WRITTEN);
  }

  /** True when the last recording pass found constant words written (record again). */
  changed = false;

  private mark(k: number, how: number): void {
    if (k < 0 || k >= this.use.length) throw new RangeError(`frame word ${k} is outside the frame`);
    this.use[k]! |= how;
  }

  private local(k: number): boolean {
    return this.promoted !== undefined && this.promoted[k] === 1;
  }

  i(k: number): string {
    const v = this.konst(k);
    if (v !== undefined) return lit(v);
    this.mark(k, READ);
    return this.local(k) ? `w${k}` : `S[fp + ${k}]`;
  }

  set(k: number, e: string): string {
    this.written(k);
    return this.local(k) ? `w${k} = ${e};` : `S[fp + ${k}] = ${e};`;
  }

  f32(k: number): string {
    const v = this.konst(k);
    if (v !== undefined) {
      i32Scratch[0] = v;
      const l = numLit(f32Scratch[0]!);
      if (l !== undefined) return l;
    }
    this.mark(k, READ | FLOAT);
    return `F32[fp + ${k}]`;
  }

  setF32(k: number, e: string): string {
    this.written(k);
    this.mark(k, FLOAT);
    return `F32[fp + ${k}] = ${e};`;
  }

  f64(k: number): string {
    if ((k & 1) !== 0) this.refusal = 'odd-float-slot';
    const lo = this.konst(k), hi = this.konst(k + 1);
    if (lo !== undefined && hi !== undefined) {
      i32Scratch[0] = lo;
      i32Scratch[1] = hi;
      const l = numLit(f64Scratch[0]!);
      if (l !== undefined) return l;
    }
    this.mark(k, READ | FLOAT);
    this.mark(k + 1, READ | FLOAT);
    return `F64[fh + ${k >> 1}]`;
  }

  setF64(k: number, e: string): string {
    if ((k & 1) !== 0) this.refusal = 'odd-float-slot';
    this.written(k);
    this.written(k + 1);
    this.mark(k, FLOAT);
    this.mark(k + 1, FLOAT);
    return `F64[fh + ${k >> 1}] = ${e};`;
  }

  spill(k: number, n: number): string {
    let s = '';
    for (let j = k; j < k + n; j++) {
      if (this.konst(j) !== undefined) continue; // constants are in the frame already
      this.mark(j, READ);
      if (this.local(j)) s += `S[fp + ${j}] = w${j}; `;
    }
    return s;
  }

  reload(k: number, n: number): string {
    let s = '';
    for (let j = k; j < k + n; j++) {
      this.written(j);
      if (this.local(j)) s += `w${j} = S[fp + ${j}]; `;
    }
    return s;
  }

  at(k: number): string {
    return `fp + ${k}`;
  }

  mem(): string {
    this.usesMemory = true;
    return 'dv';
  }

  global(idx: number): string {
    this.globals.add(idx);
    return `g${idx}`;
  }

  /** Set when the instruction being emitted may throw; emitBlocks then clears `p` after it. */
  threw = false;

  mayThrow(pc: number): string {
    this.threw = true;
    return `p = ${pc};`;
  }

  exit(pc: number): string {
    return `{ r = ${pc}; break out; }`;
  }
}

/** Entry points: where the interpreter may hand control to the compiled code. */
function entryPoints(code: Int32Array, instrs: readonly Instr[]): Set<number> {
  const entries = new Set<number>([0]);
  for (const ins of instrs) {
    for (const t of targetsOf(code, ins.pc)) entries.add(t);
    if (ins.op === IOp.Fuel) entries.add(ins.pc);
    if (leaves(ins.op)) entries.add(ins.pc + ins.len);
  }
  entries.delete(code.length);
  return entries;
}

/** The body of the dispatch loop: one case per block, in code order. */
function emitBlocks(f: CodeFrame, code: Int32Array, instrs: readonly Instr[], blockOf: ReadonlyMap<number, number>): string {
  const out: string[] = [];
  const jump = (t: number): string => `{ blk = ${blockOf.get(t)!}; continue; }`;
  let reachable = false;
  for (const ins of instrs) {
    const { pc, op } = ins;
    const id = blockOf.get(pc);
    if (id !== undefined) {
      out.push(`case ${id}:`);
      reachable = true;
    }
    if (!reachable) continue; // dead code after a jump: no case leads here
    if (leaves(op)) {
      out.push(`r = ${pc}; break out;`);
      reachable = false;
      continue;
    }
    switch (op) {
      case IOp.Fuel: {
        const k = code[pc + 1]!;
        out.push(`if (fuel < ${k}) { r = ${pc}; break out; } fuel -= ${k};`);
        break;
      }
      case IOp.Br:
        out.push(jump(code[pc + 1]!));
        break;
      case IOp.BrIf:
        out.push(`if (${f.i(code[pc + 1]!)} !== 0) ${jump(code[pc + 2]!)}`);
        break;
      case IOp.BrUnless:
        out.push(`if (${f.i(code[pc + 1]!)} === 0) ${jump(code[pc + 2]!)}`);
        break;
      case IOp.BrTable: {
        const n = code[pc + 2]!;
        const byTarget = new Map<number, number[]>();
        for (let i = 0; i < n; i++) {
          const t = code[pc + 3 + i]!;
          const list = byTarget.get(t) ?? [];
          list.push(i);
          byTarget.set(t, list);
        }
        const cases = [...byTarget].map(([t, is]) => `${is.map((i) => `case ${i}:`).join(' ')} ${jump(t)}`);
        out.push(`switch (${f.i(code[pc + 1]!)} >>> 0) { ${cases.join(' ')} default: ${jump(code[pc + 3 + n]!)} }`);
        break;
      }
      default:
        if (isFusedBranch(op)) {
          const [rel, unsigned] = FUSED[op]!;
          const x = f.i(code[pc + 1]!), y = f.i(code[pc + 2]!);
          const cond = unsigned ? `(${x} >>> 0) ${rel} (${y} >>> 0)` : `${x} ${rel} ${y}`;
          out.push(`if (${cond}) ${jump(code[pc + 3]!)}`);
        } else {
          f.threw = false;
          out.push(emitterOf(op)!(f, code, pc));
          // Past it, nothing else may hand an error to the interpreter as if it came from here.
          if (f.threw) out.push('p = -1;');
        }
    }
    if (endsBlock(op)) reachable = false;
  }
  return out.join('\n');
}

/**
 * Compiles a function's internal code to JavaScript, or says why it will not.
 * Builds the source only from numbers of the internal code (no names or strings from the module).
 */
export function compileFunction(cf: CompiledFunc): CompileOutcome {
  const code = cf.code;
  if (code.length > MAX_CODE_WORDS) return { ok: false, why: 'too-large' };
  const instrs = decode(code);
  if (instrs === undefined) return { ok: false, why: 'unknown-opcode' };
  const entries = entryPoints(code, instrs);
  const sorted = [...entries].sort((a, b) => a - b);
  const blockOf = new Map<number, number>(sorted.map((pc, i) => [pc, i]));

  const f = new CodeFrame(cf);
  // Recording passes: how each word is used. A second one when constant words turned out to be
  // written, since reading them from the frame changes what the emitters record.
  for (let pass = 0; pass === 0 || f.changed; pass++) {
    f.changed = false;
    f.use.fill(0);
    try {
      emitBlocks(f, code, instrs, blockOf);
    } catch (e) {
      if (e instanceof RangeError) return { ok: false, why: 'unknown-opcode' };
      throw e;
    }
  }
  if (f.refusal !== undefined) return { ok: false, why: f.refusal };

  const promoted = new Uint8Array(f.use.length);
  const locals: number[] = [];
  for (let k = 0; k < f.use.length && locals.length < MAX_LOCAL_WORDS; k++) {
    const u = f.use[k]!;
    if (u !== 0 && (u & FLOAT) === 0) {
      promoted[k] = 1;
      locals.push(k);
    }
  }
  f.promoted = promoted;
  const body = emitBlocks(f, code, instrs, blockOf);
  const metered = instrs.some((ins) => ins.op === IOp.Fuel);
  const dirty = locals.filter((k) => (f.use[k]! & WRITTEN) !== 0);

  const src: string[] = [];
  src.push('"use strict";');
  src.push('return function jit(ex, inst, fp, pc) {');
  src.push(`let blk; switch (pc) { ${sorted.map((pc, i) => `case ${pc}: blk = ${i}; break;`).join(' ')} default: return pc; }`);
  src.push('const S = ex.S, F32 = ex.F32, F64 = ex.F64, fh = fp >> 1;');
  if (f.usesMemory) src.push('const dv = inst.mems[0].dv;');
  for (const g of f.globals) src.push(`const g${g} = inst.globals[${g}].v;`);
  if (metered) src.push('let fuel = ex.fuel;');
  if (locals.length > 0) src.push(`let ${locals.map((k) => `w${k} = S[fp + ${k}]`).join(', ')};`);
  src.push('let r = -1, p = -1;');
  src.push('try {');
  src.push('out: for (;;) { switch (blk) {');
  src.push(body);
  src.push('} bug(blk); }');
  src.push('} catch (e) { if (p < 0) throw e; r = p; }');
  if (metered) src.push('ex.fuel = fuel;');
  for (const k of dirty) src.push(`S[fp + ${k}] = w${k};`);
  src.push('return r;');
  src.push('};');
  const source = src.join('\n');
  if (source.length > MAX_SOURCE_CHARS) return { ok: false, why: 'source-too-large' };
  // The source holds only JavaScript keywords, the runtime's names and numbers from `code`.
  const factory = new Function(...RUNTIME_NAMES, source) as (...h: unknown[]) => JitFn;
  const fn = factory(...RUNTIME_NAMES.map((n) => RUNTIME[n as keyof typeof RUNTIME]));
  return { ok: true, fn, source };
}
