// Tests of the signed documents (manifest, desired state, trust update): canonical bytes written
// out by hand, round trips, and refusals naming their field path.

import { describe, expect, it } from 'vitest';
import { CborError, encodeCbor } from '../cbor/index.ts';
import { SchemaError } from '../schema/index.ts';
import { sampleDesiredState, sampleManifest, sampleTrustUpdate } from './_fixtures.ts';
import { decodeDesiredState, encodeDesiredState } from './desired-state.ts';
import { decodeManifest, encodeManifest, manifestMessage, type Manifest } from './manifest.ts';
import { decodeTrustUpdate, encodeTrustUpdate, type TrustUpdate } from './trust-update.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+|\/\/[^\n]*/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function refusal(decode: (b: Uint8Array) => unknown, bytes: Uint8Array): CborError | SchemaError {
  try {
    decode(bytes);
  } catch (e) {
    if (e instanceof CborError || e instanceof SchemaError) return e;
    throw e;
  }
  throw new Error('decoder accepted the input');
}

/** Encodes a document with the plain (non-validating) encoder, to build refused inputs. */
const raw = (doc: unknown): Uint8Array => encodeCbor(doc);

// A small manifest, its map keys sorted bytewise by their encodings (RFC 8949 section 4.2.1).
const SMALL_MANIFEST_HEX = `
  ac                                  // map of 12
  6176 01                             // "v": 1
  646b696e64 67636f6d6d616e64         // "kind": "command"
  646e616d65 6161                     // "name": "a"
  6473697a65 1864                     // "size": 100
  66646967657374 5820 ${'00'.repeat(32)}  // "digest": 32 zero bytes
  666c696d697473 a7                   // "limits": map of 7
    6b6675656c5065725469636b 1903e8   //   "fuelPerTick": 1000
    6c6d617843616c6c4465707468 1864   //   "maxCallDepth": 100
    6c7469636b506572696f644d73 1901f4 //   "tickPeriodMs": 500
    6d6d6178537461636b536c6f7473 1903e8   // "maxStackSlots": 1000
    6e6d61784d656d6f72795061676573 01     // "maxMemoryPages": 1
    706d61785461626c65456c656d656e7473 00 // "maxTableElements": 0
    72686f737443616c6c735065725365636f6e64 0a // "hostCallsPerSecond": 10
  6774617267657473 81 6373696d        // "targets": ["sim"]
  6776657273696f6e 65312e302e30       // "version": "1.0.0"
  686973737565644174 01               // "issuedAt": 1
  6873657175656e6365 01               // "sequence": 1
  69657870697265734174 02             // "expiresAt": 2
  6c6361706162696c6974696573 81 65636c6f636b // "capabilities": ["clock"]
`;
const SMALL_MANIFEST: Manifest = {
  v: 1,
  name: 'a',
  version: '1.0.0',
  sequence: 1,
  digest: new Uint8Array(32),
  size: 100,
  capabilities: ['clock'],
  limits: { maxMemoryPages: 1, maxTableElements: 0, maxCallDepth: 100, maxStackSlots: 1000, fuelPerTick: 1000, hostCallsPerSecond: 10, tickPeriodMs: 500 },
  kind: 'command',
  targets: ['sim'],
  issuedAt: 1,
  expiresAt: 2,
};

