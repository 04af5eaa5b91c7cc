// The decoder's byte cursor: fixed-width and LEB128 integers with the spec's exact length and
// range rules, strict UTF-8 names and vector counts, all read within a movable end limit.

import { DecodeError } from '../errors.ts';

// ignoreBOM keeps a leading U+FEFF in the name instead of silently dropping it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Names up to this length that are pure ASCII are built without the TextDecoder. */
const SHORT_NAME = 64;

/**
 * A cursor over a module binary. `end` is the current limit (the end of the enclosing section
 * or function body, or of the whole input); nothing is read at or past it.
 */
export class Reader {
  pos: number;
  end: number;
  /** High 32 bits of the last value read by `s64` or `f64` (the low bits are returned). */
  hi = 0;
  /** Whether `end` is the end of a section (or a body in one), which error messages say. */
  inSection = false;

  constructor(readonly bytes: Uint8Array, pos = 0, end = bytes.length) {
    this.pos = pos;
    this.end = end;
  }

  /** @throws DecodeError always, with `what` at byte `at` */
  fail(what: string, at: number = this.pos): never {
    throw new DecodeError(what, at);
  }

  /** Bytes left before the current limit. */
  remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  private truncated(): never {
    this.fail(this.inSection || this.end !== this.bytes.length ? 'Unexpected end of section or function' : 'Unexpected end', this.end);
  }

  /** @throws DecodeError past the limit */
  u8(): number {
    if (this.pos >= this.end) this.truncated();
    return this.bytes[this.pos++];
  }

  /** The next byte without consuming it, or -1 at the limit. */
  peek(): number {
    return this.pos < this.end ? this.bytes[this.pos] : -1;
  }

  /** A little-endian 32-bit word as a signed int32 (float bit patterns). */
  fixed32(): number {
    const p = this.pos;
    if (this.end - p < 4) this.truncated();
    const b = this.bytes;
    this.pos = p + 4;
    return b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
  }

