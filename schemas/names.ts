// The grammars of the names fleetlet documents and topics carry (device ids, app names, versions,
// key ids, setting names), each written once as a pattern and a text schema.

import { s } from './schema/index.ts';

/** A device id: also a topic level, so never `+`, `#`, `/` (nor anything outside this set). */
export const DEVICE_ID_PATTERN = /[A-Za-z0-9][A-Za-z0-9._:-]{0,63}/;
/** An app (module) name: lowercase, also used in topics, file names and log lines. */
export const APP_NAME_PATTERN = /[a-z0-9][a-z0-9._-]{0,63}/;
/** A device class that manifests target ("rpi4", "sim"). */
export const DEVICE_CLASS_PATTERN = /[a-z0-9][a-z0-9._-]{0,63}/;
/** A key id (COSE `kid` carries it as UTF-8 bytes). */
export const KEY_ID_PATTERN = /[A-Za-z0-9][A-Za-z0-9._:-]{0,63}/;
/** A per-device setting name: it becomes a WASI environment variable. */
export const SETTING_NAME_PATTERN = /[A-Za-z_][A-Za-z0-9_]{0,63}/;
/** A correlation id, idempotency key or command id chosen by the sender. */
export const REQUEST_ID_PATTERN = /[A-Za-z0-9._:-]{1,64}/;

// Semantic Versioning 2.0.0: MAJOR.MINOR.PATCH, then an optional pre-release and build metadata.
const NUM = '(?:0|[1-9][0-9]*)';
const PRE_ID = `(?:${NUM}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`;
const BUILD_ID = '[0-9A-Za-z-]+';
/** A semantic version ("1.4.0", "2.0.0-rc.1+build.5"). */
export const SEMVER_PATTERN = new RegExp(`${NUM}\\.${NUM}\\.${NUM}(?:-${PRE_ID}(?:\\.${PRE_ID})*)?(?:\\+${BUILD_ID}(?:\\.${BUILD_ID})*)?`);

/** True when `text` is a whole match of `pattern`. */
export function matchesWhole(pattern: RegExp, text: string): boolean {
  return new RegExp(`^(?:${pattern.source})$`).test(text);
}

export const deviceId = s.text({ maxBytes: 64, minBytes: 1, pattern: DEVICE_ID_PATTERN, describe: 'a device id (letters, digits, ".", "_", ":", "-")' });
export const appName = s.text({ maxBytes: 64, minBytes: 1, pattern: APP_NAME_PATTERN, describe: 'an app name (lowercase letters, digits, ".", "_", "-")' });
export const deviceClass = s.text({ maxBytes: 64, minBytes: 1, pattern: DEVICE_CLASS_PATTERN, describe: 'a device class (lowercase letters, digits, ".", "_", "-")' });
export const keyId = s.text({ maxBytes: 64, minBytes: 1, pattern: KEY_ID_PATTERN, describe: 'a key id (letters, digits, ".", "_", ":", "-")' });
export const settingName = s.text({ maxBytes: 64, minBytes: 1, pattern: SETTING_NAME_PATTERN, describe: 'a setting name (letters, digits, "_"; not starting with a digit)' });
/** A setting value: any text without NUL (environment variables cannot hold one). */
export const settingValue = s.text({ maxBytes: 1024, pattern: /[^\u0000]*/, describe: 'text without NUL characters' });
export const requestId = s.text({ maxBytes: 64, minBytes: 1, pattern: REQUEST_ID_PATTERN, describe: 'an id (letters, digits, ".", "_", ":", "-")' });
export const semver = s.text({ maxBytes: 64, pattern: SEMVER_PATTERN, describe: 'a semantic version (MAJOR.MINOR.PATCH)' });
/** A SHA-256 digest. */
export const sha256 = s.bytes({ length: 32 });
/** Seconds since the Unix epoch (signed documents). */
export const seconds = s.uint();
/** Milliseconds since the Unix epoch (reports). */
export const millis = s.uint();
/** A stable error or reason code ("digest-mismatch", "rollback"). */
export const errorCode = s.text({ maxBytes: 64, minBytes: 1, pattern: /[a-z][a-z0-9-]{0,63}/, describe: 'a code (lowercase letters, digits, "-")' });
/** The name of a message type, as `SUPPORTED_VERSIONS` lists it ("desiredState"). */
export const messageName = s.text({ maxBytes: 64, minBytes: 1, pattern: /[a-z][A-Za-z0-9]{0,63}/, describe: 'a message name' });
/** The schema versions of each message type an agent accepts, so the cloud sends what it understands. */
export const supportedVersions = s.map(messageName, s.array(s.uint({ max: 0xffff }), { minItems: 1, maxItems: 16 }), { maxEntries: 32 });