describe('manifest', () => {
  it('encodes to the hand-written canonical bytes', () => {
    expect(toHex(encodeManifest(SMALL_MANIFEST))).toBe(toHex(hex(SMALL_MANIFEST_HEX)));
  });

  it('decodes the hand-written canonical bytes', () => {
    expect(decodeManifest(hex(SMALL_MANIFEST_HEX))).toEqual(SMALL_MANIFEST);
  });

  it('round-trips the sample manifest', () => {
    expect(decodeManifest(encodeManifest(sampleManifest))).toEqual(sampleManifest);
  });

  it('refuses a re-encoding with a 16-bit map length under the same content', () => {
    const canonical = hex(SMALL_MANIFEST_HEX);
    const widened = new Uint8Array([0xb9, 0x00, 0x0c, ...canonical.subarray(1)]);
    const e = refusal(decodeManifest, widened);
    expect(e).toBeInstanceOf(CborError);
    expect((e as CborError).code).toBe('non-shortest');
  });

  it('refuses the same fields in insertion order (not sorted)', () => {
    const pieces = Object.entries(SMALL_MANIFEST).flatMap(([k, v]) => [encodeCbor(k), encodeCbor(v)]);
    const b = new Uint8Array(Buffer.concat([Buffer.from([0xac]), ...pieces]));
    const e = refusal(decodeManifest, b);
    expect((e as CborError).code).toBe('unsorted-keys');
  });

  it('refuses a duplicated key', () => {
    // {"v": 1, "v": 1}
    const e = refusal(decodeManifest, hex('a2 6176 01 6176 01'));
    expect((e as CborError).code).toBe('duplicate-key');
  });

  it('refuses a float where an integer belongs', () => {
    const e = refusal(decodeManifest, hex('a1 6176 f93c00'));
    expect((e as CborError).code).toBe('float-not-allowed');
  });

  it('refuses a schema version it does not know before reading other fields', () => {
    const e = refusal(decodeManifest, raw({ v: 2, anything: 'else' }));
    expect(e).toBeInstanceOf(SchemaError);
    expect({ code: (e as SchemaError).code, path: (e as SchemaError).path }).toEqual({ code: 'unsupported-version', path: 'manifest.v' });
  });

  it('refuses a document without a version', () => {
    const { v: _v, ...rest } = sampleManifest;
    const e = refusal(decodeManifest, raw(rest)) as SchemaError;
    expect({ code: e.code, path: e.path }).toEqual({ code: 'missing-field', path: 'manifest.v' });
  });

  it.each<[string, (m: Record<string, unknown>) => void, string, string]>([
    ['an unknown field', (m) => { m['extra'] = 1; }, 'unknown-field', 'manifest.extra'],
    ['a missing field', (m) => { delete m['targets']; }, 'missing-field', 'manifest.targets'],
    ['a bad capability', (m) => { m['capabilities'] = ['clock', 'gpio:17:sideways']; }, 'pattern-mismatch', 'manifest.capabilities[1]'],
    ['a wildcard capability', (m) => { m['capabilities'] = ['sensor:*:read']; }, 'pattern-mismatch', 'manifest.capabilities[0]'],
    ['a repeated capability', (m) => { m['capabilities'] = ['clock', 'random', 'clock']; }, 'invalid-value', 'manifest.capabilities[2]'],
    ['a digest of 31 bytes', (m) => { m['digest'] = new Uint8Array(31); }, 'wrong-length', 'manifest.digest'],
    ['a version that is not semver', (m) => { m['version'] = '1.4'; }, 'pattern-mismatch', 'manifest.version'],
    ['an unknown kind', (m) => { m['kind'] = 'daemon'; }, 'wrong-literal', 'manifest.kind'],
    ['no targets', (m) => { m['targets'] = []; }, 'too-short', 'manifest.targets'],
    ['expiry before issue', (m) => { m['expiresAt'] = 5; m['issuedAt'] = 6; }, 'invalid-value', 'manifest.expiresAt'],
    ['zero memory pages', (m) => { m['limits'] = { ...sampleManifest.limits, maxMemoryPages: 0 }; }, 'out-of-range', 'manifest.limits.maxMemoryPages'],
    ['an unknown limit', (m) => { m['limits'] = { ...sampleManifest.limits, maxThreads: 4 }; }, 'unknown-field', 'manifest.limits.maxThreads'],
    ['a negative sequence', (m) => { m['sequence'] = -1; }, 'out-of-range', 'manifest.sequence'],
    ['a name with a slash', (m) => { m['name'] = 'a/b'; }, 'pattern-mismatch', 'manifest.name'],
  ])('refuses %s with its field path', (_what, mutate, code, path) => {
    const doc: Record<string, unknown> = { ...sampleManifest };
    mutate(doc);
    const e = refusal(decodeManifest, raw(doc)) as SchemaError;
    expect(e).toBeInstanceOf(SchemaError);
    expect({ code: e.code, path: e.path }).toEqual({ code, path });
  });

  it('refuses to encode an invalid manifest', () => {
    expect(() => encodeManifest({ ...sampleManifest, size: 0 })).toThrow(SchemaError);
  });

  it('safeDecode returns the error instead of throwing', () => {
    const r = manifestMessage.safeDecode(hex('ff'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe('Break code outside an indefinite-length item at byte 0');
  });
});

describe('desired state', () => {
  it('round-trips the sample with its settings', () => {
    expect(decodeDesiredState(encodeDesiredState(sampleDesiredState))).toEqual(sampleDesiredState);
  });

  it('encodes settings as a map sorted by key', () => {
    const bytes = encodeDesiredState({ ...sampleDesiredState, modules: [{ name: 'x', manifestDigest: new Uint8Array(32), settings: { b: '2', a: '1' } }] });
    // "settings": {"a": "1", "b": "2"}
    expect(toHex(bytes)).toContain('6873657474696e6773' + 'a2' + '6161' + '6131' + '6162' + '6132');
  });

  it.each<[string, (d: Record<string, unknown>) => void, string, string]>([
    ['two modules with one name', (d) => { d['modules'] = [sampleDesiredState.modules[0], { ...sampleDesiredState.modules[1], name: 'thermostat' }]; }, 'invalid-value', 'desiredState.modules[1].name'],
    ['two modules with one manifest', (d) => { d['modules'] = [sampleDesiredState.modules[0], { ...sampleDesiredState.modules[1], manifestDigest: new Uint8Array(32).fill(1) }]; }, 'invalid-value', 'desiredState.modules[1].manifestDigest'],
    ['a setting name with "="', (d) => { d['modules'] = [{ ...sampleDesiredState.modules[0], settings: { 'A=B': '1' } }]; }, 'pattern-mismatch', 'desiredState.modules[0].settings["A=B"]'],
    ['a setting value with NUL', (d) => { d['modules'] = [{ ...sampleDesiredState.modules[0], settings: { A: 'x\u0000y' } }]; }, 'pattern-mismatch', 'desiredState.modules[0].settings["A"]'],
    ['a device id with "+"', (d) => { d['deviceId'] = 'dev+1'; }, 'pattern-mismatch', 'desiredState.deviceId'],
    ['a device id with "/"', (d) => { d['deviceId'] = 'dev/1'; }, 'pattern-mismatch', 'desiredState.deviceId'],
  ])('refuses %s with its field path', (_what, mutate, code, path) => {
    const doc: Record<string, unknown> = { ...sampleDesiredState };
    mutate(doc);
    const e = refusal(decodeDesiredState, raw(doc)) as SchemaError;
    expect(e).toBeInstanceOf(SchemaError);
    expect({ code: e.code, path: e.path }).toEqual({ code, path });
  });
});

describe('trust update', () => {
  it('round-trips the sample', () => {
    expect(decodeTrustUpdate(encodeTrustUpdate(sampleTrustUpdate))).toEqual(sampleTrustUpdate);
  });

  const withKeys = (t: TrustUpdate, keys: TrustUpdate['keys']): Record<string, unknown> => ({ ...t, keys });
  it.each<[string, Record<string, unknown>, string, string]>([
    ['a threshold above the root keys', { ...sampleTrustUpdate, rootThreshold: 4 }, 'invalid-value', 'trustUpdate.rootThreshold'],
    ['a zero threshold', { ...sampleTrustUpdate, rootThreshold: 0 }, 'out-of-range', 'trustUpdate.rootThreshold'],
    ['one public key under two ids', withKeys(sampleTrustUpdate, [...sampleTrustUpdate.keys, { ...sampleTrustUpdate.keys[0], id: 'root-z' }]), 'invalid-value', 'trustUpdate.keys[5].publicKey'],
    ['one id twice', withKeys(sampleTrustUpdate, [...sampleTrustUpdate.keys, { ...sampleTrustUpdate.keys[1], publicKey: new Uint8Array(32).fill(0x99) }]), 'invalid-value', 'trustUpdate.keys[5].id'],
    ['a key also revoked', { ...sampleTrustUpdate, revoked: ['state-1'] }, 'invalid-value', 'trustUpdate.keys[4].id'],
    ['a key that ends before it starts', withKeys(sampleTrustUpdate, [{ ...sampleTrustUpdate.keys[0], notAfter: 1 }, ...sampleTrustUpdate.keys.slice(1)]), 'invalid-value', 'trustUpdate.keys[0].notAfter'],
    ['an unknown role', withKeys(sampleTrustUpdate, [{ ...sampleTrustUpdate.keys[0], role: 'admin' as 'root' }, ...sampleTrustUpdate.keys.slice(1)]), 'wrong-literal', 'trustUpdate.keys[0].role'],
    ['a 33-byte public key', withKeys(sampleTrustUpdate, [{ ...sampleTrustUpdate.keys[0], publicKey: new Uint8Array(33) }, ...sampleTrustUpdate.keys.slice(1)]), 'wrong-length', 'trustUpdate.keys[0].publicKey'],
  ])('refuses %s with its field path', (_what, doc, code, path) => {
    const e = refusal(decodeTrustUpdate, raw(doc)) as SchemaError;
    expect(e).toBeInstanceOf(SchemaError);
    expect({ code: e.code, path: e.path }).toEqual({ code, path });
  });
});
