// Tests for the element and data sections: all eight element encodings and all three data encodings.
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.ts';
import type { ConstExpr, ElemSegment } from '../types.ts';
import { decodeModule } from './decode.ts';
import { mod, section, uleb, vec } from './_testing.ts';

const OFFSET = [0x41, 0x05, 0x0b];

function elem(segment: readonly number[]): ElemSegment {
  const m = decodeModule(mod(section(9, vec([segment]))));
  expect(m.elems.length).toBe(1);
  return m.elems[0];
}

function failure(bytes: Uint8Array): DecodeError {
  try {
    decodeModule(bytes);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error('expected a DecodeError');
}

/** An expression as [op, a] pairs, to compare without positions. */
function ops(e: ConstExpr | undefined): number[][] | undefined {
  return e?.map((i) => [i.op, i.a]);
}

function summary(s: ElemSegment) {
  return { mode: s.mode, table: s.table, offset: ops(s.offset), type: s.type, init: s.init.map(ops) };
}

describe('element segments', () => {
  it('flags 0: active on table 0, function indices become ref.func at their own position', () => {
    const s = elem([0x00, ...OFFSET, ...vec([[0x01], [0x02]])]);
    // Segment at byte 11: flags, i32.const at 12, end at 14, count at 15, indices at 16 and 17.
    expect(s).toEqual({
      mode: 'active', table: 0, type: 0x70, pos: 11,
      offset: [{ op: 0x41, pos: 12, a: 5, b: 0, labels: undefined }],
      init: [[{ op: 0xd2, pos: 16, a: 1, b: 0, labels: undefined }], [{ op: 0xd2, pos: 17, a: 2, b: 0, labels: undefined }]],
    });
  });

  it('flags 1: passive, element kind then function indices', () => {
    expect(summary(elem([0x01, 0x00, ...vec([[0x03]])]))).toEqual(
      { mode: 'passive', table: 0, offset: undefined, type: 0x70, init: [[[0xd2, 3]]] });
  });

  it('flags 2: active on an explicit table, element kind then function indices', () => {
    expect(summary(elem([0x02, 0x04, ...OFFSET, 0x00, ...vec([[0x80, 0x01]])]))).toEqual(
      { mode: 'active', table: 4, offset: [[0x41, 5]], type: 0x70, init: [[[0xd2, 128]]] });
  });

  it('flags 3: declarative, element kind then function indices', () => {
    expect(summary(elem([0x03, 0x00, ...vec([[0x00], [0x01]])]))).toEqual(
      { mode: 'declarative', table: 0, offset: undefined, type: 0x70, init: [[[0xd2, 0]], [[0xd2, 1]]] });
  });

  it('flags 4: active on table 0, expressions of funcref', () => {
    expect(summary(elem([0x04, ...OFFSET, ...vec([[0xd2, 0x01, 0x0b], [0xd0, 0x70, 0x0b]])]))).toEqual(
      { mode: 'active', table: 0, offset: [[0x41, 5]], type: 0x70, init: [[[0xd2, 1]], [[0xd0, 0x70]]] });
  });

  it('flags 5: passive, reference type then expressions', () => {
    expect(summary(elem([0x05, 0x6f, ...vec([[0xd0, 0x6f, 0x0b]])]))).toEqual(
      { mode: 'passive', table: 0, offset: undefined, type: 0x6f, init: [[[0xd0, 0x6f]]] });
  });

  it('flags 6: active on an explicit table, reference type then expressions', () => {
    expect(summary(elem([0x06, 0x02, ...OFFSET, 0x70, ...vec([[0xd2, 0x00, 0x0b]])]))).toEqual(
      { mode: 'active', table: 2, offset: [[0x41, 5]], type: 0x70, init: [[[0xd2, 0]]] });
  });

  it('flags 7: declarative, reference type then expressions', () => {
    expect(summary(elem([0x07, 0x70, ...vec([])]))).toEqual(
      { mode: 'declarative', table: 0, offset: undefined, type: 0x70, init: [] });
  });

  it.each([
    ['flags 8', [0x08, 0x00, 0x00], /^Malformed elements segment kind "8"/],
    ['a non-zero element kind', [0x01, 0x01, 0x00], /^Malformed element kind/],
    ['a value type where a reference type belongs', [0x05, 0x7f, 0x00], /^Malformed reference type/],
    ['an offset without end', [0x00, 0x41, 0x05], /^Unexpected end of section/],
    ['flags that overflow a u32', [0x80, 0x80, 0x80, 0x80, 0x10], /^Integer too large/],
  ])('rejects %s', (_what, segment, message) => {
    expect(failure(mod(section(9, vec([segment])))).what).toMatch(message);
  });
});

describe('data segments', () => {
  it('reads the three encodings with copies of their bytes', () => {
    const input = mod(section(11, vec([
      [0x00, ...OFFSET, ...vec([[0x61], [0x62]])],
      [0x01, ...vec([[0x63]])],
      [0x02, 0x01, ...OFFSET, ...vec([])],
    ])));
    const m = decodeModule(input);
    expect(m.datas.map((d) => ({ mode: d.mode, memory: d.memory, offset: ops(d.offset), bytes: [...d.bytes], pos: d.pos }))).toEqual([
      { mode: 'active', memory: 0, offset: [[0x41, 5]], bytes: [0x61, 0x62], pos: 11 },
      { mode: 'passive', memory: 0, offset: undefined, bytes: [0x63], pos: 18 },
      { mode: 'active', memory: 1, offset: [[0x41, 5]], bytes: [], pos: 21 },
    ]);
    input[17] = 0x7a;
    expect(m.datas[0].bytes[1]).toBe(0x62);
  });

  it('rejects flags 3 and a length past the section end', () => {
    expect(failure(mod(section(11, vec([[0x03, 0x00]])))).what).toMatch(/^Malformed data segment kind "3"/);
    expect(failure(mod(section(11, vec([[0x01, ...uleb(5), 0x61]])))).what).toMatch(/^Length out of bounds/);
  });
});
