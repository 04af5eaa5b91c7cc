// Values at the spec runner's engine boundary: exact bit patterns for numbers, references as
// JS values, the expected forms of the scripts (NaN patterns, type-only) and how they match.

/** Numeric value types the core scripts use (v128 belongs to simd/, which the runner does not cover yet). */
export type NumTypeName = 'i32' | 'i64' | 'f32' | 'f64';
export type RefTypeName = 'funcref' | 'externref';
export type SpecType = NumTypeName | RefTypeName;

/**
 * A value exact to the bit: 32-bit types carry an unsigned `number` bit pattern, 64-bit types an
 * unsigned `bigint`; references carry the JS value that stands for them (`null` is the null
 * reference; a non-null funcref is whatever the engine hands out for a function).
 */
export type SpecValue =
  | { readonly type: 'i32' | 'f32'; readonly bits: number }
  | { readonly type: 'i64' | 'f64'; readonly bits: bigint }
  | { readonly type: RefTypeName; readonly ref: unknown };

export type NanPattern = 'canonical' | 'arithmetic';

/** One entry of an `expected` list: an exact value, a NaN pattern, or only a result type. */
export type Expected =
  | { readonly kind: 'value'; readonly value: SpecValue }
  | { readonly kind: 'nan'; readonly type: 'f32' | 'f64'; readonly nan: NanPattern }
  | { readonly kind: 'type'; readonly type: SpecType };

/** A value as the JSON scripts write it: `{"type": "i32", "value": "4294967295"}`. */
export interface JsonValue {
  readonly type: string;
  readonly value?: unknown;
}

/** A value or type the runner cannot represent (v128, unknown names): the command using it fails. */
export class UnsupportedValue extends Error {
  override readonly name = 'UnsupportedValue';
}

/** One distinct opaque object per host reference number `N` (`ref.extern N`), for one script. */
export class HostRefs {
  private readonly refs = new Map<string, { readonly ref: number }>();

  get(n: string): { readonly ref: number } {
    let r = this.refs.get(n);
    if (r === undefined) {
      r = { ref: Number(n) };
      this.refs.set(n, r);
    }
    return r;
  }

  /** The number `N` when `value` is one of this script's host references. */
  numberOf(value: unknown): number | undefined {
    for (const r of this.refs.values()) if (r === value) return r.ref;
    return undefined;
  }
}

const SPEC_TYPES: ReadonlySet<string> = new Set(['i32', 'i64', 'f32', 'f64', 'funcref', 'externref']);

/** @throws UnsupportedValue for a type the runner does not handle */
export function parseType(type: string): SpecType {
  if (!SPEC_TYPES.has(type)) throw new UnsupportedValue(`Value type "${type}" is not supported by the spec runner`);
  return type as SpecType;
}

/**
 * Reads an argument (always a concrete value).
 * @throws UnsupportedValue for v128 or an unknown type, or a missing value
 */
export function parseArg(v: JsonValue, refs: HostRefs): SpecValue {
  const e = parseExpected(v, refs);
  if (e.kind !== 'value') throw new UnsupportedValue(`Argument of type "${v.type}" has no concrete value`);
  return e.value;
}

/**
 * Reads one entry of an `expected` list.
 * @throws UnsupportedValue for v128 or an unknown type
 */
export function parseExpected(v: JsonValue, refs: HostRefs): Expected {
  const type = parseType(v.type);
  if (v.value === undefined) return { kind: 'type', type };
  if (typeof v.value !== 'string') throw new UnsupportedValue(`Value "${JSON.stringify(v.value)}" of type "${type}" is not a string`);
  const s = v.value;
  switch (type) {
    case 'i32':
    case 'f32':
      if (type === 'f32' && (s === 'nan:canonical' || s === 'nan:arithmetic')) return { kind: 'nan', type, nan: nanOf(s) };
      return { kind: 'value', value: { type, bits: Number(BigInt.asUintN(32, BigInt(s))) } };
    case 'i64':
    case 'f64':
      if (type === 'f64' && (s === 'nan:canonical' || s === 'nan:arithmetic')) return { kind: 'nan', type, nan: nanOf(s) };
      return { kind: 'value', value: { type, bits: BigInt.asUintN(64, BigInt(s)) } };
    case 'funcref':
      if (s !== 'null') throw new UnsupportedValue(`Funcref value "${s}" is not supported: only "null" is`);
      return { kind: 'value', value: { type, ref: null } };
    case 'externref':
      return { kind: 'value', value: { type, ref: s === 'null' ? null : refs.get(s) } };
  }
}

