// Tests of the schema DSL: each builder accepts what it should, refuses the rest with the right
// code and field path, and `Infer` gives the types producers write against.

import { describe, expect, expectTypeOf, it } from 'vitest';
import { s, SchemaError, type Infer, type SchemaErrorCode } from './index.ts';

function refusal(schema: { check(v: unknown, path: string): unknown }, value: unknown, path = 'doc'): SchemaError {
  try {
    schema.check(value, path);
  } catch (e) {
    if (e instanceof SchemaError) return e;
    throw e;
  }
  throw new Error(`accepted ${String(value)}`);
}

function expectRefusal(schema: { check(v: unknown, path: string): unknown }, value: unknown, code: SchemaErrorCode, path: string): void {
  const e = refusal(schema, value);
  expect({ code: e.code, path: e.path }).toEqual({ code, path });
}

describe('scalars', () => {
  it('s.uint accepts 0 .. 2^53 - 1 and refuses negatives, fractions, text and larger numbers', () => {
    const u = s.uint();
    expect(u.check(0, 'n')).toBe(0);
    expect(u.check(Number.MAX_SAFE_INTEGER, 'n')).toBe(Number.MAX_SAFE_INTEGER);
    expectRefusal(u, -1, 'out-of-range', 'doc');
    expectRefusal(u, 1.5, 'wrong-type', 'doc');
    expectRefusal(u, '1', 'wrong-type', 'doc');
    expectRefusal(u, 2 ** 53, 'wrong-type', 'doc');
    expectRefusal(s.uint({ max: 10 }), 11, 'out-of-range', 'doc');
    expectRefusal(s.uint({ min: 1 }), 0, 'out-of-range', 'doc');
  });

  it('s.int accepts negatives within its bounds', () => {
    expect(s.int({ min: -5, max: 5 }).check(-5, 'n')).toBe(-5);
    expectRefusal(s.int({ min: -5, max: 5 }), -6, 'out-of-range', 'doc');
  });

  it('s.float accepts finite numbers only', () => {
    expect(s.float().check(21.5, 'n')).toBe(21.5);
    expectRefusal(s.float(), Number.NaN, 'wrong-type', 'doc');
    expectRefusal(s.float(), Infinity, 'wrong-type', 'doc');
    expectRefusal(s.float({ min: 0 }), -0.5, 'out-of-range', 'doc');
  });

  it('s.bool refuses 0 and 1', () => {
    expect(s.bool().check(true, 'b')).toBe(true);
    expectRefusal(s.bool(), 1, 'wrong-type', 'doc');
  });

  it('s.text bounds UTF-8 bytes, not characters', () => {
    const t = s.text({ maxBytes: 5 });
    expect(t.check('abcde', 't')).toBe('abcde');
    expectRefusal(t, '\u00fc\u00fc\u00fc', 'too-long', 'doc'); // 3 characters, 6 bytes
    expectRefusal(s.text({ maxBytes: 5, minBytes: 2 }), 'a', 'too-short', 'doc');
    expectRefusal(t, 5, 'wrong-type', 'doc');
  });

  it('s.text matches its pattern against the whole text', () => {
    const t = s.text({ maxBytes: 10, pattern: /[a-z]+/ });
    expect(t.check('abc', 't')).toBe('abc');
    expectRefusal(t, 'abc1', 'pattern-mismatch', 'doc');
    expectRefusal(t, '1abc', 'pattern-mismatch', 'doc');
  });

  it('s.text reports what its grammar check says', () => {
    const t = s.text({ maxBytes: 10, grammar: (x) => (x === 'ok' ? undefined : 'is not ok') });
    const e = refusal(t, 'no');
    expect(e.code).toBe('pattern-mismatch');
    expect(e.message).toBe('Invalid field "doc": is not ok');
  });

  it('s.bytes checks exact and bounded lengths', () => {
    expect(s.bytes({ length: 2 }).check(new Uint8Array(2), 'b')).toEqual(new Uint8Array(2));
    expectRefusal(s.bytes({ length: 32 }), new Uint8Array(31), 'wrong-length', 'doc');
    expectRefusal(s.bytes({ maxLength: 4 }), new Uint8Array(5), 'too-long', 'doc');
    expectRefusal(s.bytes({ maxLength: 4, minLength: 1 }), new Uint8Array(0), 'too-short', 'doc');
    expectRefusal(s.bytes({ maxLength: 4 }), [1, 2], 'wrong-type', 'doc');
    expectRefusal(s.bytes({ maxLength: 4 }), 'AQI=', 'wrong-type', 'doc');
  });

  it('s.literal and s.oneOf accept only their values', () => {
    expect(s.literal(1).check(1, 'v')).toBe(1);
    expectRefusal(s.literal(1), 2, 'wrong-literal', 'doc');
    expectRefusal(s.literal(1), '1', 'wrong-type', 'doc');
    expect(s.oneOf(['in', 'out']).check('out', 'd')).toBe('out');
    expectRefusal(s.oneOf(['in', 'out']), 'both', 'wrong-literal', 'doc');
  });
});

