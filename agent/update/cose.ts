// COSE_Sign1 and COSE_Sign (RFC 9052) with EdDSA (RFC 9053): Sig_structure, signing, strict decoding, verification.

import { CborError, decodeCbor, encodeCbor, Tagged } from '../../schemas/cbor/index.ts';
import { sign as edSign, verify as edVerify, type SignatureVerdict } from './ed25519.ts';
import { UpdateRejected, type RejectCode } from './rejection.ts';

export const COSE_SIGN1_TAG = 18;
export const COSE_SIGN_TAG = 98;
/** COSE algorithm identifier of EdDSA (RFC 9053 §2.2). */
export const ALG_EDDSA = -8;
/** Common header labels (RFC 9052 §3.1). */
export const HEADER_ALG = 1;
export const HEADER_KID = 4;
/** Longest key id in bytes; the COSE kid carries the trust store's text key id as UTF-8 (schemas/names.ts). */
export const MAX_KID_BYTES = 64;
/** Largest COSE envelope fleetlet decodes (documents are small; module bytes travel beside them). */
export const MAX_COSE_BYTES = 64 * 1024;
/** Most signatures a COSE_Sign may carry (root sets are small). */
export const MAX_SIGNATURES = 32;

/** A private key ready to sign: its RFC 8032 seed and the key id written in the protected header. */
export interface CoseSigner {
  readonly kid: string;
  readonly seed: Uint8Array;
}

/** A decoded COSE_Sign1: the exact protected-header bytes and payload bytes that the signature covers. */
export interface CoseSign1 {
  readonly protectedBytes: Uint8Array;
  readonly kid: string;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

/** One COSE_Signature of a COSE_Sign. */
export interface CoseSignatureEntry {
  readonly protectedBytes: Uint8Array;
  readonly kid: string;
  readonly signature: Uint8Array;
}

/** A decoded COSE_Sign: body protected bytes, payload and each signature. */
export interface CoseSign {
  readonly bodyProtectedBytes: Uint8Array;
  readonly payload: Uint8Array;
  readonly signatures: readonly CoseSignatureEntry[];
}

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Encodes the protected header fleetlet writes: { 1: -8, 4: kid as UTF-8 bytes } in deterministic CBOR. */
export function protectedHeader(kid: string): Uint8Array {
  return encodeCbor(new Map<number, number | Uint8Array>([[HEADER_ALG, ALG_EDDSA], [HEADER_KID, new TextEncoder().encode(kid)]]));
}

/** Sig_structure for COSE_Sign1 (RFC 9052 §4.4): ["Signature1", body_protected, external_aad, payload]. */
export function sigStructure1(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedBytes, externalAad, payload]);
}

/** Sig_structure for COSE_Sign (RFC 9052 §4.4): ["Signature", body_protected, sign_protected, external_aad, payload]. */
export function sigStructure(bodyProtected: Uint8Array, signProtected: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature', bodyProtected, signProtected, externalAad, payload]);
}

/** Signs `payload` (the exact bytes the verifier will hash) as a tagged COSE_Sign1. */
export function signSign1(payload: Uint8Array, signer: CoseSigner, externalAad: Uint8Array = EMPTY): Uint8Array {
  const prot = protectedHeader(signer.kid);
  const signature = edSign(sigStructure1(prot, externalAad, payload), signer.seed);
  return encodeCbor(new Tagged(COSE_SIGN1_TAG, [prot, new Map(), payload, signature]));
}

/**
 * Signs `payload` as a tagged COSE_Sign with one signature per signer (an empty body protected header). More
 * signatures can be added later with `addSignature`, so offline root-key holders can sign one after another.
 */
export function signSign(payload: Uint8Array, signers: readonly CoseSigner[], externalAad: Uint8Array = EMPTY): Uint8Array {
  let bytes = encodeSign({ bodyProtectedBytes: EMPTY, payload, signatures: [] });
  for (const s of signers) bytes = addSignature(bytes, s, externalAad);
  return bytes;
}

/**
 * Adds one signature to a COSE_Sign (signed or not yet signed).
 * @throws UpdateRejected when `coseSign` is not a COSE_Sign fleetlet accepts
 */
export function addSignature(coseSign: Uint8Array, signer: CoseSigner, externalAad: Uint8Array = EMPTY): Uint8Array {
  const msg = decodeSign(coseSign, { allowUnsigned: true });
  const prot = protectedHeader(signer.kid);
  const signature = edSign(sigStructure(msg.bodyProtectedBytes, prot, externalAad, msg.payload), signer.seed);
  return encodeSign({ ...msg, signatures: [...msg.signatures, { protectedBytes: prot, kid: signer.kid, signature }] });
}

