// The `Frame` of the recording passes: runs the emitters of _ops.ts only to note, per
// instruction, how each slot is read and written, which globals and access sizes are used, and
// which constant slots are written anyway. Its expressions are placeholders.

import { lit, type Frame } from './_ops.ts';
import { F32, F64, HI, LO, MOVE, RELOAD, SPILL, type Access, type Consts } from './_frame.ts';

/** Notes, per instruction, how each slot is used. */
export class RecordFrame implements Frame {
  readonly access = new Map<number, Access>();
  readonly globals = new Set<number>();
  /** Access sizes that need a bounds limit variable. */
  readonly sizes = new Set<number>();
  usesMemory = false;
  /** True when this pass found constant slots written (the caller records again). */
  changed = false;
  private cur: Access = { uses: new Map(), defs: new Map(), traps: false };

  constructor(readonly consts: Consts, private readonly slots: number) {}

  beginBlock(): void {}

  begin(pc: number): void {
    this.cur = { uses: new Map(), defs: new Map(), traps: false };
    this.access.set(pc, this.cur);
  }

  end(): void {}

  private check(slot: number): void {
    if (slot < 0 || slot >= this.slots) throw new RangeError(`frame slot ${slot} is outside the frame`);
  }

  private use(k: number, kind: number): void {
    const s = k >> 1;
    this.check(s);
    if (this.consts.isConst(s)) return;
    this.cur.uses.set(s, (this.cur.uses.get(s) ?? 0) | kind);
  }

  private def(k: number, kind: number): void {
    const s = k >> 1;
    this.check(s);
    if (this.consts.isConst(s)) {
      this.consts.overwritten.add(s);
      this.changed = true;
    }
    this.cur.defs.set(s, (this.cur.defs.get(s) ?? 0) | kind);
  }

  i(k: number): string {
    const v = this.consts.word(k);
    if (v !== undefined) return lit(v);
    this.use(k, (k & 1) === 0 ? LO : HI);
    return 'x';
  }

  set(k: number, _e: string): string {
    this.def(k, (k & 1) === 0 ? LO : HI);
    return '';
  }

  f32(k: number): string {
    this.use(k, F32);
    return 'x';
  }

  setF32(k: number, _e: string): string {
    this.def(k, F32);
    return '';
  }

  f64(k: number): string {
    this.use(k, F64);
    return 'x';
  }

  setF64(k: number, _e: string): string {
    this.def(k, F64);
    return '';
  }

  move(d: number, a: number): string {
    this.use(a, MOVE);
    this.def(d, MOVE);
    return '';
  }

  select(d: number, a: number, b: number, c: number): string {
    this.use(a, MOVE);
    this.use(b, MOVE);
    this.use(c, LO);
    this.def(d, MOVE);
    return '';
  }

  spill(k: number, _n: number): string {
    this.use(k, SPILL);
    return '';
  }

  reload(k: number, _n: number): string {
    this.def(k, RELOAD);
    return '';
  }

  konst(k: number): number | undefined {
    return this.consts.word(k);
  }

  at(k: number): string {
    return `fp + ${k}`;
  }

  mem(): string {
    this.usesMemory = true;
    return 'dv';
  }

  outOfBounds(_ea: string, bytes: number): string {
    this.sizes.add(bytes);
    return 'x';
  }

  global(idx: number): string {
    this.globals.add(idx);
    return 'g';
  }

  trapIf(_cond: string, _pc: number): string {
    this.cur.traps = true;
    return '';
  }
}

