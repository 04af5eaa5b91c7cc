// The strict pre-scan of untrusted CBOR bytes: walks every item once, without building values,
// and refuses anything fleetlet does not accept (see `CborErrorCode`) before a decoder sees it.

import { CborError } from './errors.ts';
import type { ResolvedCborOptions } from './options.ts';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** One item's initial byte and argument. */
interface Head {
  readonly major: number;
  readonly ai: number;
  /** The argument (a length, an integer, a tag number); exact up to 2^53 - 1, `Infinity` above. */
  readonly arg: number;
  readonly start: number;
}

/**
 * Checks that `bytes` hold exactly one CBOR item that fleetlet accepts under `options`.
 * @throws CborError naming the first problem and its byte offset
 */
export function scanCbor(bytes: Uint8Array, options: ResolvedCborOptions): void {
  if (bytes.length > options.maxBytes) {
    throw new CborError('too-large', options.maxBytes, `Input of ${bytes.length} bytes exceeds the limit of ${options.maxBytes} bytes`);
  }
  const scanner = new Scanner(bytes, options);
  scanner.item(0);
  if (scanner.pos !== bytes.length) {
    throw new CborError('trailing-bytes', scanner.pos, `${bytes.length - scanner.pos} bytes follow the CBOR item`);
  }
}

class Scanner {
  pos = 0;

  constructor(
    private readonly b: Uint8Array,
    private readonly o: ResolvedCborOptions,
  ) {}

  /** Scans one item whose enclosing containers number `depth`. */
  item(depth: number): void {
    const h = this.head();
    switch (h.major) {
      case 0:
        if (h.arg > MAX_SAFE) throw new CborError('integer-out-of-range', h.start, 'Unsigned integer exceeds 2^53 - 1');
        return;
      case 1:
        if (h.arg > MAX_SAFE - 1) throw new CborError('integer-out-of-range', h.start, 'Negative integer is below -(2^53 - 1)');
        return;
      case 2:
      case 3:
        this.string(h);
        return;
      case 4:
        this.enter(h, depth);
        for (let i = 0; i < h.arg; i++) this.item(depth + 1);
        return;
      case 5:
        this.enter(h, depth);
        this.map(h, depth + 1);
        return;
      case 6:
        if (!this.o.tags.has(h.arg)) throw new CborError('tag-not-allowed', h.start, `Tag "${h.arg}" is not allowed here`);
        this.enter(h, depth);
        this.item(depth + 1);
        return;
      default:
        this.simple(h);
    }
  }

  /** Reads an initial byte and its argument, refusing reserved and indefinite forms. */
  private head(): Head {
    const start = this.pos;
    const b = this.b;
    if (start >= b.length) throw new CborError('truncated', start, 'Input ends where an item should start');
    const ib = b[start];
    const major = ib >> 5;
    const ai = ib & 0x1f;
    this.pos = start + 1;
    if (ai < 24) return { major, ai, arg: ai, start };
    if (ai === 31) {
      if (major >= 2 && major <= 5) throw new CborError('indefinite-length', start, 'Indefinite-length items are not allowed');
      if (major === 7) throw new CborError('malformed', start, 'Break code outside an indefinite-length item');
      throw new CborError('malformed', start, `Additional information 31 is not valid for major type ${major}`);
    }
    if (ai > 27) throw new CborError('malformed', start, `Reserved additional information "${ai}"`);
    if (major === 7) return { major, ai, arg: 0, start }; // floats and one-byte simple values: read by simple()
    const size = 1 << (ai - 24);
    this.need(size, start);
    let arg = 0;
    if (size === 8) {
      const hi = (b[start + 1] * 0x1000000 + ((b[start + 2] << 16) | (b[start + 3] << 8) | b[start + 4])) >>> 0;
      const lo = (b[start + 5] * 0x1000000 + ((b[start + 6] << 16) | (b[start + 7] << 8) | b[start + 8])) >>> 0;
      arg = hi > 0x1fffff ? Infinity : hi * 0x100000000 + lo;
    } else {
      for (let i = 1; i <= size; i++) arg = arg * 256 + b[start + i];
    }
    this.pos = start + 1 + size;
    if (this.o.canonical) {
      const shortestAi = arg < 24 ? -1 : arg < 0x100 ? 24 : arg < 0x10000 ? 25 : arg < 0x100000000 ? 26 : 27;
      if (ai !== shortestAi) throw new CborError('non-shortest', start, `Argument "${arg}" is not in its shortest form`);
    }
    return { major, ai, arg, start };
  }

  /** Checks that `n` more bytes exist after the initial byte at `start`. */
  private need(n: number, start: number): void {
    if (this.pos + n > this.b.length) throw new CborError('truncated', start, 'Input ends inside an item');
  }

  private string(h: Head): void {
    if (h.arg > this.o.maxStringBytes) {
      throw new CborError('string-too-long', h.start, `String of ${h.arg} bytes exceeds the limit of ${this.o.maxStringBytes} bytes`);
    }
    this.need(h.arg, h.start);
    const from = this.pos;
    this.pos += h.arg;
    if (h.major === 3) checkText(this.b, from, this.pos, h.start);
  }

