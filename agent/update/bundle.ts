// The bundle file `fleetlet sign` writes: the signed manifest (COSE_Sign1 bytes) and the module bytes, length-prefixed
// behind a magic and a layout version, parsed strictly (exact lengths, bounds, no trailing bytes).

import { MAX_MODULE_BYTES } from '../../schemas/messages/manifest.ts';
import { MAX_COSE_BYTES } from './cose.ts';
import { UpdateRejected } from './rejection.ts';

/**
 * Layout (all integers big-endian):
 *   0  4  magic "FLTB"
 *   4  1  layout version (1)
 *   5  4  manifest length M (1 .. MAX_COSE_BYTES)
 *   9  M  signed manifest (COSE_Sign1)
 *   9+M 4 module length N (0 .. MAX_MODULE_BYTES)
 *   13+M N module bytes, then end of file
 */
export const BUNDLE_MAGIC = Uint8Array.of(0x46, 0x4c, 0x54, 0x42);
export const BUNDLE_VERSION = 1;
const HEADER = 9;

/** The two parts of a bundle, not yet verified. */
export interface Bundle {
  readonly signedManifest: Uint8Array;
  readonly module: Uint8Array;
}

/**
 * Lays out a bundle.
 * @throws RangeError when a part is beyond its bound
 */
export function encodeBundle(b: Bundle): Uint8Array {
  if (b.signedManifest.length < 1 || b.signedManifest.length > MAX_COSE_BYTES) throw new RangeError(`Cannot bundle a signed manifest of ${b.signedManifest.length} bytes: expected 1 to ${MAX_COSE_BYTES}`);
  if (b.module.length > MAX_MODULE_BYTES) throw new RangeError(`Cannot bundle a module of ${b.module.length} bytes: the limit is ${MAX_MODULE_BYTES}`);
  const out = new Uint8Array(HEADER + b.signedManifest.length + 4 + b.module.length);
  const view = new DataView(out.buffer);
  out.set(BUNDLE_MAGIC, 0);
  out[4] = BUNDLE_VERSION;
  view.setUint32(5, b.signedManifest.length);
  out.set(b.signedManifest, HEADER);
  const at = HEADER + b.signedManifest.length;
  view.setUint32(at, b.module.length);
  out.set(b.module, at + 4);
  return out;
}

/**
 * Splits a bundle from untrusted bytes. Checks only the layout; `verifyManifest` and `verifyModuleBytes` check the rest.
 * @throws UpdateRejected 'malformed' (magic, version, bounds, trailing bytes) or 'truncated'
 */
export function decodeBundle(bytes: Uint8Array): Bundle {
  const malformed = (why: string): UpdateRejected => new UpdateRejected('malformed', `Cannot read bundle: ${why}`);
  const truncated = (why: string): UpdateRejected => new UpdateRejected('truncated', `Cannot read bundle: ${why}`);
  const magicLen = Math.min(bytes.length, 4);
  for (let i = 0; i < magicLen; i++) if (bytes[i] !== BUNDLE_MAGIC[i]) throw malformed('it does not start with "FLTB"');
  if (bytes.length < HEADER) throw truncated(`${bytes.length} bytes end inside the ${HEADER}-byte header`);
  if (bytes[4] !== BUNDLE_VERSION) throw malformed(`layout version "${bytes[4]}" is not supported (supported: ${BUNDLE_VERSION})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const m = view.getUint32(5);
  if (m < 1 || m > MAX_COSE_BYTES) throw malformed(`manifest length ${m} is outside 1 to ${MAX_COSE_BYTES}`);
  if (bytes.length < HEADER + m + 4) throw truncated(`${bytes.length} bytes end inside the manifest or the module length`);
  const n = view.getUint32(HEADER + m);
  if (n > MAX_MODULE_BYTES) throw malformed(`module length ${n} exceeds ${MAX_MODULE_BYTES}`);
  const end = HEADER + m + 4 + n;
  if (bytes.length < end) throw truncated(`${bytes.length} bytes end inside the module (${end} expected)`);
  if (bytes.length > end) throw malformed(`${bytes.length - end} bytes follow the module`);
  return { signedManifest: bytes.slice(HEADER, HEADER + m), module: bytes.slice(HEADER + m + 4, end) };
}
