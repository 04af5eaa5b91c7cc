// The schema fuzzer: runs every decoder of untrusted bytes (each message, and the strict CBOR
// decoder under varied options) on generated and mutated inputs, and counts outcomes. Anything
// thrown other than `CborError` or `SchemaError`, or an accepted input that does not re-encode
// consistently, is a failure.

import { isDeepStrictEqual } from 'node:util';
import { Decoder as CborXDecoder } from 'cbor-x';
import fc from 'fast-check';
import { CborError, decodeCbor, encodeCbor, Tagged, type CborDecodeOptions } from '../cbor/index.ts';
import { SAMPLES } from '../messages/_fixtures.ts';
import { MESSAGES, type AnyMessage, type MessageName } from '../messages/index.ts';
import { SchemaError } from '../schema/index.ts';
import { arbitraryFor, damagedDocument, genericValue, mutatedBytes, rawCbor } from './arbitraries.ts';

/** One decoder under fuzzing. */
export interface FuzzTarget<T> {
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /**
   * Runs the decoder: returns "accepted" or the refusal code.
   * @throws anything else the decoder threw, or Error when an accepted input breaks an invariant
   */
  run(input: T): string;
  /** The input, for a failure report. */
  show(input: T): string;
}

export interface FuzzReport {
  readonly target: string;
  readonly runs: number;
  readonly accepted: number;
  /** Refusals by "CborError:code" or "SchemaError:code". */
  readonly refused: Readonly<Record<string, number>>;
  /** Untyped exceptions and broken invariants (should be 0). */
  readonly failureCount: number;
  /** The first 20 failures, with their inputs. */
  readonly failures: readonly { readonly input: string; readonly error: string }[];
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Encodes, or gives empty bytes for a value the encoder refuses (a generated value never should). */
function encodeOrEmpty(v: unknown, floats: boolean): Uint8Array {
  try {
    return encodeCbor(v, { floats });
  } catch (e) {
    if (e instanceof CborError) return new Uint8Array(0);
    throw e;
  }
}

/** The refusal code of a typed error; rethrows anything else (and the scan/decoder disagreement). */
function refusalCode(e: unknown): string {
  if (e instanceof SchemaError) return `SchemaError:${e.code}`;
  if (e instanceof CborError) {
    if (e.message.startsWith('CBOR decoder refused input the scan accepted')) throw e;
    return `CborError:${e.code}`;
  }
  throw e;
}

/** Equality that takes -0 and 0 as one number (CBOR writes both as the integer 0). */
function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalizeZero(a), normalizeZero(b));
}
function normalizeZero(v: unknown): unknown {
  if (Object.is(v, -0)) return 0;
  if (Array.isArray(v)) return v.map(normalizeZero);
  if (v instanceof Uint8Array || v === null || typeof v !== 'object') return v;
  if (v instanceof Tagged) return new Tagged(v.tag, normalizeZero(v.value));
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, normalizeZero(x)]));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeZero(x)]));
}

type Doc = Record<string, unknown>;

/** Moves `later` after `earlier` when a generated document has them the wrong way round. */
function order(d: Doc, earlier: string, later: string): void {
  const a = d[earlier];
  const b = d[later];
  if (typeof a === 'number' && typeof b === 'number' && b <= a) {
    if (a < Number.MAX_SAFE_INTEGER) d[later] = a + 1;
    else d[earlier] = b - 1;
  }
}

/** Drops later entries whose key repeats an earlier one's. */
function dedupe(list: unknown, key: (e: unknown) => string = (e) => String(e)): unknown[] {
  const seen = new Set<string>();
  return (list as unknown[]).filter((e) => (seen.has(key(e)) ? false : (seen.add(key(e)), true)));
}
const field = (name: string) => (e: unknown): string => {
  const v = (e as Doc)[name];
  return v instanceof Uint8Array ? hex(v) : String(v);
};

/**
 * Makes a generated document satisfy its schema's cross-field rules (expiry after issue, no
 * repeats, threshold within the root keys), so that most generated documents are accepted.
 */
