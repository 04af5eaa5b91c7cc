// Acceptance of a trust update (after TUF): distinct root signatures, a threshold of the current roots and of the new
// roots, sound keys, revocation that never lapses, a growing sequence, no expiry. Pure: the store persists the result.

import { trustUpdateMessage, type TrustUpdate, type TrustedKey } from '../../schemas/messages/trust-update.ts';
import { decodeSign, verifySignEntry, type CoseSign } from './cose.ts';
import { checkPublicKey, type SignatureVerdict } from './ed25519.ts';
import { UpdateRejected } from './rejection.ts';
import { checkPayloadSyntax, decodePayload, keyValidAt } from './_signed.ts';
import { keyHex, type TrustView } from './trust-view.ts';

const WHAT = 'trust update';

/** How many distinct, valid-now root keys of `keys` produced a verified signature. */
interface Tally {
  current: number;
  next: number;
}

function countSignatures(msg: CoseSign, update: TrustUpdate, current: TrustView | undefined, now: number): Tally {
  const tally: Tally = { current: 0, next: 0 };
  const seen = new Set<string>();
  msg.signatures.forEach((sig, i) => {
    if (seen.has(sig.kid)) throw new UpdateRejected('duplicate-signer', `Cannot accept ${WHAT}: key "${sig.kid}" signed it more than once`);
    seen.add(sig.kid);
    if (current?.revokedIds.has(sig.kid)) throw new UpdateRejected('revoked-key', `Cannot accept ${WHAT}: signature ${i} is by revoked key "${sig.kid}"`);
    const old = current?.update.keys.find((k) => k.id === sig.kid);
    const next = update.keys.find((k) => k.id === sig.kid);
    if (old === undefined && next === undefined) throw new UpdateRejected('unknown-key', `Cannot accept ${WHAT}: signature ${i} is by unknown key "${sig.kid}"`);
    const roots = [old, next].filter((k): k is TrustedKey => k !== undefined && k.role === 'root');
    if (roots.length === 0) throw new UpdateRejected('wrong-role', `Cannot accept ${WHAT}: signature ${i} is by key "${sig.kid}", which is not a root key`);
    const verdicts = new Map<TrustedKey, SignatureVerdict>(roots.map((k) => [k, verifySignEntry(msg, i, k.publicKey)]));
    if (![...verdicts.values()].includes('ok')) {
      const malleable = [...verdicts.values()].includes('malleable-signature');
      throw new UpdateRejected(malleable ? 'malleable-signature' : 'bad-signature', `Cannot accept ${WHAT}: signature ${i} by key "${sig.kid}" does not verify`);
    }
    if (old !== undefined && verdicts.get(old) === 'ok' && keyValidAt(old, now)) tally.current++;
    if (next !== undefined && verdicts.get(next) === 'ok' && keyValidAt(next, now)) tally.next++;
  });
  return tally;
}

/**
 * Checks a trust update against the trust in force (or none, for the device's first trust) at trusted time `now`,
 * and returns the trust view it establishes.
 * @throws UpdateRejected 'unsigned', 'malformed', 'non-canonical', 'duplicate-key', 'duplicate-signer', 'unknown-key',
 *   'revoked-key', 'wrong-role', 'bad-signature', 'malleable-signature', 'below-threshold', 'bad-key', 'rollback',
 *   'expired', 'unknown-schema'
 */
export function checkTrustUpdate(bytes: Uint8Array, current: TrustView | undefined, now: number): TrustView {
  const msg = decodeSign(bytes, { what: WHAT });
  checkPayloadSyntax(trustUpdateMessage, msg.payload);
  // The content is read before it is authenticated only to learn the new root keys; nothing else is used until the
  // thresholds hold.
  const update = decodePayload(trustUpdateMessage, msg.payload);
  const tally = countSignatures(msg, update, current, now);
  if (current !== undefined && tally.current < current.update.rootThreshold) {
    throw new UpdateRejected('below-threshold', `Cannot accept ${WHAT}: ${tally.current} valid current root signatures, ${current.update.rootThreshold} needed`);
  }
  if (tally.next < update.rootThreshold) {
    throw new UpdateRejected('below-threshold', `Cannot accept ${WHAT}: ${tally.next} valid signatures by its own root keys, ${update.rootThreshold} needed`);
  }
  for (const k of update.keys) {
    const problem = checkPublicKey(k.publicKey);
    if (problem !== undefined) throw new UpdateRejected('bad-key', `Cannot accept ${WHAT}: key "${k.id}" is unusable (${problem})`);
    if (current?.revokedIds.has(k.id) || current?.revokedKeys.has(keyHex(k.publicKey))) {
      throw new UpdateRejected('revoked-key', `Cannot accept ${WHAT}: it trusts key "${k.id}" again after it was revoked`);
    }
  }
  if (current !== undefined && update.sequence <= current.update.sequence) {
    throw new UpdateRejected('rollback', `Cannot accept ${WHAT}: sequence ${update.sequence} is not above the trusted ${current.update.sequence}`);
  }
  if (update.expiresAt <= now) throw new UpdateRejected('expired', `Cannot accept ${WHAT}: it expired at ${update.expiresAt} (now ${now})`);
  const revokedIds = new Set(current?.revokedIds ?? []);
  const revokedKeys = new Set(current?.revokedKeys ?? []);
  for (const id of update.revoked) {
    revokedIds.add(id);
    const old = current?.update.keys.find((k) => k.id === id);
    if (old !== undefined) revokedKeys.add(keyHex(old.publicKey));
  }
  return { update, signed: Uint8Array.from(bytes), revokedIds, revokedKeys };
}
