// `defineMessage`: turns a message's schema and CBOR bounds into its encoder and strict decoder,
// with the schema version (`v`) check every fleetlet message shares.

import { CborError, decodeCbor, encodeCbor, type CborDecodeOptions } from '../cbor/index.ts';
import { describeValue, SchemaError } from '../schema/index.ts';
import type { AnyObjectSchema, InferShape, LiteralSchema, ObjectSchema, Shape } from '../schema/index.ts';

/** A shape whose first field is the schema version. */
export type VersionedShape = Shape & { readonly v: LiteralSchema<number> };

export interface MessageOptions {
  /**
   * Signed documents: the payload must be deterministic CBOR (RFC 8949 section 4.2) and decode
   * only if it re-encodes to the same bytes. Such messages admit no floats.
   */
  readonly signed: boolean;
  /** Admit floating-point numbers (telemetry readings); never with `signed`. */
  readonly floats?: boolean;
  /** CBOR bounds: `maxBytes` is required, the others default as in `DEFAULT_CBOR_OPTIONS`. */
  readonly maxBytes: number;
  readonly maxDepth?: number;
  readonly maxStringBytes?: number;
  readonly maxItems?: number;
}

/** The outcome of a decode that does not throw. */
export type DecodeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CborError | SchemaError };

/** One message type: its name, version, schema, bounds, and its codec. */
export interface Message<S extends VersionedShape> {
  readonly name: string;
  readonly version: number;
  readonly schema: ObjectSchema<S>;
  readonly signed: boolean;
  readonly cbor: CborDecodeOptions;
  /**
   * Validates `value` and encodes it deterministically.
   * @throws SchemaError when the value does not match the schema
   */
  encode(value: InferShape<S>): Uint8Array;
  /**
   * Decodes untrusted bytes.
   * @throws CborError when the bytes are not CBOR this message accepts, SchemaError when the
   * document does not match the schema (including "unsupported-version")
   */
  decode(bytes: Uint8Array): InferShape<S>;
  /** `decode` without throwing for refused input. */
  safeDecode(bytes: Uint8Array): DecodeResult<InferShape<S>>;
}

/** Any message type, whatever its shape (for registries, fuzzers and docs). */
export interface AnyMessage {
  readonly name: string;
  readonly version: number;
  readonly schema: AnyObjectSchema;
  readonly signed: boolean;
  readonly cbor: CborDecodeOptions;
  encode(value: never): Uint8Array;
  decode(bytes: Uint8Array): unknown;
  safeDecode(bytes: Uint8Array): DecodeResult<unknown>;
}

/**
 * Defines a message. Its name is the root of every error path ("manifest.limits.maxCallDepth").
 * @throws TypeError when the schema has no literal `v` field or `signed` is combined with `floats`
 */
export function defineMessage<const S extends VersionedShape>(name: string, schema: ObjectSchema<S>, opts: MessageOptions): Message<S> {
  const version = schema.shape.v.value;
  if (schema.shape.v.kind !== 'literal' || !Number.isSafeInteger(version)) throw new TypeError(`Cannot define message "${name}": its "v" field is not a literal integer`);
  if (opts.signed && opts.floats === true) throw new TypeError(`Cannot define message "${name}": signed documents admit no floats`);
  const cbor: CborDecodeOptions = {
    canonical: opts.signed,
    floats: opts.floats === true,
    maxBytes: opts.maxBytes,
    ...(opts.maxDepth === undefined ? {} : { maxDepth: opts.maxDepth }),
    ...(opts.maxStringBytes === undefined ? {} : { maxStringBytes: opts.maxStringBytes }),
    ...(opts.maxItems === undefined ? {} : { maxItems: opts.maxItems }),
  };
  const decode = (bytes: Uint8Array): InferShape<S> => {
    const doc = decodeCbor(bytes, cbor);
    checkVersion(name, version, doc);
    return schema.check(doc, name);
  };
  return {
    name,
    version,
    schema,
    signed: opts.signed,
    cbor,
    encode: (value) => encodeCbor(schema.check(value, name), { floats: opts.floats === true }),
    decode,
    safeDecode(bytes) {
      try {
        return { ok: true, value: decode(bytes) };
      } catch (e) {
        if (e instanceof CborError || e instanceof SchemaError) return { ok: false, error: e };
        throw e;
      }
    },
  };
}

/** Refuses a document whose `v` this build does not know, before any other field is read. */
function checkVersion(name: string, version: number, doc: unknown): void {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || doc instanceof Uint8Array) {
    throw new SchemaError('wrong-type', name, `expected a map, found ${describeValue(doc)}`);
  }
  if (!Object.hasOwn(doc, 'v')) throw new SchemaError('missing-field', `${name}.v`, 'this required field is absent');
  const v = (doc as Record<string, unknown>)['v'];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new SchemaError('wrong-type', `${name}.v`, `expected an unsigned integer, found ${describeValue(v)}`);
  if (v !== version) throw new SchemaError('unsupported-version', `${name}.v`, `schema version "${v}" is not supported (supported: ${version})`);
}
