// Tests for fleetlet's COSE layer: Sig_structure bytes, signing and verifying, and strict decoding of envelopes.

import { describe, expect, it } from 'vitest';
import { encodeCbor, Tagged } from '../../schemas/cbor/index.ts';
import {
  addSignature,
  decodeSign,
  decodeSign1,
  protectedHeader,
  sigStructure,
  sigStructure1,
  signSign,
  signSign1,
  verifySign1,
  verifySignEntry,
  type CoseSigner,
} from './cose.ts';
import { ED25519_L, generateKeyPair, type Ed25519KeyPair } from './ed25519.ts';
import { UpdateRejected, type RejectCode } from './rejection.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const signer = (kp: Ed25519KeyPair, kid = 'root-1'): CoseSigner => ({ kid, seed: kp.seed });

function rejection(f: () => unknown): RejectCode | 'accepted' {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (e instanceof UpdateRejected) return e.code;
    throw e;
  }
}

const a = generateKeyPair();
const b = generateKeyPair();
const payload = encodeCbor({ name: 'thermostat', sequence: 3 });

describe('Sig_structure', () => {
  it('sigStructure1 is ["Signature1", protected, external_aad, payload] in CBOR', () => {
    // 84 array(4), 6a "Signature1", 43 a10127 ({1: -8}), 40 (empty aad), 41 01
    expect(toHex(sigStructure1(hex('a10127'), new Uint8Array(0), hex('01')))).toBe('846a5369676e61747572653143a10127404101');
  });

  it('sigStructure is ["Signature", body_protected, sign_protected, external_aad, payload] in CBOR', () => {
    // 85 array(5), 69 "Signature", 40, 43 a10127, 41 ff (aad), 40 (empty payload)
    expect(toHex(sigStructure(new Uint8Array(0), hex('a10127'), hex('ff'), new Uint8Array(0)))).toBe('85695369676e61747572654043a1012741ff40');
  });

  it('protectedHeader is {1: -8, 4: kid as UTF-8 bytes}', () => {
    // a2 map(2), 01 27 (1: -8), 04 46 "root-1"
    expect(toHex(protectedHeader('root-1'))).toBe('a201270446726f6f742d31');
  });
});

describe('COSE_Sign1', () => {
  it('signSign1 writes tag 18 over [protected, {}, payload, signature] and verifySign1 accepts it', () => {
    const bytes = signSign1(payload, signer(a));
    expect(toHex(bytes.subarray(0, 2))).toBe('d284');
    const msg = decodeSign1(bytes);
    expect(msg.kid).toBe('root-1');
    expect(toHex(msg.payload)).toBe(toHex(payload));
    expect(verifySign1(msg, a.publicKey)).toBe('ok');
    expect(verifySign1(msg, b.publicKey)).toBe('bad-signature');
  });

  it('verifySign1 binds the external AAD', () => {
    const aad = hex('0102');
    const msg = decodeSign1(signSign1(payload, signer(a), aad));
    expect(verifySign1(msg, a.publicKey, aad)).toBe('ok');
    expect(verifySign1(msg, a.publicKey)).toBe('bad-signature');
  });

  it('verifySign1 reports S + L as malleable-signature', () => {
    const msg = decodeSign1(signSign1(payload, signer(a)));
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(msg.signature[i]!);
    s += ED25519_L;
    const sig = Uint8Array.from(msg.signature);
    for (let i = 32; i < 64; i++, s >>= 8n) sig[i] = Number(s & 0xffn);
    expect(verifySign1({ ...msg, signature: sig }, a.publicKey)).toBe('malleable-signature');
  });

  const kid = new TextEncoder().encode('root-1');
  const goodProt = protectedHeader('root-1');
  const sig64 = new Uint8Array(64);
  const cases: [string, unknown, RejectCode][] = [
    ['a bare map (no COSE at all)', { name: 'x' }, 'unsigned'],
    ['an empty signature', new Tagged(18, [goodProt, new Map(), payload, new Uint8Array(0)]), 'unsigned'],
    ['algorithm ES256 (-7)', new Tagged(18, [encodeCbor(new Map<number, unknown>([[1, -7], [4, kid]])), new Map(), payload, sig64]), 'unsupported-algorithm'],
    ['no algorithm', new Tagged(18, [encodeCbor(new Map<number, unknown>([[4, kid]])), new Map(), payload, sig64]), 'unsupported-algorithm'],
    ['an extra protected label', new Tagged(18, [encodeCbor(new Map<number, unknown>([[1, -8], [3, 0], [4, kid]])), new Map(), payload, sig64]), 'malformed'],
    ['an empty key id', new Tagged(18, [protectedHeader(''), new Map(), payload, sig64]), 'malformed'],
    ['a key id of 65 bytes', new Tagged(18, [protectedHeader('k'.repeat(65)), new Map(), payload, sig64]), 'malformed'],
    ['a key id that is not UTF-8', new Tagged(18, [encodeCbor(new Map<number, unknown>([[1, -8], [4, hex('ff')]])), new Map(), payload, sig64]), 'malformed'],
    ['a text key id', new Tagged(18, [encodeCbor(new Map<number, unknown>([[1, -8], [4, 'root-1']])), new Map(), payload, sig64]), 'malformed'],
    ['a non-empty unprotected header', new Tagged(18, [goodProt, new Map([[4, kid]]), payload, sig64]), 'malformed'],
    ['a detached payload', new Tagged(18, [goodProt, new Map(), null, sig64]), 'malformed'],
    ['three items', new Tagged(18, [goodProt, new Map(), payload]), 'malformed'],
    ['tag 98 where 18 is expected', new Tagged(98, [goodProt, new Map(), payload, sig64]), 'malformed'],
    ['an untagged array', [goodProt, new Map(), payload, sig64], 'malformed'],
  ];
  it.each(cases)('decodeSign1 refuses %s', (_name, value, code) => {
    expect(rejection(() => decodeSign1(encodeCbor(value)))).toBe(code);
  });

  it('decodeSign1 refuses truncated, non-canonical and duplicate-key envelopes', () => {
    const good = signSign1(payload, signer(a));
    expect(rejection(() => decodeSign1(good.subarray(0, good.length - 1)))).toBe('truncated');
    // A 1-byte length head for the 3-byte protected header... rewritten with a needless 1-byte argument.
    const nonShortest = hex('d2 84 58 03 a10127 a0 41 01 40');
    expect(rejection(() => decodeSign1(nonShortest))).toBe('non-canonical');
    const dupProt = hex('d2 84 45 a2 0127 0127 a0 41 01 40');
    expect(rejection(() => decodeSign1(dupProt))).toBe('duplicate-key');
    expect(rejection(() => decodeSign1(new Uint8Array(0)))).toBe('truncated');
  });
});

