// The app descriptor (`fleetlet.app.json`): the one file that says what an app is (name, version,
// kind, module, capabilities, limits, tick period, targets, setting defaults), read by
// `fleetlet sign` to build the manifest and by `fleetlet run`.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { appKind, capabilityText, limitsSchema, manifestSchema, type Manifest, type ManifestLimits } from './messages/index.ts';
import { appName, deviceClass, semver, settingName, settingValue } from './names.ts';
import { s, SchemaError, type Infer, type SchemaErrorCode } from './schema/index.ts';

/** The descriptor's usual file name. */
export const APP_DESCRIPTOR_FILE = 'fleetlet.app.json';

/** Limits an app gets for the fields its descriptor leaves out. */
export const DEFAULT_APP_LIMITS: ManifestLimits = {
  maxMemoryPages: 16,
  maxTableElements: 10_000,
  maxCallDepth: 1_000,
  maxStackSlots: 65_536,
  fuelPerTick: 10_000_000,
  hostCallsPerSecond: 1_000,
  tickPeriodMs: 1_000,
};

const limitFields = limitsSchema.shape;
const partialLimits = s.object({
  maxMemoryPages: s.optional(limitFields.maxMemoryPages),
  maxTableElements: s.optional(limitFields.maxTableElements),
  maxCallDepth: s.optional(limitFields.maxCallDepth),
  maxStackSlots: s.optional(limitFields.maxStackSlots),
  fuelPerTick: s.optional(limitFields.fuelPerTick),
  hostCallsPerSecond: s.optional(limitFields.hostCallsPerSecond),
});

/** The descriptor as written: required and optional fields. */
export const appDescriptorSchema = s.object({
  name: appName,
  version: semver,
  kind: appKind,
  /** The module file, relative to the descriptor's folder. */
  module: s.text({ maxBytes: 1024, minBytes: 1, pattern: /[^\u0000]+/, describe: 'a file path' }),
  targets: s.array(deviceClass, { minItems: 1, maxItems: 32 }),
  capabilities: s.optional(s.array(capabilityText, { maxItems: 64 })),
  limits: s.optional(partialLimits),
  /** Milliseconds between a reactor's ticks (a command's scheduling period). */
  tickPeriodMs: s.optional(limitFields.tickPeriodMs),
  /** Setting defaults; a desired state may override each per device. */
  settings: s.optional(s.map(settingName, settingValue, { maxEntries: 64 })),
});
export type AppDescriptorFile = Infer<typeof appDescriptorSchema>;

/** A descriptor with every default filled in. */
export interface AppDescriptor {
  readonly name: string;
  readonly version: string;
  readonly kind: Manifest['kind'];
  /** The module path as written. */
  readonly module: string;
  readonly targets: readonly string[];
  readonly capabilities: readonly string[];
  /** All limits, `tickPeriodMs` included. */
  readonly limits: ManifestLimits;
  readonly settings: Readonly<Record<string, string>>;
}

export type AppDescriptorErrorCode = 'unreadable' | 'invalid-json' | SchemaErrorCode;

/** A descriptor that cannot be read or is wrong, naming the file and the field. */
export class AppDescriptorError extends Error {
  override readonly name = 'AppDescriptorError';
  constructor(
    readonly code: AppDescriptorErrorCode,
    readonly file: string,
    /** The field path ("limits.maxMemoryPages", "capabilities[2]"); empty for the whole file. */
    readonly field: string,
    detail: string,
  ) {
    super(field === '' ? `${file}: ${detail}` : `${file}: invalid field "${field}": ${detail}`);
  }
}

/**
 * Parses descriptor text; `file` names it in errors.
 * @throws AppDescriptorError "invalid-json", or a schema code naming the field
 */
export function parseAppDescriptor(text: string, file: string = APP_DESCRIPTOR_FILE): AppDescriptor {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AppDescriptorError('invalid-json', file, '', `not valid JSON (${(e as Error).message})`);
  }
  let d: AppDescriptorFile;
  try {
    d = appDescriptorSchema.check(json, '$');
  } catch (e) {
    if (e instanceof SchemaError) throw new AppDescriptorError(e.code, file, e.path.replace(/^\$\.?/, ''), e.detail);
    throw e;
  }
  return {
    name: d.name,
    version: d.version,
    kind: d.kind,
    module: d.module,
    targets: d.targets,
    capabilities: d.capabilities ?? [],
    limits: { ...DEFAULT_APP_LIMITS, ...d.limits, ...(d.tickPeriodMs === undefined ? {} : { tickPeriodMs: d.tickPeriodMs }) },
    settings: d.settings ?? {},
  };
}

/**
 * Reads and parses a descriptor file.
 * @throws AppDescriptorError "unreadable", "invalid-json", or a schema code naming the field
 */
export function readAppDescriptor(file: string): AppDescriptor {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AppDescriptorError('unreadable', file, '', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseAppDescriptor(text, file);
}

/** The module file's path, resolved against the descriptor's folder. */
export function modulePath(descriptor: AppDescriptor, descriptorFile: string): string {
  return isAbsolute(descriptor.module) ? descriptor.module : resolve(dirname(descriptorFile), descriptor.module);
}

/** What signing adds to a descriptor to make a manifest. */
export interface SigningFacts {
  readonly sequence: number;
  readonly digest: Uint8Array;
  readonly size: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/**
 * The manifest for a descriptor and the facts of one signing.
 * @throws SchemaError when the result is not a valid manifest (say, expiry before issue)
 */
export function manifestFromDescriptor(d: AppDescriptor, facts: SigningFacts): Manifest {
  return manifestSchema.check(
    {
      v: 1,
      name: d.name,
      version: d.version,
      sequence: facts.sequence,
      digest: facts.digest,
      size: facts.size,
      capabilities: d.capabilities,
      limits: d.limits,
      kind: d.kind,
      targets: d.targets,
      issuedAt: facts.issuedAt,
      expiresAt: facts.expiresAt,
    },
    'manifest',
  );
}
