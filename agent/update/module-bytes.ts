// Checking module bytes against their verified manifest: never more than the declared size is read, then the digest.

import { createHash } from 'node:crypto';
import type { Manifest } from '../../schemas/messages/manifest.ts';
import { UpdateRejected } from './rejection.ts';

/** Where module bytes come from: all at once, or chunk by chunk (a download). */
export type ModuleSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * Reads module bytes for a verified manifest and checks size and SHA-256 digest. Reading stops as soon as a chunk
 * would pass the declared size: a source that offers more is refused without being drained.
 * @throws UpdateRejected 'too-large', 'truncated' or 'digest-mismatch'
 */
export async function verifyModuleBytes(manifest: Pick<Manifest, 'name' | 'size' | 'digest'>, source: ModuleSource): Promise<Uint8Array> {
  const what = `module "${manifest.name}"`;
  const out = new Uint8Array(manifest.size);
  let filled = 0;
  const take = (chunk: Uint8Array): boolean => {
    if (chunk.length > manifest.size - filled) return false;
    out.set(chunk, filled);
    filled += chunk.length;
    return true;
  };
  const tooLarge = (): UpdateRejected => new UpdateRejected('too-large', `Cannot accept ${what}: more than the declared ${manifest.size} bytes were offered`);
  if (source instanceof Uint8Array) {
    if (!take(source)) throw tooLarge();
  } else if (Symbol.asyncIterator in source) {
    // for-await-of calls the iterator's return() when the loop is left early, so the source stops producing.
    for await (const chunk of source) if (!take(chunk)) throw tooLarge();
  } else {
    for (const chunk of source) if (!take(chunk)) throw tooLarge();
  }
  if (filled < manifest.size) throw new UpdateRejected('truncated', `Cannot accept ${what}: ${filled} of the declared ${manifest.size} bytes arrived`);
  const digest = createHash('sha256').update(out).digest();
  if (!digest.equals(manifest.digest)) throw new UpdateRejected('digest-mismatch', `Cannot accept ${what}: its SHA-256 is ${digest.toString('hex')}, not the signed ${Buffer.from(manifest.digest).toString('hex')}`);
  return out;
}
