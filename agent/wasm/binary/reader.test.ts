// Tests for the decoder's byte cursor: LEB128 edge cases, fixed-width words, names and counts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError } from '../errors.ts';
import { Reader } from './reader.ts';
import { sleb, uleb } from './_testing.ts';

function reader(bytes: readonly number[]): Reader {
  return new Reader(new Uint8Array(bytes));
}

function failure(f: () => unknown): DecodeError {
  try {
    f();
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw new Error(`expected a DecodeError, got ${String(e)}`);
  }
  throw new Error('expected a DecodeError, got a result');
}

describe('Reader.u32', () => {
  it.each([
    [[0x00], 0],
    [[0x7f], 127],
    [[0x80, 0x01], 128],
    [[0xe5, 0x8e, 0x26], 624485],
    [[0xff, 0xff, 0xff, 0xff, 0x0f], 4294967295],
    [[0x80, 0x80, 0x80, 0x80, 0x08], 2147483648],
    [[0x80, 0x80, 0x80, 0x80, 0x00], 0],
    [[0x83, 0x80, 0x80, 0x80, 0x00], 3],
  ])('reads %j as %d and consumes every byte', (bytes, value) => {
    const r = reader(bytes);
    expect(r.u32()).toBe(value);
    expect(r.pos).toBe(bytes.length);
  });

  it('rejects set bits above bit 31 in the fifth byte as integer too large', () => {
    for (const last of [0x10, 0x1f, 0x40, 0x70]) {
      const e = failure(() => reader([0xff, 0xff, 0xff, 0xff, last]).u32());
      expect(e.what).toMatch(/^Integer too large/);
      expect(e.offset).toBe(4);
    }
  });

  it('rejects a sixth byte as integer representation too long', () => {
    const e = failure(() => reader([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]).u32());
    expect(e.what).toMatch(/^Integer representation too long/);
  });

  it('rejects a truncated encoding as an unexpected end', () => {
    expect(failure(() => reader([0x80]).u32()).what).toMatch(/^Unexpected end/);
    expect(failure(() => reader([]).u32()).what).toMatch(/^Unexpected end/);
  });

  it('says end of section when the limit is a section end, not the input end', () => {
    const r = new Reader(new Uint8Array([0x80, 0x80, 0x01]), 0, 2);
    const e = failure(() => r.u32());
    expect(e.what).toBe('Unexpected end of section or function');
    expect(e.offset).toBe(2);
  });

  it('round-trips every u32 written as minimal and as 5-byte padded LEB128', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      expect(reader(uleb(n)).u32()).toBe(n);
      const padded = [(n & 0x7f) | 0x80, ((n >>> 7) & 0x7f) | 0x80, ((n >>> 14) & 0x7f) | 0x80, ((n >>> 21) & 0x7f) | 0x80, n >>> 28];
      expect(reader(padded).u32()).toBe(n);
    }));
  });
});

describe('Reader.s32', () => {
  it.each([
    [[0x00], 0],
    [[0x7f], -1],
    [[0x3f], 63],
    [[0x40], -64],
    [[0xc0, 0x00], 64],
    [[0xbf, 0x7f], -65],
    [[0xff, 0xff, 0xff, 0xff, 0x07], 2147483647],
    [[0x80, 0x80, 0x80, 0x80, 0x78], -2147483648],
    [[0xff, 0xff, 0xff, 0xff, 0x7f], -1],
    [[0x80, 0x80, 0x80, 0x80, 0x00], 0],
  ])('reads %j as %d', (bytes, value) => {
    const r = reader(bytes);
    expect(r.s32()).toBe(value);
    expect(r.pos).toBe(bytes.length);
  });

  it('rejects fifth-byte bits 4..6 that do not extend bit 3 as integer too large', () => {
    for (const last of [0x08, 0x70, 0x77, 0x0f, 0x10, 0x40]) {
      expect(failure(() => reader([0x80, 0x80, 0x80, 0x80, last]).s32()).what).toMatch(/^Integer too large/);
    }
  });

  it('rejects a sixth byte as integer representation too long', () => {
    expect(failure(() => reader([0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).s32()).what).toMatch(/^Integer representation too long/);
  });

  it('round-trips every int32', () => {
    fc.assert(fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (n) => {
      expect(reader(sleb(n)).s32()).toBe(n);
    }));
  });
});

describe('Reader.s33', () => {
  it.each([
    [[0x40], -64, 1],
    [[0x7f], -1, 1],
    [[0x00], 0, 1],
    [[0xc0, 0x7f], -64, 2],
    [[0xff, 0xff, 0xff, 0xff, 0x0f], 4294967295, 5],
    [[0x80, 0x80, 0x80, 0x80, 0x70], -4294967296, 5],
  ])('reads %j as %d in %d bytes', (bytes, value, length) => {
    const r = reader(bytes);
    expect(r.s33()).toBe(value);
    expect(r.bytesRead).toBe(length);
  });

  it('rejects fifth-byte bits 5..6 that do not extend bit 4, and a sixth byte', () => {
    expect(failure(() => reader([0x80, 0x80, 0x80, 0x80, 0x10]).s33()).what).toMatch(/^Integer too large/);
    expect(failure(() => reader([0x80, 0x80, 0x80, 0x80, 0x60]).s33()).what).toMatch(/^Integer too large/);
    expect(failure(() => reader([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]).s33()).what).toMatch(/^Integer representation too long/);
  });
});

