// `TrustView`: the keys a device trusts right now, as verification reads them (the current trust update plus every
// key id and public key ever revoked).

import type { TrustUpdate } from '../../schemas/messages/trust-update.ts';

export interface TrustView {
  /** The accepted trust update in force. */
  readonly update: TrustUpdate;
  /** Its COSE_Sign bytes, as accepted. */
  readonly signed: Uint8Array;
  /** Every key id revoked by this or an earlier update (revocation is forever). */
  readonly revokedIds: ReadonlySet<string>;
  /** Hex of every public key revoked by this or an earlier update (so it cannot return under a new id). */
  readonly revokedKeys: ReadonlySet<string>;
}

/** Hex of a public key, the form `revokedKeys` holds. */
export function keyHex(publicKey: Uint8Array): string {
  return Buffer.from(publicKey).toString('hex');
}
