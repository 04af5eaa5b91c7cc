// The translator: turns one validated function body into internal code (code.ts) in one pass,
// placing each operand-stack value in a fixed frame slot and deferring `local.get` so that
// instructions read locals in place (no copy), as wasmi's register translation does.

import { EngineBug } from '../errors.ts';
import { Op, infoOf } from '../opcodes.ts';
import type { FuncType, Instr, ModuleAst } from '../types.ts';
import { IOp, SAT_BASE, type CompiledFunc } from './code.ts';
import { DEFAULT_FUEL_COSTS, type FuelCosts } from './fuel.ts';

/** At most this many distinct constants get frame slots; the rest are materialised by Const64. */
const MAX_CONST_SLOTS = 256;

interface Ctl {
  readonly kind: 'block' | 'loop' | 'if' | 'func';
  /** Operand height below the block's parameters. */
  readonly base: number;
  readonly params: number;
  readonly results: number;
  /** Code index of a loop's start. */
  readonly start: number;
  /** Code indexes holding branch targets to patch with the block's end. */
  readonly fixups: number[];
  /** For `if`: code index of the BrUnless target to patch at `else` or `end` (-1 once done). */
  elseFixup: number;
  /** True once the rest of the block cannot be reached. */
  dead: boolean;
}

/** i32 comparison opcode -> [branch when true, branch when false] fused opcodes. */
const FUSED_COMPARE = new Map<number, readonly [IOp, IOp]>([
  [0x46, [IOp.BrI32Eq, IOp.BrI32Ne]], [0x47, [IOp.BrI32Ne, IOp.BrI32Eq]],
  [0x48, [IOp.BrI32LtS, IOp.BrI32GeS]], [0x49, [IOp.BrI32LtU, IOp.BrI32GeU]],
  [0x4a, [IOp.BrI32GtS, IOp.BrI32LeS]], [0x4b, [IOp.BrI32GtU, IOp.BrI32LeU]],
  [0x4c, [IOp.BrI32LeS, IOp.BrI32GtS]], [0x4d, [IOp.BrI32LeU, IOp.BrI32GtU]],
  [0x4e, [IOp.BrI32GeS, IOp.BrI32LtS]], [0x4f, [IOp.BrI32GeU, IOp.BrI32LtU]],
]);

/** Resolves a block type immediate to its parameter and result counts. */
function blockArity(m: ModuleAst, bt: number): { params: number; results: number } {
  if (bt === -64) return { params: 0, results: 0 };
  if (bt < 0) return { params: 0, results: 1 };
  const t = m.types[bt];
  if (t === undefined) throw new EngineBug(`block type ${bt} was not validated`);
  return { params: t.params.length, results: t.results.length };
}

/** The function types of the module's whole function index space (imports first). */
export function funcTypesOf(m: ModuleAst): FuncType[] {
  const out: FuncType[] = [];
  for (const imp of m.imports) if (imp.desc.kind === 'func') out.push(m.types[imp.desc.typeIndex]!);
  for (const ti of m.funcs) out.push(m.types[ti]!);
  return out;
}

class Translator {
  private code: number[] = [];
  private posAt: number[] = [];
  /** Where each operand currently lives, as a word offset from the frame pointer. */
  private vals: number[] = [];
  private ctls: Ctl[] = [];
  private maxHeight = 0;
  /** Code index of the `d` operand of the last instruction, while it may be retargeted; else -1. */
  private lastDst = -1;
  private pos = 0;
  /** Nesting depth of blocks opened inside dead code (skipped entirely). */
  private deadDepth = 0;

  /** Constant pool: key "lo:hi" -> word offset of its slot in the frame. */
  private readonly constSlots = new Map<string, number>();
  private readonly constWords: number[] = [];
  /** First slot of the operand stack (after parameters, locals and constants). */
  private readonly stackBase: number;

