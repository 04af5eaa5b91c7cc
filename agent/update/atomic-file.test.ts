// Tests for writeFileAtomic: content, mode, no temp files left behind, and the old content kept when a write fails.

import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileIfExists, writeFileAtomic } from './atomic-file.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlet-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes the bytes with mode 0600 and leaves only the target file', async () => {
    const path = join(dir, 'trust.cbor');
    await writeFileAtomic(path, Uint8Array.of(1, 2, 3));
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await writeFileAtomic(path, Uint8Array.of(9));
    expect([...(await readFile(path))]).toEqual([9]);
    expect(await readdir(dir)).toEqual(['trust.cbor']);
  });

  it('creates missing parent directories', async () => {
    const path = join(dir, 'a', 'b', 'floors.cbor');
    await writeFileAtomic(path, Uint8Array.of(7));
    expect([...(await readFile(path))]).toEqual([7]);
  });

  it('keeps the old content and removes its temp file when the rename fails', async () => {
    // Renaming a file over a non-empty directory fails after the temp file was written.
    const path = join(dir, 'target');
    await writeFileAtomic(join(path, 'inner'), Uint8Array.of(1));
    await expect(writeFileAtomic(path, Uint8Array.of(2))).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['target']);
    expect([...(await readFile(join(path, 'inner')))]).toEqual([1]);
  });
});

describe('readFileIfExists', () => {
  it('returns undefined for a missing file and the bytes otherwise', async () => {
    expect(await readFileIfExists(join(dir, 'nope'))).toBeUndefined();
    await writeFileAtomic(join(dir, 'x'), Uint8Array.of(5));
    expect([...(await readFileIfExists(join(dir, 'x')))!]).toEqual([5]);
  });
});
