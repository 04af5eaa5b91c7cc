// The anti-rollback floors a device persists: one committed sequence per app name, one for its desired state, and
// the time floor (the newest issuedAt of a committed document) that stands in for a clock it cannot trust.

import { join } from 'node:path';
import { CborError, decodeCbor, encodeCbor } from '../../schemas/cbor/index.ts';
import { appName } from '../../schemas/names.ts';
import { s, SchemaError, type Infer } from '../../schemas/schema/index.ts';
import { readFileIfExists, writeFileAtomic } from './atomic-file.ts';

/** File name of the floors record in the data directory (a wire format: never rename). */
export const FLOORS_FILE = 'floors.cbor';

/** Most app names with a floor (a device runs a handful of apps; this bounds the record). */
export const MAX_FLOOR_NAMES = 1024;

const floorsSchema = s.object({
  v: s.literal(1),
  /** Seconds since the epoch: the newest issuedAt of a committed document or accepted trust update. */
  timeFloor: s.uint(),
  /** Committed desired-state sequence (0: none yet). */
  desiredState: s.uint(),
  /** Committed manifest sequence per app name. */
  manifests: s.map(appName, s.uint(), { maxEntries: MAX_FLOOR_NAMES }),
});

/** The persisted floors. */
export type Floors = Infer<typeof floorsSchema>;

export const EMPTY_FLOORS: Floors = Object.freeze({ v: 1, timeFloor: 0, desiredState: 0, manifests: Object.freeze({}) }) as Floors;

/** A floors file that exists but cannot be read back: the device must not guess its floors. */
export class FloorsCorrupt extends Error {
  override readonly name = 'FloorsCorrupt';
}

/**
 * Reads the floors of a data directory; a missing file means no floors yet.
 * @throws FloorsCorrupt when the file exists but is not a floors record
 */
export async function loadFloors(dataDir: string): Promise<Floors> {
  const bytes = await readFileIfExists(join(dataDir, FLOORS_FILE));
  if (bytes === undefined) return EMPTY_FLOORS;
  try {
    return floorsSchema.check(decodeCbor(bytes, { maxBytes: 256 * 1024, maxItems: MAX_FLOOR_NAMES }), 'floors');
  } catch (e) {
    if (e instanceof CborError || e instanceof SchemaError) throw new FloorsCorrupt(`Cannot read "${FLOORS_FILE}" in "${dataDir}": ${e.message}`);
    throw e;
  }
}

/** Writes the floors atomically (temp file, fsync, rename, directory fsync). */
export async function saveFloors(dataDir: string, floors: Floors): Promise<void> {
  await writeFileAtomic(join(dataDir, FLOORS_FILE), encodeCbor(floorsSchema.check(floors, 'floors')));
}

/** The floor of one app name (0 when the name was never committed). */
export function manifestFloor(floors: Floors, name: string): number {
  return Object.hasOwn(floors.manifests, name) ? floors.manifests[name]! : 0;
}

/** Floors with a manifest floor raised to `sequence` (never lowered) and the time floor raised to `issuedAt`. */
export function raiseManifest(floors: Floors, name: string, sequence: number, issuedAt: number): Floors {
  return {
    ...floors,
    timeFloor: Math.max(floors.timeFloor, issuedAt),
    manifests: { ...floors.manifests, [name]: Math.max(manifestFloor(floors, name), sequence) },
  };
}

/** Floors with the desired-state floor raised to `sequence` and the time floor to `issuedAt`. */
export function raiseDesiredState(floors: Floors, sequence: number, issuedAt: number): Floors {
  return { ...floors, timeFloor: Math.max(floors.timeFloor, issuedAt), desiredState: Math.max(floors.desiredState, sequence) };
}

/** Floors with the time floor raised to `issuedAt`. */
export function raiseTime(floors: Floors, issuedAt: number): Floors {
  return { ...floors, timeFloor: Math.max(floors.timeFloor, issuedAt) };
}