describe('Reader.s64', () => {
  function s64(bytes: readonly number[]): bigint {
    const r = reader(bytes);
    const lo = r.s64();
    expect(r.pos).toBe(bytes.length);
    return (BigInt(r.hi) << 32n) | BigInt(lo >>> 0);
  }

  it.each([
    [[0x00], 0n],
    [[0x7f], -1n],
    [[0x80, 0x80, 0x80, 0x80, 0x08], 2147483648n],
    [[0x80, 0x80, 0x80, 0x80, 0x78], -2147483648n],
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00], 0x7fffffffffffffffn],
    [[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f], -0x8000000000000000n],
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], -1n],
    [[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], 0n],
  ])('reads %j as %d', (bytes, value) => {
    expect(s64(bytes)).toBe(value);
  });

  it('rejects a tenth byte other than 0x00 or 0x7f as integer too large', () => {
    for (const last of [0x01, 0x02, 0x7e, 0x40]) {
      expect(failure(() => reader([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, last]).s64()).what)
        .toMatch(/^Integer too large/);
    }
  });

  it('rejects an eleventh byte as integer representation too long', () => {
    expect(failure(() => reader([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]).s64()).what)
      .toMatch(/^Integer representation too long/);
  });

  it('round-trips every int64', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
      expect(s64(sleb(n))).toBe(n);
    }));
  });
});

describe('Reader fixed-width words', () => {
  it('reads little-endian 32- and 64-bit patterns as signed words', () => {
    const r = reader([0x00, 0x00, 0xc0, 0x7f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88]);
    expect(r.fixed32()).toBe(0x7fc00000);
    expect(r.fixed64()).toBe(0x04030201);
    expect(r.hi).toBe(0x88070605 | 0);
  });

  it('rejects a word cut by the limit', () => {
    expect(failure(() => reader([0x00, 0x00, 0x80]).fixed32()).what).toMatch(/^Unexpected end/);
  });
});

describe('Reader.name', () => {
  function nameOf(bytes: readonly number[]): string {
    return reader([...uleb(bytes.length), ...bytes]).name();
  }

  it('decodes ASCII, multi-byte and four-byte UTF-8', () => {
    expect(nameOf([0x61, 0x62])).toBe('ab');
    expect(nameOf([])).toBe('');
    expect(nameOf([0xc3, 0xa9])).toBe('\u00e9');
    expect(nameOf([0xe2, 0x82, 0xac])).toBe('\u20ac');
    expect(nameOf([0xf0, 0x9f, 0x98, 0x80])).toBe('\u{1f600}');
  });

  it('keeps a leading byte order mark', () => {
    expect(nameOf([0xef, 0xbb, 0xbf, 0x61])).toBe('\ufeffa');
  });

  it('decodes a long ASCII name', () => {
    const long = 'x'.repeat(1000);
    expect(nameOf([...long].map((c) => c.charCodeAt(0)))).toBe(long);
  });

  it.each([
    [[0xff]],
    [[0x80]],
    [[0xc0, 0x80]],
    [[0xc3]],
    [[0xe2, 0x82]],
    [[0xed, 0xa0, 0x80]],
    [[0xf4, 0x90, 0x80, 0x80]],
    [[0xf8, 0x88, 0x80, 0x80, 0x80]],
  ])('rejects malformed UTF-8 %j', (bytes) => {
    expect(failure(() => nameOf(bytes)).what).toMatch(/^Malformed UTF-8 encoding/);
  });

  it('rejects a length past the limit without reading', () => {
    const e = failure(() => reader([0x05, 0x61]).name());
    expect(e.what).toMatch(/^Length out of bounds/);
    expect(e.offset).toBe(0);
  });
});

describe('Reader.count', () => {
  it('accepts a count whose entries can fit in the bytes left', () => {
    expect(reader([0x03, 1, 2, 3]).count('thing')).toBe(3);
    expect(reader([0x02, 1, 2, 3, 4]).count('thing', 2)).toBe(2);
  });

  it('rejects a count larger than the bytes left could hold', () => {
    expect(failure(() => reader([0x04, 1, 2, 3]).count('thing')).what).toMatch(/^Length out of bounds: thing count "4"/);
    expect(failure(() => reader([0x02, 1, 2, 3]).count('thing', 2)).what).toMatch(/^Length out of bounds/);
    expect(failure(() => reader([0xff, 0xff, 0xff, 0xff, 0x0f]).count('thing')).what).toMatch(/^Length out of bounds/);
  });
});
