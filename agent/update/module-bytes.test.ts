// Tests for verifyModuleBytes: size and digest checks, and that reading stops at the declared size.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyModuleBytes } from './module-bytes.ts';
import { UpdateRejected, type RejectCode } from './rejection.ts';

const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
const m = { name: 'app', size: 100, digest: new Uint8Array(createHash('sha256').update(bytes).digest()) };

async function code(p: Promise<unknown>): Promise<RejectCode | 'accepted'> {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    if (e instanceof UpdateRejected) return e.code;
    throw e;
  }
}

function chunks(b: Uint8Array, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += n) out.push(b.subarray(i, i + n));
  return out;
}

describe('verifyModuleBytes', () => {
  it('returns the bytes from one array, a chunk list and an async source', async () => {
    expect([...(await verifyModuleBytes(m, bytes))]).toEqual([...bytes]);
    expect([...(await verifyModuleBytes(m, chunks(bytes, 7)))]).toEqual([...bytes]);
    async function* gen(): AsyncGenerator<Uint8Array> {
      for (const c of chunks(bytes, 13)) yield c;
    }
    expect([...(await verifyModuleBytes(m, gen()))]).toEqual([...bytes]);
  });

  it('reports fewer bytes as truncated and a flipped bit as digest-mismatch', async () => {
    expect(await code(verifyModuleBytes(m, bytes.subarray(0, 99)))).toBe('truncated');
    expect(await code(verifyModuleBytes(m, []))).toBe('truncated');
    const flipped = Uint8Array.from(bytes);
    flipped[50]! ^= 0x10;
    expect(await code(verifyModuleBytes(m, flipped))).toBe('digest-mismatch');
  });

  it('refuses more bytes than declared as too-large, and never pulls past the chunk that crosses the size', async () => {
    expect(await code(verifyModuleBytes(m, Uint8Array.of(...bytes, 0)))).toBe('too-large');
    let pulled = 0;
    let closed = false;
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          pulled += 10;
          yield new Uint8Array(10);
        }
      } finally {
        closed = true;
      }
    }
    expect(await code(verifyModuleBytes(m, endless()))).toBe('too-large');
    // 10 chunks fill the 100 declared bytes; the 11th crosses it; nothing after that is requested.
    expect(pulled).toBe(110);
    expect(closed).toBe(true);
  });
});
