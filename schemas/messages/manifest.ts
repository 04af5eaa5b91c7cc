// The manifest: the signed description of one module version (what it is, what it may use, how
// much it may consume, where it may run, until when), signed by a module-signer key.

import { capabilityProblem } from '../capabilities.ts';
import { appName, deviceClass, seconds, semver, sha256 } from '../names.ts';
import { s, type Infer } from '../schema/index.ts';
import { expiresAfterIssue, unique } from './_rules.ts';
import { defineMessage } from './define.ts';

/** Largest module a manifest may describe (modules are kilobytes; this bounds a download). */
export const MAX_MODULE_BYTES = 16 * 1024 * 1024;

/**
 * What an instance may consume, with the engine's `Limits` names (agent/wasm/runtime/limits.ts)
 * where they exist; `fuelPerTick` becomes the engine's fuel per call, slice or tick.
 */
export const limitsSchema = s.object({
  /** Linear memory cap in 64 KiB pages. */
  maxMemoryPages: s.uint({ min: 1, max: 65536 }),
  /** Largest table, in elements. */
  maxTableElements: s.uint({ max: 10_000_000 }),
  /** Deepest WebAssembly call nesting. */
  maxCallDepth: s.uint({ min: 1, max: 100_000 }),
  /** Value-stack slots (8 bytes each) over all frames. */
  maxStackSlots: s.uint({ min: 1, max: 1 << 24 }),
  /** Fuel for one tick of a reactor, or one scheduling slice of a command. */
  fuelPerTick: s.uint({ min: 1 }),
  /** Host calls a module may make per second before it is throttled. */
  hostCallsPerSecond: s.uint({ min: 1, max: 1_000_000 }),
  /** Period between a reactor's ticks (and a command's scheduling period), in milliseconds. */
  tickPeriodMs: s.uint({ min: 1, max: 86_400_000 }),
});
export type ManifestLimits = Infer<typeof limitsSchema>;

/** How the agent runs an app: a reactor (`init`, `tick`, optional `health`) or a WASI command (`_start`). */
export const appKind = s.oneOf(['reactor', 'command']);
export type AppKind = Infer<typeof appKind>;

/** A requested capability (see capabilities.ts; no wildcards). */
export const capabilityText = s.text({ maxBytes: 160, minBytes: 1, grammar: capabilityProblem, describe: 'a capability' });

export const manifestSchema = s.object(
  {
    v: s.literal(1),
    name: appName,
    version: semver,
    /** Grows with each new version of this name; the device's anti-rollback floor is per name. */
    sequence: s.uint(),
    /** SHA-256 of the module bytes. */
    digest: sha256,
    /** Size of the module in bytes (a download stops there). */
    size: s.uint({ min: 8, max: MAX_MODULE_BYTES }),
    capabilities: s.array(capabilityText, { maxItems: 64 }),
    limits: limitsSchema,
    kind: appKind,
    /** Device classes this module may run on. */
    targets: s.array(deviceClass, { minItems: 1, maxItems: 32 }),
    issuedAt: seconds,
    expiresAt: seconds,
  },
  {
    rules: [
      expiresAfterIssue(),
      unique('capabilities', (m) => m.capabilities),
      unique('targets', (m) => m.targets),
    ],
  },
);
export type Manifest = Infer<typeof manifestSchema>;

export const manifestMessage = defineMessage('manifest', manifestSchema, { signed: true, maxBytes: 16 * 1024, maxDepth: 4, maxStringBytes: 256, maxItems: 64 });

/**
 * Encodes a manifest deterministically (the bytes a module signer signs).
 * @throws SchemaError when the manifest does not match its schema
 */
export function encodeManifest(m: Manifest): Uint8Array {
  return manifestMessage.encode(m);
}

/**
 * Decodes a manifest payload from untrusted bytes (canonical CBOR only).
 * @throws CborError, SchemaError
 */
export function decodeManifest(bytes: Uint8Array): Manifest {
  return manifestMessage.decode(bytes);
}