describe('COSE_Sign', () => {
  it('signSign carries one verifiable signature per signer, in order', () => {
    const bytes = signSign(payload, [signer(a, 'root-a'), signer(b, 'root-b')]);
    expect(toHex(bytes.subarray(0, 3))).toBe('d86284');
    const msg = decodeSign(bytes);
    expect(msg.signatures.map((s) => s.kid)).toEqual(['root-a', 'root-b']);
    expect(verifySignEntry(msg, 0, a.publicKey)).toBe('ok');
    expect(verifySignEntry(msg, 1, b.publicKey)).toBe('ok');
    expect(verifySignEntry(msg, 0, b.publicKey)).toBe('bad-signature');
    expect(verifySignEntry(msg, 2, b.publicKey)).toBe('bad-signature');
  });

  it('addSignature to an unsigned COSE_Sign equals signing with both at once', () => {
    const unsigned = signSign(payload, []);
    expect(rejection(() => decodeSign(unsigned))).toBe('unsigned');
    expect(decodeSign(unsigned, { allowUnsigned: true }).signatures).toHaveLength(0);
    const stepwise = addSignature(addSignature(unsigned, signer(a)), signer(b));
    expect(toHex(stepwise)).toBe(toHex(signSign(payload, [signer(a), signer(b)])));
  });

  it('decodeSign refuses a non-empty body protected header and malformed signature entries', () => {
    const prot = protectedHeader('root-a');
    const sig = new Uint8Array(64);
    expect(rejection(() => decodeSign(encodeCbor(new Tagged(98, [prot, new Map(), payload, [[prot, new Map(), sig]]]))))).toBe('malformed');
    expect(rejection(() => decodeSign(encodeCbor(new Tagged(98, [new Uint8Array(0), new Map(), payload, [[prot, new Map()]]]))))).toBe('malformed');
    expect(rejection(() => decodeSign(encodeCbor(new Tagged(98, [new Uint8Array(0), new Map(), payload, [[prot, new Map(), new Uint8Array(0)]]]))))).toBe('unsigned');
    expect(rejection(() => decodeSign(encodeCbor(new Tagged(98, [new Uint8Array(0), new Map(), payload, Array(33).fill([prot, new Map(), sig])]))))).toBe('too-large');
  });

  it("decodeSign accepts h'a0' as an empty body protected header (RFC 9052 §3)", () => {
    const prot = protectedHeader('root-a');
    const msg = decodeSign(encodeCbor(new Tagged(98, [hex('a0'), new Map(), payload, [[prot, new Map(), new Uint8Array(64)]]])));
    expect(toHex(msg.bodyProtectedBytes)).toBe('a0');
  });
});
