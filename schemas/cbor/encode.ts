// Deterministic CBOR encoding (RFC 8949 section 4.2) of the values fleetlet documents are made
// of, through cborg's RFC 8949 mode after a check that refuses anything else.

import { encode, rfc8949EncodeOptions, Tagged } from 'cborg';
import { CborError } from './errors.ts';

/**
 * A value fleetlet puts in CBOR: null, booleans, safe integers (and finite floats where a
 * document admits them), text, bytes, arrays, plain objects with text keys, `Map`s with text or
 * integer keys, and cborg's `Tagged` for COSE tags.
 */
export type CborValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly CborValue[]
  | { readonly [key: string]: CborValue }
  | ReadonlyMap<string | number, CborValue>
  | Tagged;

export { Tagged };

/** Options of `encodeCbor`. */
export interface CborEncodeOptions {
  /** Admit non-integer numbers (encoded in their shortest exact float form); off for signed documents. */
  readonly floats?: boolean;
}

/** Nesting bound of the encoder, far above any decoder bound (stops cycles early too). */
const MAX_ENCODE_DEPTH = 64;

/**
 * Encodes deterministically: shortest heads, map keys sorted bytewise by their encodings,
 * definite lengths, integers as integers.
 * @throws CborError "unsupported-value" naming the path of a value that has no CBOR form here
 */
export function encodeCbor(value: unknown, options: CborEncodeOptions = {}): Uint8Array {
  check(value, '$', 0, options.floats === true);
  return encode(value, rfc8949EncodeOptions);
}

function unsupported(path: string, what: string): CborError {
  return new CborError('unsupported-value', 0, `Cannot encode ${path}: ${what}`);
}

function check(v: unknown, path: string, depth: number, floats: boolean): void {
  if (depth > MAX_ENCODE_DEPTH) throw unsupported(path, `nesting exceeds ${MAX_ENCODE_DEPTH}`);
  if (v === null || v === true || v === false || typeof v === 'string') return;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return;
    if (!Number.isFinite(v)) throw unsupported(path, `"${v}" is not a finite number`);
    if (floats) return;
    if (Number.isInteger(v)) throw unsupported(path, `integer "${v}" is outside -(2^53 - 1) .. 2^53 - 1`);
    throw unsupported(path, `"${v}" is not an integer and this document admits no floats`);
  }
  if (typeof v !== 'object') throw unsupported(path, `a value of type "${typeof v}"`);
  if (v instanceof Uint8Array) return;
  if (Array.isArray(v)) {
    v.forEach((item, i) => check(item, `${path}[${i}]`, depth + 1, floats));
    return;
  }
  if (v instanceof Tagged) {
    if (!Number.isSafeInteger(v.tag) || v.tag < 0) throw unsupported(path, `tag "${v.tag}" is not a non-negative integer`);
    check(v.value, `${path}<tag ${v.tag}>`, depth + 1, floats);
    return;
  }
  if (v instanceof Map) {
    for (const [k, item] of v) {
      if (typeof k !== 'string' && !(typeof k === 'number' && Number.isSafeInteger(k))) throw unsupported(path, 'a map key that is neither text nor a safe integer');
      check(item, `${path}[${JSON.stringify(k)}]`, depth + 1, floats);
    }
    return;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw unsupported(path, 'an object that is not a plain object');
  for (const [k, item] of Object.entries(v)) {
    if (item === undefined) throw unsupported(`${path}.${k}`, 'undefined (leave the field out instead)');
    check(item, `${path}.${k}`, depth + 1, floats);
  }
}
