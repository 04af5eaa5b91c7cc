// The status report: what a device runs and why (retained, so the cloud always sees the latest),
// with the schema versions it accepts.

import { appName, deviceClass, deviceId, errorCode, millis, semver, sha256, supportedVersions } from '../names.ts';
import { s, type Infer } from '../schema/index.ts';
import { unique } from './_rules.ts';
import { defineMessage } from './define.ts';

/**
 * Where one module stands on the device. `probation`: committed and running, judged by the health gate, not yet
 * marked good (its anti-rollback floor has not risen); `running`: marked good.
 */
export const moduleState = s.oneOf(['pending', 'downloading', 'starting', 'probation', 'running', 'stopped', 'failed', 'rolled-back']);
export type ModuleState = Infer<typeof moduleState>;

/** What the agent measured of one module since it started (integers: status admits no floats). */
export const moduleMetricsSchema = s.object({
  /** Ticks completed (reactors) since the module started. */
  ticks: s.uint(),
  /** Mean and largest fuel of one completed tick. */
  fuelPerTick: s.uint(),
  fuelPerTickMax: s.uint(),
  /** Linear memory high-water mark in 64 KiB pages. */
  memoryHighWaterPages: s.uint(),
  traps: s.uint(),
  /** Calls stopped by their fuel budget or an engine limit (call depth, value stack). */
  exhaustions: s.uint(),
  /** Log lines the module wrote, and those dropped by its rate limit. */
  logLines: s.uint(),
  /** The last error, as the runner reported it ("trap: unreachable in tick"). */
  lastError: s.optional(s.text({ maxBytes: 512 })),
});
export type ModuleMetrics = Infer<typeof moduleMetricsSchema>;

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
  /** How the running version behaves (the cloud's regression rules compare these between versions); absent before it ran. */
  metrics: s.optional(moduleMetricsSchema),
});
export type ModuleStatus = Infer<typeof moduleStatusSchema>;

export const statusSchema = s.object(
  {
    v: s.literal(1),
    deviceId,
    deviceClass,
    /** When the report was made, in milliseconds since the epoch. */
    timeMs: millis,
    /**
     * Grows with every report of this device, across agent restarts (boot count x 2^32 + reports this boot), so cloud
     * processes that share the reports keep their order even when the device's clock jumped back at boot.
     */
    seq: s.uint(),
    agentVersion: semver,
    supportedVersions,
    /** Sequence of the trust update in force. */
    trustSequence: s.uint(),
    /** Sequence of the desired state applied last; absent before the first. */
    desiredSequence: s.optional(s.uint()),
    modules: s.array(moduleStatusSchema, { maxItems: 32 }),
    /** Seconds since the agent started. */
    uptimeS: s.optional(s.uint()),
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
