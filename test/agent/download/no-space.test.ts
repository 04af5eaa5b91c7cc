// A full disk while downloading: DownloadFailed('no-space'), the download's own partial files removed, and nothing
// else in the data directory touched. On a real full file system (a small tmpfs, when this process may mount one)
// and through the partial-file seam raising an ENOSPC-coded error.

import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOWNLOADS_DIR, DownloadFailed, openNodePartialFile, type OpenPartialFile } from '../../../agent/update/download/index.ts';
import { snapshotDir } from '../../trust/fixtures.ts';
import { blob, startCloud, startDevice, tempDir, type Cloud, type Device } from './_kit.ts';

const KiB = 1024;

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud();
});
afterAll(async () => {
  await cloud.close();
});

/** Mounts a tmpfs of `size` bytes on a new directory; undefined when this process may not mount. */
function mountTmpfs(dir: string, size: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** A data directory holding what must survive: a file of the agent's, and a blob an earlier download finished. */
async function populate(dev: Device): Promise<string> {
  await writeFile(join(dev.dataDir, 'trust.cbor'), blob(8 * KiB));
  const earlier = blob(4 * KiB);
  const digest = await cloud.store.put(earlier);
  await dev.downloader.download({ digest, size: earlier.length });
  return digest;
}

/** The seam: the real partial file, but a write past `budget` bytes fails as a full disk does. */
function fullAfter(budget: number, open: OpenPartialFile): OpenPartialFile {
  let written = 0;
  return async (path) => {
    const f = await open(path);
    return {
      ...f,
      writeAt: async (data, position) => {
        written += data.length;
        if (written > budget) throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
        await f.writeAt(data, position);
      },
    };
  };
}

async function expectNoSpace(dev: Device, size: number): Promise<void> {
  const bytes = blob(size);
  const digest = await cloud.store.put(bytes);
  const before = await snapshotDir(dev.dataDir);
  const e = await dev.downloader.download({ digest, size: bytes.length, maxChunk: 16 * KiB }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(DownloadFailed);
  expect((e as DownloadFailed).code).toBe('no-space');
  expect((e as DownloadFailed).digest).toBe(digest);
  expect(((e as DownloadFailed).cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
  expect(dev.downloader.counters.chunksReceived).toBeGreaterThan(1);
  // exactly what was there before: the download's .part and .bitmap are gone, the rest is byte for byte the same
  expect(await snapshotDir(dev.dataDir)).toEqual(before);
}

describe('Downloader on a full disk', () => {
  it('a real full file system (tmpfs of 96 KiB; the seam when mounting is not allowed): "no-space", only its own files removed', async (ctx) => {
    const mnt = await tempDir('fleetlet-tmpfs-');
    const mounted = mountTmpfs(mnt, 96 * KiB);
    if (!mounted) console.warn('no-space test: cannot mount a tmpfs here, using the partial-file seam instead');
    ctx.annotate(mounted ? 'ran on a mounted tmpfs' : 'ran through the partial-file seam (mount not allowed)');
    const dataDir = join(mnt, 'data');
    await mkdir(dataDir);
    const dev = await startDevice(cloud, { dataDir, downloader: mounted ? {} : { openPartialFile: fullAfter(80 * KiB, openNodePartialFile) } });
    try {
      await populate(dev);
      await expectNoSpace(dev, 200 * KiB);
    } finally {
      await dev.close();
      if (mounted) execFileSync('umount', [mnt]);
      await rm(mnt, { recursive: true, force: true });
    }
  });

  it('an ENOSPC-coded error from the partial-file seam: "no-space", only its own files removed', async () => {
    const dataDir = await tempDir();
    cloud.dirs.push(dataDir);
    const dev = await startDevice(cloud, { dataDir, downloader: { openPartialFile: fullAfter(40 * KiB, openNodePartialFile) } });
    try {
      await populate(dev);
      await expectNoSpace(dev, 200 * KiB);
      expect(await snapshotDir(join(dataDir, DOWNLOADS_DIR))).toHaveProperty('size', 1);
    } finally {
      await dev.close();
    }
  });
});
