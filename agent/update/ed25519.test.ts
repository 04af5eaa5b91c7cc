// Tests for fleetlet's Ed25519 layer: RFC 8032 vectors, malleability and public-key checks.

import nacl from 'tweetnacl';
import { describe, expect, it, vi } from 'vitest';
import { checkPublicKey, ED25519_L, generateKeyPair, isMalleable, keyPairFromSeed, sign, verify } from './ed25519.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72). */
const RFC8032 = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

/** Canonical encodings of the eight points of order 1, 2, 4 and 8 (the blocklist libsodium also uses). */
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
];

function addL(sig: Uint8Array): Uint8Array {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
  s += ED25519_L;
  const out = Uint8Array.from(sig);
  for (let i = 32; i < 64; i++) {
    out[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return out;
}

describe('ed25519', () => {
  it.each(RFC8032)('keyPairFromSeed and sign reproduce RFC 8032 vector for message "$msg"', ({ seed, pub, msg, sig }) => {
    const kp = keyPairFromSeed(hex(seed));
    expect(Buffer.from(kp.publicKey).toString('hex')).toBe(pub);
    expect(Buffer.from(sign(hex(msg), hex(seed))).toString('hex')).toBe(sig);
    expect(verify(hex(msg), hex(sig), hex(pub))).toBe('ok');
  });

  it('verify returns bad-signature for a flipped message bit and a flipped signature bit', () => {
    const v = RFC8032[1]!;
    expect(verify(hex('73'), hex(v.sig), hex(v.pub))).toBe('bad-signature');
    const sig = hex(v.sig);
    sig[3]! ^= 1;
    expect(verify(hex(v.msg), sig, hex(v.pub))).toBe('bad-signature');
    expect(verify(hex(v.msg), hex(v.sig).subarray(0, 63), hex(v.pub))).toBe('bad-signature');
  });

  it('verify returns malleable-signature for S + L although tweetnacl alone would accept it', async () => {
    const v = RFC8032[1]!;
    const malleated = addL(hex(v.sig));
    // The attack is real: the unchecked library accepts the malleated signature.
    const nacl = (await import('tweetnacl')).default;
    expect(nacl.sign.detached.verify(hex(v.msg), malleated, hex(v.pub))).toBe(true);
    expect(isMalleable(malleated)).toBe(true);
    expect(isMalleable(hex(v.sig))).toBe(false);
    expect(verify(hex(v.msg), malleated, hex(v.pub))).toBe('malleable-signature');
  });

  it.each(SMALL_ORDER)('checkPublicKey refuses small-order point %s', (k) => {
    expect(checkPublicKey(hex(k))).toBe('small-order');
    expect(verify(new Uint8Array(0), new Uint8Array(64), hex(k))).toBe('bad-key');
  });

  it('checkPublicKey refuses non-canonical encodings: y >= p and x = 0 with the sign bit', () => {
    // y = p (= 0 mod p) and y = p + 1 (= 1 mod p, the identity) are non-canonical.
    expect(checkPublicKey(hex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'))).toBe('non-canonical');
    expect(checkPublicKey(hex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'))).toBe('non-canonical');
    // y = 1 has x = 0: the sign bit set is "negative zero".
    expect(checkPublicKey(hex('0100000000000000000000000000000000000000000000000000000000000080'))).toBe('non-canonical');
  });

  it('checkPublicKey refuses a y with no x on the curve and wrong lengths', () => {
    // y = 2: (y^2 - 1) / (d y^2 + 1) is not a square mod p.
    expect(checkPublicKey(hex('0200000000000000000000000000000000000000000000000000000000000000'))).toBe('not-on-curve');
    expect(checkPublicKey(new Uint8Array(31))).toBe('wrong-length');
  });

  it('checkPublicKey accepts generated keys and the RFC 8032 keys', () => {
    for (const v of RFC8032) expect(checkPublicKey(hex(v.pub))).toBeUndefined();
    for (let i = 0; i < 20; i++) {
      const kp = generateKeyPair();
      expect(checkPublicKey(kp.publicKey)).toBeUndefined();
      const msg = Uint8Array.of(i);
      expect(verify(msg, sign(msg, kp.seed), kp.publicKey)).toBe('ok');
    }
  });
});

describe('verify of bytes already found good', () => {
  it('runs tweetnacl once per (key, signature, message), and any changed bit is verified afresh', () => {
    const kp = generateKeyPair();
    const msg = new TextEncoder().encode(`state ${Math.random()}`);
    const sig = sign(msg, kp.seed);
    const spy = vi.spyOn(nacl.sign.detached, 'verify');
    try {
      expect(verify(msg, sig, kp.publicKey)).toBe('ok');
      expect(verify(Uint8Array.from(msg), Uint8Array.from(sig), Uint8Array.from(kp.publicKey))).toBe('ok');
      expect(spy).toHaveBeenCalledTimes(1);
      for (const [m, g] of [[Uint8Array.from([...msg.slice(0, -1), msg.at(-1)! ^ 1]), sig], [msg, Uint8Array.from([...sig.slice(0, 10), sig[10]! ^ 4, ...sig.slice(11)])]] as const) {
        expect(verify(m, g, kp.publicKey)).toBe('bad-signature');
        expect(verify(m, g, kp.publicKey)).toBe('bad-signature'); // failures are not remembered: checked each time
      }
      expect(spy).toHaveBeenCalledTimes(5);
      expect(verify(msg, sig, generateKeyPair().publicKey)).toBe('bad-signature');
    } finally {
      spy.mockRestore();
    }
  });
});
