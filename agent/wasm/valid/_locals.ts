// The type of each local of a function (params first, then the declared runs), looked up by index.

import type { FuncBody, ValType } from '../types.ts';

/** Above this many locals the runs are searched instead of expanded into one byte per local. */
const EXPAND_LIMIT = 1 << 16;

export class LocalTypes {
  /** Number of locals, params included. */
  readonly count: number;
  private readonly expanded: Uint8Array | undefined;
  /** For large bodies: the first local index of each run, and its type. */
  private readonly runStart: number[] = [];
  private readonly runType: number[] = [];

  constructor(params: readonly ValType[], body: FuncBody) {
    let count = params.length;
    for (const run of body.locals) count += run.count;
    this.count = count;
    if (count <= EXPAND_LIMIT) {
      const types = new Uint8Array(count);
      let i = 0;
      for (const p of params) types[i++] = p;
      for (const run of body.locals) {
        types.fill(run.type, i, i + run.count);
        i += run.count;
      }
      this.expanded = types;
    } else {
      this.expanded = undefined;
      let i = 0;
      for (const p of params) {
        this.runStart.push(i++);
        this.runType.push(p);
      }
      for (const run of body.locals) {
        if (run.count === 0) continue;
        this.runStart.push(i);
        this.runType.push(run.type);
        i += run.count;
      }
    }
  }

  /** The type of local `index`, or 0 when there is no such local. */
  get(index: number): number {
    if (!(index >= 0 && index < this.count)) return 0;
    if (this.expanded !== undefined) return this.expanded[index]!;
    let lo = 0;
    let hi = this.runStart.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runStart[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.runType[lo]!;
  }
}