const REPAIRS: Partial<Record<MessageName, (d: Doc) => void>> = {
  manifest(d) {
    order(d, 'issuedAt', 'expiresAt');
    d['capabilities'] = dedupe(d['capabilities']);
    d['targets'] = dedupe(d['targets']);
  },
  desiredState(d) {
    order(d, 'issuedAt', 'expiresAt');
    d['modules'] = dedupe(dedupe(d['modules'], field('name')), field('manifestDigest'));
  },
  trustUpdate(d) {
    order(d, 'issuedAt', 'expiresAt');
    const keys = dedupe(dedupe(d['keys'], field('id')), field('publicKey')) as Doc[];
    for (const k of keys) order(k, 'notBefore', 'notAfter');
    keys[0]['role'] = 'root';
    const roots = keys.filter((k) => k['role'] === 'root').length;
    d['keys'] = keys;
    d['rootThreshold'] = 1 + (((d['rootThreshold'] as number) - 1) % roots);
    d['revoked'] = dedupe((d['revoked'] as string[]).filter((id) => !keys.some((k) => k['id'] === id)));
  },
  status(d) {
    d['modules'] = dedupe(d['modules'], field('name'));
  },
  command(d) {
    order(d, 'issuedAtMs', 'expiresAtMs');
  },
};

/** The fuzz target of one message's decoder. */
export function messageTarget(name: MessageName): FuzzTarget<Uint8Array> {
  const m = MESSAGES[name] as AnyMessage;
  const floats = m.cbor.floats === true;
  const repair = REPAIRS[name];
  const valid = repair === undefined ? arbitraryFor(m.schema) : arbitraryFor(m.schema).map((d) => (repair(d as Doc), d));
  const validBytes = valid.map((v) => encodeOrEmpty(v, floats));
  const sampleBytes = fc.constant(encodeOrEmpty(SAMPLES[name], floats));
  return {
    name,
    arbitrary: fc.oneof(
      { weight: 3, arbitrary: validBytes },
      { weight: 5, arbitrary: mutatedBytes(fc.oneof(validBytes, sampleBytes)) },
      { weight: 2, arbitrary: damagedDocument(valid, floats).map((v) => encodeOrEmpty(v, floats)) },
      { weight: 1, arbitrary: genericValue(floats).map((v) => encodeOrEmpty(v, floats)) },
      { weight: 1, arbitrary: rawCbor() },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    ),
    run(bytes) {
      let value: unknown;
      try {
        value = m.decode(bytes);
      } catch (e) {
        return refusalCode(e);
      }
      const again = m.encode(value as never);
      if (m.signed && hex(again) !== hex(bytes)) throw new Error('Accepted signed document does not re-encode to its own bytes');
      if (!sameValue(m.decode(again), value)) throw new Error('Accepted document changes when re-encoded and decoded');
      return 'accepted';
    },
    show: hex,
  };
}

type CborCase = { readonly bytes: Uint8Array; readonly options: CborDecodeOptions };

/** cbor-x, a second CBOR decoder written independently of cborg, to compare accepted inputs with. */
const cborX = new CborXDecoder({ mapsAsObjects: false, useRecords: false } as ConstructorParameters<typeof CborXDecoder>[0]);

/** A decoded value as a tree that two decoders' outputs can be compared in. */
function neutral(v: unknown): unknown {
  if (typeof v === 'bigint' || typeof v === 'number') return ['n', String(Number(v) === 0 ? 0 : Number(v))];
  if (typeof v === 'string') return ['s', v];
  if (v === null || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) return ['b', hex(v)];
  if (Array.isArray(v)) return ['a', v.map(neutral)];
  if (v instanceof Tagged) return ['t', v.tag, neutral(v.value)];
  if (v instanceof Map || (typeof v === 'object' && v.constructor === Object)) {
    const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
    return ['m', entries.map(([k, x]) => [neutral(k), neutral(x)]).sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1))];
  }
  const o = v as { tag?: unknown; value?: unknown };
  if (typeof v === 'object' && typeof o.tag === 'number') return ['t', o.tag, neutral(o.value)];
  return ['?', String(v)];
}