describe('compounds', () => {
  const item = s.object({ id: s.uint(), tag: s.optional(s.text({ maxBytes: 8 })) });
  const doc = s.object({
    v: s.literal(1),
    list: s.array(s.text({ maxBytes: 3 }), { maxItems: 4, minItems: 1 }),
    items: s.array(item, { maxItems: 4 }),
  });

  it('s.array names the failing index in the path', () => {
    expectRefusal(doc, { v: 1, list: ['a', 'b', 'c', 'dddd'], items: [] }, 'too-long', 'doc.list[3]');
    expectRefusal(doc, { v: 1, list: ['a', 'b', 'c', 'd', 'e'], items: [] }, 'too-long', 'doc.list');
    expectRefusal(doc, { v: 1, list: [], items: [] }, 'too-short', 'doc.list');
    expectRefusal(doc, { v: 1, list: ['a'], items: [{ id: 1 }, { id: 'x' }] }, 'wrong-type', 'doc.items[1].id');
  });

  it('s.object refuses unknown and missing fields and accepts absent optional ones', () => {
    expect(doc.check({ v: 1, list: ['a'], items: [{ id: 1 }, { id: 2, tag: 'x' }] }, 'doc')).toEqual({
      v: 1,
      list: ['a'],
      items: [{ id: 1 }, { id: 2, tag: 'x' }],
    });
    expectRefusal(doc, { v: 1, list: ['a'], items: [], extra: 0 }, 'unknown-field', 'doc.extra');
    expectRefusal(doc, { v: 1, list: ['a'] }, 'missing-field', 'doc.items');
    expectRefusal(doc, { v: 1, list: ['a'], items: [{ id: 1, tag: null }] }, 'wrong-type', 'doc.items[0].tag');
    expectRefusal(doc, [1], 'wrong-type', 'doc');
    expectRefusal(doc, new Map([['v', 1]]), 'wrong-type', 'doc');
  });

  it('s.object refuses a "__proto__" field it does not define, and does not inherit fields', () => {
    const withProto: Record<string, unknown> = { v: 1, list: ['a'], items: [] };
    Object.defineProperty(withProto, '__proto__', { value: { polluted: true }, enumerable: true });
    expectRefusal(doc, withProto, 'unknown-field', 'doc.__proto__');
    const inherited = Object.assign(Object.create({ items: [] }) as object, { v: 1, list: ['a'] });
    expectRefusal(doc, inherited, 'wrong-type', 'doc');
  });

  it('s.map checks keys and values and keeps a "__proto__" key as data', () => {
    const m = s.map(s.text({ maxBytes: 16, pattern: /[A-Za-z_]+/ }), s.text({ maxBytes: 4 }), { maxEntries: 2 });
    const input: Record<string, unknown> = {};
    Object.defineProperty(input, '__proto__', { value: 'x', enumerable: true });
    const out = m.check(input, 'settings');
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expectRefusal(m, { 'a-b': 'x' }, 'pattern-mismatch', 'doc["a-b"]');
    expectRefusal(m, { a: 'xxxxx' }, 'too-long', 'doc["a"]');
    expectRefusal(m, { a: '1', b: '2', c: '3' }, 'too-long', 'doc');
  });

  it('s.object rules report the field they name', () => {
    const window = s.object(
      { from: s.uint(), to: s.uint() },
      { rules: [(w) => (w.to > w.from ? undefined : { field: '.to', detail: 'ends before it starts' })] },
    );
    expect(window.check({ from: 1, to: 2 }, 'w')).toEqual({ from: 1, to: 2 });
    const e = refusal(window, { from: 2, to: 1 }, 'trust.keys[0]');
    expect(e.code).toBe('invalid-value');
    expect(e.path).toBe('trust.keys[0].to');
  });

  it('s.union picks the variant its discriminant names', () => {
    const u = s.union('op', [
      s.object({ op: s.literal('restart'), module: s.text({ maxBytes: 8 }) }),
      s.object({ op: s.literal('report') }),
    ]);
    expect(u.check({ op: 'report' }, 'cmd')).toEqual({ op: 'report' });
    expect(u.check({ op: 'restart', module: 'a' }, 'cmd')).toEqual({ op: 'restart', module: 'a' });
    expectRefusal(u, { op: 'reboot' }, 'unknown-variant', 'doc.op');
    expectRefusal(u, {}, 'missing-field', 'doc.op');
    expectRefusal(u, { op: 'report', module: 'a' }, 'unknown-field', 'doc.module');
    expectRefusal(u, { op: 'restart' }, 'missing-field', 'doc.module');
  });

  it('Infer derives required, optional and union types', () => {
    type Item = Infer<typeof item>;
    expectTypeOf<Item>().toEqualTypeOf<{ readonly id: number; readonly tag?: string }>();
    const u = s.union('op', [s.object({ op: s.literal('a'), n: s.uint() }), s.object({ op: s.literal('b') })]);
    expectTypeOf<Infer<typeof u>>().toEqualTypeOf<{ readonly op: 'a'; readonly n: number } | { readonly op: 'b' }>();
    expectTypeOf<Infer<typeof doc>['list']>().toEqualTypeOf<readonly string[]>();
  });

  it('SchemaError messages name the path and the problem', () => {
    const e = refusal(doc, { v: 1, list: ['a'], items: [{ id: -1 }] }, 'manifest');
    expect(e.message).toBe('Invalid field "manifest.items[0].id": "-1" is outside 0 .. 9007199254740991');
  });
});
