// fleetlet's messages: the public surface (re-exports only).
export { defineMessage } from './define.ts';
export type { Message, MessageOptions, DecodeResult, VersionedShape } from './define.ts';
export { manifestMessage, manifestSchema, limitsSchema, appKind, capabilityText, encodeManifest, decodeManifest, MAX_MODULE_BYTES } from './manifest.ts';
export type { Manifest, ManifestLimits, AppKind } from './manifest.ts';
export { desiredStateMessage, desiredStateSchema, desiredModuleSchema, encodeDesiredState, decodeDesiredState } from './desired-state.ts';
export type { DesiredState, DesiredModule } from './desired-state.ts';
export { trustUpdateMessage, trustUpdateSchema, trustedKeySchema, keyRole, encodeTrustUpdate, decodeTrustUpdate, MAX_ROOT_KEYS } from './trust-update.ts';
export type { TrustUpdate, TrustedKey, KeyRole } from './trust-update.ts';
