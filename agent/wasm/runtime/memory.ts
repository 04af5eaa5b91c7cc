// A linear memory instance: its bytes, its size in pages and the page cap, with the bulk
// operations (fill, copy, init) that the interpreter and instantiation share.

import type { MemType } from '../types.ts';

export const PAGE_SIZE = 65536;

export class MemoryInst {
  buffer: ArrayBuffer;
  dv: DataView;
  u8: Uint8Array;
  pages: number;
  /** Effective maximum in pages: the module's maximum, capped by the instance limit. */
  readonly cap: number;

  constructor(readonly type: MemType, limitPages: number) {
    this.pages = type.bounds.min;
    this.cap = Math.min(type.bounds.max ?? 65536, limitPages, 65536);
    this.buffer = new ArrayBuffer(this.pages * PAGE_SIZE);
    this.dv = new DataView(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
  }

  get byteLength(): number {
    return this.buffer.byteLength;
  }

  /** Grows by `delta` pages (unsigned); returns the old size in pages, or -1 when it cannot grow. */
  grow(delta: number): number {
    const old = this.pages;
    const next = old + (delta >>> 0);
    if (next > this.cap) return -1;
    if (delta === 0) return old;
    let buf: ArrayBuffer;
    try {
      buf = new ArrayBuffer(next * PAGE_SIZE);
    } catch {
      return -1; // the host cannot give us that much: the spec lets grow fail
    }
    new Uint8Array(buf).set(this.u8);
    this.buffer = buf;
    this.dv = new DataView(buf);
    this.u8 = new Uint8Array(buf);
    this.pages = next;
    return old;
  }

  /** memory.fill; returns false (and writes nothing) when out of bounds. */
  fill(dst: number, value: number, n: number): boolean {
    if (dst + n > this.buffer.byteLength) return false;
    this.u8.fill(value & 0xff, dst, dst + n);
    return true;
  }

  /** memory.copy (overlap-safe); returns false when out of bounds. */
  copy(dst: number, src: number, n: number): boolean {
    const len = this.buffer.byteLength;
    if (dst + n > len || src + n > len) return false;
    this.u8.copyWithin(dst, src, src + n);
    return true;
  }

  /** memory.init from a data segment's bytes; returns false when out of bounds. */
  init(dst: number, bytes: Uint8Array, src: number, n: number): boolean {
    if (src + n > bytes.length || dst + n > this.buffer.byteLength) return false;
    this.u8.set(bytes.subarray(src, src + n), dst);
    return true;
  }
}
