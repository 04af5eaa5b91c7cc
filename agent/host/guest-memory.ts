// Bounds-checked access to a module's linear memory from host functions: every pointer and
// length a guest passes is checked against the memory's current size, and a bad one is reported
// as a result (undefined or false), never as a JavaScript exception.

import type { MemoryInst } from '../wasm/runtime/memory.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

/**
 * A view of the instance's memory 0. The memory is looked up on every access, so growth (which
 * replaces the buffer) is always seen; before `attach` (a start function) there is no memory and
 * every access fails as out of bounds.
 */
export class GuestMemory {
  private mem: (() => MemoryInst | undefined) | undefined = undefined;

  /** Gives access to the instance's memory (call once the instance exists). */
  attach(memory: () => MemoryInst | undefined): void {
    this.mem = memory;
  }

  /** Size in bytes now (0 before `attach` or for a module without memory). */
  get byteLength(): number {
    return this.mem?.()?.byteLength ?? 0;
  }

  /** Whether [ptr, ptr + len) lies inside memory; ptr and len are i32 values read as unsigned. */
  inBounds(ptr: number, len: number): boolean {
    const p = ptr >>> 0;
    const n = len >>> 0;
    return p + n <= this.byteLength;
  }

  /** A view (not a copy) of [ptr, ptr + len), or undefined when out of bounds. */
  view(ptr: number, len: number): Uint8Array | undefined {
    const m = this.mem?.();
    if (m === undefined) return undefined;
    const p = ptr >>> 0;
    const n = len >>> 0;
    if (p + n > m.byteLength) return undefined;
    return new Uint8Array(m.buffer, p, n);
  }

  /** A copy of [ptr, ptr + len), or undefined when out of bounds. */
  copy(ptr: number, len: number): Uint8Array | undefined {
    const v = this.view(ptr, len);
    return v === undefined ? undefined : v.slice();
  }

  /**
   * The UTF-8 text at [ptr, ptr + len): `{ ok: true, text }`, or why not ("fault" out of bounds,
   * "invalid" not UTF-8, or longer than `maxBytes`).
   */
  text(ptr: number, len: number, maxBytes: number): { ok: true; text: string } | { ok: false; reason: 'fault' | 'invalid' } {
    if ((len >>> 0) > maxBytes) return { ok: false, reason: 'invalid' };
    const v = this.view(ptr, len);
    if (v === undefined) return { ok: false, reason: 'fault' };
    try {
      return { ok: true, text: utf8.decode(v) };
    } catch {
      return { ok: false, reason: 'invalid' };
    }
  }

  /** Text with invalid UTF-8 replaced by U+FFFD (for logs), or undefined when out of bounds. */
  lossyText(ptr: number, len: number): string | undefined {
    const v = this.view(ptr, len);
    return v === undefined ? undefined : utf8Lossy.decode(v);
  }

  /** Writes bytes at ptr; false (nothing written) when out of bounds. */
  write(ptr: number, bytes: Uint8Array): boolean {
    const v = this.view(ptr, bytes.length);
    if (v === undefined) return false;
    v.set(bytes);
    return true;
  }

  writeU8(ptr: number, value: number): boolean {
    const dv = this.dataView(ptr, 1);
    if (dv === undefined) return false;
    dv.setUint8(0, value);
    return true;
  }

  writeU16(ptr: number, value: number): boolean {
    const dv = this.dataView(ptr, 2);
    if (dv === undefined) return false;
    dv.setUint16(0, value, true);
    return true;
  }

  writeU32(ptr: number, value: number): boolean {
    const dv = this.dataView(ptr, 4);
    if (dv === undefined) return false;
    dv.setUint32(0, value >>> 0, true);
    return true;
  }

  writeU64(ptr: number, value: bigint): boolean {
    const dv = this.dataView(ptr, 8);
    if (dv === undefined) return false;
    dv.setBigUint64(0, BigInt.asUintN(64, value), true);
    return true;
  }

  writeF64(ptr: number, value: number): boolean {
    const dv = this.dataView(ptr, 8);
    if (dv === undefined) return false;
    dv.setFloat64(0, value, true);
    return true;
  }

  readU8(ptr: number): number | undefined {
    return this.dataView(ptr, 1)?.getUint8(0);
  }

  readU16(ptr: number): number | undefined {
    return this.dataView(ptr, 2)?.getUint16(0, true);
  }

  readU32(ptr: number): number | undefined {
    return this.dataView(ptr, 4)?.getUint32(0, true);
  }

  readU64(ptr: number): bigint | undefined {
    return this.dataView(ptr, 8)?.getBigUint64(0, true);
  }

  private dataView(ptr: number, len: number): DataView | undefined {
    const m = this.mem?.();
    if (m === undefined) return undefined;
    const p = ptr >>> 0;
    if (p + len > m.byteLength) return undefined;
    return new DataView(m.buffer, p, len);
  }
}