  constructor(
    private readonly m: ModuleAst,
    private readonly funcTypes: readonly FuncType[],
    private readonly type: FuncType,
    private readonly nlocals: number,
    body: readonly Instr[],
    /** Fuel costs when metering, undefined when not. */
    private readonly costs: FuelCosts | undefined,
  ) {
    // Constants get frame slots filled at entry, so instructions read them in place (as wasm3 does).
    for (const ins of body) {
      if (this.constSlots.size >= MAX_CONST_SLOTS) break;
      const op = ins.op;
      if (op !== Op.I32Const && op !== Op.I64Const && op !== Op.F32Const && op !== Op.F64Const) continue;
      const hi = op === Op.I64Const || op === Op.F64Const ? ins.b : 0;
      const key = `${ins.a}:${hi}`;
      if (this.constSlots.has(key)) continue;
      this.constSlots.set(key, (nlocals + this.constSlots.size) << 1);
      this.constWords.push(ins.a, hi);
    }
    this.stackBase = nlocals + this.constSlots.size;
  }

  private slot(h: number): number {
    return (this.stackBase + h) << 1;
  }

  /** Pushes a deferred read of a frame slot that holds a local or a constant. */
  private pushDeferred(word: number): void {
    this.vals.push(word);
    if (this.vals.length > this.maxHeight) this.maxHeight = this.vals.length;
  }

  private emit(...words: number[]): void {
    this.posAt.push(this.pos);
    for (let i = 1; i < words.length; i++) this.posAt.push(-1);
    for (const w of words) this.code.push(w);
  }

  /** Emits an instruction whose first operand is the destination `d` (it may be retargeted). */
  private emitD(op: number, ...rest: number[]): void {
    const at = this.code.length + 1;
    this.emit(op, ...rest);
    this.lastDst = at;
  }

  private push(): number {
    const h = this.vals.length;
    const s = this.slot(h);
    this.vals.push(s);
    if (h + 1 > this.maxHeight) this.maxHeight = h + 1;
    return s;
  }

  private pop(): number {
    const v = this.vals.pop();
    if (v === undefined) throw new EngineBug('operand stack underflow in translation');
    return v;
  }

  /** Moves the value at stack position h into its own slot if it is a deferred local. */
  private materialize(h: number): void {
    const s = this.slot(h);
    const v = this.vals[h]!;
    if (v !== s) {
      this.emit(IOp.Copy, s, v);
      this.lastDst = -1;
      this.vals[h] = s;
    }
  }

  private materializeFrom(h: number): void {
    for (let i = h; i < this.vals.length; i++) this.materialize(i);
  }

  /**
   * A label is bound here: the previous instruction is no longer the only way in, and a new
   * basic block starts (with its fuel charge when metering). Returns the label's code index.
   */
  private bind(): number {
    this.lastDst = -1;
    const at = this.code.length;
    this.startFuelBlock();
    return at;
  }

  /** Code index of the current block's Fuel operand (-1 when not metering). */
  private fuelAt = -1;
  private blockCost = 0;

  private startFuelBlock(): void {
    if (this.costs === undefined) return;
    this.closeFuelBlock();
    this.emit(IOp.Fuel, 0);
    this.fuelAt = this.code.length - 1;
  }

  private closeFuelBlock(): void {
    if (this.fuelAt >= 0) this.code[this.fuelAt] = this.blockCost;
    this.blockCost = 0;
  }

  /** Copies the top n values to the slots of heights base..base+n-1 (sources at or above targets). */
  private place(base: number, n: number): void {
    const top = this.vals.length - n;
    for (let i = 0; i < n; i++) {
      const src = this.vals[top + i]!;
      const dst = this.slot(base + i);
      if (src !== dst) this.emit(IOp.Copy, dst, src);
    }
    this.lastDst = -1;
  }

  private needsPlace(base: number, n: number): boolean {
    const top = this.vals.length - n;
    for (let i = 0; i < n; i++) if (this.vals[top + i] !== this.slot(base + i)) return true;
    return false;
  }

  private label(depth: number): Ctl {
    const c = this.ctls[this.ctls.length - 1 - depth];
    if (c === undefined) throw new EngineBug(`branch depth ${depth} was not validated`);
    return c;
  }

  /** Arity a branch to this label carries. */
  private branchArity(c: Ctl): number {
    return c.kind === 'loop' ? c.params : c.results;
  }

