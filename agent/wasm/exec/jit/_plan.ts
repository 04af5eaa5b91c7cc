// Where the fast tier keeps each value: a definition whose value dies within its block lives in
// a temporary JavaScript variable; every other value lives in its slot's home for the whole
// function (int32 word variables, one double, or the value stack when the slot is used both as
// words and as a float). Homes are loaded at entry points where they are live and stored back
// when control returns to the interpreter.

import { F32, F64, HI, LO, Rep, type Access, type Consts, type Placement } from './_frame.ts';
import { Liveness } from './_flow.ts';

/** At most this many slots get variables for the whole function; the rest stay in the value stack. */
const MAX_HOME_SLOTS = 400;

export interface PlanInput {
  readonly slots: number;
  readonly pcs: readonly number[];
  readonly access: ReadonlyMap<number, Access>;
  readonly consts: Consts;
  readonly liveness: Liveness;
  /** Per instruction: does it hand control to the interpreter (a call, return, fuel stop...). */
  readonly exits: readonly boolean[];
  /** Per instruction: does control never fall through to the next one. */
  readonly ends: readonly boolean[];
  /** Per instruction: index of the instructions it may branch to. */
  readonly branches: readonly (readonly number[])[];
  /** Per instruction: does a block start here (a case label or a branch target). */
  readonly starts: readonly boolean[];
  /** Per instruction: is it an entry point (a case label, where homes are loaded). */
  readonly entries: readonly boolean[];
}

export interface Plan extends Placement {
  /** Slots to store back whenever control returns to the interpreter. */
  readonly flush: readonly number[];
  /** Per entry instruction index: the slots to load there. */
  readonly loads: ReadonlyMap<number, readonly number[]>;
  /** Slots with a home variable, and slots with a temporary of each kind. */
  readonly homeVars: readonly number[];
  readonly tmpInts: readonly number[];
  readonly tmpF64s: readonly number[];
}

/**
 * Whether the value instruction i defines in slot s stays within its block: every later
 * instruction up to the next definition of s either falls through or branches where s is
 * dead, and s is dead where the block ends. Adds the instructions that read the value to `uses`.
 */
function staysInBlock(p: PlanInput, i: number, s: number, uses: number[]): boolean {
  const n = p.pcs.length;
  for (let j = i; j < n; j++) {
    if (j > i) {
      if (p.starts[j]) return !p.liveness.isLiveIn(j, s); // falls into the next block
      const a = p.access.get(p.pcs[j]!);
      if (p.exits[j]) return !p.liveness.isLiveIn(j, s);
      if (a !== undefined && a.uses.has(s)) {
        if ((a.uses.get(s)! & F32) !== 0) return false;
        uses.push(j);
      }
      if (a !== undefined && a.defs.has(s)) return true; // redefined: this value died before
    }
    for (const t of p.branches[j]!) if (p.liveness.isLiveIn(t, s)) return false;
    if (p.ends[j]) return true;
  }
  return true;
}

/** Kind of temporary for a definition of slot s (kinds `def`) read by the instructions `uses`. */
function tmpKind(p: PlanInput, s: number, def: number, uses: readonly number[], home: Uint8Array): Rep {
  if ((def & F64) !== 0) return Rep.TmpF64;
  if ((def & (LO | HI)) !== 0) return Rep.TmpInt;
  let kinds = 0;
  for (const j of uses) kinds |= p.access.get(p.pcs[j]!)!.uses.get(s)!;
  if ((kinds & (LO | HI)) !== 0) return Rep.TmpInt;
  if ((kinds & F64) !== 0) return Rep.TmpF64;
  return home[s] === Rep.HomeF64 ? Rep.TmpF64 : Rep.TmpInt;
}

/** Decides where every value of the function lives. */
export function plan(p: PlanInput): Plan {
  const { slots, pcs, access } = p;
  const temps = new Map<number, Rep>();
  const tmpUses = new Map<number, readonly number[]>();
  /** Reads served by a temporary: key `j * slots + s`. */
  const covered = new Set<number>();
  for (let i = 0; i < pcs.length; i++) {
    const a = access.get(pcs[i]!);
    if (a === undefined || p.exits[i]) continue;
    for (const [s, kind] of a.defs) {
      if ((kind & F32) !== 0) continue;
      const uses: number[] = [];
      if (!staysInBlock(p, i, s, uses)) continue;
      temps.set(pcs[i]! * slots + s, Rep.TmpInt); // kind decided below, once homes are known
      tmpUses.set(pcs[i]! * slots + s, uses);
      for (const j of uses) covered.add(j * slots + s);
    }
  }

  // Homes: from how each slot is accessed outside temporaries. A slot written as an f64 and read
  // as words too keeps a double (word reads convert); one written as words and read as an f64,
  // or written both ways, or used as an f32, stays in the value stack.
  const useKinds = new Uint8Array(slots);
  const defKinds = new Uint8Array(slots);
  const written = new Uint8Array(slots);
  for (let i = 0; i < pcs.length; i++) {
    const a = access.get(pcs[i]!);
    if (a === undefined) continue;
    for (const [s, k] of a.uses) if (!covered.has(i * slots + s)) useKinds[s]! |= k;
    for (const [s, k] of a.defs) {
      if (temps.has(pcs[i]! * slots + s)) continue;
      defKinds[s]! |= k;
      written[s] = 1;
    }
  }
  const home = new Uint8Array(slots);
  const homeVars: number[] = [];
  for (let s = 0; s < slots; s++) {
    const u = useKinds[s]!, d = defKinds[s]!, words = LO | HI;
    let h: Rep;
    if (p.consts.isConst(s)) h = Rep.Const;
    else if (((u | d) & F32) !== 0 || ((d & F64) !== 0 && (d & words) !== 0) || homeVars.length >= MAX_HOME_SLOTS) h = Rep.Mem;
    else if ((d & F64) !== 0) h = Rep.HomeF64;
    else if ((d & words) !== 0) h = (u & F64) !== 0 ? Rep.Mem : Rep.HomeInt;
    else h = (u & F64) !== 0 ? Rep.HomeF64 : Rep.HomeInt;
    if ((h === Rep.HomeInt || h === Rep.HomeF64) && (u | d) === 0) h = Rep.Mem; // never touched outside temporaries
    home[s] = h;
    if (h === Rep.HomeInt || h === Rep.HomeF64) homeVars.push(s);
  }

  const tmpInts = new Set<number>(), tmpF64s = new Set<number>();
  for (const [key, uses] of tmpUses) {
    const pc = Math.floor(key / slots), s = key - pc * slots;
    const kind = tmpKind(p, s, access.get(pc)!.defs.get(s)!, uses, home);
    temps.set(key, kind);
    (kind === Rep.TmpF64 ? tmpF64s : tmpInts).add(s);
  }

  const withVar = (s: number): boolean => home[s] === Rep.HomeInt || home[s] === Rep.HomeF64;
  const flush = new Set<number>();
  const loads = new Map<number, readonly number[]>();
  for (let i = 0; i < pcs.length; i++) {
    if (p.exits[i]) for (const s of p.liveness.liveSlots(i)) if (withVar(s) && written[s] === 1) flush.add(s);
    if (p.entries[i]) loads.set(i, p.liveness.liveSlots(i).filter(withVar));
  }
  return {
    home, temps, flush: [...flush].sort((x, y) => x - y), loads, homeVars,
    tmpInts: [...tmpInts].sort((x, y) => x - y), tmpF64s: [...tmpF64s].sort((x, y) => x - y),
  };
}
