// fast-check generators for fuzzing fleetlet's decoders: valid documents derived from a schema,
// arbitrary CBOR-shaped values, field-level damage to documents, and byte-level mutations.

import fc from 'fast-check';
import type { Schema, TextSchema } from '../schema/index.ts';

/** Valid capability texts, for text fields whose grammar is the capability grammar. */
const CAPABILITY_EXAMPLES = [
  'clock',
  'random',
  'sensor:temperature:read',
  'sensor:humidity:read',
  'gpio:17:out',
  'gpio:4:in',
  'serial:/dev/ttyUSB0:9600',
  'serial:/dev/ttyAMA0:115200',
  'publish:alerts/#',
  'publish:readings/+/raw',
  'kv:64KiB',
  'kv:1MiB',
];

function clampedInt(min: number, max: number): fc.Arbitrary<number> {
  const small = Math.min(max, min + 1000);
  return fc.oneof(fc.integer({ min, max: small }), fc.constantFrom(min, max), fc.double({ min, max, noNaN: true }).map((x) => Math.min(max, Math.max(min, Math.round(x)))));
}

function textArbitrary(t: TextSchema): fc.Arbitrary<string> {
  const fits = (x: string): boolean => {
    const n = Buffer.byteLength(x);
    return n >= t.minBytes && n <= t.maxBytes;
  };
  if (t.grammar !== undefined) return fc.constantFrom(...CAPABILITY_EXAMPLES.filter((c) => t.grammar?.(c) === undefined));
  const base = t.pattern !== undefined ? fc.stringMatching(t.pattern) : fc.string({ unit: 'grapheme', minLength: t.minBytes, maxLength: Math.min(t.maxBytes, 40) });
  return base.filter(fits);
}

/** Documents that a schema accepts (object rules across fields may still refuse a few). */
export function arbitraryFor(schema: Schema<unknown>): fc.Arbitrary<unknown> {
  const sc = schema as Schema<unknown> & Record<string, unknown>;
  switch (sc.kind) {
    case 'uint':
    case 'int':
      return clampedInt(sc['min'] as number, sc['max'] as number);
    case 'float':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(0, 0.5, 21.375));
    case 'bool':
      return fc.boolean();
    case 'text':
      return textArbitrary(schema as unknown as TextSchema);
    case 'bytes':
      return fc.uint8Array({ minLength: sc['minLength'] as number, maxLength: Math.max(sc['minLength'] as number, Math.min(sc['maxLength'] as number, 48)) });
    case 'literal':
      return fc.constant(sc['value']);
    case 'oneOf':
      return fc.constantFrom(...(sc['values'] as unknown[]));
    case 'array':
      return fc.array(arbitraryFor(sc['item'] as Schema<unknown>), { minLength: sc['minItems'] as number, maxLength: Math.max(sc['minItems'] as number, Math.min(sc['maxItems'] as number, 4)) });
    case 'map':
      return fc.dictionary(arbitraryFor(sc['key'] as Schema<unknown>) as fc.Arbitrary<string>, arbitraryFor(sc['value'] as Schema<unknown>), { maxKeys: Math.min(sc['maxEntries'] as number, 4) });
    case 'object': {
      const shape = sc['shape'] as Record<string, { kind: string; inner?: Schema<unknown> }>;
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [k, f] of Object.entries(shape)) {
        if (f.kind === 'optional') fields[k] = arbitraryFor(f.inner as Schema<unknown>);
        else {
          fields[k] = arbitraryFor(f as unknown as Schema<unknown>);
          required.push(k);
        }
      }
      return fc.record(fields, { requiredKeys: required });
    }
    case 'union':
      return fc.oneof(...(sc['variants'] as Schema<unknown>[]).map(arbitraryFor));
    default:
      throw new Error(`Cannot generate values for schema kind "${sc.kind}"`);
  }
}

/** Any value fleetlet's CBOR encoder accepts (floats optional), for documents of the wrong shape. */
export function genericValue(floats: boolean): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.string({ maxLength: 12 }),
    fc.constantFrom('v', 'name', 'deviceId', 'modules', 'op', 'status', ''),
    fc.uint8Array({ maxLength: 40 }),
    ...(floats ? [fc.double({ noNaN: true, noDefaultInfinity: true })] : []),
  );
  return fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, tie('arr'), tie('obj')),
    arr: fc.array(tie('node'), { maxLength: 5 }),
    obj: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('v', 'name', 'digest', 'limits', 'op')), tie('node'), { maxKeys: 5 }),
  })).node;
}

