// Strict decoding of untrusted CBOR: the pre-scan refuses what fleetlet does not accept, cborg
// builds the value under its own strict options, and canonical inputs must re-encode to themselves.

import { decode, Tagged } from 'cborg';
import type { TagDecoder } from 'cborg/interface';
import { encodeCbor } from './encode.ts';
import { CborError } from './errors.ts';
import { resolveCborOptions, type CborDecodeOptions } from './options.ts';
import { scanCbor } from './scan.ts';

/**
 * Decodes one CBOR item from untrusted bytes. Maps decode as plain objects (text keys) or, with
 * `intKeys`, as `Map`s; allowed tags as cborg `Tagged` values.
 * @throws CborError with the code and byte offset of the first problem
 * @throws RangeError when the options themselves are invalid
 */
export function decodeCbor(bytes: Uint8Array, options: CborDecodeOptions = {}): unknown {
  const o = resolveCborOptions(options);
  scanCbor(bytes, o);
  const tags: Record<number, TagDecoder> = {};
  for (const t of o.tags) tags[t] = Tagged.decoder(t);
  let value: unknown;
  try {
    value = decode(bytes, {
      strict: o.canonical,
      allowIndefinite: false,
      allowUndefined: false,
      allowNaN: false,
      allowInfinity: false,
      allowBigInt: false,
      rejectDuplicateMapKeys: true,
      useMaps: o.intKeys,
      tags,
    });
  } catch (e) {
    // The scan admits only what cborg decodes under these options: reaching here is a fleetlet bug,
    // still reported as a refused input so that untrusted bytes never raise an untyped error.
    throw new CborError('malformed', 0, `CBOR decoder refused input the scan accepted: ${(e as Error).message}`);
  }
  if (o.canonical) {
    const again = encodeCbor(value);
    const diff = firstDifference(bytes, again);
    if (diff >= 0) throw new CborError('non-canonical', diff, 'Input differs from its deterministic re-encoding');
  }
  return value;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
