// The desired state: the full set of modules one device should run, each named by the digest of
// its signed manifest, with per-device settings; signed as one document by a state-signer key.

import { appName, deviceId, seconds, settingName, settingValue, sha256 } from '../names.ts';
import { s, type Infer } from '../schema/index.ts';
import { expiresAfterIssue, unique } from './_rules.ts';
import { defineMessage } from './define.ts';

export const desiredModuleSchema = s.object({
  /** The app name; must equal the name in the referenced manifest. */
  name: appName,
  /** SHA-256 of the signed manifest (the whole COSE_Sign1 bytes), so that only a module signer's manifest can be referenced. */
  manifestDigest: sha256,
  /** Per-device settings, handed to the app as WASI environment variables. */
  settings: s.map(settingName, settingValue, { maxEntries: 64 }),
});
export type DesiredModule = Infer<typeof desiredModuleSchema>;

export const desiredStateSchema = s.object(
  {
    v: s.literal(1),
    /** The one device this state is for. */
    deviceId,
    /** Grows with each new state for this device (anti-rollback floor per device). */
    sequence: s.uint(),
    issuedAt: seconds,
    expiresAt: seconds,
    /** Every module the device should run; a module absent here is stopped. */
    modules: s.array(desiredModuleSchema, { maxItems: 32 }),
  },
  {
    rules: [
      expiresAfterIssue(),
      unique('modules', (d) => d.modules, (m) => m.name, '.name'),
      unique('modules', (d) => d.modules, (m) => Buffer.from(m.manifestDigest).toString('hex'), '.manifestDigest'),
    ],
  },
);
export type DesiredState = Infer<typeof desiredStateSchema>;

export const desiredStateMessage = defineMessage('desiredState', desiredStateSchema, { signed: true, maxBytes: 128 * 1024, maxDepth: 5, maxStringBytes: 1024, maxItems: 64 });

/**
 * Encodes a desired state deterministically (the bytes a state signer signs).
 * @throws SchemaError when the state does not match its schema
 */
export function encodeDesiredState(d: DesiredState): Uint8Array {
  return desiredStateMessage.encode(d);
}

/**
 * Decodes a desired-state payload from untrusted bytes (canonical CBOR only).
 * @throws CborError, SchemaError
 */
export function decodeDesiredState(bytes: Uint8Array): DesiredState {
  return desiredStateMessage.decode(bytes);
}
