// The fast tier's compiler: turns one function's internal code (exec/code.ts) into JavaScript
// source, one `case` per entry point of a dispatch loop, labelled blocks and loops for the rest
// (_layout.ts), every operand a literal or a variable, and lets V8 compile it. Values live in
// JavaScript variables while the compiled code runs (see _plan.ts): slots are loaded at entry
// where live and stored back when control returns to the interpreter.
//
// Contract with the interpreter (interp.ts, which calls `jit(ex, inst, fp, pc)` at the top of
// every iteration): run from `pc` when it is an entry point (else return it unchanged) and
// return the code index of the first instruction left to the interpreter, with the frame, the
// fuel counter and memory exactly as the interpreter would have left them there. An instruction
// that traps is left to the interpreter too: it executes it again and traps itself.

import type { CompiledFunc, JitFn } from '../code.ts';
import { IOp } from '../code.ts';
import { Consts, EmitFrame } from './_frame.ts';
import { RecordFrame } from './_record.ts';
import { exitEffects, Liveness, successors, type FuncInfo, type Effects } from './_flow.ts';
import { emitterOf, type Frame } from './_ops.ts';
import { endsBlock, instrLength, isFusedBranch, isLeftToInterpreter, targetsOf } from './_instr.ts';
import { layout, type Layout, type Opening } from './_layout.ts';
import { plan, type Plan } from './_plan.ts';
import { RUNTIME, RUNTIME_NAMES } from './_runtime.ts';

export type { FuncInfo } from './_flow.ts';

/** Functions with more internal code than this stay interpreted, their source would be too long. */
export const MAX_CODE_WORDS = 16_000;
/**
 * Generated source above this many characters is dropped and the function stays interpreted:
 * V8 never optimises a function of more than 60 KiB of bytecode (`--max-optimized-bytecode-size`),
 * and unoptimised it runs 3 to 5 times slower than the interpreter. Measured bytecode is 0.55 to
 * 0.9 bytes per source character (the most for functions made of calls).
 */
export const MAX_SOURCE_CHARS = 64_000;

/** Comparison operator of each fused compare-and-branch, on int32 (s) or uint32 (u) operands. */
const FUSED: Readonly<Record<number, readonly [string, boolean]>> = {
  [IOp.BrI32Eq]: ['===', false], [IOp.BrI32Ne]: ['!==', false],
  [IOp.BrI32LtS]: ['<', false], [IOp.BrI32LtU]: ['<', true],
  [IOp.BrI32GtS]: ['>', false], [IOp.BrI32GtU]: ['>', true],
  [IOp.BrI32LeS]: ['<=', false], [IOp.BrI32LeU]: ['<=', true],
  [IOp.BrI32GeS]: ['>=', false], [IOp.BrI32GeU]: ['>=', true],
};

/** Why a function was not compiled (for tests and diagnostics). */
export type Refusal = 'too-large' | 'unknown-opcode' | 'source-too-large';

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

/** Where the interpreter must be able to enter: 0 and right after each instruction it executes. */
function mustEnter(code: Int32Array, instrs: readonly Instr[]): Set<number> {
  const entries = new Set<number>([0]);
  for (const ins of instrs) if (leaves(ins.op)) entries.add(ins.pc + ins.len);
  entries.delete(code.length);
  return entries;
}

/** A frame the block emitter drives: told where instructions and blocks start. */
interface Pass extends Frame {
  beginBlock(): void;
  begin(pc: number): void;
  end(): void;
}

/**
 * The body of the dispatch loop: one case per case label, in code order; other branch targets
 * end a labelled block that their branches `break` out of.
 */
function emitBlocks(f: Pass, code: Int32Array, instrs: readonly Instr[], lay: Layout): string {
  const out: string[] = [];
  const open: Opening[] = [];
  const jump = (t: number): string => {
    if (open.some((o) => o.kind === 'loop' && o.label === t)) return `continue L${t};`;
    const id = lay.caseOf.get(t);
    return id !== undefined ? `{ blk = ${id}; continue out; }` : `break L${t};`;
  };
  let reachable = false;
  for (const ins of instrs) {
    const { pc, op } = ins;
    while (open.length > 0 && open[open.length - 1]!.end === pc) {
      const o = open.pop()!;
      if (o.kind === 'loop' && reachable) out.push(`break L${o.label};`); // the body falls off its end
      out.push('}');
    }
    if (open.some((o) => o.end <= pc)) throw new RangeError(`labelled statements do not nest at ${pc}`);
    if (lay.starts.has(pc)) {
      const id = lay.caseOf.get(pc);
      if (id !== undefined) {
        if (open.length > 0) throw new RangeError(`case label ${pc} inside a labelled statement`);
        out.push(`case ${id}:`);
      }
      f.beginBlock();
      reachable = true;
    }
    for (const o of lay.opens.get(pc) ?? []) {
      out.push(o.kind === 'loop' ? `L${o.label}: for (;;) {` : `L${o.label}: {`);
      open.push(o);
    }
    if (!reachable) continue; // dead code after a jump: nothing leads here
    f.begin(pc);
    if (leaves(op)) {
      out.push(`r = ${pc}; break out;`);
      reachable = false;
      f.end();
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
          out.push(emitterOf(op)!(f, code, pc));
        }
    }
    f.end();
    if (endsBlock(op)) reachable = false;
  }
  while (open.length > 0 && open[open.length - 1]!.end === code.length) {
    const o = open.pop()!;
    if (o.kind === 'loop' && reachable) out.push(`break L${o.label};`);
    out.push('}');
  }
  if (open.length > 0) throw new RangeError('labelled statements left open at the end of the code');
  return out.join('\n');
}