  /** Unsigned LEB128 of at most 32 bits (at most 5 bytes), as a non-negative number. */
  u32(): number {
    const b = this.bytes;
    let p = this.pos;
    const end = this.end;
    if (p < end && b[p] < 0x80) {
      this.pos = p + 1;
      return b[p];
    }
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      if (p >= end) this.truncated();
      const byte = b[p++];
      if (shift === 28) {
        if ((byte & 0x70) !== 0) this.fail('Integer too large: unused bits of a u32 must be zero', p - 1);
        if ((byte & 0x80) !== 0) this.fail('Integer representation too long: a u32 takes at most 5 bytes', p);
        result = (result | (byte << 28)) >>> 0;
        break;
      }
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
    }
    this.pos = p;
    return result >>> 0;
  }

  /** Signed LEB128 of at most 32 bits (at most 5 bytes), as an int32. */
  s32(): number {
    const b = this.bytes;
    let p = this.pos;
    const end = this.end;
    let result = 0;
    let shift = 0;
    let byte: number;
    for (;;) {
      if (p >= end) this.truncated();
      byte = b[p++];
      if (shift === 28) {
        const high = byte & 0x78;
        if (high !== 0 && high !== 0x78) this.fail('Integer too large: unused bits of an s32 must extend its sign', p - 1);
        if ((byte & 0x80) !== 0) this.fail('Integer representation too long: an s32 takes at most 5 bytes', p);
        result |= byte << 28;
        shift = 35;
        break;
      }
      result |= (byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
    }
    this.pos = p;
    if (shift < 32 && (byte & 0x40) !== 0) result |= -1 << shift;
    return result | 0;
  }

  /**
   * Signed LEB128 of at most 33 bits (at most 5 bytes), as a number in -2^32..2^32-1.
   * `bytesRead` is set to the encoding's length (block types care about it).
   */
  s33(): number {
    const b = this.bytes;
    let p = this.pos;
    const end = this.end;
    let result = 0;
    let scale = 1;
    let byte: number;
    for (let i = 0; ; i++) {
      if (p >= end) this.truncated();
      byte = b[p++];
      if (i === 4) {
        const high = byte & 0x70;
        if (high !== 0 && high !== 0x70) this.fail('Integer too large: unused bits of an s33 must extend its sign', p - 1);
        if ((byte & 0x80) !== 0) this.fail('Integer representation too long: an s33 takes at most 5 bytes', p);
      }
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) break;
    }
    this.bytesRead = p - this.pos;
    this.pos = p;
    return (byte & 0x40) !== 0 ? result - scale : result;
  }

  /** Length in bytes of the last `s33` encoding. */
  bytesRead = 0;

  /** Signed LEB128 of at most 64 bits (at most 10 bytes): returns the low 32 bits, sets `hi`. */
  s64(): number {
    const b = this.bytes;
    let p = this.pos;
    const end = this.end;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let byte: number;
    for (;;) {
      if (p >= end) this.truncated();
      byte = b[p++];
      const payload = byte & 0x7f;
      if (shift === 63) {
        if (payload !== 0 && payload !== 0x7f) this.fail('Integer too large: unused bits of an s64 must extend its sign', p - 1);
        if ((byte & 0x80) !== 0) this.fail('Integer representation too long: an s64 takes at most 10 bytes', p);
        hi |= byte << 31;
        shift = 70;
        break;
      }
      if (shift < 32) {
        lo |= payload << shift;
        if (shift > 25) hi |= payload >>> (32 - shift);
      } else {
        hi |= payload << (shift - 32);
      }
      shift += 7;
      if ((byte & 0x80) === 0) break;
    }
    this.pos = p;
    if ((byte & 0x40) !== 0 && shift < 64) {
      if (shift < 32) {
        lo |= -1 << shift;
        hi = -1;
      } else {
        hi |= -1 << (shift - 32);
      }
    }
    this.hi = hi | 0;
    return lo | 0;
  }

  /** A 64-bit little-endian float pattern: returns the low word, sets `hi`. */
  fixed64(): number {
    const lo = this.fixed32();
    this.hi = this.fixed32();
    return lo;
  }

  /**
   * A vector length, checked against the bytes left: each entry takes at least `minEntryBytes`,
   * so no count larger than the input could hold ever drives an allocation.
   * @throws DecodeError when the count cannot fit before the limit
   */
  count(what: string, minEntryBytes = 1): number {
    const at = this.pos;
    const n = this.u32();
    if (n * minEntryBytes > this.end - this.pos) {
      this.fail(`Length out of bounds: ${what} count "${n}" exceeds the ${this.end - this.pos} bytes left`, at);
    }
    return n;
  }

  /**
   * Bytes `from`..`to` of the input as a fresh plain Uint8Array. (A Node Buffer's `slice` shares
   * memory with the Buffer, so copying goes through the Uint8Array constructor instead.)
   */
  copy(from: number, to: number): Uint8Array {
    return new Uint8Array(this.bytes.subarray(from, to));
  }

  /** A length-prefixed byte string, copied out of the input. */
  byteString(what: string): Uint8Array {
    const at = this.pos;
    const n = this.u32();
    if (n > this.end - this.pos) this.fail(`Length out of bounds: ${what} length "${n}" exceeds the ${this.end - this.pos} bytes left`, at);
    const p = this.pos;
    this.pos = p + n;
    return this.copy(p, p + n);
  }

  /** A name: a length-prefixed string that must be valid UTF-8. */
  name(): string {
    const at = this.pos;
    const n = this.u32();
    if (n > this.end - this.pos) this.fail(`Length out of bounds: name length "${n}" exceeds the ${this.end - this.pos} bytes left`, at);
    const b = this.bytes;
    const p = this.pos;
    const stop = p + n;
    this.pos = stop;
    let ascii = n <= SHORT_NAME;
    for (let i = p; ascii && i < stop; i++) {
      if (b[i] >= 0x80) ascii = false;
    }
    if (ascii) {
      // Most names are short ASCII identifiers: skip the TextDecoder round trip for them.
      let s = '';
      for (let i = p; i < stop; i++) s += String.fromCharCode(b[i]);
      return s;
    }
    try {
      return utf8.decode(b.subarray(p, stop));
    } catch {
      return this.fail('Malformed UTF-8 encoding in a name', at);
    }
  }
}
