// `CborError`: why fleetlet refused to encode or decode a CBOR item, as a stable code and the
// byte offset where the problem was found.

/** Stable reasons (they travel in reports and tests match on them; never rename one). */
export type CborErrorCode =
  /** The input is longer than the bound for this kind of document. */
  | 'too-large'
  /** The input ends inside an item. */
  | 'truncated'
  /** Bytes follow the one top-level item. */
  | 'trailing-bytes'
  /** An item is not well-formed CBOR (reserved additional information, a stray break). */
  | 'malformed'
  /** An indefinite-length string, array or map. */
  | 'indefinite-length'
  /** Arrays, maps and tags nest deeper than the bound. */
  | 'too-deep'
  /** A byte or text string is longer than the bound. */
  | 'string-too-long'
  /** An array or map has more entries than the bound. */
  | 'too-many-items'
  /** A tag that this document does not expect. */
  | 'tag-not-allowed'
  /** A map key appears twice. */
  | 'duplicate-key'
  /** Map keys are not in bytewise order of their encodings (RFC 8949 section 4.2.1). */
  | 'unsorted-keys'
  /** An integer, length or tag is not written in its shortest form (RFC 8949 section 4.2.1). */
  | 'non-shortest'
  /** A map key is neither a text string nor (where allowed) an integer. */
  | 'key-type'
  /** A text string is not valid UTF-8 or starts with a byte order mark. */
  | 'invalid-text'
  /** A floating-point number where the document admits none. */
  | 'float-not-allowed'
  /** NaN or an infinity. */
  | 'non-finite-float'
  /** `undefined` or another simple value than false, true and null. */
  | 'simple-not-allowed'
  /** An integer outside -(2^53 - 1) .. 2^53 - 1, which JavaScript numbers cannot hold exactly. */
  | 'integer-out-of-range'
  /** The bytes decode, but re-encoding them deterministically gives other bytes. */
  | 'non-canonical'
  /** The encoder was given a value that has no place in a fleetlet document. */
  | 'unsupported-value';

/** A refused CBOR input (or value to encode), with a code and the byte offset of the problem. */
export class CborError extends Error {
  override readonly name = 'CborError';
  constructor(
    readonly code: CborErrorCode,
    /** Byte offset in the input where the problem was found (0 for encoder errors). */
    readonly offset: number,
    detail: string,
  ) {
    super(`${detail} at byte ${offset}`);
  }
}