function encodeSign(msg: CoseSign): Uint8Array {
  const sigs = msg.signatures.map((s) => [s.protectedBytes, new Map(), s.signature]);
  return encodeCbor(new Tagged(COSE_SIGN_TAG, [msg.bodyProtectedBytes, new Map(), msg.payload, sigs]));
}

/** The rejection code for a CBOR error met while decoding `what`. */
export function cborRejection(e: CborError, what: string): UpdateRejected {
  const map: Partial<Record<CborError['code'], RejectCode>> = {
    'duplicate-key': 'duplicate-key',
    'non-canonical': 'non-canonical',
    'unsorted-keys': 'non-canonical',
    'non-shortest': 'non-canonical',
    'indefinite-length': 'non-canonical',
    truncated: 'truncated',
    'too-large': 'too-large',
  };
  return new UpdateRejected(map[e.code] ?? 'malformed', `Cannot decode ${what}: ${e.message} (${e.code})`);
}

function malformed(what: string, why: string): UpdateRejected {
  return new UpdateRejected('malformed', `Cannot decode ${what}: ${why}`);
}

/** Decodes an envelope; a plain CBOR map where a COSE structure should be is reported as unsigned. */
function decodeEnvelope(bytes: Uint8Array, tag: number, what: string): unknown[] {
  let value: unknown;
  try {
    value = decodeCbor(bytes, { tags: [tag], intKeys: true, maxBytes: MAX_COSE_BYTES });
  } catch (e) {
    if (!(e instanceof CborError)) throw e;
    if (e.code === 'tag-not-allowed' || e.code === 'key-type') {
      let plain: unknown;
      try {
        plain = decodeCbor(bytes, { canonical: false, maxBytes: MAX_COSE_BYTES });
      } catch {
        throw cborRejection(e, what);
      }
      if (plain !== null && typeof plain === 'object' && !Array.isArray(plain) && !(plain instanceof Uint8Array)) {
        throw new UpdateRejected('unsigned', `Cannot accept ${what}: it is a bare CBOR map with no COSE signature`);
      }
    }
    throw cborRejection(e, what);
  }
  if (value !== null && typeof value === 'object' && value instanceof Map) {
    throw new UpdateRejected('unsigned', `Cannot accept ${what}: it is a bare CBOR map with no COSE signature`);
  }
  if (!(value instanceof Tagged) || value.tag !== tag) throw malformed(what, `expected CBOR tag "${tag}"`);
  if (!Array.isArray(value.value)) throw malformed(what, 'the tagged item is not an array');
  return value.value as unknown[];
}

/** Reads a protected header: exactly { 1: -8, 4: kid }, and returns the kid as text. */
function readProtected(bytes: unknown, what: string): string {
  if (!(bytes instanceof Uint8Array)) throw malformed(what, 'the protected header is not a byte string');
  let header: unknown;
  try {
    header = decodeCbor(bytes, { intKeys: true, maxBytes: 1024 });
  } catch (e) {
    if (e instanceof CborError) throw cborRejection(e, `${what} protected header`);
    throw e;
  }
  if (!(header instanceof Map)) throw malformed(what, 'the protected header is not a map');
  const alg: unknown = header.get(HEADER_ALG);
  if (alg === undefined) throw new UpdateRejected('unsupported-algorithm', `Cannot accept ${what}: no algorithm in the protected header`);
  if (alg !== ALG_EDDSA) throw new UpdateRejected('unsupported-algorithm', `Cannot accept ${what}: algorithm "${String(alg)}" is not EdDSA (-8)`);
  const kid: unknown = header.get(HEADER_KID);
  if (!(kid instanceof Uint8Array) || kid.length === 0 || kid.length > MAX_KID_BYTES) {
    throw malformed(what, `the protected header has no key id of 1 to ${MAX_KID_BYTES} bytes`);
  }
  if (header.size !== 2) throw malformed(what, 'the protected header has labels other than alg and kid');
  try {
    return utf8.decode(kid);
  } catch {
    throw malformed(what, 'the key id is not UTF-8 text');
  }
}

function checkUnprotected(value: unknown, what: string): void {
  if (!(value instanceof Map) || value.size !== 0) throw malformed(what, 'the unprotected header must be an empty map');
}

