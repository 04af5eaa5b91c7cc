// `UpdateRejected`: why fleetlet refused a signed document, a trust update, a bundle or module bytes, as a stable code.

/**
 * Every rejection code with what it means. Codes travel in status reports and tests match on them: never rename one.
 * Uptane asks an update client to report the kind of attack it saw; each code names one.
 */
export const REJECT_CODES = {
  malformed: 'The bytes are not the structure expected here (COSE envelope, bundle layout or document schema)',
  unsigned: 'The document carries no signature at all',
  'unsupported-algorithm': 'The signature algorithm is not EdDSA (COSE alg -8)',
  'non-canonical': 'The signed payload is not in deterministic CBOR form (re-encoded under the old signature)',
  'duplicate-key': 'The signed payload repeats a map key (two readers could see two different documents)',
  'unknown-key': 'No trusted key has the key id that signed the document',
  'revoked-key': 'The signing key was revoked by a trust update',
  'key-not-valid-now': 'The signing key is outside its validity window at the device\'s trusted time',
  'wrong-role': 'The signing key does not hold the role that may sign this kind of document',
  'bad-signature': 'The signature does not verify over the document',
  'malleable-signature': 'The signature\'s S is not below the group order L (S + L malleation)',
  'bad-key': 'A trust update lists a public key that is non-canonical, off the curve or of small order',
  'unknown-schema': 'The document\'s schema version is not one this agent understands',
  'wrong-target': 'The document is addressed to another device or device class',
  expired: 'The document expired before the device\'s trusted time',
  rollback: 'The document\'s sequence is below the committed floor (replay of an older version)',
  'mix-and-match': 'A manifest is not referenced by the desired state it came with, or differs from the referenced one',
  'missing-manifest': 'The desired state references a manifest that was not supplied',
  'too-large': 'More bytes than the declared size (or a bound) were offered',
  truncated: 'Fewer bytes than declared arrived',
  'digest-mismatch': 'The module bytes do not hash to the signed SHA-256 digest',
  'below-threshold': 'Fewer distinct root keys than the threshold signed the trust update',
  'duplicate-signer': 'The same root key signed the trust update more than once',
  'no-trust': 'The device has no trust store yet',
} as const;

export type RejectCode = keyof typeof REJECT_CODES;

/** A refused update, with the code of the check that refused it; nothing was persisted. */
export class UpdateRejected extends Error {
  override readonly name = 'UpdateRejected';
  constructor(
    readonly code: RejectCode,
    message: string,
  ) {
    super(message);
  }
}

/** Type guard for a rejection, optionally of one code. */
export function isRejected(e: unknown, code?: RejectCode): e is UpdateRejected {
  return e instanceof UpdateRejected && (code === undefined || e.code === code);
}
