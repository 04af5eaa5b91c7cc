// Tests of fleetlet's strict CBOR: encodings from RFC 8949 Appendix A written out by hand, one
// refused input per error code, and round trips of generated values.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborError, decodeCbor, encodeCbor, Tagged, type CborDecodeOptions, type CborErrorCode } from './index.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function refusal(input: string, options: CborDecodeOptions = {}): CborError {
  try {
    decodeCbor(hex(input), options);
  } catch (e) {
    if (e instanceof CborError) return e;
    throw e;
  }
  throw new Error(`decodeCbor accepted "${input}"`);
}

// [value, hex] pairs from RFC 8949 Appendix A (the ones a fleetlet document can hold).
const APPENDIX_A: [unknown, string][] = [
  [0, '00'],
  [1, '01'],
  [10, '0a'],
  [23, '17'],
  [24, '1818'],
  [25, '1819'],
  [100, '1864'],
  [1000, '1903e8'],
  [1000000, '1a000f4240'],
  [1000000000000, '1b000000e8d4a51000'],
  [-1, '20'],
  [-10, '29'],
  [-100, '3863'],
  [-1000, '3903e7'],
  [false, 'f4'],
  [true, 'f5'],
  [null, 'f6'],
  [new Uint8Array(0), '40'],
  [new Uint8Array([1, 2, 3, 4]), '4401020304'],
  ['', '60'],
  ['a', '6161'],
  ['IETF', '6449455446'],
  ['"\\', '62225c'],
  ['\u00fc', '62c3bc'],
  ['\u6c34', '63e6b0b4'],
  ['\u{10151}', '64f0908591'],
  [[], '80'],
  [[1, 2, 3], '83010203'],
  [[1, [2, 3], [4, 5]], '8301820203820405'],
  [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
  [{}, 'a0'],
  [{ a: 1, b: [2, 3] }, 'a26161016162820203'],
  [['a', { b: 'c' }], '826161a161626163'],
  [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
];

describe('encodeCbor', () => {
  it.each(APPENDIX_A)('encodes %j as in RFC 8949 Appendix A', (value, expected) => {
    expect(toHex(encodeCbor(value))).toBe(expected);
  });

  it('sorts map keys bytewise by their encodings, not length first (RFC 8949 section 4.2.1)', () => {
    const m = new Map<string | number, unknown>([['aa', 5], ['z', 4], [-1, 3], [100, 2], [10, 1]]);
    // keys in order: 10 (0a), 100 (1864), -1 (20), "z" (617a), "aa" (626161)
    expect(toHex(encodeCbor(m))).toBe('a50a011864022003617a0462616105');
  });

  it('sorts object keys regardless of insertion order', () => {
    expect(toHex(encodeCbor({ b: 2, a: 1 }))).toBe('a2616101616202');
  });

  it('writes the largest safe integers in 8-byte form', () => {
    expect(toHex(encodeCbor(Number.MAX_SAFE_INTEGER))).toBe('1b001fffffffffffff');
    expect(toHex(encodeCbor(-Number.MAX_SAFE_INTEGER))).toBe('3b001ffffffffffffe');
  });

  it('writes floats in their shortest exact form when floats are admitted', () => {
    expect(toHex(encodeCbor(1.5, { floats: true }))).toBe('f93e00');
    expect(toHex(encodeCbor(5.960464477539063e-8, { floats: true }))).toBe('f90001');
    expect(toHex(encodeCbor(3.4028234663852886e38, { floats: true }))).toBe('fa7f7fffff');
    expect(toHex(encodeCbor(1.1, { floats: true }))).toBe('fb3ff199999999999a');
  });

  it('writes a tag head before the tagged value', () => {
    expect(toHex(encodeCbor(new Tagged(18, [1])))).toBe('d28101');
  });

  it.each<[string, unknown]>([
    ['undefined field', { a: undefined }],
    ['float without floats', { a: 1.5 }],
    ['integer beyond 2^53', 2 ** 53],
    ['NaN', Number.NaN],
    ['infinity with floats', Infinity],
    ['bigint', 1n],
    ['symbol', Symbol('x')],
    ['function', () => 1],
    ['Date', new Date(0)],
    ['class instance', new (class Point { x = 1; })()],
    ['nested undefined', [1, [undefined]]],
    ['boolean map key', new Map([[true, 1]])],
  ])('refuses a value with no place in a document: %s', (_name, value) => {
    let caught: unknown;
    try {
      encodeCbor(value, { floats: value === Infinity });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CborError);
    expect((caught as CborError).code).toBe('unsupported-value');
  });
});

describe('decodeCbor', () => {
  it.each(APPENDIX_A)('decodes %j from its RFC 8949 Appendix A encoding', (value, encoded) => {
    expect(decodeCbor(hex(encoded))).toEqual(value);
  });

  it('decodes integer-keyed maps as Map when intKeys is set, in RFC 8949 order only', () => {
    const m = decodeCbor(hex('a2 1864 01 20 02'), { intKeys: true });
    expect(m).toEqual(new Map([[100, 1], [-1, 2]]));
    // RFC 7049 length-first order puts -1 (20) before 100 (1864): not canonical any more
    expect(refusal('a2 20 02 1864 01', { intKeys: true }).code).toBe('unsorted-keys');
  });

  it('decodes an allowed tag as Tagged', () => {
    const v = decodeCbor(hex('d2 8101'), { tags: [18] });
    expect(v).toBeInstanceOf(Tagged);
    expect((v as Tagged).tag).toBe(18);
    expect((v as Tagged).value).toEqual([1]);
  });

  it('keeps a "__proto__" key as an own property without touching the prototype', () => {
    const v = decodeCbor(hex('a1 69 5f5f70726f746f5f5f 01')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
  });

  it('accepts non-shortest heads and unsorted keys only when not canonical', () => {
    expect(decodeCbor(hex('1817'), { canonical: false })).toBe(23);
    expect(decodeCbor(hex('b9 0000'), { canonical: false })).toEqual({});
    expect(decodeCbor(hex('a2 6162 01 6161 02'), { canonical: false })).toEqual({ a: 2, b: 1 });
  });

  it('decodes floats in non-canonical documents that admit them', () => {
    expect(decodeCbor(hex('f93e00'), { canonical: false, floats: true })).toBe(1.5);
    expect(decodeCbor(hex('fa47c35000'), { canonical: false, floats: true })).toBe(100000);
    expect(decodeCbor(hex('fb3ff199999999999a'), { canonical: false, floats: true })).toBe(1.1);
  });

  const NON_CANONICAL = { canonical: false } as const;
  const FLOATS = { canonical: false, floats: true } as const;
  it.each<[CborErrorCode, string, CborDecodeOptions, number]>([
    ['too-large', '83010203', { maxBytes: 3 }, 3],
    ['truncated', '', {}, 0],
    ['truncated', '830102', {}, 3],
    ['truncated', '1a0000', {}, 0],
    ['truncated', '6261', {}, 0],
    ['truncated', 'a1 6161', {}, 3],
    ['truncated', 'a1', {}, 1],
    ['trailing-bytes', '0000', {}, 1],
    ['malformed', 'ff', {}, 0],
    ['malformed', '1c', {}, 0],
    ['malformed', 'df', {}, 0],
    ['malformed', '81 fe', {}, 1],
    ['indefinite-length', '9f01ff', {}, 0],
    ['indefinite-length', '5f 4101 ff', {}, 0],
    ['indefinite-length', '7f ff', {}, 0],
    ['indefinite-length', 'a1 6161 bf ff', {}, 3],
    ['too-deep', '818181 01', { maxDepth: 2 }, 2],
    ['too-deep', 'd2 d2 01', { maxDepth: 1, tags: [18] }, 1],
    ['string-too-long', '43010203', { maxStringBytes: 2 }, 0],
    ['string-too-long', '7a ffffffff', {}, 0],
    ['too-many-items', '83010203', { maxItems: 2 }, 0],
    ['too-many-items', 'a3 6161 01 6162 02 6163 03', { maxItems: 2 }, 0],
    ['too-many-items', '9b 001fffffffffffff', {}, 0],
    ['tag-not-allowed', 'c1 1a514b67b0', {}, 0],
    ['tag-not-allowed', 'd2 80', { tags: [98] }, 0],
    ['duplicate-key', 'a2 6161 01 6161 02', {}, 4],
    ['duplicate-key', 'a2 6161 01 6161 02', NON_CANONICAL, 4],
    ['duplicate-key', 'a2 6161 01 7801 61 02', NON_CANONICAL, 4],
    ['duplicate-key', 'a2 01 01 1801 02', { canonical: false, intKeys: true }, 3],
    ['unsorted-keys', 'a2 6162 01 6161 02', {}, 4],
    ['non-shortest', '1817', {}, 0],
    ['non-shortest', '190001', {}, 0],
    ['non-shortest', '1b 00000000ffffffff', {}, 0],
    ['non-shortest', 'b8 00', {}, 0],
    ['non-shortest', '58 01 00', {}, 0],
    ['non-shortest', 'd8 12 80', { tags: [18] }, 0],
    ['key-type', 'a1 01 02', {}, 1],
    ['key-type', 'a1 40 01', { intKeys: true }, 1],
    ['key-type', 'a1 80 01', NON_CANONICAL, 1],
    ['invalid-text', '62 c328', {}, 0],
    ['invalid-text', '62 c080', {}, 0],
    ['invalid-text', '63 eda080', {}, 0],
    ['invalid-text', '64 f4908080', {}, 0],
    ['invalid-text', '63 efbbbf', {}, 0],
    ['float-not-allowed', 'f93e00', {}, 0],
    ['float-not-allowed', 'fb3ff199999999999a', NON_CANONICAL, 0],
    ['non-finite-float', 'f97c00', FLOATS, 0],
    ['non-finite-float', 'f97e00', FLOATS, 0],
    ['non-finite-float', 'faff800000', FLOATS, 0],
    ['non-finite-float', 'fb7ff8000000000000', FLOATS, 0],
    ['simple-not-allowed', 'f7', {}, 0],
    ['simple-not-allowed', 'f0', {}, 0],
    ['simple-not-allowed', 'f820', {}, 0],
    ['integer-out-of-range', '1b 0020000000000000', {}, 0],
    ['integer-out-of-range', '3b 001fffffffffffff', {}, 0],
    ['integer-out-of-range', '1b ffffffffffffffff', {}, 0],
  ])('refuses with "%s": %s (options %j)', (code, input, options, offset) => {
    const e = refusal(input, options);
    expect(e.code).toBe(code);
    expect(e.offset).toBe(offset);
  });

  it('refuses canonical decoding with floats as an invalid option', () => {
    expect(() => decodeCbor(hex('00'), { floats: true })).toThrow(RangeError);
  });
});

describe('round trips', () => {
  const key = fc.string({ maxLength: 12, unit: 'grapheme' });
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.integer(),
    fc.string({ maxLength: 40, unit: 'grapheme' }),
    fc.uint8Array({ maxLength: 40 }),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('arr'), tie('obj')),
    arr: fc.array(tie('node'), { maxLength: 6 }),
    obj: fc.dictionary(key, tie('node'), { maxKeys: 6 }),
  })).node;

  it('decodes every encoded value back to an equal value', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(decodeCbor(encodeCbor(v))).toEqual(v);
      }),
      { numRuns: 500, seed: 5 },
    );
  });

  it('encodes equal values to equal bytes whatever the key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(key, leaf, { maxKeys: 8 }), (d) => {
        const reversed = Object.fromEntries(Object.entries(d).reverse());
        expect(toHex(encodeCbor(reversed))).toBe(toHex(encodeCbor(d)));
      }),
      { numRuns: 300, seed: 6 },
    );
  });
});