  /** Emits a jump to label c (the values are already placed). */
  private jumpTo(c: Ctl, op: IOp, ...before: number[]): void {
    if (c.kind === 'func') {
      // A branch to the function's outermost label is a return.
      throw new EngineBug('jumpTo(func) must go through emitReturn');
    }
    this.emit(op, ...before, c.kind === 'loop' ? c.start : -1);
    if (c.kind !== 'loop') c.fixups.push(this.code.length - 1);
    this.lastDst = -1;
  }

  private emitReturn(): void {
    const n = this.type.results.length;
    const top = this.vals.length - n;
    const srcs = this.vals.slice(top);
    // A deferred local that an earlier result copy would overwrite is first moved into the
    // value's own slot (above every destination). `vals` is left alone: on a br_if the
    // fall-through path never ran these copies.
    for (let i = 0; i < n; i++) {
      const v = srcs[i]!;
      if (v < this.stackBase << 1 && v < n << 1 && v !== i << 1) {
        const own = this.slot(top + i);
        this.emit(IOp.Copy, own, v);
        srcs[i] = own;
      }
    }
    for (let i = 0; i < n; i++) {
      const src = srcs[i]!;
      if (src !== i << 1) this.emit(IOp.Copy, i << 1, src);
    }
    this.emit(IOp.Return);
    this.lastDst = -1;
  }

  /** Branch to the label at `depth`, unconditionally. */
  private br(depth: number): void {
    const c = this.label(depth);
    if (c.kind === 'func') return this.emitReturn();
    const n = this.branchArity(c);
    this.place(c.base, n);
    this.jumpTo(c, IOp.Br);
  }

  private markDead(): void {
    const c = this.ctls[this.ctls.length - 1]!;
    c.dead = true;
    this.vals.length = c.base;
  }

  translate(body: readonly Instr[]): CompiledFunc {
    const nres = this.type.results.length;
    this.ctls.push({ kind: 'func', base: 0, params: 0, results: nres, start: 0, fixups: [], elseFixup: -1, dead: false });
    this.startFuelBlock();
    const perClass = this.costs?.perClass;
    for (const ins of body) {
      this.pos = ins.pos;
      const top = this.ctls[this.ctls.length - 1];
      if (top === undefined) throw new EngineBug('instructions after the final end');
      if (top.dead) {
        this.skipDead(ins);
        continue;
      }
      if (perClass !== undefined) this.blockCost += perClass[infoOf(ins.op).fuel];
      this.step(ins);
    }
    if (this.ctls.length !== 0) throw new EngineBug('function body did not end');
    this.closeFuelBlock();
    // One buffer for the three arrays: an ArrayBuffer costs its own heap object and native backing store, and a
    // device translates every function of every app it runs.
    const nc = this.code.length;
    const np = this.posAt.length;
    const words = new Int32Array(nc + np + this.constWords.length);
    words.set(this.code, 0);
    words.set(this.posAt, nc);
    words.set(this.constWords, nc + np);
    return {
      compiled: true,
      code: words.subarray(0, nc),
      posAt: words.subarray(nc, nc + np),
      paramWords: this.type.params.length << 1,
      localWords: this.nlocals << 1,
      consts: words.subarray(nc + np),
      frameWords: (this.stackBase + this.maxHeight + 1) << 1,
      resultCount: nres,
      jit: undefined,
      calls: 0,
    };
  }

  /** In dead code only the block structure matters. */
  private skipDead(ins: Instr): void {
    switch (ins.op) {
      case Op.Block: case Op.Loop: case Op.If:
        this.deadDepth++;
        return;
      case Op.Else:
        if (this.deadDepth === 0) this.elseOf(this.ctls[this.ctls.length - 1]!, false);
        return;
      case Op.End:
        if (this.deadDepth > 0) this.deadDepth--;
        else this.endOf(this.ctls[this.ctls.length - 1]!, false);
        return;
      default:
        return;
    }
  }

  private elseOf(c: Ctl, live: boolean): void {
    if (live) {
      this.place(c.base, c.results);
      this.jumpTo(c, IOp.Br);
    }
    // The false branch starts here with the if's parameters in their slots.
    this.code[c.elseFixup] = this.code.length;
    c.elseFixup = -1;
    this.bind();
    c.dead = false;
    this.vals.length = c.base;
    for (let i = 0; i < c.params; i++) this.push();
  }

