// Interoperability of fleetlet's COSE signatures with an independent implementation, @auth0/cose: COSE_Sign1 and
// COSE_Sign, each direction. (@ldclabs/cose-ts 1.5 was the other candidate; its ESM build does not load on Node 20.)

import { Sign, Sign1 } from '@auth0/cose';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCbor, encodeCbor, Tagged } from '../../schemas/cbor/index.ts';
import { decodeSign, decodeSign1, signSign, signSign1, verifySign1, verifySignEntry } from '../../agent/update/cose.ts';
import { generateKeyPair, type Ed25519KeyPair } from '../../agent/update/ed25519.ts';

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const nodePublic = (kp: Ed25519KeyPair): KeyObject => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(kp.publicKey) }, format: 'jwk' });
const nodePrivate = (kp: Ed25519KeyPair): KeyObject =>
  createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(kp.publicKey), d: b64u(kp.seed) }, format: 'jwk' });

const payload = encodeCbor({ name: 'thermostat', sequence: 7, digest: new Uint8Array(32).fill(0xab) });

describe('COSE interop with @auth0/cose', () => {
  it('@auth0/cose verifies a COSE_Sign1 that fleetlet signed', async () => {
    const kp = generateKeyPair();
    const ours = signSign1(payload, { kid: 'module-1', seed: kp.seed });
    await Sign1.decode(ours).verify(nodePublic(kp));
    await expect(Sign1.decode(ours).verify(nodePublic(generateKeyPair()))).rejects.toThrow();
  });

  it('fleetlet verifies a COSE_Sign1 that @auth0/cose signed', async () => {
    const kp = generateKeyPair();
    const theirs = (await Sign1.sign([[1, -8], [4, new TextEncoder().encode('module-1')]], undefined, payload, nodePrivate(kp))).encode();
    expect(verifySign1(decodeSign1(theirs), kp.publicKey)).toBe('ok');
  });

  it('@auth0/cose verifies each signature of a COSE_Sign that fleetlet signed', async () => {
    const keys = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    const ours = signSign(payload, keys.map((k, i) => ({ kid: `root-${i}`, seed: k.seed })));
    for (const k of keys) await Sign.decode(ours).verify(nodePublic(k));
    await expect(Sign.decode(ours).verify(nodePublic(generateKeyPair()))).rejects.toThrow();
  });

  it('fleetlet verifies each signature of a COSE_Sign that @auth0/cose signed', async () => {
    const keys = [generateKeyPair(), generateKeyPair()];
    const signed = await Sign.sign([], undefined, payload, keys.map((k, i) => ({
      key: nodePrivate(k),
      protectedHeaders: new Map<number, unknown>([[1, -8], [4, new TextEncoder().encode(`root-${i}`)]]) as never,
    })));
    // @auth0/cose 1.0.2 writes each signature's protected header as a bare map rather than the byte string
    // RFC 9052 §4.1 requires, but it signs over the byte string: rebuild the envelope from what it signed.
    const signedBytes = (x: object): Uint8Array => (x as { encodedProtectedHeaders: Uint8Array }).encodedProtectedHeaders;
    const conformant = encodeCbor(new Tagged(98, [
      signedBytes(signed),
      new Map(),
      signed.payload,
      signed.signatures.map((s) => [signedBytes(s), new Map(), s.signature]),
    ]));
    const raw = decodeCbor(signed.encode(), { tags: [98], intKeys: true, canonical: false }) as Tagged;
    const firstSignature = (raw.value as unknown[])[3] as unknown[][];
    expect(firstSignature[0]![0]).toBeInstanceOf(Map);
    const msg = decodeSign(conformant);
    expect(msg.signatures.map((s) => s.kid)).toEqual(['root-0', 'root-1']);
    keys.forEach((k, i) => expect(verifySignEntry(msg, i, k.publicKey)).toBe('ok'));
    expect(verifySignEntry(msg, 0, keys[1]!.publicKey)).toBe('bad-signature');
  });
});
