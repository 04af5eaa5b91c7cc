// Tests for whole-module decoding: header, section framing and order, custom sections, and the
// cross-section rules (function/code counts, data count).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError } from '../errors.ts';
import { decodeModule } from './decode.ts';
import { HEADER, body, mod, name, section, uleb, vec } from './_testing.ts';

function failure(bytes: Uint8Array): DecodeError {
  try {
    decodeModule(bytes);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error('expected a DecodeError');
}

const TYPE = section(1, vec([[0x60, 0x00, 0x00]]));
const FUNC = section(3, vec([[0x00]]));
const CODE = section(10, vec([body([], [0x0b])]));
const custom = (n: string, payload: readonly number[]) => section(0, [...name(n), ...payload]);

describe('module header', () => {
  it('decodes the empty module', () => {
    expect(decodeModule(mod())).toEqual({
      types: [], imports: [], funcs: [], tables: [], mems: [], globals: [], exports: [], start: undefined,
      elems: [], datas: [], dataCount: undefined, codes: [], customs: [],
      names: { module: undefined, funcs: new Map(), locals: new Map() },
    });
  });

  it('rejects every truncation of the header', () => {
    for (let n = 0; n < 8; n++) expect(failure(new Uint8Array(HEADER.slice(0, n))).what).toMatch(/^Unexpected end/);
  });

  it('rejects a wrong magic number and an unknown version', () => {
    expect(failure(new Uint8Array([0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00])).what).toMatch(/^Magic header not detected/);
    expect(failure(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00])).what).toMatch(/^Unknown binary version "2"/);
    expect(failure(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x01])).offset).toBe(4);
  });
});

describe('section framing and order', () => {
  it('accepts the sections in order, with the data count section between element and code', () => {
    const m = decodeModule(mod(TYPE, FUNC, section(9, vec([])), section(12, uleb(0)), CODE, section(11, vec([]))));
    expect(m.funcs).toEqual([0]);
    expect(m.codes.length).toBe(1);
    expect(m.dataCount).toBe(0);
  });

  it('rejects a section out of order or repeated', () => {
    expect(failure(mod(FUNC, TYPE, CODE)).what).toMatch(/^Unexpected content after last section/);
    expect(failure(mod(TYPE, TYPE)).what).toMatch(/^Unexpected content after last section/);
    expect(failure(mod(TYPE, FUNC, CODE, section(12, uleb(0)))).what).toMatch(/^Unexpected content after last section/);
    expect(failure(mod(section(11, vec([])), section(9, vec([])))).what).toMatch(/^Unexpected content after last section/);
  });

  it('rejects unknown section ids', () => {
    const e = failure(mod(section(13, [])));
    expect(e.what).toMatch(/^Malformed section id "13"/);
    expect(e.offset).toBe(8);
    expect(failure(mod([0x80, 0x00])).what).toMatch(/^Malformed section id/);
  });

  it('rejects content shorter or longer than the declared section size', () => {
    expect(failure(mod([0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00])).what).toMatch(/^Section size mismatch/);
    expect(failure(mod([0x01, 0x03, 0x01, 0x60, 0x00, 0x00])).what).toMatch(/^Unexpected end of section or function/);
    expect(failure(mod([0x01, 0x10, 0x01, 0x60, 0x00, 0x00])).what).toMatch(/^Length out of bounds/);
    expect(failure(mod([0x01])).what).toMatch(/^Unexpected end/);
  });

  it('rejects a count larger than the section could hold before allocating anything', () => {
    expect(failure(mod(section(1, [...uleb(0xffffffff), 0x60, 0x00, 0x00]))).what).toMatch(/^Length out of bounds: type count/);
    expect(failure(mod(section(3, [...uleb(1_000_000), 0x00]))).what).toMatch(/^Length out of bounds: function count/);
  });
});

describe('custom sections', () => {
  it('keeps every custom section, anywhere, with its name, a copy of its payload and the payload offset', () => {
    const input = mod(custom('a', [1, 2]), TYPE, custom('', []), FUNC, CODE, custom('\u00e9', [3]));
    const m = decodeModule(input);
    // Header 0..7; custom "a" 8..13 (payload at 12); type 14..19; custom "" 20..22 (payload at 23,
    // empty); function 23..26; code 27..32; custom "é" 33..38 (id, size, length, two name bytes).
    expect(m.customs.map((c) => [c.name, [...c.bytes], c.pos])).toEqual([
      ['a', [1, 2], 12],
      ['', [], 23],
      ['\u00e9', [3], 38],
    ]);
    input[12] = 9;
    expect(m.customs[0].bytes[0]).toBe(1);
  });

  it('rejects a custom section whose name is not UTF-8 or overruns the section', () => {
    expect(failure(mod(section(0, [0x01, 0xff]))).what).toMatch(/^Malformed UTF-8/);
    expect(failure(mod(section(0, [0x05, 0x61]))).what).toMatch(/^Length out of bounds/);
    expect(failure(mod([0x00, 0x00])).what).toMatch(/^Unexpected end of section/);
  });
});