type FieldOp = { readonly op: 'replace' | 'delete' | 'add'; readonly pick: number; readonly junk: unknown; readonly key: string };

/** A valid document with one node replaced, deleted or given an extra field. */
export function damagedDocument(valid: fc.Arbitrary<unknown>, floats: boolean): fc.Arbitrary<unknown> {
  const op: fc.Arbitrary<FieldOp> = fc.record({
    op: fc.constantFrom('replace', 'delete', 'add'),
    pick: fc.nat(),
    junk: genericValue(floats),
    key: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('v', '__proto__', 'constructor', 'toString')),
  });
  return fc.tuple(valid, fc.array(op, { minLength: 1, maxLength: 3 })).map(([doc, ops]) => ops.reduce(applyFieldOp, clone(doc)));
}

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: clone(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

/** Every container in a document, with the key or index of each child. */
function containers(v: unknown, acc: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = []): typeof acc {
  if (Array.isArray(v)) v.forEach((x, i) => (acc.push({ parent: v, key: i }), containers(x, acc)));
  else if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array)) {
    for (const [k, x] of Object.entries(v)) {
      acc.push({ parent: v as Record<string, unknown>, key: k });
      containers(x, acc);
    }
  }
  return acc;
}

function applyFieldOp(doc: unknown, f: FieldOp): unknown {
  const slots = containers(doc);
  if (slots.length === 0) return f.junk;
  const { parent, key } = slots[f.pick % slots.length];
  if (Array.isArray(parent)) {
    const i = key as number;
    if (f.op === 'delete') parent.splice(i, 1);
    else if (f.op === 'add') parent.push(f.junk);
    else parent[i] = f.junk;
  } else {
    const k = key as string;
    if (f.op === 'delete') delete parent[k];
    else if (f.op === 'add') Object.defineProperty(parent, f.key, { value: f.junk, enumerable: true, writable: true, configurable: true });
    else parent[k] = f.junk;
  }
  return doc;
}

type ByteOp =
  | { readonly op: 'flip'; readonly pos: number; readonly bit: number }
  | { readonly op: 'set'; readonly pos: number; readonly byte: number }
  | { readonly op: 'insert'; readonly pos: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly pos: number; readonly len: number }
  | { readonly op: 'duplicate'; readonly pos: number; readonly len: number }
  | { readonly op: 'truncate'; readonly pos: number };

/** Initial bytes that change an item's meaning: indefinite forms, wide heads, tags, simple values, floats, breaks. */
const INTERESTING = [0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x3b, 0x40, 0x5f, 0x60, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xd2, 0xd8, 0xdf, 0xf4, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xff];

const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), pos: fc.nat(), byte: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ op: fc.constant('insert' as const), pos: fc.nat(), bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 9 }), fc.constantFrom(...INTERESTING).map((b) => new Uint8Array([b]))) }),
  fc.record({ op: fc.constant('delete' as const), pos: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('duplicate' as const), pos: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('truncate' as const), pos: fc.nat() }),
);

function applyByteOp(b: Uint8Array, m: ByteOp): Uint8Array {
  if (b.length === 0) return m.op === 'insert' ? m.bytes : b;
  const pos = m.pos % b.length;
  switch (m.op) {
    case 'flip': {
      const out = new Uint8Array(b);
      out[pos] ^= 1 << m.bit;
      return out;
    }
    case 'set': {
      const out = new Uint8Array(b);
      out[pos] = m.byte;
      return out;
    }
    case 'insert':
      return Uint8Array.from([...b.subarray(0, pos), ...m.bytes, ...b.subarray(pos)]);
    case 'delete':
      return Uint8Array.from([...b.subarray(0, pos), ...b.subarray(pos + m.len)]);
    case 'duplicate':
      return Uint8Array.from([...b.subarray(0, pos + m.len), ...b.subarray(pos, pos + m.len), ...b.subarray(pos + m.len)]);
    case 'truncate':
      return b.subarray(0, pos);
  }
}