/** Records how every instruction uses slots (again when constant slots turn out to be written). */
function record(cf: CompiledFunc, consts: Consts, slots: number, instrs: readonly Instr[], lay: Layout): RecordFrame | undefined {
  for (;;) {
    const rf = new RecordFrame(consts, slots);
    try {
      emitBlocks(rf, cf.code, instrs, lay);
    } catch (e) {
      if (e instanceof RangeError) return undefined;
      throw e;
    }
    if (!rf.changed) return rf;
  }
}

/** The function's source: prologue (declarations, entry dispatch and loads), blocks, epilogue. */
function assemble(p: Plan, ef: EmitFrame, rf: RecordFrame, body: string, entries: readonly number[], entryIdx: readonly number[], metered: boolean): string {
  const vars: string[] = [];
  for (const s of p.homeVars) vars.push(...ef.homeNames(s));
  for (const s of p.tmpInts) vars.push(`t${s << 1}`, `t${(s << 1) + 1}`);
  for (const s of p.tmpF64s) vars.push(`u${s}`);
  const src: string[] = ['"use strict";', 'return function jit(ex, inst, fp, pc) {'];
  src.push('const S = ex.S, F32 = ex.F32, F64 = ex.F64, fh = fp >> 1;');
  if (vars.length > 0) src.push(`let ${vars.map((v) => `${v} = 0`).join(', ')};`);
  const cases = entries.map((pc, b) => `case ${pc}: blk = ${b}; ${(p.loads.get(entryIdx[b]!) ?? []).map((s) => ef.load(s)).join(' ')} break;`);
  src.push(`let blk = 0; switch (pc) { ${cases.join('\n')} default: return pc; }`);
  if (rf.usesMemory) src.push('const dv = inst.mems[0].dv;');
  for (const n of rf.sizes) src.push(`const m${n} = dv.byteLength - ${n};`);
  for (const g of rf.globals) src.push(`const g${g} = inst.globals[${g}].v;`);
  if (metered) src.push('let fuel = ex.fuel;');
  src.push('let r = -1;');
  src.push('out: for (;;) { switch (blk) {', body, '} bug(blk); }');
  if (metered) src.push('ex.fuel = fuel;');
  for (const s of p.flush) src.push(ef.flush(s));
  src.push('return r;', '};');
  return src.join('\n');
}

/**
 * Compiles a function's internal code to JavaScript, or says why it will not. `info` gives the
 * parameter counts of call targets (without it, a call is taken to read every slot above its
 * base) and the locals whose high word nobody reads. Builds the source only from numbers (no
 * names or strings from the module).
 */
export function compileFunction(cf: CompiledFunc, info?: FuncInfo): CompileOutcome {
  const code = cf.code;
  if (code.length > MAX_CODE_WORDS) return { ok: false, why: 'too-large' };
  const instrs = decode(code);
  if (instrs === undefined) return { ok: false, why: 'unknown-opcode' };
  const pcs = instrs.map((ins) => ins.pc);
  const lay = layout(code, pcs, instrs.map((ins) => ins.len), mustEnter(code, instrs));
  const slots = (cf.frameWords >> 1) + 1;
  const consts = new Consts(cf.localWords, cf.consts);

  const rf = record(cf, consts, slots, instrs, lay);
  if (rf === undefined) return { ok: false, why: 'unknown-opcode' };
  const indexOf = new Map<number, number>(pcs.map((pc, i) => [pc, i]));
  const effects: Effects[] = instrs.map(({ pc, op }) => {
    if (leaves(op)) return exitEffects(code, pc, cf.resultCount, info, slots);
    const a = rf.access.get(pc);
    return { uses: a === undefined ? [] : [...a.uses.keys()], defs: a === undefined ? [] : [...a.defs.keys()], exit: false };
  });
  const liveness = new Liveness(slots, pcs, effects, instrs.map(({ pc, len }) => successors(code, pc, len)));
  const p = plan({
    slots, pcs, access: rf.access, consts, liveness,
    exits: instrs.map(({ op }) => leaves(op) || op === IOp.Fuel),
    ends: instrs.map(({ op }) => endsBlock(op)),
    branches: instrs.map(({ pc, op }) => (leaves(op) ? [] : targetsOf(code, pc).map((t) => indexOf.get(t)!))),
    starts: pcs.map((pc) => lay.starts.has(pc)),
    entries: pcs.map((pc) => lay.caseOf.has(pc)),
  });

  const ef = new EmitFrame(consts, slots, p, rf.access, info?.narrow ?? new Uint8Array(0));
  let body: string;
  try {
    body = emitBlocks(ef, code, instrs, lay);
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, why: 'unknown-opcode' };
    throw e;
  }
  const metered = instrs.some((ins) => ins.op === IOp.Fuel);
  const source = assemble(p, ef, rf, body, lay.cases, lay.cases.map((pc) => indexOf.get(pc)!), metered);
  if (source.length > MAX_SOURCE_CHARS) return { ok: false, why: 'source-too-large' };
  // The source holds only JavaScript keywords, the runtime's names and numbers from `code`.
  const factory = new Function(...RUNTIME_NAMES, source) as (...h: unknown[]) => JitFn;
  const fn = factory(...RUNTIME_NAMES.map((n) => RUNTIME[n as keyof typeof RUNTIME]));
  return { ok: true, fn, source };
}
