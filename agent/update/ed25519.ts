// Ed25519 keys, signing and verification for fleetlet's COSE signatures: tweetnacl plus the checks it leaves to the protocol.

import { createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import { decodePoint, hasSmallOrder, leBytesToBigInt } from './_edwards.ts';

/** The order of the Ed25519 base point: 2^252 + 27742317777372353535851937790883648493. */
export const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n;

export const PUBLIC_KEY_BYTES = 32;
export const SEED_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** A key pair; `seed` is the 32-byte private key of RFC 8032 (what key files hold). */
export interface Ed25519KeyPair {
  readonly publicKey: Uint8Array;
  readonly seed: Uint8Array;
}

/** Why a public key is refused. */
export type PublicKeyProblem = 'wrong-length' | 'non-canonical' | 'not-on-curve' | 'small-order';

/** Outcome of checking one signature. */
export type SignatureVerdict = 'ok' | 'bad-signature' | 'malleable-signature' | 'bad-key';

/** Makes a fresh key pair from the system's random source (tweetnacl uses node:crypto). */
export function generateKeyPair(): Ed25519KeyPair {
  return keyPairFromSeed(nacl.randomBytes(SEED_BYTES));
}

/**
 * Derives the key pair of a 32-byte seed.
 * @throws RangeError when the seed is not 32 bytes
 */
export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (seed.length !== SEED_BYTES) throw new RangeError(`Cannot use an Ed25519 seed of ${seed.length} bytes: expected 32`);
  const kp = nacl.sign.keyPair.fromSeed(Uint8Array.from(seed));
  return { publicKey: kp.publicKey, seed: Uint8Array.from(seed) };
}

/**
 * Signs a message (the COSE Sig_structure) with the key pair's seed.
 * @throws RangeError when the seed is not 32 bytes
 */
export function sign(message: Uint8Array, seed: Uint8Array): Uint8Array {
  if (seed.length !== SEED_BYTES) throw new RangeError(`Cannot use an Ed25519 seed of ${seed.length} bytes: expected 32`);
  const kp = nacl.sign.keyPair.fromSeed(Uint8Array.from(seed));
  return nacl.sign.detached(Uint8Array.from(message), kp.secretKey);
}

/**
 * Checks a public key before fleetlet trusts it: 32 bytes, a canonical encoding (y < p, no "negative zero" x),
 * a point on the curve, and not of small order (a small-order key lets anyone forge signatures that verify for
 * many messages under cofactorless or cofactored rules alike).
 */
export function checkPublicKey(publicKey: Uint8Array): PublicKeyProblem | undefined {
  if (publicKey.length !== PUBLIC_KEY_BYTES) return 'wrong-length';
  const point = decodePoint(publicKey);
  if (typeof point === 'string') return point;
  if (hasSmallOrder(point)) return 'small-order';
  return undefined;
}

/** True when the signature's S half is at least L: S and S + L both verify, so such signatures are malleable. */
export function isMalleable(signature: Uint8Array): boolean {
  return signature.length === SIGNATURE_BYTES && leBytesToBigInt(signature.subarray(32)) >= ED25519_L;
}

/**
 * Verifies a detached signature. Refuses S >= L (RFC 8032 §5.1.7 requires it; tweetnacl does not check) and keys that
 * `checkPublicKey` refuses, before tweetnacl's own check.
 */
export function verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): SignatureVerdict {
  if (checkPublicKey(publicKey) !== undefined) return 'bad-key';
  if (signature.length !== SIGNATURE_BYTES) return 'bad-signature';
  if (isMalleable(signature)) return 'malleable-signature';
  const key = verifiedKey(message, signature, publicKey);
  if (VERIFIED.has(key)) return 'ok';
  const ok = nacl.sign.detached.verify(Uint8Array.from(message), Uint8Array.from(signature), Uint8Array.from(publicKey));
  if (ok) remember(key);
  return ok ? 'ok' : 'bad-signature';
}

/**
 * Signatures already found good, by SHA-256 of (key, signature, message): Ed25519 verification is a pure function of
 * those bytes, so the same triple needs one verification. The update machine re-verifies what it reads back at each
 * durable step (the desired state twice, the manifest four times per update: apply, plan, commit, mark good), which
 * is defence against bytes changed on disk, not against the math changing; with tweetnacl at 10-20 ms a verify on a
 * Pi-class CPU, those repeats were most of an update's CPU (bench:fleet's profile: 6 verifications per update, 2 of
 * them needed). Bytes that differ in any bit hash to another key and are verified afresh; failures are not kept.
 */
const VERIFIED = new Set<string>();
const VERIFIED_MAX = 256;

function verifiedKey(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).update(signature).update(message).digest('base64');
}

function remember(key: string): void {
  if (VERIFIED.size >= VERIFIED_MAX) VERIFIED.delete(VERIFIED.values().next().value as string); // oldest first
  VERIFIED.add(key);
}