  /** Checks the nesting and entry-count bounds of an array, map or tag about to be entered. */
  private enter(h: Head, depth: number): void {
    if (depth + 1 > this.o.maxDepth) throw new CborError('too-deep', h.start, `Nesting exceeds the limit of ${this.o.maxDepth}`);
    if (h.major !== 6 && h.arg > this.o.maxItems) {
      throw new CborError('too-many-items', h.start, `${h.major === 4 ? 'Array' : 'Map'} of ${h.arg} entries exceeds the limit of ${this.o.maxItems}`);
    }
  }

  private map(h: Head, depth: number): void {
    let prevStart = -1;
    let prevEnd = -1;
    const seen = this.o.canonical ? undefined : new Set<string>();
    for (let i = 0; i < h.arg; i++) {
      const keyStart = this.pos;
      if (keyStart >= this.b.length) throw new CborError('truncated', keyStart, 'Input ends where a map key should start');
      const major = this.b[keyStart] >> 5;
      if (!(major === 3 || (this.o.intKeys && (major === 0 || major === 1)))) {
        throw new CborError('key-type', keyStart, this.o.intKeys ? 'Map key is neither text nor an integer' : 'Map key is not text');
      }
      this.item(depth);
      const keyEnd = this.pos;
      if (seen === undefined) {
        if (prevStart >= 0) {
          const order = compareBytes(this.b, prevStart, prevEnd, keyStart, keyEnd);
          if (order === 0) throw new CborError('duplicate-key', keyStart, `Duplicate map key ${describeKey(this.b, keyStart, keyEnd)}`);
          if (order > 0) throw new CborError('unsorted-keys', keyStart, `Map key ${describeKey(this.b, keyStart, keyEnd)} is out of order`);
        }
        prevStart = keyStart;
        prevEnd = keyEnd;
      } else {
        const id = keyIdentity(this.b, keyStart, keyEnd);
        if (seen.has(id)) throw new CborError('duplicate-key', keyStart, `Duplicate map key ${describeKey(this.b, keyStart, keyEnd)}`);
        seen.add(id);
      }
      this.item(depth);
    }
  }

  /** Major type 7: false, true and null pass; floats pass when allowed and finite. */
  private simple(h: Head): void {
    if (h.ai === 20 || h.ai === 21 || h.ai === 22) return;
    if (h.ai < 25) throw new CborError('simple-not-allowed', h.start, h.ai === 23 ? 'Undefined is not allowed' : 'Simple values other than false, true and null are not allowed');
    const size = 1 << (h.ai - 24);
    this.need(size, h.start);
    if (!this.o.floats) throw new CborError('float-not-allowed', h.start, 'Floating-point numbers are not allowed here');
    const b = this.b;
    const p = h.start + 1;
    const exponentAllOnes =
      size === 2 ? (b[p] & 0x7c) === 0x7c : size === 4 ? (b[p] & 0x7f) === 0x7f && (b[p + 1] & 0x80) === 0x80 : (b[p] & 0x7f) === 0x7f && (b[p + 1] & 0xf0) === 0xf0;
    if (exponentAllOnes) throw new CborError('non-finite-float', h.start, 'NaN and infinities are not allowed');
    this.pos = p + size;
  }
}

/** Refuses invalid UTF-8 and a leading byte order mark (which decoders silently drop). */
function checkText(b: Uint8Array, from: number, to: number, itemStart: number): void {
  if (to - from >= 3 && b[from] === 0xef && b[from + 1] === 0xbb && b[from + 2] === 0xbf) {
    throw new CborError('invalid-text', itemStart, 'Text string starts with a byte order mark');
  }
  let ascii = true;
  for (let i = from; i < to; i++) {
    if (b[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return;
  try {
    utf8.decode(b.subarray(from, to));
  } catch {
    throw new CborError('invalid-text', itemStart, 'Text string is not valid UTF-8');
  }
}

/** Bytewise lexicographic order of two byte ranges (a proper prefix sorts first). */
function compareBytes(b: Uint8Array, s1: number, e1: number, s2: number, e2: number): number {
  const n = Math.min(e1 - s1, e2 - s2);
  for (let i = 0; i < n; i++) {
    const d = b[s1 + i] - b[s2 + i];
    if (d !== 0) return d;
  }
  return e1 - s1 - (e2 - s2);
}

/** What a key means, independent of how long its head is (for non-canonical duplicate checks). */
function keyIdentity(b: Uint8Array, start: number, end: number): string {
  const major = b[start] >> 5;
  const ai = b[start] & 0x1f;
  const headLen = ai < 24 ? 1 : 1 + (1 << (ai - 24));
  if (major === 3) return 't' + Buffer.from(b.buffer, b.byteOffset + start + headLen, end - start - headLen).toString('latin1');
  let arg = 0;
  if (ai < 24) arg = ai;
  else for (let i = 1; i < headLen; i++) arg = arg * 256 + b[start + i];
  return (major === 0 ? 'u' : 'n') + String(arg);
}

/** A key for an error message: quoted text, or the integer. */
function describeKey(b: Uint8Array, start: number, end: number): string {
  const id = keyIdentity(b, start, end);
  if (id[0] === 't') return `"${Buffer.from(id.slice(1), 'latin1').toString('utf8')}"`;
  return id[0] === 'u' ? `"${id.slice(1)}"` : `"${-1 - Number(id.slice(1))}"`;
}
