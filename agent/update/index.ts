// fleetlet's update trust layer: the public surface (re-exports only).
export { REJECT_CODES, UpdateRejected, isRejected } from './rejection.ts';
export type { RejectCode } from './rejection.ts';
export { checkPublicKey, generateKeyPair, keyPairFromSeed, ED25519_L } from './ed25519.ts';
export type { Ed25519KeyPair, PublicKeyProblem, SignatureVerdict } from './ed25519.ts';
export { addSignature, decodeSign, decodeSign1, signSign, signSign1, verifySign1, verifySignEntry, sigStructure, sigStructure1 } from './cose.ts';
export type { CoseSign, CoseSign1, CoseSignatureEntry, CoseSigner } from './cose.ts';
export { TrustStore, TrustCorrupt, systemClock, TRUST_FILE } from './trust-store.ts';
export type { Clock, TrustStoreOptions } from './trust-store.ts';
export type { TrustView } from './trust-view.ts';
export { FloorsCorrupt, FLOORS_FILE } from './floors.ts';
export type { Floors } from './floors.ts';
export { verifyManifest, verifyDesiredState, openDesiredState, manifestDigest } from './verify.ts';
export type { DeviceIdentity, VerifiedManifest, VerifiedDesiredState, VerifyContext } from './verify.ts';
export { verifyModuleBytes } from './module-bytes.ts';
export type { ModuleSource } from './module-bytes.ts';
export { encodeBundle, decodeBundle, BUNDLE_MAGIC, BUNDLE_VERSION } from './bundle.ts';
export type { Bundle } from './bundle.ts';
export { writeFileAtomic, readFileIfExists } from './atomic-file.ts';
