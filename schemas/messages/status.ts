// The status report: what a device runs and why (retained, so the cloud always sees the latest),
// with the schema versions it accepts.

import { appName, deviceClass, deviceId, errorCode, millis, semver, sha256, supportedVersions } from '../names.ts';
import { s, type Infer } from '../schema/index.ts';
import { unique } from './_rules.ts';
import { defineMessage } from './define.ts';

/** Where one module stands on the device. */
export const moduleState = s.oneOf(['pending', 'downloading', 'starting', 'running', 'stopped', 'failed', 'rolled-back']);
export type ModuleState = Infer<typeof moduleState>;

export const moduleStatusSchema = s.object({
  name: appName,
  version: semver,
  sequence: s.uint(),
  manifestDigest: sha256,
  state: moduleState,
  /** Restarts since the module was last installed. */
  restarts: s.uint(),
  /** Why the module is failed, stopped or rolled back. */
  errorCode: s.optional(errorCode),
  detail: s.optional(s.text({ maxBytes: 512 })),
});
export type ModuleStatus = Infer<typeof moduleStatusSchema>;

export const statusSchema = s.object(
  {
    v: s.literal(1),
    deviceId,
    deviceClass,
    /** When the report was made, in milliseconds since the epoch. */
    timeMs: millis,
    agentVersion: semver,
    supportedVersions,
    /** Sequence of the trust update in force. */
    trustSequence: s.uint(),
    /** Sequence of the desired state applied last; absent before the first. */
    desiredSequence: s.optional(s.uint()),
    modules: s.array(moduleStatusSchema, { maxItems: 32 }),
  },
  { rules: [unique('modules', (r) => r.modules, (m) => m.name, '.name')] },
);
export type Status = Infer<typeof statusSchema>;

export const statusMessage = defineMessage('status', statusSchema, { signed: false, maxBytes: 64 * 1024, maxDepth: 4, maxStringBytes: 1024, maxItems: 64 });

/** @throws SchemaError when the report does not match its schema */
export function encodeStatus(r: Status): Uint8Array {
  return statusMessage.encode(r);
}

/** @throws CborError, SchemaError */
export function decodeStatus(bytes: Uint8Array): Status {
  return statusMessage.decode(bytes);
}
