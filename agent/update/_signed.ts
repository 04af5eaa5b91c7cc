// The checks every COSE_Sign1 document shares, in order: envelope, payload syntax, key, signature, role, validity
// window, schema. Private to agent/update: verify.ts adds each document's own checks.

import { CborError, decodeCbor, type CborDecodeOptions } from '../../schemas/cbor/index.ts';
import type { KeyRole, TrustedKey } from '../../schemas/messages/trust-update.ts';
import { SchemaError } from '../../schemas/schema/index.ts';
import { cborRejection, decodeSign1, verifySign1 } from './cose.ts';
import { UpdateRejected } from './rejection.ts';
import type { TrustView } from './trust-view.ts';

/** The parts of a schemas/ message that verification needs. */
export interface DocumentCodec<T> {
  readonly name: string;
  readonly cbor: CborDecodeOptions;
  decode(bytes: Uint8Array): T;
}

/** A document whose signature, signer role and signer validity were checked. */
export interface Opened<T> {
  readonly doc: T;
  readonly key: TrustedKey;
}

/**
 * Decodes a payload under its message's schema, mapping schema errors to rejection codes.
 * @throws UpdateRejected 'unknown-schema', 'malformed', or a CBOR code
 */
export function decodePayload<T>(codec: DocumentCodec<T>, payload: Uint8Array): T {
  try {
    return codec.decode(payload);
  } catch (e) {
    if (e instanceof CborError) throw cborRejection(e, codec.name);
    if (e instanceof SchemaError) {
      throw new UpdateRejected(e.code === 'unsupported-version' ? 'unknown-schema' : 'malformed', `Cannot accept ${codec.name}: ${e.message}`);
    }
    throw e;
  }
}

/** Checks the payload's CBOR form (canonical, no duplicate keys, bounds) without giving its content any meaning. */
export function checkPayloadSyntax(codec: DocumentCodec<unknown>, payload: Uint8Array): void {
  try {
    decodeCbor(payload, codec.cbor);
  } catch (e) {
    if (e instanceof CborError) throw cborRejection(e, `${codec.name} payload`);
    throw e;
  }
}

/** Finds a key by id, telling revoked ids apart from unknown ones. */
export function lookupKey(trust: TrustView, kid: string, what: string): TrustedKey {
  if (trust.revokedIds.has(kid)) throw new UpdateRejected('revoked-key', `Cannot accept ${what}: key "${kid}" was revoked`);
  const key = trust.update.keys.find((k) => k.id === kid);
  if (key === undefined) throw new UpdateRejected('unknown-key', `Cannot accept ${what}: key "${kid}" is not in the trust store`);
  return key;
}

/** True when `now` is inside the key's window [notBefore, notAfter). */
export function keyValidAt(key: TrustedKey, now: number): boolean {
  return now >= key.notBefore && now < key.notAfter;
}

/**
 * Opens a COSE_Sign1 document: envelope, payload syntax, key, signature, role, key validity, trust store expiry,
 * then the schema. Nothing about the content is trusted before the signature verified.
 * @throws UpdateRejected with the code of the first check that fails
 */
export function openSign1<T>(bytes: Uint8Array, codec: DocumentCodec<T>, role: KeyRole, trust: TrustView, now: number): Opened<T> {
  const what = codec.name;
  const msg = decodeSign1(bytes, what);
  checkPayloadSyntax(codec, msg.payload);
  const key = lookupKey(trust, msg.kid, what);
  const verdict = verifySign1(msg, key.publicKey);
  if (verdict === 'malleable-signature') throw new UpdateRejected('malleable-signature', `Cannot accept ${what}: the signature of key "${key.id}" has S >= L`);
  if (verdict !== 'ok') throw new UpdateRejected('bad-signature', `Cannot accept ${what}: the signature of key "${key.id}" does not verify`);
  if (key.role !== role) throw new UpdateRejected('wrong-role', `Cannot accept ${what}: key "${key.id}" is a ${key.role} key, not a ${role} key`);
  if (!keyValidAt(key, now)) {
    throw new UpdateRejected('key-not-valid-now', `Cannot accept ${what}: key "${key.id}" is valid from ${key.notBefore} to ${key.notAfter}, not at ${now}`);
  }
  if (trust.update.expiresAt <= now) {
    throw new UpdateRejected('expired', `Cannot accept ${what}: the trust store expired at ${trust.update.expiresAt} (now ${now}); a new trust update is needed`);
  }
  return { doc: decodePayload(codec, msg.payload), key };
}
