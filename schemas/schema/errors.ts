// `SchemaError`: a decoded document that does not match its schema, naming the field path
// (`manifest.capabilities[3]`) and the broken rule as a stable code.

/** Stable reasons (they travel in reports and tests match on them; never rename one). */
export type SchemaErrorCode =
  /** A value of another type than the field's (text where an integer belongs). */
  | 'wrong-type'
  /** A field the schema does not define (within one version, unknown fields are refused). */
  | 'unknown-field'
  /** A required field is absent. */
  | 'missing-field'
  /** An integer or number outside its bounds. */
  | 'out-of-range'
  /** Text, bytes, an array or a map longer than its bound. */
  | 'too-long'
  /** Text, bytes, an array or a map shorter than its bound. */
  | 'too-short'
  /** Bytes of another length than the exact one required (a SHA-256 digest is 32 bytes). */
  | 'wrong-length'
  /** Text that does not match the field's pattern or grammar. */
  | 'pattern-mismatch'
  /** A value other than the field's one allowed value, or not one of its allowed values. */
  | 'wrong-literal'
  /** A discriminant naming no variant of a union. */
  | 'unknown-variant'
  /** A schema version (`v`) this build does not know. */
  | 'unsupported-version'
  /** A rule across fields is broken (expiry before issue, two modules with one name). */
  | 'invalid-value';

/** A value that does not match its schema. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  constructor(
    readonly code: SchemaErrorCode,
    /** Where: the document name, then `.field` and `[index]` steps (`manifest.capabilities[3]`). */
    readonly path: string,
    /** What is wrong, without the path. */
    readonly detail: string,
  ) {
    super(`Invalid field "${path}": ${detail}`);
  }
}

/** How a value looks in an error message: its type, and short values quoted. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return v.length <= 40 ? `text "${v}"` : `text of ${v.length} characters`;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer "${v}"` : `number "${v}"`;
  if (typeof v === 'boolean') return `boolean "${v}"`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Map) return 'a map with non-text keys';
  if (typeof v === 'object') return 'a map';
  return `a value of type "${typeof v}"`;
}
