// Tests for instruction decoding: every immediate kind, block types, nesting, locals and positions.
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.ts';
import type { FuncBody, Instr } from '../types.ts';
import { MAX_LOCALS } from './code.ts';
import { decodeModule } from './decode.ts';
import { funcModule, sleb, uleb } from './_testing.ts';

/** In `funcModule` with a short body and no locals, the first instruction sits at byte 23. */
const FIRST = 23;

function bodyOf(code: readonly number[], locals: readonly (readonly [number, number])[] = []): FuncBody {
  const m = decodeModule(funcModule(code, locals));
  expect(m.codes.length).toBe(1);
  return m.codes[0];
}

function instrs(code: readonly number[]): Instr[] {
  return [...bodyOf(code).code];
}

function first(code: readonly number[]): Instr {
  return instrs(code)[0];
}

function failure(code: readonly number[], locals: readonly (readonly [number, number])[] = []): DecodeError {
  try {
    decodeModule(funcModule(code, locals));
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error('expected a DecodeError');
}

describe('instruction immediates', () => {
  it('keeps opcode, position and the final end of a body', () => {
    const code = instrs([0x01, 0x01, 0x0b]);
    expect(code.map((i) => [i.op, i.pos])).toEqual([[0x01, FIRST], [0x01, FIRST + 1], [0x0b, FIRST + 2]]);
    expect(code[0]).toEqual({ op: 0x01, pos: FIRST, a: 0, b: 0, labels: undefined });
  });

  it.each([
    [[0x40], -64],
    [[0x7f], -1],
    [[0x7e], -2],
    [[0x7d], -3],
    [[0x7c], -4],
    [[0x70], -16],
    [[0x6f], -17],
    [[0x00], 0],
    [[0x80, 0x01], 128],
  ])('reads block type %j as %d', (bt, value) => {
    expect(first([0x02, ...bt, 0x0b, 0x0b]).a).toBe(value);
  });

  it.each([
    [[0x7b], /SIMD/],
    [[0x60], /^Malformed block type/],
    [[0x50], /^Malformed block type/],
    [[0xc0, 0x7f], /^Malformed block type/],
    [[0xff, 0x7f], /^Malformed block type/],
  ])('rejects block type %j', (bt, message) => {
    expect(failure([0x02, ...bt, 0x0b, 0x0b]).what).toMatch(message);
  });

  it('reads br, br_if and br_table depths', () => {
    expect(first([0x0c, 0x05, 0x0b]).a).toBe(5);
    expect(first([0x0d, 0x80, 0x01, 0x0b]).a).toBe(128);
    const t = first([0x0e, 0x03, 0x01, 0x00, 0x02, 0x03, 0x0b]);
    expect([...(t.labels ?? [])]).toEqual([1, 0, 2]);
    expect(t.a).toBe(3);
    const empty = first([0x0e, 0x00, 0x07, 0x0b]);
    expect(empty.labels?.length).toBe(0);
    expect(empty.a).toBe(7);
  });

  it('rejects a br_table count larger than the body could hold', () => {
    expect(failure([0x0e, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b]).what).toMatch(/^Length out of bounds/);
  });

  it('reads call, call_indirect (with a padded table index), locals, globals, tables', () => {
    expect(first([0x10, 0x07, 0x0b]).a).toBe(7);
    const ci = first([0x11, 0x02, 0x81, 0x80, 0x80, 0x80, 0x00, 0x0b]);
    expect([ci.a, ci.b]).toEqual([2, 1]);
    expect(first([0x20, 0x03, 0x0b]).a).toBe(3);
    expect(first([0x24, 0x04, 0x0b]).op).toBe(0x24);
    expect(first([0x25, 0x09, 0x0b]).a).toBe(9);
  });

  it('reads memarg alignment and offset as u32, leaving the alignment check to the validator', () => {
    const load = first([0x28, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b]);
    expect([load.op, load.a, load.b]).toEqual([0x28, 2, 0xffffffff]);
    expect(first([0x36, 0x21, 0x00, 0x0b]).a).toBe(33);
    expect(failure([0x28, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00, 0x0b]).what).toMatch(/^Integer too large/);
  });

  it('reads integer and float constants as bit patterns', () => {
    expect(first([0x41, ...sleb(-1), 0x0b]).a).toBe(-1);
    expect(first([0x41, ...sleb(-2147483648), 0x0b]).a).toBe(-2147483648);
    const i64 = first([0x42, ...sleb(-0x8000000000000000n), 0x0b]);
    expect([i64.a, i64.b]).toEqual([0, -2147483648]);
    const i64b = first([0x42, ...sleb(0x123456789an), 0x0b]);
    expect([i64b.a, i64b.b]).toEqual([0x3456789a, 0x12]);
    expect(first([0x43, 0x01, 0x00, 0xa0, 0x7f, 0x0b]).a).toBe(0x7fa00001);
    const f64 = first([0x44, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0xff, 0x0b]);
    expect([f64.a, f64.b]).toEqual([1, 0xfff80000 | 0]);
  });

  it('reads a typed select as the type and the vector length, whatever the length', () => {
    const one = first([0x1c, 0x01, 0x7f, 0x0b]);
    expect([one.op, one.a, one.b]).toEqual([0x1c, 0x7f, 1]);
    const two = first([0x1c, 0x02, 0x7e, 0x7f, 0x0b]);
    expect([two.a, two.b]).toEqual([0x7e, 2]);
    expect(first([0x1c, 0x00, 0x0b]).b).toBe(0);
    expect(failure([0x1c, 0x01, 0x40, 0x0b]).what).toMatch(/^Malformed value type/);
  });

  it('reads ref.null, ref.is_null and ref.func', () => {
    expect(first([0xd0, 0x70, 0x0b]).a).toBe(0x70);
    expect(first([0xd0, 0x6f, 0x0b]).a).toBe(0x6f);
    expect(failure([0xd0, 0x7f, 0x0b]).what).toMatch(/^Malformed reference type/);
    expect(first([0xd1, 0x0b]).op).toBe(0xd1);
    expect(first([0xd2, 0x04, 0x0b]).a).toBe(4);
  });

  it('requires the single zero byte of memory.size, memory.grow, memory.copy and memory.fill', () => {
    expect(first([0x3f, 0x00, 0x0b]).a).toBe(0);
    expect(first([0x40, 0x00, 0x0b]).op).toBe(0x40);
    expect(first([0xfc, 0x0a, 0x00, 0x00, 0x0b]).op).toBe(0xfc0a);
    expect(first([0xfc, 0x0b, 0x00, 0x0b]).op).toBe(0xfc0b);
    expect(failure([0x3f, 0x01, 0x0b]).what).toMatch(/^Zero byte expected/);
    expect(failure([0x40, 0x80, 0x00, 0x0b]).what).toMatch(/^Zero byte expected/);
    expect(failure([0xfc, 0x0a, 0x00, 0x01, 0x0b]).what).toMatch(/^Zero byte expected/);
    expect(failure([0xfc, 0x0b, 0x01, 0x0b]).what).toMatch(/^Zero byte expected/);
  });

  it('reads 0xfc sub-opcodes as u32, padded or not, with their immediates', () => {
    expect(first([0xfc, 0x00, 0x0b]).op).toBe(0xfc00);
    expect(first([0xfc, 0x87, 0x80, 0x80, 0x80, 0x00, 0x0b]).op).toBe(0xfc07);
    const init = first([0xfc, 0x0c, 0x02, 0x01, 0x0b]);
    expect([init.op, init.a, init.b]).toEqual([0xfc0c, 2, 1]);
    const copy = first([0xfc, 0x0e, 0x03, 0x04, 0x0b]);
    expect([copy.op, copy.a, copy.b]).toEqual([0xfc0e, 3, 4]);
    expect(first([0xfc, 0x0d, 0x05, 0x0b]).a).toBe(5);
    expect(first([0xfc, 0x0f, 0x01, 0x0b]).a).toBe(1);
    expect(first([0xfc, 0x10, 0x02, 0x0b]).a).toBe(2);
    expect(first([0xfc, 0x11, 0x03, 0x0b]).a).toBe(3);
  });

  it.each([
    [[0x06]], [[0x12]], [[0x27]], [[0xc5]], [[0xd3]], [[0xfd, 0x00]], [[0xfe, 0x00]], [[0xff]],
    [[0xfc, 0x12]], [[0xfc, 0x80, 0x01]],
  ])('rejects illegal opcode %j', (bytes) => {
    const e = failure([...bytes, 0x0b]);
    expect(e.what).toMatch(/^Illegal opcode/);
    expect(e.offset).toBe(FIRST);
  });

  it('rejects a 0xfc sub-opcode that does not fit in a u32', () => {
    expect(failure([0xfc, 0x80, 0x80, 0x80, 0x80, 0x10, 0x0b]).what).toMatch(/^Integer too large/);
  });
});

describe('instruction nesting', () => {
  it('decodes nested block, loop and if/else with every end kept', () => {
    const code = instrs([0x02, 0x40, 0x03, 0x40, 0x41, 0x00, 0x04, 0x40, 0x05, 0x0b, 0x0b, 0x0b, 0x0b]);
    expect(code.map((i) => i.op)).toEqual([0x02, 0x03, 0x41, 0x04, 0x05, 0x0b, 0x0b, 0x0b, 0x0b]);
  });

  it('rejects else outside an if, and a second else', () => {
    expect(failure([0x05, 0x0b]).what).toMatch(/^Misplaced ELSE opcode/);
    expect(failure([0x02, 0x40, 0x05, 0x0b, 0x0b]).what).toMatch(/^Misplaced ELSE opcode/);
    expect(failure([0x04, 0x40, 0x05, 0x05, 0x0b, 0x0b]).what).toMatch(/^Misplaced ELSE opcode/);
  });

  it('rejects a body whose final end is missing', () => {
    expect(failure([0x01]).what).toMatch(/^Unexpected end of section or function/);
    expect(failure([0x02, 0x40, 0x0b]).what).toMatch(/^Unexpected end of section or function/);
  });

  it('rejects bytes after the final end of a body', () => {
    expect(failure([0x0b, 0x01]).what).toMatch(/^Section size mismatch/);
  });
});

describe('locals', () => {
  it('keeps the runs and their total', () => {
    const b = bodyOf([0x0b], [[2, 0x7f], [1, 0x7c], [0, 0x70], [3, 0x6f]]);
    expect(b.locals).toEqual([{ count: 2, type: 0x7f }, { count: 1, type: 0x7c }, { count: 0, type: 0x70 }, { count: 3, type: 0x6f }]);
    expect(b.localCount).toBe(6);
    expect(b.pos).toBe(21);
  });

  it('rejects more than 2^32-1 locals in total', () => {
    expect(failure([0x0b], [[0xffffffff, 0x7f], [0xffffffff, 0x7f]]).what).toMatch(/^Too many locals/);
    expect(failure([0x0b], [[0xffffffff, 0x7f], [1, 0x7f]]).what).toMatch(/^Too many locals/);
  });

  it(`accepts up to MAX_LOCALS (${MAX_LOCALS}) locals and rejects one more`, () => {
    expect(bodyOf([0x0b], [[MAX_LOCALS - 1, 0x7f], [1, 0x7e]]).localCount).toBe(50_000);
    expect(failure([0x0b], [[MAX_LOCALS, 0x7f], [1, 0x7e]]).what).toMatch(/^Too many locals/);
  });

  it('rejects a malformed local type', () => {
    expect(failure([0x0b], [[1, 0x40]]).what).toMatch(/^Malformed value type/);
    expect(failure([0x0b], [[1, 0x7b]]).what).toMatch(/SIMD/);
  });

  it('rejects a local run count that does not fit in a u32', () => {
    const m = funcModule([0x0b]);
    // Replace the body by one whose single run count is a 6-byte LEB128.
    const bytes = [...m.subarray(0, 18), 0x0a, 0x0b, 0x01, 0x09, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x7f, 0x0b];
    expect(() => decodeModule(new Uint8Array(bytes))).toThrow(/Integer representation too long/);
    expect(uleb(0)).toEqual([0]);
  });
});
