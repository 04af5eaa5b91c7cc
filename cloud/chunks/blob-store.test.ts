// BlobStore: content addressing, atomic files, range reads and refused names.

import { readdir, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { BadDigest, BlobStore } from './blob-store.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function open(): Promise<{ store: BlobStore; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlet-blobstore-'));
  dirs.push(dir);
  return { store: await BlobStore.open(join(dir, 'blobs')), dir: join(dir, 'blobs') };
}

describe('BlobStore', () => {
  it('put returns the SHA-256 hex, and get/has/size find the blob by it (bytes or hex)', async () => {
    const { store, dir } = await open();
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const hex = await store.put(bytes);
    expect(hex).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await store.has(hex)).toBe(true);
    expect(await store.has(Buffer.from(hex, 'hex'))).toBe(true);
    expect(await store.size(hex)).toBe(1000);
    expect(Buffer.from((await store.get(hex.toUpperCase()))!).equals(Buffer.from(bytes))).toBe(true);
    expect(await store.put(bytes)).toBe(hex);
    expect(await readdir(dir)).toEqual([hex]);
  });

  it('read returns the range and the total size, short at the end, empty past it', async () => {
    const { store } = await open();
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
    const hex = await store.put(bytes);
    expect(await store.read(hex, 10, 5)).toEqual({ data: Uint8Array.of(10, 11, 12, 13, 14), totalSize: 100 });
    expect((await store.read(hex, 95, 50))!.data).toEqual(Uint8Array.of(95, 96, 97, 98, 99));
    expect((await store.read(hex, 200, 5))!.data.length).toBe(0);
  });

  it('answers undefined for an absent blob and refuses a name that is not a digest', async () => {
    const { store } = await open();
    const absent = '0'.repeat(64);
    expect(await store.get(absent)).toBeUndefined();
    expect(await store.read(absent, 0, 1)).toBeUndefined();
    expect(await store.has(absent)).toBe(false);
    await expect(store.get('../../etc/passwd')).rejects.toBeInstanceOf(BadDigest);
    await expect(store.has(new Uint8Array(31))).rejects.toThrow(/not a SHA-256 digest/);
  });
});