  private endOf(c: Ctl, live: boolean): void {
    if (c.kind === 'func') {
      if (live) this.emitReturn();
      else if (c.fixups.length > 0) throw new EngineBug('branch fixups on the function label');
      this.ctls.pop();
      return;
    }
    if (live) this.place(c.base, c.results);
    if (c.elseFixup >= 0) {
      // An if without else: the false branch falls through to here with params == results.
      this.code[c.elseFixup] = this.code.length;
    }
    for (const f of c.fixups) this.code[f] = this.code.length;
    if (c.fixups.length > 0 || c.elseFixup >= 0) this.bind(); // else control just falls through
    this.ctls.pop();
    this.vals.length = c.base;
    for (let i = 0; i < c.results; i++) this.push();
    // Nothing falls through and nothing branches here: what follows cannot run, so it is
    // neither translated nor charged to the block that is still open.
    if (!live && c.fixups.length === 0 && c.elseFixup < 0) this.markDead();
  }

  private step(ins: Instr): void {
    const op = ins.op;
    switch (op) {
      case Op.Unreachable:
        this.emit(IOp.Unreachable);
        this.markDead();
        return;
      case Op.Nop:
        return;
      case Op.Block: case Op.Loop: {
        const { params, results } = blockArity(this.m, ins.a);
        this.materializeFrom(0);
        const base = this.vals.length - params;
        const start = op === Op.Loop ? this.bind() : this.code.length;
        this.ctls.push({ kind: op === Op.Loop ? 'loop' : 'block', base, params, results, start, fixups: [], elseFixup: -1, dead: false });
        return;
      }
      case Op.If: {
        const { params, results } = blockArity(this.m, ins.a);
        const cond = this.pop();
        const fused = this.fuseCondition(cond, false);
        this.materializeFrom(0);
        const base = this.vals.length - params;
        this.emit(...fused, -1);
        this.lastDst = -1;
        this.ctls.push({ kind: 'if', base, params, results, start: 0, fixups: [], elseFixup: this.code.length - 1, dead: false });
        return;
      }
      case Op.Else:
        this.elseOf(this.ctls[this.ctls.length - 1]!, true);
        return;
      case Op.End:
        this.endOf(this.ctls[this.ctls.length - 1]!, true);
        return;
      case Op.Br:
        this.br(ins.a);
        this.markDead();
        return;
      case Op.BrIf: {
        const cond = this.pop();
        const c = this.label(ins.a);
        const n = c.kind === 'func' ? c.results : this.branchArity(c);
        if (c.kind !== 'func' && !this.needsPlace(c.base, n)) {
          const [bop, ...operands] = this.fuseCondition(cond, true);
          this.jumpTo(c, bop!, ...operands);
        } else {
          this.emit(...this.fuseCondition(cond, false), -1);
          const skip = this.code.length - 1;
          this.br(ins.a);
          this.code[skip] = this.code.length;
          this.bind();
        }
        return;
      }
      case Op.BrTable: {
        const idx = this.pop();
        const labels = ins.labels!;
        const all = [...labels, ins.a];
        this.emit(IOp.BrTable, idx, labels.length, ...all.map(() => -1));
        const tableAt = this.code.length - all.length;
        this.lastDst = -1;
        // Each distinct target gets a stub that places the values and jumps (or the label itself).
        const stubs = new Map<number, number>();
        for (let i = 0; i < all.length; i++) {
          const depth = all[i]!;
          let at = stubs.get(depth);
          if (at === undefined) {
            const c = this.label(depth);
            if (c.kind === 'loop' && !this.needsPlace(c.base, c.params)) {
              at = c.start;
            } else if (c.kind !== 'loop' && c.kind !== 'func' && !this.needsPlace(c.base, c.results)) {
              c.fixups.push(tableAt + i); // patched with the block's end, like a Br
              continue;
            } else {
              at = this.code.length;
              this.br(depth);
            }
            stubs.set(depth, at);
          }
          this.code[tableAt + i] = at;
        }
        this.markDead();
        return;
      }
      case Op.Return:
        this.emitReturn();
        this.markDead();
        return;
      case Op.Call: {
        const t = this.funcTypes[ins.a]!;
        const base = this.callArgs(t.params.length);
        this.emit(IOp.Call, ins.a, this.slot(base));
        this.callResults(base, t.results.length);
        return;
      }
      case Op.CallIndirect: {
        const t = this.m.types[ins.a]!;
        const idx = this.pop();
        const base = this.callArgs(t.params.length);
        this.emit(IOp.CallIndirect, ins.a, ins.b, idx, this.slot(base));
        this.callResults(base, t.results.length);
        return;
      }
      case Op.Drop:
        this.pop();
        return;
      case Op.Select: case Op.SelectT: {
        const c = this.pop(), b = this.pop(), a = this.pop();
        this.emitD(IOp.Select, this.push(), a, b, c);
        return;
      }
      case Op.LocalGet:
        this.pushDeferred(ins.a << 1);
        return;
      case Op.LocalSet: case Op.LocalTee: {
        this.setLocal(ins.a);
        if (op === Op.LocalTee) {
          this.vals.push(ins.a << 1);
        }
        return;
      }
      case Op.GlobalGet:
        this.emitD(IOp.GlobalGet, this.push(), ins.a);
        return;
      case Op.GlobalSet:
        this.emit(IOp.GlobalSet, ins.a, this.pop());
        return;
      case Op.TableGet: {
        const i = this.pop();
        this.emitD(IOp.TableGet, this.push(), ins.a, i);
        return;
      }
      case Op.TableSet: {
        const v = this.pop(), i = this.pop();
        this.emit(IOp.TableSet, ins.a, i, v);
        return;
      }
      case Op.MemorySize:
        this.emitD(IOp.MemorySize, this.push());
        return;
      case Op.MemoryGrow: {
        const n = this.pop();
        this.emitD(IOp.MemoryGrow, this.push(), n);
        return;
      }
      case Op.I32Const: case Op.F32Const: case Op.I64Const: case Op.F64Const: {
        const hi = op === Op.I64Const || op === Op.F64Const ? ins.b : 0;
        const at = this.constSlots.get(`${ins.a}:${hi}`);
        if (at !== undefined) this.pushDeferred(at);
        else this.emitD(IOp.Const64, this.push(), ins.a, hi);
        return;
      }
      case Op.RefNull:
        this.emitD(IOp.Const32, this.push(), 0);
        return;
      case Op.RefIsNull: {
        const a = this.pop();
        this.emitD(0x45 /* i32.eqz: null is 0 */, this.push(), a);
        return;
      }
      case Op.RefFunc:
        this.emitD(IOp.RefFunc, this.push(), ins.a);
        return;
      case Op.MemoryInit: {
        const n = this.pop(), s = this.pop(), d = this.pop();
        this.emit(IOp.MemoryInit, ins.a, d, s, n);
        return;
      }
      case Op.DataDrop:
        this.emit(IOp.DataDrop, ins.a);
        return;
      case Op.MemoryCopy: case Op.MemoryFill: {
        const n = this.pop(), s = this.pop(), d = this.pop();
        this.emit(op === Op.MemoryCopy ? IOp.MemoryCopy : IOp.MemoryFill, d, s, n);
        return;
      }
      case Op.TableInit: {
        const n = this.pop(), s = this.pop(), d = this.pop();
        this.emit(IOp.TableInit, ins.b, ins.a, d, s, n);
        return;
      }
      case Op.ElemDrop:
        this.emit(IOp.ElemDrop, ins.a);
        return;
      case Op.TableCopy: {
        const n = this.pop(), s = this.pop(), d = this.pop();
        this.emit(IOp.TableCopy, ins.a, ins.b, d, s, n);
        return;
      }
      case Op.TableGrow: {
        const n = this.pop(), v = this.pop();
        this.emitD(IOp.TableGrow, this.push(), ins.a, v, n);
        return;
      }
      case Op.TableSize:
        this.emitD(IOp.TableSize, this.push(), ins.a);
        return;
      case Op.TableFill: {
        const n = this.pop(), v = this.pop(), i = this.pop();
        this.emit(IOp.TableFill, ins.a, i, v, n);
        return;
      }
      default:
        this.simple(ins);
    }
  }

