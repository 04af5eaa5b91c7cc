// Tests for the bundle layout: hand-written bytes, round trip, and each strict-parse refusal.

import { describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle } from './bundle.ts';
import { UpdateRejected, type RejectCode } from './rejection.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function code(f: () => unknown): RejectCode | 'accepted' {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (e instanceof UpdateRejected) return e.code;
    throw e;
  }
}

// "FLTB", version 1, manifest length 2, manifest d2 80, module length 3, module 00 61 73.
const SMALL = '464c5442 01 00000002 d280 00000003 006173';

describe('bundle', () => {
  it('encodeBundle writes magic, version and big-endian lengths', () => {
    expect(toHex(encodeBundle({ signedManifest: hex('d280'), module: hex('006173') }))).toBe(SMALL.replace(/\s+/g, ''));
  });

  it('decodeBundle reads the hand-written layout back', () => {
    const b = decodeBundle(hex(SMALL));
    expect(toHex(b.signedManifest)).toBe('d280');
    expect(toHex(b.module)).toBe('006173');
  });

  it('decodeBundle accepts an empty module (verification then reports truncation against the manifest)', () => {
    expect(decodeBundle(hex('464c5442 01 00000001 a0 00000000')).module.length).toBe(0);
  });

  it('decodeBundle reports every proper prefix as truncated', () => {
    const full = hex(SMALL);
    for (let n = 0; n < full.length; n++) {
      expect(code(() => decodeBundle(full.subarray(0, n)))).toBe('truncated');
    }
  });

  it.each([
    ['wrong magic', '464c5443 01 00000002 d280 00000003 006173'],
    ['layout version 2', '464c5442 02 00000002 d280 00000003 006173'],
    ['a zero-length manifest', '464c5442 01 00000000 00000003 006173'],
    ['a manifest length beyond the COSE bound', '464c5442 01 00010001 d280'],
    ['a module length beyond the module bound', '464c5442 01 00000002 d280 01000001 00'],
    ['a trailing byte', `${SMALL} 00`],
  ])('decodeBundle refuses %s as malformed', (_name, h) => {
    expect(code(() => decodeBundle(hex(h)))).toBe('malformed');
  });
});