describe('cross-section rules', () => {
  it('rejects function and code sections of different lengths', () => {
    expect(failure(mod(TYPE, FUNC)).what).toMatch(/^Function and code section have inconsistent lengths/);
    expect(failure(mod(TYPE, CODE)).what).toMatch(/^Function and code section have inconsistent lengths/);
    expect(failure(mod(TYPE, section(3, vec([[0x00], [0x00]])), CODE)).what).toMatch(/^Function and code section have inconsistent lengths/);
    expect(decodeModule(mod(TYPE, section(3, vec([])), section(10, vec([])))).codes).toEqual([]);
  });

  it('rejects a data count that differs from the data segments', () => {
    const seg = [0x01, ...vec([[0x61]])];
    expect(failure(mod(section(12, uleb(2)), section(11, vec([seg])))).what).toMatch(/^Data count and data section have inconsistent lengths/);
    expect(failure(mod(section(12, uleb(1)))).what).toMatch(/^Data count and data section have inconsistent lengths/);
    expect(decodeModule(mod(section(12, uleb(1)), section(11, vec([seg])))).dataCount).toBe(1);
  });

  const memInit = section(10, vec([body([], [0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x00, 0x0b])]));
  const dataDrop = section(10, vec([body([], [0xfc, 0x09, 0x00, 0x0b])]));
  const oneSegment = section(11, vec([[0x01, 0x00]]));

  it('requires a data count section for memory.init and data.drop when there are data segments', () => {
    const e = failure(mod(TYPE, FUNC, memInit, oneSegment));
    expect(e.what).toMatch(/^Data count section required/);
    expect(failure(mod(TYPE, FUNC, dataDrop, oneSegment)).what).toMatch(/^Data count section required/);
    expect(decodeModule(mod(TYPE, FUNC, section(12, uleb(1)), memInit, oneSegment)).codes[0].code[3].op).toBe(0xfc08);
  });

  it('leaves memory.init without any data segment to the validator (unknown data segment)', () => {
    expect(decodeModule(mod(TYPE, FUNC, dataDrop)).codes[0].code[0].op).toBe(0xfc09);
  });
});

describe('input kinds', () => {
  it('copies data and custom bytes out of a Node Buffer into plain Uint8Arrays', () => {
    const input = Buffer.from(mod(section(0, [...name('c'), 7]), section(11, vec([[0x01, ...vec([[0x61]])]]))));
    const m = decodeModule(input);
    expect(m.customs[0].bytes.constructor).toBe(Uint8Array);
    expect(m.datas[0].bytes.constructor).toBe(Uint8Array);
    input.fill(0);
    expect([...m.customs[0].bytes]).toEqual([7]);
    expect([...m.datas[0].bytes]).toEqual([0x61]);
  });

  it('decodes a module that sits in the middle of a larger buffer', () => {
    const inner = mod(TYPE, FUNC, CODE);
    const outer = new Uint8Array(inner.length + 20).fill(0xff);
    outer.set(inner, 10);
    const m = decodeModule(outer.subarray(10, 10 + inner.length));
    expect(m.codes[0].code.map((i) => [i.op, i.pos])).toEqual([[0x0b, inner.length - 1]]);
  });
});

describe('arbitrary input', () => {
  function onlyDecodeErrors(bytes: Uint8Array): boolean {
    try {
      decodeModule(bytes);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
    return true;
  }

  it('throws nothing but DecodeError for random bytes after a valid header', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => onlyDecodeErrors(new Uint8Array([...HEADER, ...tail]))), { numRuns: 2000 });
  });

  it('throws nothing but DecodeError for well-framed sections of random content', () => {
    const sec = fc.tuple(fc.integer({ min: 0, max: 12 }), fc.uint8Array({ maxLength: 24 })).map(([id, c]) => section(id, [...c]));
    fc.assert(fc.property(fc.array(sec, { maxLength: 6 }), (secs) => onlyDecodeErrors(mod(...secs))), { numRuns: 2000 });
  });
});