/** `common` three times in four, else one of `others`. */
const usually = (common: number, others: fc.Arbitrary<number>): fc.Arbitrary<number> => fc.oneof({ weight: 3, arbitrary: fc.constant(common) }, { weight: 1, arbitrary: others });

/** The fuzz target of the strict CBOR decoder itself, under varied options and bounds. */
export function cborTarget(): FuzzTarget<CborCase> {
  const options: fc.Arbitrary<CborDecodeOptions> = fc
    .record({
      canonical: fc.boolean(),
      floats: fc.boolean(),
      intKeys: fc.boolean(),
      tags: fc.constantFrom([], [18], [18, 98], [0, 1, 2, 3, 24]),
      maxDepth: usually(16, fc.integer({ min: 0, max: 20 })),
      maxItems: usually(1024, fc.constantFrom(0, 1, 4)),
      maxStringBytes: usually(65536, fc.constantFrom(0, 8)),
      maxBytes: usually(65536, fc.constantFrom(0, 16)),
    })
    .map((o) => (o.canonical ? { ...o, floats: false } : o));
  const values = fc.oneof(genericValue(false).map((v) => encodeOrEmpty(v, false)), genericValue(true).map((v) => encodeOrEmpty(v, true)));
  const bytes = fc.oneof(
    { weight: 2, arbitrary: values },
    { weight: 3, arbitrary: rawCbor() },
    { weight: 4, arbitrary: mutatedBytes(fc.oneof(values, rawCbor())) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 48 }) },
  );
  return {
    name: 'cbor',
    arbitrary: fc.record({ bytes, options }),
    run({ bytes: b, options: o }) {
      let value: unknown;
      try {
        value = decodeCbor(b, o);
      } catch (e) {
        return refusalCode(e);
      }
      // cbor-x turns some tags into dates and bigints: compare only where no such tag may appear
      if ((o.tags ?? []).every((t) => t === 18 || t === 98)) {
        // cbor-x refuses a few valid forms (text with an 8-byte length head): compare where it decodes
        let theirs: unknown = undefined;
        try {
          theirs = neutral(cborX.decode(b));
        } catch {
          theirs = undefined;
        }
        if (theirs !== undefined && !isDeepStrictEqual(theirs, neutral(value))) throw new Error(`Accepted input decodes otherwise in cbor-x: ${JSON.stringify(theirs).slice(0, 200)}`);
      }
      const again = encodeCbor(value, { floats: o.floats === true });
      if (o.canonical === true && hex(again) !== hex(b)) throw new Error('Accepted canonical input does not re-encode to its own bytes');
      if (!sameValue(decodeCbor(again, { ...o, maxBytes: Math.max(o.maxBytes ?? 0, again.length) }), value)) throw new Error('Accepted input changes when re-encoded and decoded');
      return 'accepted';
    },
    show: (c) => `${hex(c.bytes)} with ${JSON.stringify(c.options)}`,
  };
}

/** Every target: the CBOR decoder, then each message. */
export function allTargets(): FuzzTarget<unknown>[] {
  return [cborTarget() as FuzzTarget<unknown>, ...(Object.keys(MESSAGES) as MessageName[]).map((n) => messageTarget(n) as FuzzTarget<unknown>)];
}

/** Runs `count` inputs of one target from `seed`; never throws for decoder failures (they are reported). */
export function fuzz<T>(target: FuzzTarget<T>, count: number, seed: number): FuzzReport {
  const refused: Record<string, number> = {};
  const failures: { input: string; error: string }[] = [];
  let accepted = 0;
  let runs = 0;
  let failureCount = 0;
  fc.assert(
    fc.property(target.arbitrary, (input) => {
      runs++;
      try {
        const outcome = target.run(input);
        if (outcome === 'accepted') accepted++;
        else refused[outcome] = (refused[outcome] ?? 0) + 1;
      } catch (e) {
        failureCount++;
        if (failures.length < 20) failures.push({ input: target.show(input), error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      }
    }),
    { numRuns: count, seed, endOnFailure: true },
  );
  return { target: target.name, runs, accepted, refused, failureCount, failures };
}
