// `fleetlet inspect`: shows a bundle, signed manifest, desired state or trust update in human-readable form, without
// judging its signatures (that is `fleetlet verify`).

import { Tagged } from '../../schemas/cbor/index.ts';
import { decodeCbor } from '../../schemas/cbor/index.ts';
import { decodeDesiredState } from '../../schemas/messages/desired-state.ts';
import { decodeManifest } from '../../schemas/messages/manifest.ts';
import { decodeTrustUpdate } from '../../schemas/messages/trust-update.ts';
import { BUNDLE_MAGIC, decodeBundle } from '../update/bundle.ts';
import { COSE_SIGN1_TAG, COSE_SIGN_TAG, decodeSign, decodeSign1 } from '../update/cose.ts';
import { desiredStateLines, manifestLines, trustUpdateLines } from './_format.ts';
import { decodeFile, readInput } from './_files.ts';
import { CliError } from './errors.ts';

function coseTag(bytes: Uint8Array): number | undefined {
  try {
    const v = decodeCbor(bytes, { tags: [COSE_SIGN1_TAG, COSE_SIGN_TAG], intKeys: true, canonical: false, maxBytes: 1 << 20 });
    return v instanceof Tagged ? v.tag : undefined;
  } catch {
    return undefined;
  }
}

function sign1Lines(file: string, bytes: Uint8Array): string[] {
  const msg = decodeFile(file, 'signed document', () => decodeSign1(bytes, 'signed document'));
  const header = `COSE_Sign1, EdDSA, signed by key "${msg.kid}" (signature not checked: use "fleetlet verify")`;
  const m = (() => {
    try {
      return decodeManifest(msg.payload);
    } catch {
      return undefined;
    }
  })();
  if (m !== undefined) return [header, ...manifestLines(m)];
  const d = decodeFile(file, 'signed document (neither a manifest nor a desired state)', () => decodeDesiredState(msg.payload));
  return [header, ...desiredStateLines(d)];
}

/**
 * Renders a file for a person.
 * @throws CliError when the file is none of the documents fleetlet writes
 */
export async function inspect(file: string): Promise<string[]> {
  const bytes = await readInput(file, 'file');
  if (bytes.length >= 4 && BUNDLE_MAGIC.every((b, i) => bytes[i] === b)) {
    const b = decodeFile(file, 'bundle', () => decodeBundle(bytes));
    return [`bundle ${file}: ${bytes.length} bytes (module ${b.module.length} bytes)`, ...sign1Lines(file, b.signedManifest)];
  }
  const tag = coseTag(bytes);
  if (tag === COSE_SIGN1_TAG) return sign1Lines(file, bytes);
  if (tag === COSE_SIGN_TAG) {
    const msg = decodeFile(file, 'trust update', () => decodeSign(bytes, { allowUnsigned: true, what: 'trust update' }));
    const t = decodeFile(file, 'trust update', () => decodeTrustUpdate(msg.payload));
    const kids = msg.signatures.map((s) => s.kid);
    return [`COSE_Sign, EdDSA, ${kids.length === 0 ? 'not signed yet' : `signed by ${kids.map((k) => `"${k}"`).join(', ')}`} (signatures not checked)`, ...trustUpdateLines(t)];
  }
  throw new CliError(`Cannot inspect "${file}": it is not a fleetlet bundle, signed manifest, desired state or trust update`);
}
