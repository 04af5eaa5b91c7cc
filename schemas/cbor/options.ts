// The bounds and strictness switches of fleetlet's CBOR decoder, with their defaults.

/** Options of `decodeCbor`; every field has a default (see `DEFAULT_CBOR_OPTIONS`). */
export interface CborDecodeOptions {
  /** Largest accepted input, in bytes. */
  readonly maxBytes?: number;
  /** Deepest nesting of arrays, maps and tags (a top-level scalar has depth 0, `[[1]]` depth 2). */
  readonly maxDepth?: number;
  /** Longest byte or text string, in bytes. */
  readonly maxStringBytes?: number;
  /** Most entries in one array or map. */
  readonly maxItems?: number;
  /**
   * Require deterministic encoding (RFC 8949 section 4.2): shortest heads, map keys sorted
   * bytewise, and decode-then-re-encode equal to the input. Set for every signed document.
   * Canonical documents admit no floats.
   */
  readonly canonical?: boolean;
  /** Admit floating-point numbers (never NaN or infinities). Not with `canonical`. */
  readonly floats?: boolean;
  /** Tag numbers that may appear (COSE_Sign1 is 18, COSE_Sign 98); none by default. */
  readonly tags?: readonly number[];
  /**
   * Admit integer map keys (COSE header maps). Maps then decode as `Map`; otherwise maps have
   * text keys only and decode as plain objects.
   */
  readonly intKeys?: boolean;
}

export type ResolvedCborOptions = Required<Omit<CborDecodeOptions, 'tags'>> & { readonly tags: ReadonlySet<number> };

export const DEFAULT_CBOR_OPTIONS = {
  maxBytes: 64 * 1024,
  maxDepth: 16,
  maxStringBytes: 64 * 1024,
  maxItems: 1024,
  canonical: true,
  floats: false,
  tags: [] as readonly number[],
  intKeys: false,
} as const;

/**
 * Fills in defaults.
 * @throws RangeError when a bound is not a non-negative integer or `canonical` and `floats` are both set
 */
export function resolveCborOptions(options: CborDecodeOptions = {}): ResolvedCborOptions {
  const o = { ...DEFAULT_CBOR_OPTIONS, ...options };
  for (const k of ['maxBytes', 'maxDepth', 'maxStringBytes', 'maxItems'] as const) {
    if (!Number.isSafeInteger(o[k]) || o[k] < 0) throw new RangeError(`Cannot decode CBOR: option "${k}" is "${String(o[k])}", not a non-negative integer`);
  }
  if (o.canonical && o.floats) throw new RangeError('Cannot decode CBOR: canonical documents admit no floats');
  return { ...o, tags: new Set(o.tags) };
}
