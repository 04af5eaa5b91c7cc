// Checks that the starting trust update came from the operator: a threshold of distinct bootstrap root keys pinned
// in the agent's config signed it. The trust store then applies its own checks (the update's own roots, expiry).

import { decodeSign, verifySignEntry } from '../update/cose.ts';
import { checkPublicKey } from '../update/ed25519.ts';
import { UpdateRejected } from '../update/rejection.ts';
import { EnrollmentError } from './errors.ts';

/**
 * Parses pinned roots given as hex text or bytes.
 * @throws EnrollmentError 'bad-options' for a root that is not a sound Ed25519 public key, or a threshold outside
 *   1..roots.length
 */
export function parseRoots(roots: readonly (string | Uint8Array)[], threshold: number): Uint8Array[] {
  const keys = roots.map((r, i) => {
    const k = typeof r === 'string' ? (/^[0-9a-fA-F]{64}$/.test(r) ? Uint8Array.from(Buffer.from(r, 'hex')) : new Uint8Array(0)) : r;
    const problem = checkPublicKey(k);
    if (problem !== undefined) throw new EnrollmentError('bad-options', `Cannot use bootstrap root ${i}: it is not an Ed25519 public key (${problem})`);
    return k;
  });
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > keys.length) {
    throw new EnrollmentError('bad-options', `Cannot use a root threshold of ${threshold} with ${keys.length} bootstrap roots`);
  }
  return keys;
}

/**
 * Counts the distinct pinned roots whose signature on the COSE_Sign verifies, and requires `threshold` of them.
 * @throws EnrollmentError 'untrusted-roots'
 */
export function checkPinnedRoots(signedTrust: Uint8Array, roots: readonly Uint8Array[], threshold: number): void {
  let msg;
  try {
    msg = decodeSign(signedTrust, { what: 'trust update' });
  } catch (e) {
    if (e instanceof UpdateRejected) throw new EnrollmentError('untrusted-roots', `Cannot accept the starting trust update: ${e.message}`);
    throw e;
  }
  const counted = new Set<number>();
  msg.signatures.forEach((_, i) => {
    roots.forEach((root, r) => {
      if (!counted.has(r) && verifySignEntry(msg, i, root) === 'ok') counted.add(r);
    });
  });
  if (counted.size < threshold) {
    throw new EnrollmentError('untrusted-roots', `Cannot accept the starting trust update: ${counted.size} of the pinned bootstrap roots signed it, ${threshold} needed`);
  }
}
