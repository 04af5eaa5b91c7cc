// Durable file steps of the slot store (temp file, fsync, rename, directory fsync; removal, directory fsync), each
// step a numbered crash point so the crash-point sweep can SIGKILL the agent between any two of them.

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, truncate } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDirectory } from '../atomic-file.ts';

/**
 * Numbered crash points. With `crashAt` set, the `crashAt`-th point kills the process with SIGKILL (no handler, no
 * flush, no finally), as a power cut would stop it mid-update. `tearUnsynced` also cuts the last temp file that was
 * written but not yet fsynced to half its length first, as a power cut may leave unsynced data.
 */
export class CrashPoints {
  private count = 0;
  private unsynced: string | undefined;

  constructor(private readonly crashAt = 0, private readonly tearUnsynced = false) {}

  /** Crash points from `FLEETLET_CRASH_AT` (a positive integer) and `FLEETLET_CRASH_TEAR=1`; none when unset. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): CrashPoints {
    const at = Number(env['FLEETLET_CRASH_AT'] ?? '0');
    return new CrashPoints(Number.isSafeInteger(at) && at > 0 ? at : 0, env['FLEETLET_CRASH_TEAR'] === '1');
  }

  /** How many points were passed so far. */
  get passed(): number {
    return this.count;
  }

  /** Marks a temp file as written but not yet durable (torn at a crash when tearing is on). */
  pending(path: string | undefined): void {
    this.unsynced = path;
  }

  /** Passes one point; the chosen one never returns. */
  async point(): Promise<void> {
    this.count++;
    if (this.count !== this.crashAt) return;
    if (this.tearUnsynced && this.unsynced !== undefined) {
      const fh = await open(this.unsynced, 'r+');
      const { size } = await fh.stat();
      await fh.close();
      await truncate(this.unsynced, Math.floor(size / 2));
    }
    process.kill(process.pid, 'SIGKILL');
    // SIGKILL is delivered asynchronously; never let the update go on past its crash point.
    await new Promise(() => undefined);
  }
}

/** Replaces `path` with `bytes` atomically, with a crash point after each of its four steps. */
export async function durableWrite(path: string, bytes: Uint8Array, crash: CrashPoints): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(temp, 'wx', 0o600);
    try {
      await fh.writeFile(bytes);
      crash.pending(temp);
      await crash.point();
      await fh.sync();
      crash.pending(undefined);
    } finally {
      await fh.close();
    }
    await crash.point();
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  await crash.point();
  await syncDirectory(dir);
  await crash.point();
}

/** Removes a file (absent is fine) and fsyncs its directory, with a crash point after each step. */
export async function durableRemove(path: string, crash: CrashPoints): Promise<void> {
  await rm(path, { force: true });
  await crash.point();
  await syncDirectory(dirname(path)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  await crash.point();
}
