// The device identity: the public surface (re-exports only).
export { DeviceIdentityStore, IDENTITY_DIR, IDENTITY_FILE, SIGNING_KEY_FILE, BOX_KEY_FILE } from './identity-store.ts';
export type { IdentityOptions } from './identity-store.ts';
export { IdentityError } from './errors.ts';
export type { IdentityErrorCode, IdentityWarning } from './errors.ts';