/** Byte strings from `base` with one to eight mutations applied. */
export function mutatedBytes(base: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(base, fc.array(byteOp, { minLength: 1, maxLength: 8 })).map(([b, ops]) => ops.reduce(applyByteOp, b));
}

/** An initial byte and argument, in the shortest form (`width` 0) or a wider one where it fits. */
function head(major: number, value: number, width: number): number[] {
  const shortest = value < 24 ? 0 : value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x100000000 ? 3 : 4;
  const w = Math.max(shortest, Math.min(width, 4));
  if (w === 0) return [(major << 5) | value];
  const size = 1 << (w - 1);
  const out = [(major << 5) | (23 + w)];
  for (let i = size - 1; i >= 0; i--) out.push(Math.floor(value / 2 ** (8 * i)) % 256);
  return out;
}

const KEY_POOL = ['v', 'name', 'a', 'b', 'aa', 'deviceId', 'modules', 'op', 'status', '\u00fc', '\ufeffv', 'x\ufeff'];

/**
 * Raw CBOR bytes built item by item, beyond what an encoder writes: heads wider than needed,
 * map keys from a small pool (so repeats and disorder are common), integer keys, indefinite
 * lengths, tags, undefined and other simple values, floats of each width, integers past 2^53.
 */
export function rawCbor(): fc.Arbitrary<Uint8Array> {
  const width = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }) });
  const utf8 = (t: string): number[] => [...Buffer.from(t, 'utf8')];
  const text = fc.tuple(fc.oneof(fc.constantFrom(...KEY_POOL), fc.string({ maxLength: 6 })), width).map(([t, w]) => [...head(3, Buffer.byteLength(t), w), ...utf8(t)]);
  const int = fc.tuple(fc.constantFrom(0, 1), fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom(255, 256, 65535, 65536, 2 ** 32, 2 ** 53 - 2, 2 ** 53 - 1)), width).map(([major, n, w]) => head(major, n, w));
  const huge = fc.constantFrom([0x1b, 0x00, 0x20, 0, 0, 0, 0, 0, 0], [0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x1b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const bytes = fc.tuple(fc.uint8Array({ maxLength: 40 }), width).map(([b, w]) => [...head(2, b.length, w), ...b]);
  const simple = fc.constantFrom([0xf4], [0xf5], [0xf6], [0xf7], [0xf0], [0xf8, 0x20], [0xf9, 0x3e, 0x00], [0xf9, 0x80, 0x00], [0xf9, 0x7c, 0x00], [0xfa, 0x47, 0xc3, 0x50, 0x00], [0xfb, 0x3f, 0xf1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a], [0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]);
  const rare = fc.oneof({ weight: 7, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
  const tree = fc.letrec((tie) => {
    const node = (): fc.Arbitrary<number[]> => tie('node') as fc.Arbitrary<number[]>;
    return {
      node: fc.oneof(
        { depthSize: 'small' },
        { weight: 4, arbitrary: text },
        { weight: 3, arbitrary: int },
        { weight: 1, arbitrary: bytes },
        { weight: 1, arbitrary: simple },
        { weight: 1, arbitrary: fc.oneof(huge, tie('tag') as fc.Arbitrary<number[]>) },
        { weight: 2, arbitrary: tie('arr') as fc.Arbitrary<number[]> },
        { weight: 3, arbitrary: tie('map') as fc.Arbitrary<number[]> },
      ),
      arr: fc.tuple(fc.array(node(), { maxLength: 4 }), width, rare).map(([items, w, indefinite]) => (indefinite ? [0x9f, ...items.flat(), 0xff] : [...head(4, items.length, w), ...items.flat()])),
      map: fc.tuple(fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: int }), node()), { maxLength: 5 }), width, rare).map(([entries, w, indefinite]) => {
        const body = entries.flatMap(([k, v]) => [...k, ...v]);
        return indefinite ? [0xbf, ...body, 0xff] : [...head(5, entries.length, w), ...body];
      }),
      tag: fc.tuple(fc.constantFrom(0, 1, 2, 18, 24, 98), width, node()).map(([t, w, item]) => [...head(6, t, w), ...item]),
    };
  });
  return (tree.node as fc.Arbitrary<number[]>).map((b) => Uint8Array.from(b));
}