/**
 * Decodes a tagged COSE_Sign1 from untrusted bytes, strictly: deterministic CBOR, tag 18, protected header
 * { alg: EdDSA, kid }, empty unprotected header, attached payload, 64-byte signature.
 * @throws UpdateRejected 'unsigned', 'malformed', 'unsupported-algorithm', 'non-canonical', 'duplicate-key',
 *   'truncated' or 'too-large'
 */
export function decodeSign1(bytes: Uint8Array, what = 'COSE_Sign1'): CoseSign1 {
  const a = decodeEnvelope(bytes, COSE_SIGN1_TAG, what);
  if (a.length !== 4) throw malformed(what, `expected 4 array items, found ${a.length}`);
  const [prot, unprot, payload, signature] = a;
  const kid = readProtected(prot, what);
  checkUnprotected(unprot, what);
  if (!(payload instanceof Uint8Array)) throw malformed(what, 'the payload is not attached as a byte string');
  if (!(signature instanceof Uint8Array)) throw malformed(what, 'the signature is not a byte string');
  if (signature.length === 0) throw new UpdateRejected('unsigned', `Cannot accept ${what}: the signature is empty`);
  return { protectedBytes: prot as Uint8Array, kid, payload, signature };
}

/**
 * Decodes a tagged COSE_Sign (tag 98) strictly; the body protected header must be empty.
 * @throws UpdateRejected as `decodeSign1`, and 'unsigned' when there is no signature (unless `allowUnsigned`)
 */
export function decodeSign(bytes: Uint8Array, options: { allowUnsigned?: boolean; what?: string } = {}): CoseSign {
  const what = options.what ?? 'COSE_Sign';
  const a = decodeEnvelope(bytes, COSE_SIGN_TAG, what);
  if (a.length !== 4) throw malformed(what, `expected 4 array items, found ${a.length}`);
  const [bodyProt, unprot, payload, sigs] = a;
  // RFC 9052 §3: an empty protected header is preferably a zero-length string, and recipients accept h'a0' too.
  if (!(bodyProt instanceof Uint8Array) || !(bodyProt.length === 0 || (bodyProt.length === 1 && bodyProt[0] === 0xa0))) {
    throw malformed(what, 'the body protected header must be empty');
  }
  checkUnprotected(unprot, what);
  if (!(payload instanceof Uint8Array)) throw malformed(what, 'the payload is not attached as a byte string');
  if (!Array.isArray(sigs)) throw malformed(what, 'the signatures are not an array');
  if (sigs.length > MAX_SIGNATURES) throw new UpdateRejected('too-large', `Cannot accept ${what}: ${sigs.length} signatures exceed the limit of ${MAX_SIGNATURES}`);
  if (sigs.length === 0 && options.allowUnsigned !== true) throw new UpdateRejected('unsigned', `Cannot accept ${what}: it carries no signature`);
  const signatures = sigs.map((s: unknown, i): CoseSignatureEntry => {
    const w = `${what} signature ${i}`;
    if (!Array.isArray(s) || s.length !== 3) throw malformed(w, 'expected a 3-item array');
    const [p, u, sig] = s as unknown[];
    const kid = readProtected(p, w);
    checkUnprotected(u, w);
    if (!(sig instanceof Uint8Array)) throw malformed(w, 'the signature is not a byte string');
    if (sig.length === 0) throw new UpdateRejected('unsigned', `Cannot accept ${w}: the signature is empty`);
    return { protectedBytes: p as Uint8Array, kid, signature: sig };
  });
  return { bodyProtectedBytes: bodyProt, payload, signatures };
}

/** Checks a COSE_Sign1's signature with a public key. */
export function verifySign1(msg: CoseSign1, publicKey: Uint8Array, externalAad: Uint8Array = EMPTY): SignatureVerdict {
  return edVerify(sigStructure1(msg.protectedBytes, externalAad, msg.payload), msg.signature, publicKey);
}

/** Checks signature `index` of a COSE_Sign with a public key. */
export function verifySignEntry(msg: CoseSign, index: number, publicKey: Uint8Array, externalAad: Uint8Array = EMPTY): SignatureVerdict {
  const s = msg.signatures[index];
  if (s === undefined) return 'bad-signature';
  return edVerify(sigStructure(msg.bodyProtectedBytes, s.protectedBytes, externalAad, msg.payload), s.signature, publicKey);
}
