// A table instance: references stored as integers (0 is null, otherwise a store function
// address + 1 or an extern id + 1) so that tables are plain data, with the bulk operations.

import type { TableType } from '../types.ts';

export class TableInst {
  elements: Int32Array;
  size: number;
  /** Effective maximum: the table's own maximum capped by the instance limit. */
  readonly cap: number;

  constructor(readonly type: TableType, limitElements: number, init = 0) {
    this.size = type.bounds.min;
    this.cap = Math.min(type.bounds.max ?? 0xffffffff, limitElements);
    this.elements = new Int32Array(this.size);
    if (init !== 0) this.elements.fill(init);
  }

  /** table.grow; returns the old size or -1. */
  grow(delta: number, init: number): number {
    const old = this.size;
    const next = old + (delta >>> 0);
    if (next > this.cap) return -1;
    if (next > this.elements.length) {
      let bigger: Int32Array;
      try {
        bigger = new Int32Array(Math.max(next, Math.min(this.cap, this.elements.length * 2)));
      } catch {
        return -1;
      }
      bigger.set(this.elements.subarray(0, old));
      this.elements = bigger;
    }
    this.elements.fill(init, old, next);
    this.size = next;
    return old;
  }

  fill(dst: number, value: number, n: number): boolean {
    if (dst + n > this.size) return false;
    this.elements.fill(value, dst, dst + n);
    return true;
  }

  copy(dst: number, src: TableInst, srcIdx: number, n: number): boolean {
    if (srcIdx + n > src.size || dst + n > this.size) return false;
    if (src === this) this.elements.copyWithin(dst, srcIdx, srcIdx + n);
    else this.elements.set(src.elements.subarray(srcIdx, srcIdx + n), dst);
    return true;
  }

  init(dst: number, refs: Int32Array, src: number, n: number): boolean {
    if (src + n > refs.length || dst + n > this.size) return false;
    this.elements.set(refs.subarray(src, src + n), dst);
    return true;
  }
}
