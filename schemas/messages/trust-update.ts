// The trust update: the complete set of keys a device trusts (root keys with their threshold,
// module signers, state signers), each with a role and validity window, plus revoked key ids;
// signed as a COSE_Sign by at least a threshold of root keys.

import { keyId, seconds } from '../names.ts';
import { s, type Infer } from '../schema/index.ts';
import { expiresAfterIssue, unique } from './_rules.ts';
import { defineMessage } from './define.ts';

/** What a key may sign: root keys sign trust updates, module signers manifests, state signers desired states. */
export const keyRole = s.oneOf(['root', 'module-signer', 'state-signer']);
export type KeyRole = Infer<typeof keyRole>;

export const trustedKeySchema = s.object(
  {
    id: keyId,
    /** Ed25519 public key. */
    publicKey: s.bytes({ length: 32 }),
    role: keyRole,
    /** Seconds since the epoch from which the key's signatures count. */
    notBefore: seconds,
    /** Seconds since the epoch after which they do not. */
    notAfter: seconds,
  },
  { rules: [(k) => (k.notAfter > k.notBefore ? undefined : { field: '.notAfter', detail: `end "${k.notAfter}" is not after start "${k.notBefore}"` })] },
);
export type TrustedKey = Infer<typeof trustedKeySchema>;

/** Most root keys in one trust update (and so the largest threshold). */
export const MAX_ROOT_KEYS = 16;

export const trustUpdateSchema = s.object(
  {
    v: s.literal(1),
    /** Grows with each trust update; a device refuses one at or below its stored sequence. */
    sequence: s.uint({ min: 1 }),
    issuedAt: seconds,
    expiresAt: seconds,
    /** Signatures of distinct root keys (of this update and of the one it replaces) needed. */
    rootThreshold: s.uint({ min: 1, max: MAX_ROOT_KEYS }),
    /** Every trusted key; a key absent here is no longer trusted. */
    keys: s.array(trustedKeySchema, { minItems: 1, maxItems: 64 }),
    /** Ids of keys that must never count again, even if listed in an older update. */
    revoked: s.array(keyId, { maxItems: 256 }),
  },
  {
    rules: [
      expiresAfterIssue(),
      unique('keys', (t) => t.keys, (k) => k.id, '.id'),
      unique('keys', (t) => t.keys, (k) => Buffer.from(k.publicKey).toString('hex'), '.publicKey'),
      unique('revoked', (t) => t.revoked),
      (t) => {
        const roots = t.keys.filter((k) => k.role === 'root').length;
        if (roots > MAX_ROOT_KEYS) return { field: '.keys', detail: `${roots} root keys exceed the limit of ${MAX_ROOT_KEYS}` };
        return t.rootThreshold <= roots ? undefined : { field: '.rootThreshold', detail: `threshold "${t.rootThreshold}" exceeds the ${roots} root keys` };
      },
      (t) => {
        const i = t.keys.findIndex((k) => t.revoked.includes(k.id));
        return i < 0 ? undefined : { field: `.keys[${i}].id`, detail: `key "${t.keys[i].id}" is also listed as revoked` };
      },
    ],
  },
);
export type TrustUpdate = Infer<typeof trustUpdateSchema>;

export const trustUpdateMessage = defineMessage('trustUpdate', trustUpdateSchema, { signed: true, maxBytes: 64 * 1024, maxDepth: 4, maxStringBytes: 128, maxItems: 256 });

/**
 * Encodes a trust update deterministically (the bytes root keys sign).
 * @throws SchemaError when the update does not match its schema
 */
export function encodeTrustUpdate(t: TrustUpdate): Uint8Array {
  return trustUpdateMessage.encode(t);
}

/**
 * Decodes a trust-update payload from untrusted bytes (canonical CBOR only).
 * @throws CborError, SchemaError
 */
export function decodeTrustUpdate(bytes: Uint8Array): TrustUpdate {
  return trustUpdateMessage.decode(bytes);
}