  /** Loads, stores and numeric instructions: fixed signatures from the opcode table. */
  private simple(ins: Instr): void {
    const info = infoOf(ins.op);
    const sig = info.sig;
    if (sig === undefined) throw new EngineBug(`no translation for ${info.name}`);
    const iop = ins.op >= 0xfc00 ? SAT_BASE + (ins.op & 0xff) : ins.op;
    if (info.imm === 'memarg') {
      if (sig.results.length === 1) {
        const a = this.pop();
        this.emitD(iop, this.push(), a, ins.b | 0);
      } else {
        const v = this.pop(), a = this.pop();
        this.emit(iop, a, v, ins.b | 0);
      }
      return;
    }
    if (sig.params.length === 2) {
      const b = this.pop(), a = this.pop();
      this.emitD(iop, this.push(), a, b);
    } else if (sig.params.length === 1) {
      const a = this.pop();
      this.emitD(iop, this.push(), a);
    } else {
      throw new EngineBug(`unexpected signature for ${info.name}`);
    }
  }

  /**
   * The branch opcode and operands (target excluded) that branch when the i32 at `cond` is
   * non-zero (`whenTrue`) or zero. When the previous instruction computed `cond` with an i32
   * comparison that nothing else reads, it is removed and fused into the branch.
   */
  private fuseCondition(cond: number, whenTrue: boolean): number[] {
    const at = this.lastDst - 1;
    if (this.lastDst >= 0 && cond === this.slot(this.vals.length) && this.code[this.lastDst] === cond) {
      const op = this.code[at]!;
      if (op === 0x45 /* i32.eqz */) {
        const a = this.code[at + 2]!;
        this.truncate(at);
        return [whenTrue ? IOp.BrUnless : IOp.BrIf, a];
      }
      const fused = FUSED_COMPARE.get(op);
      if (fused !== undefined) {
        const a = this.code[at + 2]!, b = this.code[at + 3]!;
        this.truncate(at);
        return [whenTrue ? fused[0] : fused[1], a, b];
      }
    }
    return [whenTrue ? IOp.BrIf : IOp.BrUnless, cond];
  }

