// The `Frame` that writes the code (`EmitFrame`), with each slot's value wherever the plan
// (_plan.ts) put it: the value stack, JavaScript variables (int32 words or one double), or a
// literal for the function's constants; and the vocabulary the recording frame (_record.ts),
// the plan and it share: kinds of access, places (`Rep`), constants.

import { lit, type Frame } from './_ops.ts';

/** How an instruction touches a slot (bit set). */
export const LO = 1, HI = 2, F64 = 4, F32 = 8, SPILL = 16, MOVE = 32, RELOAD = 64;

/** Where a slot's value lives at some point of the code. */
export const enum Rep {
  /** A constant of the function, never written: read as a literal. */
  Const,
  /** In the executor's value stack only. */
  Mem,
  /** The slot's variables for the whole function: words `w{2s}`, `w{2s+1}`. */
  HomeInt,
  /** The slot's double variable for the whole function: `d{s}`. */
  HomeF64,
  /** A value that dies within its block, in words `t{2s}`, `t{2s+1}`. */
  TmpInt,
  /** A value that dies within its block, in the double `u{s}`. */
  TmpF64,
}

/** What one instruction does to slots: kinds of use and of definition, by slot. */
export interface Access {
  readonly uses: Map<number, number>;
  readonly defs: Map<number, number>;
  /** True when the instruction may hand a trap to the interpreter. */
  traps: boolean;
}

/** The function's constants: word k holds `consts[k - localWords]` unless some instruction writes it. */
export class Consts {
  /** Constant slots that some instruction writes anyway (result copies before a Return reuse them). */
  readonly overwritten = new Set<number>();

  constructor(private readonly localWords: number, private readonly consts: Int32Array) {}

  isConst(slot: number): boolean {
    const i = (slot << 1) - this.localWords;
    return i >= 0 && i < this.consts.length && !this.overwritten.has(slot);
  }

  word(k: number): number | undefined {
    return this.isConst(k >> 1) ? this.consts[k - this.localWords]! : undefined;
  }
}

const f64Scratch = new Float64Array(1);
const f32Scratch = new Float32Array(f64Scratch.buffer, 0, 1);
const i32Scratch = new Int32Array(f64Scratch.buffer);