function nanOf(s: 'nan:canonical' | 'nan:arithmetic'): NanPattern {
  return s === 'nan:canonical' ? 'canonical' : 'arithmetic';
}

export function typeOfExpected(e: Expected): SpecType {
  return e.kind === 'value' ? e.value.type : e.type;
}

const F32_EXP = 0x7f80_0000;
const F32_QUIET = 0x0040_0000;
const F64_EXP = 0x7ff0_0000_0000_0000n;
const F64_QUIET = 0x0008_0000_0000_0000n;

/** True when an f32 bit pattern is NaN of the given pattern (canonical: only the quiet bit set; arithmetic: quiet bit set). */
export function f32MatchesNan(bits: number, nan: NanPattern): boolean {
  const magnitude = (bits & 0x7fff_ffff) >>> 0;
  if (nan === 'canonical') return magnitude === (F32_EXP | F32_QUIET);
  return (magnitude & F32_EXP) === F32_EXP && (magnitude & F32_QUIET) !== 0;
}

/** True when an f64 bit pattern is NaN of the given pattern. */
export function f64MatchesNan(bits: bigint, nan: NanPattern): boolean {
  const magnitude = bits & 0x7fff_ffff_ffff_ffffn;
  if (nan === 'canonical') return magnitude === (F64_EXP | F64_QUIET);
  return (magnitude & F64_EXP) === F64_EXP && (magnitude & F64_QUIET) !== 0n;
}

/** Checks one result; returns undefined when it matches, else why not. */
export function mismatch(expected: Expected, actual: SpecValue, refs: HostRefs): string | undefined {
  const want = typeOfExpected(expected);
  if (actual.type !== want) return `got ${describe(actual, refs)}, want a ${want}`;
  switch (expected.kind) {
    case 'type':
      return undefined;
    case 'nan': {
      const ok = actual.type === 'f32' ? f32MatchesNan(actual.bits, expected.nan) : actual.type === 'f64' && f64MatchesNan(actual.bits, expected.nan);
      return ok ? undefined : `got ${describe(actual, refs)}, want ${expected.type} nan:${expected.nan}`;
    }
    case 'value': {
      const ok = 'bits' in actual ? 'bits' in expected.value && actual.bits === expected.value.bits : 'ref' in expected.value && actual.ref === expected.value.ref;
      return ok ? undefined : `got ${describe(actual, refs)}, want ${describe(expected.value, refs)}`;
    }
  }
}

/** A value for failure messages: the unsigned bit pattern in decimal and hex, floats also as numbers. */
export function describe(v: SpecValue, refs: HostRefs): string {
  switch (v.type) {
    case 'i32':
      return `i32 ${v.bits} (0x${v.bits.toString(16)})`;
    case 'i64':
      return `i64 ${v.bits} (0x${v.bits.toString(16)})`;
    case 'f32': {
      const view = new DataView(new ArrayBuffer(4));
      view.setUint32(0, v.bits);
      return `f32 0x${v.bits.toString(16).padStart(8, '0')} (${view.getFloat32(0)})`;
    }
    case 'f64': {
      const view = new DataView(new ArrayBuffer(8));
      view.setBigUint64(0, v.bits);
      return `f64 0x${v.bits.toString(16).padStart(16, '0')} (${view.getFloat64(0)})`;
    }
    case 'funcref':
      return v.ref === null ? 'funcref null' : 'a non-null funcref';
    case 'externref': {
      if (v.ref === null) return 'externref null';
      const n = refs.numberOf(v.ref);
      return n === undefined ? `externref of a foreign value (${typeof v.ref})` : `externref ${n}`;
    }
  }
}
