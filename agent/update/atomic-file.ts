// Crash-safe file replacement for the trust store and anti-rollback floors: temp file, fsync, rename, directory fsync.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Options for `writeFileAtomic`. */
export interface AtomicWriteOptions {
  /** File mode of the new file; default 0o600 (trust material is private to the agent). */
  readonly mode?: number;
}

/**
 * Replaces `path` with `bytes` so that after a power cut the file holds either the old or the new content, never a
 * mix: writes a temp file in the same directory, fsyncs it, renames it over the target, then fsyncs the directory
 * so the rename itself is durable.
 * @throws the file system's error when any step fails (the temp file is removed on a best-effort basis)
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(temp, 'wx', options.mode ?? 0o600);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  await syncDirectory(dir);
}

/** Fsyncs a directory so that entries created or renamed in it survive a power cut. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Reads a file, or returns undefined when it does not exist.
 * @throws the file system's error for anything but a missing file
 */
export async function readFileIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