  /** Removes the instructions from code index `at` on (the last one, being fused). */
  private truncate(at: number): void {
    this.code.length = at;
    this.posAt.length = at;
    this.lastDst = -1;
  }

  private setLocal(x: number): void {
    const w = x << 1;
    const h = this.vals.length - 1;
    // Deferred reads of this local below the top must see the old value.
    for (let i = 0; i < h; i++) if (this.vals[i] === w) this.materialize(i);
    const v = this.vals[h]!;
    this.vals.length = h;
    if (v === w) return;
    if (v === this.slot(h) && this.lastDst >= 0 && this.code[this.lastDst] === v) {
      this.code[this.lastDst] = w; // the producer writes the local directly
      this.lastDst = -1;
      return;
    }
    this.emit(IOp.Copy, w, v);
    this.lastDst = -1;
  }

  /** Puts the top n values (call arguments) in their own slots; returns their base height. */
  private callArgs(n: number): number {
    const base = this.vals.length - n;
    this.materializeFrom(base);
    this.vals.length = base;
    this.lastDst = -1;
    return base;
  }

  private callResults(base: number, n: number): void {
    this.vals.length = base;
    for (let i = 0; i < n; i++) this.push();
    this.lastDst = -1;
  }
}

/**
 * Translates defined function `defIndex` of a validated module; with `costs`, every basic block
 * starts with a Fuel instruction charging the block's summed cost.
 */
export function translateFunction(m: ModuleAst, funcTypes: readonly FuncType[], defIndex: number, costs: FuelCosts | undefined = DEFAULT_FUEL_COSTS): CompiledFunc {
  const importCount = funcTypes.length - m.funcs.length;
  const type = funcTypes[importCount + defIndex]!;
  const body = m.codes[defIndex]!;
  const t = new Translator(m, funcTypes, type, type.params.length + body.localCount, body.code, costs);
  return t.translate(body.code);
}
