// The schema DSL's builders (`s.uint()`, `s.object({...})` ...): each returns its schema as data
// together with the check that validates decoded values against it.

import { describeValue, SchemaError } from './errors.ts';
import type {
  AnyObjectSchema,
  ArraySchema,
  BoolSchema,
  BytesSchema,
  FloatSchema,
  Infer,
  InferShape,
  IntSchema,
  LiteralSchema,
  LiteralValue,
  MapSchema,
  ObjectRule,
  ObjectSchema,
  OneOfSchema,
  OptionalSchema,
  Schema,
  Shape,
  TextSchema,
  UintSchema,
  UnionSchema,
} from './types.ts';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function wrongType(path: string, expected: string, v: unknown): SchemaError {
  return new SchemaError('wrong-type', path, `expected ${expected}, found ${describeValue(v)}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Sets a property even when its name is "__proto__". */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function integer(kind: 'uint' | 'int', min: number, max: number): UintSchema | IntSchema {
  const what = kind === 'uint' ? 'an unsigned integer' : 'an integer';
  return {
    kind,
    min,
    max,
    check(v, path) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw wrongType(path, what, v);
      if (v < min || v > max) throw new SchemaError('out-of-range', path, `"${v}" is outside ${min} .. ${max}`);
      return v;
    },
  } as UintSchema | IntSchema;
}

/** An unsigned integer (default bounds 0 .. 2^53 - 1). */
function uint(opts: { min?: number; max?: number } = {}): UintSchema {
  return integer('uint', opts.min ?? 0, opts.max ?? MAX_SAFE) as UintSchema;
}

/** A signed integer (default bounds -(2^53 - 1) .. 2^53 - 1). */
function int(opts: { min?: number; max?: number } = {}): IntSchema {
  return integer('int', opts.min ?? -MAX_SAFE, opts.max ?? MAX_SAFE) as IntSchema;
}

/** A finite number; only for documents decoded with floats admitted. */
function float(opts: { min?: number; max?: number } = {}): FloatSchema {
  const min = opts.min ?? -Number.MAX_VALUE;
  const max = opts.max ?? Number.MAX_VALUE;
  return {
    kind: 'float',
    min,
    max,
    check(v, path) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType(path, 'a finite number', v);
      if (v < min || v > max) throw new SchemaError('out-of-range', path, `"${v}" is outside ${min} .. ${max}`);
      return v;
    },
  };
}

function bool(): BoolSchema {
  return {
    kind: 'bool',
    check(v, path) {
      if (typeof v !== 'boolean') throw wrongType(path, 'a boolean', v);
      return v;
    },
  };
}

/**
 * Text bounded in UTF-8 bytes, optionally with a whole-text pattern and a grammar check.
 * `describe` names what the text is ("a semantic version") in messages and docs.
 */
function text(opts: {
  maxBytes: number;
  minBytes?: number;
  pattern?: RegExp;
  grammar?: (t: string) => string | undefined;
  describe?: string;
}): TextSchema {
  const minBytes = opts.minBytes ?? 0;
  const { maxBytes } = opts;
  const pattern = opts.pattern === undefined ? undefined : new RegExp(`^(?:${opts.pattern.source})$`, opts.pattern.flags.replace(/[gy]/g, ''));
  const grammar = opts.grammar;
  const describe = opts.describe;
  return {
    kind: 'text',
    minBytes,
    maxBytes,
    pattern,
    grammar,
    describe,
    check(v, path) {
      if (typeof v !== 'string') throw wrongType(path, 'text', v);
      const n = Buffer.byteLength(v, 'utf8');
      if (n > maxBytes) throw new SchemaError('too-long', path, `text of ${n} bytes exceeds the limit of ${maxBytes} bytes`);
      if (n < minBytes) throw new SchemaError('too-short', path, `text of ${n} bytes is shorter than ${minBytes} bytes`);
      if (pattern !== undefined && !pattern.test(v)) {
        throw new SchemaError('pattern-mismatch', path, `${describeValue(v)} is not ${describe ?? `of the form ${pattern.source}`}`);
      }
      if (grammar !== undefined) {
        const problem = grammar(v);
        if (problem !== undefined) throw new SchemaError('pattern-mismatch', path, problem);
      }
      return v;
    },
  };
}

/** A byte string: `length` for an exact size (digests, keys), or `maxLength` (and `minLength`). */
function bytes(opts: { length: number } | { maxLength: number; minLength?: number }): BytesSchema {
  const exact = 'length' in opts;
  const minLength = exact ? opts.length : (opts.minLength ?? 0);
  const maxLength = exact ? opts.length : opts.maxLength;
  return {
    kind: 'bytes',
    minLength,
    maxLength,
    check(v, path) {
      if (!(v instanceof Uint8Array)) throw wrongType(path, 'bytes', v);
      if (exact && v.length !== maxLength) throw new SchemaError('wrong-length', path, `expected ${maxLength} bytes, found ${v.length}`);
      if (v.length > maxLength) throw new SchemaError('too-long', path, `${v.length} bytes exceed the limit of ${maxLength}`);
      if (v.length < minLength) throw new SchemaError('too-short', path, `${v.length} bytes are fewer than ${minLength}`);
      return v;
    },
  };
}

/** Exactly one value (a schema version, a union discriminant). */
function literal<const L extends LiteralValue>(value: L): LiteralSchema<L> {
  return {
    kind: 'literal',
    value,
    check(v, path) {
      if (v !== value) {
        if (typeof v !== typeof value) throw wrongType(path, typeof value === 'string' ? 'text' : typeof value === 'number' ? 'an integer' : 'a boolean', v);
        throw new SchemaError('wrong-literal', path, `expected "${String(value)}", found "${String(v)}"`);
      }
      return value;
    },
  };
}

/** One of a few text values (`reactor` or `command`). */
function oneOf<const L extends string>(values: readonly L[]): OneOfSchema<L> {
  const set = new Set<string>(values);
  return {
    kind: 'oneOf',
    values,
    check(v, path) {
      if (typeof v !== 'string') throw wrongType(path, 'text', v);
      if (!set.has(v)) throw new SchemaError('wrong-literal', path, `expected one of ${values.map((x) => `"${x}"`).join(', ')}, found "${v}"`);
      return v as L;
    },
  };
}

function array<T>(item: Schema<T>, opts: { maxItems: number; minItems?: number }): ArraySchema<T> {
  const minItems = opts.minItems ?? 0;
  const { maxItems } = opts;
  return {
    kind: 'array',
    item,
    minItems,
    maxItems,
    check(v, path) {
      if (!Array.isArray(v)) throw wrongType(path, 'an array', v);
      if (v.length > maxItems) throw new SchemaError('too-long', path, `${v.length} entries exceed the limit of ${maxItems}`);
      if (v.length < minItems) throw new SchemaError('too-short', path, `${v.length} entries are fewer than ${minItems}`);
      return v.map((x, i) => item.check(x, `${path}[${i}]`));
    },
  };
}

/** A map from text keys (checked by `key`) to values of one schema. */
function map<V>(key: TextSchema, value: Schema<V>, opts: { maxEntries: number }): MapSchema<V> {
  const { maxEntries } = opts;
  return {
    kind: 'map',
    key,
    value,
    maxEntries,
    check(v, path) {
      if (!isPlainObject(v)) throw wrongType(path, 'a map', v);
      const keys = Object.keys(v);
      if (keys.length > maxEntries) throw new SchemaError('too-long', path, `${keys.length} entries exceed the limit of ${maxEntries}`);
      const out: Record<string, V> = {};
      for (const k of keys) {
        const at = `${path}[${JSON.stringify(k)}]`;
        key.check(k, at);
        put(out, k, value.check(v[k], at));
      }
      return out;
    },
  };
}

function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return { kind: 'optional', inner };
}

/** A map with exactly these fields: unknown fields and missing required fields are refused. */
function object<const S extends Shape>(shape: S, opts: { rules?: readonly ObjectRule<InferShape<S>>[] } = {}): ObjectSchema<S> {
  const rules = opts.rules ?? [];
  const names = Object.keys(shape);
  return {
    kind: 'object',
    shape,
    rules,
    check(v, path) {
      if (!isPlainObject(v)) throw wrongType(path, 'a map', v);
      for (const k of Object.keys(v)) {
        if (!Object.hasOwn(shape, k)) throw new SchemaError('unknown-field', `${path}.${k}`, 'this field is not defined here');
      }
      const out: Record<string, unknown> = {};
      for (const k of names) {
        const field = shape[k];
        const at = `${path}.${k}`;
        if (!Object.hasOwn(v, k)) {
          if (field.kind === 'optional') continue;
          throw new SchemaError('missing-field', at, 'this required field is absent');
        }
        put(out, k, field.kind === 'optional' ? (field as OptionalSchema<unknown>).inner.check(v[k], at) : (field as Schema<unknown>).check(v[k], at));
      }
      const typed = out as InferShape<S>;
      for (const rule of rules) {
        const broken = rule(typed);
        if (broken !== undefined) throw new SchemaError('invalid-value', `${path}${broken.field}`, broken.detail);
      }
      return typed;
    },
  };
}

/** Objects told apart by the literal text value of `discriminant`. */
function union<const V extends AnyObjectSchema>(discriminant: string, variants: readonly V[]): UnionSchema<V> {
  const byTag = new Map<unknown, V>();
  for (const variant of variants) {
    const tag = variant.shape[discriminant];
    if (tag === undefined || tag.kind !== 'literal') throw new TypeError(`Cannot build union: a variant has no literal field "${discriminant}"`);
    byTag.set((tag as LiteralSchema<LiteralValue>).value, variant);
  }
  return {
    kind: 'union',
    discriminant,
    variants,
    check(v, path) {
      if (!isPlainObject(v)) throw wrongType(path, 'a map', v);
      if (!Object.hasOwn(v, discriminant)) throw new SchemaError('missing-field', `${path}.${discriminant}`, 'this required field is absent');
      const variant = byTag.get(v[discriminant]);
      if (variant === undefined) {
        const known = [...byTag.keys()].map((x) => `"${String(x)}"`).join(', ');
        throw new SchemaError('unknown-variant', `${path}.${discriminant}`, `${describeValue(v[discriminant])} is none of ${known}`);
      }
      return variant.check(v, path) as Infer<V>;
    },
  };
}

/** The DSL: `s.object({ v: s.literal(1), name: s.text({ maxBytes: 64 }) })`. */
export const s = { uint, int, float, bool, text, bytes, literal, oneOf, array, map, optional, object, union };
