// File reading and writing for `fleetlet` commands, with failures as one-line CliErrors.

import { readFile } from 'node:fs/promises';
import { CborError } from '../../schemas/cbor/index.ts';
import { SchemaError } from '../../schemas/schema/index.ts';
import { writeFileAtomic } from '../update/atomic-file.ts';
import { UpdateRejected } from '../update/rejection.ts';
import { CliError } from './errors.ts';

/**
 * Reads a whole file.
 * @throws CliError naming the file
 */
export async function readInput(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new CliError(`Cannot read ${what} "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Writes an output file atomically (mode 0644: bundles and trust files are public).
 * @throws CliError naming the file
 */
export async function writeOutput(file: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(file, bytes, { mode: 0o644 });
  } catch (e) {
    throw new CliError(`Cannot write "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Runs a decoder over a file's bytes and turns its typed errors into one CliError line naming the file.
 * @throws CliError
 */
export function decodeFile<T>(file: string, what: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof UpdateRejected) throw new CliError(`Bad ${what} "${file}" (${e.code}): ${e.message}`);
    if (e instanceof CborError || e instanceof SchemaError) throw new CliError(`Cannot read ${what} "${file}": ${e.message}`);
    throw e;
  }
}