/** A number as a literal that reads back to the same double (undefined for NaN: its bits matter). */
export function numLit(v: number): string | undefined {
  if (v !== v) return undefined;
  if (v === Infinity) return '(1 / 0)';
  if (v === -Infinity) return '(-1 / 0)';
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${String(v)})` : String(v);
}

/** Where each slot lives: its home for the whole function, and the temporaries of some definitions. */
export interface Placement {
  /** Per slot: Const, Mem, HomeInt or HomeF64. */
  readonly home: Uint8Array;
  /** Definitions whose value stays in a temporary: key `pc * slots + slot`, TmpInt or TmpF64. */
  readonly temps: ReadonlyMap<number, Rep>;
  /** Slots whose home variables are stored in the value stack whenever control leaves. */
  readonly flush: readonly number[];
}

/** Writes the code, each operand read from where its value lives at that instruction. */
export class EmitFrame implements Frame {
  private pc = -1;
  /** Slots whose current value is in a temporary (else in their home), within the current block. */
  private readonly cur = new Map<number, Rep>();
  private readonly pending = new Map<number, Rep>();
  private readonly flushed: ReadonlySet<number>;

  constructor(
    private readonly consts: Consts,
    private readonly slots: number,
    private readonly place: Placement,
    private readonly access: ReadonlyMap<number, Access>,
    /** Per local slot: 1 when only its low word matters (it has no high-word variable). */
    private readonly narrow: Uint8Array,
  ) {
    this.flushed = new Set(place.flush);
  }

  /** True when slot s's home holds only its low word (a 32-bit local). */
  private isNarrow(s: number, r: Rep): boolean {
    return r === Rep.HomeInt && this.narrow[s] === 1;
  }

  /** Names of the variables of slot s's home, for their declaration. */
  homeNames(s: number): string[] {
    const h = this.place.home[s] as Rep;
    if (h === Rep.HomeF64) return [`d${s}`];
    return this.isNarrow(s, h) ? [`w${s << 1}`] : [`w${s << 1}`, `w${(s << 1) + 1}`];
  }

  /** A block starts here (a label): every value is in its home. */
  beginBlock(): void {
    this.cur.clear();
  }

  begin(pc: number): void {
    this.pc = pc;
    this.pending.clear();
  }

  /** The instruction is written: its results now live where they were put. */
  end(): void {
    for (const [s, r] of this.pending) {
      if (r === Rep.TmpInt || r === Rep.TmpF64) this.cur.set(s, r);
      else this.cur.delete(s);
    }
  }

  private repOf(s: number): Rep {
    return this.cur.get(s) ?? (this.place.home[s] as Rep);
  }

  private target(s: number): Rep {
    const r = this.place.temps.get(this.pc * this.slots + s) ?? (this.place.home[s] as Rep);
    this.pending.set(s, r);
    return r;
  }

  /** Expression: word `hi` (0 or 1) of slot s, its value being in r. */
  private word(s: number, hi: number, r: Rep): string {
    const k = (s << 1) + hi;
    switch (r) {
      case Rep.Const: return lit(this.consts.word(k)!);
      case Rep.Mem: return `S[fp + ${k}]`;
      case Rep.HomeInt: return hi === 1 && this.isNarrow(s, r) ? '0' : `w${k}`;
      case Rep.TmpInt: return `t${k}`;
      case Rep.HomeF64: return `${hi === 0 ? 'f64Lo' : 'f64Hi'}(d${s})`;
      case Rep.TmpF64: return `${hi === 0 ? 'f64Lo' : 'f64Hi'}(u${s})`;
    }
  }

  /** Expression: slot s as an f64, its value being in r. */
  private double(s: number, r: Rep): string {
    switch (r) {
      case Rep.Const: {
        i32Scratch[0] = this.consts.word(s << 1)!;
        i32Scratch[1] = this.consts.word((s << 1) + 1)!;
        return numLit(f64Scratch[0]!) ?? `F64[fh + ${s}]`;
      }
      case Rep.Mem: return `F64[fh + ${s}]`;
      case Rep.HomeF64: return `d${s}`;
      case Rep.TmpF64: return `u${s}`;
      default: return `bitsToF64(${this.word(s, 0, r)}, ${this.word(s, 1, r)})`;
    }
  }

  /** Variable names of the words of slot s in r (Int reps) or its double (F64 reps). */
  private names(s: number, r: Rep): [string, string] {
    switch (r) {
      case Rep.HomeInt: return [`w${s << 1}`, this.isNarrow(s, r) ? '' : `w${(s << 1) + 1}`];
      case Rep.TmpInt: return [`t${s << 1}`, `t${(s << 1) + 1}`];
      case Rep.HomeF64: return [`d${s}`, ''];
      case Rep.TmpF64: return [`u${s}`, ''];
      default: throw new RangeError(`slot ${s} has no variables`);
    }
  }

  /** Statements storing slot s (value in r) in the value stack. */
  private store(s: number, r: Rep): string {
    switch (r) {
      case Rep.Const:
      case Rep.Mem: return '';
      case Rep.HomeF64:
      case Rep.TmpF64: return `F64[fh + ${s}] = ${this.names(s, r)[0]};`;
      default: {
        const [lo, hi] = this.names(s, r);
        return `S[fp + ${s << 1}] = ${lo};${hi === '' ? '' : ` S[fp + ${(s << 1) + 1}] = ${hi};`}`;
      }
    }
  }

  i(k: number): string {
    const v = this.consts.word(k);
    if (v !== undefined) return lit(v);
    return this.word(k >> 1, k & 1, this.repOf(k >> 1));
  }

  set(k: number, e: string): string {
    const s = k >> 1, t = this.target(s);
    switch (t) {
      case Rep.Mem: return `S[fp + ${k}] = ${e};`;
      case Rep.HomeInt: return (k & 1) === 1 && this.isNarrow(s, t) ? '' : `w${k} = ${e};`;
      case Rep.TmpInt: return `t${k} = ${e};`;
      default: throw new RangeError(`slot ${s} written as a word at ${this.pc} but placed as ${t}`);
    }
  }

  f32(k: number): string {
    const s = k >> 1, r = this.repOf(s);
    switch (r) {
      case Rep.Const: {
        i32Scratch[0] = this.consts.word(k)!;
        return numLit(f32Scratch[0]!) ?? `F32[fp + ${k}]`;
      }
      case Rep.Mem: return `F32[fp + ${k}]`;
      case Rep.HomeInt:
      case Rep.TmpInt: return `bitsToF32(${this.word(s, 0, r)})`;
      default: throw new RangeError(`slot ${s} read as f32 at ${this.pc} but holds an f64`);
    }
  }

  setF32(k: number, e: string): string {
    const s = k >> 1, t = this.target(s);
    if (t !== Rep.Mem) throw new RangeError(`slot ${s} written as f32 at ${this.pc} but placed as ${t}`);
    return `F32[fp + ${k}] = ${e};`;
  }

  f64(k: number): string {
    return this.double(k >> 1, this.repOf(k >> 1));
  }

  setF64(k: number, e: string): string {
    const s = k >> 1, t = this.target(s);
    switch (t) {
      case Rep.Mem: return `F64[fh + ${s}] = ${e};`;
      case Rep.HomeF64: return `d${s} = ${e};`;
      case Rep.TmpF64: return `u${s} = ${e};`;
      default: throw new RangeError(`slot ${s} written as f64 at ${this.pc} but placed as ${t}`);
    }
  }

  move(d: number, a: number): string {
    const sd = d >> 1, sa = a >> 1, ra = this.repOf(sa), t = this.target(sd);
    return this.assign(sd, t, (hi) => this.word(sa, hi, ra), () => this.double(sa, ra), ra === Rep.Mem ? `F64[fh + ${sa}]` : undefined);
  }

  select(d: number, a: number, b: number, c: number): string {
    const sd = d >> 1, sa = a >> 1, sb = b >> 1;
    const ra = this.repOf(sa), rb = this.repOf(sb), cond = this.i(c), t = this.target(sd);
    const both = ra === Rep.Mem && rb === Rep.Mem ? `(c ? F64[fh + ${sa}] : F64[fh + ${sb}])` : undefined;
    const body = this.assign(sd, t, (hi) => `(c ? ${this.word(sa, hi, ra)} : ${this.word(sb, hi, rb)})`,
      () => `(c ? ${this.double(sa, ra)} : ${this.double(sb, rb)})`, both);
    return `{ const c = ${cond} !== 0; ${body} }`;
  }

  /**
   * Statement: slot sd (placed in t) = a value given as words, as a double, and (when it sits in
   * the value stack) as a 64-bit read of it. Words are written low first; slots are two-word
   * aligned, so a word written never aliases one still to be read.
   */
  private assign(sd: number, t: Rep, word: (hi: number) => string, double: () => string, mem64: string | undefined): string {
    switch (t) {
      case Rep.Mem:
        if (mem64 !== undefined) return `F64[fh + ${sd}] = ${mem64};`;
        return `S[fp + ${sd << 1}] = ${word(0)}; S[fp + ${(sd << 1) + 1}] = ${word(1)};`;
      case Rep.HomeInt:
      case Rep.TmpInt: {
        const [lo, hi] = this.names(sd, t);
        return `${lo} = ${word(0)};${hi === '' ? '' : ` ${hi} = ${word(1)};`}`;
      }
      case Rep.HomeF64:
      case Rep.TmpF64:
        return `${this.names(sd, t)[0]} = ${double()};`;
      default:
        throw new RangeError(`slot ${sd} written at ${this.pc} but placed as ${t}`);
    }
  }

  spill(k: number, _n: number): string {
    const s = k >> 1;
    return this.store(s, this.repOf(s));
  }

  reload(k: number, _n: number): string {
    const s = k >> 1, t = this.target(s);
    switch (t) {
      case Rep.Mem: return '';
      case Rep.HomeF64:
      case Rep.TmpF64: return `${this.names(s, t)[0]} = F64[fh + ${s}];`;
      default: {
        const [lo, hi] = this.names(s, t);
        return `${lo} = S[fp + ${k}];${hi === '' ? '' : ` ${hi} = S[fp + ${k + 1}];`}`;
      }
    }
  }

  konst(k: number): number | undefined {
    return this.consts.word(k);
  }

  at(k: number): string {
    return `fp + ${k}`;
  }

  mem(): string {
    return 'dv';
  }

  outOfBounds(ea: string, bytes: number): string {
    return `${ea} > m${bytes}`;
  }

  global(idx: number): string {
    return `g${idx}`;
  }

  trapIf(cond: string, pc: number): string {
    // The interpreter executes the instruction again, so its operands must be in the value stack.
    // A temporary whose slot's home is stored on the way out goes to the home (else that store
    // would overwrite it with the home's older value).
    let spills = '';
    for (const s of this.access.get(pc)?.uses.keys() ?? []) {
      const r = this.repOf(s), h = this.place.home[s] as Rep;
      if ((r === Rep.TmpInt || r === Rep.TmpF64) && this.flushed.has(s)) {
        spills += this.assign(s, h, (hi) => this.word(s, hi, r), () => this.double(s, r), undefined);
      } else {
        spills += this.store(s, r);
      }
    }
    return `if (${cond}) { ${spills} r = ${pc}; break out; }`;
  }

  /** Statements loading slot s's home from the value stack (at an entry point). */
  load(s: number): string {
    const h = this.place.home[s] as Rep;
    if (h === Rep.HomeF64) return `d${s} = F64[fh + ${s}];`;
    if (h === Rep.HomeInt) {
      const lo = `w${s << 1} = S[fp + ${s << 1}];`;
      return this.isNarrow(s, h) ? lo : `${lo} w${(s << 1) + 1} = S[fp + ${(s << 1) + 1}];`;
    }
    return '';
  }

  /** Statements storing slot s's home in the value stack (when control goes back to the interpreter). */
  flush(s: number): string {
    return this.store(s, this.place.home[s] as Rep);
  }
}
