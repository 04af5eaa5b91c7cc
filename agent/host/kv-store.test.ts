// Tests of the key-value store: quota accounting, persistence across a restart (a new store on
// the same file), coalesced atomic writes, damaged files refused, and the kv host functions
// through the engine.

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probe } from './_probe.ts';
import { HostBudget } from './budget.ts';
import { KV_ENTRY_OVERHEAD, kvFile, KvError, KvStore } from './kv-store.ts';
import { STATUS } from './status.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlet-kv-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

describe('KvStore', () => {
  it('counts key bytes, value bytes and the fixed cost of each entry against the quota', async () => {
    const kv = await KvStore.open(join(dir, 'a.kv'), 200);
    expect(kv.set('k', bytes('12345'))).toBe('ok');
    expect(kv.used).toBe(1 + 5 + KV_ENTRY_OVERHEAD);
    expect(kv.set('k', bytes('1'))).toBe('ok');
    expect(kv.used).toBe(1 + 1 + KV_ENTRY_OVERHEAD);
    // 200 - 66 = 134 left: a second entry of 1 + 70 + 64 = 135 does not fit
    expect(kv.set('j', new Uint8Array(70))).toBe('quota');
    expect(kv.get('j')).toBeUndefined();
    expect(kv.set('j', new Uint8Array(69))).toBe('ok');
    expect(kv.used).toBe(200);
    expect(kv.delete('k')).toBe(true);
    expect(kv.delete('k')).toBe(false);
    expect(kv.used).toBe(1 + 69 + KV_ENTRY_OVERHEAD);
  });

  it('reserves what it holds from a host budget and gives it back on delete', async () => {
    const budget = new HostBudget(100);
    const kv = await KvStore.open(join(dir, 'a.kv'), 1000, budget);
    expect(kv.set('a', new Uint8Array(30))).toBe('ok');
    expect(budget.used).toBe(95);
    expect(kv.set('b', new Uint8Array(1))).toBe('quota');
    kv.delete('a');
    expect(budget.used).toBe(0);
  });

  it('keeps its entries across a restart (a new store on the same file)', async () => {
    const f = join(dir, 'a.kv');
    const kv = await KvStore.open(f, 4096);
    kv.set('setpoint', bytes('21.5'));
    kv.set('mode', bytes('eco'));
    kv.set('gone', bytes('x'));
    kv.delete('gone');
    await kv.flush();
    const again = await KvStore.open(f, 4096);
    expect(Buffer.from(again.get('setpoint')!).toString()).toBe('21.5');
    expect(Buffer.from(again.get('mode')!).toString()).toBe('eco');
    expect(again.get('gone')).toBeUndefined();
    expect(again.used).toBe(kv.used);
  });

  it('coalesces the changes of many calls into few writes and leaves no temp files', async () => {
    const kv = await KvStore.open(join(dir, 'a.kv'), 1 << 20);
    for (let i = 0; i < 200; i++) kv.set(`k${i % 10}`, bytes(String(i)));
    await kv.flush();
    expect(kv.writes).toBeLessThanOrEqual(2);
    expect(await readdir(dir)).toEqual(['a.kv']);
    const again = await KvStore.open(join(dir, 'a.kv'), 1 << 20);
    expect(Buffer.from(again.get('k9')!).toString()).toBe('199');
  });

  it('refuses a file whose bytes were changed, truncated or that is not a store', async () => {
    const f = join(dir, 'a.kv');
    const kv = await KvStore.open(f, 4096);
    kv.set('a', bytes('b'));
    await kv.flush();
    const good = await readFile(f);
    const flipped = Buffer.from(good);
    flipped[12] ^= 1;
    for (const [bad, what] of [[flipped, 'digest'], [good.subarray(0, good.length - 3), 'digest'], [Buffer.from('hello world, not a store at all.........'), 'not a fleetlet']] as const) {
      await writeFile(f, bad);
      const e = await KvStore.open(f, 4096).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KvError);
      expect((e as KvError).code).toBe('corrupt');
      expect((e as KvError).message).toContain(what);
    }
  });

  it('refuses a file that holds more than the quota it is opened with', async () => {
    const f = join(dir, 'a.kv');
    const kv = await KvStore.open(f, 4096);
    kv.set('a', new Uint8Array(1000));
    await kv.flush();
    await expect(KvStore.open(f, 500)).rejects.toMatchObject({ code: 'over-quota' });
  });
});

describe('kv host functions', () => {
  const names = ['kv_get', 'kv_set', 'kv_delete'];

  it('set, get and delete through the engine, with the value length returned by kv_get', async () => {
    const p = await probe(names, { capabilities: ['kv:1KiB'], dataDir: dir });
    const [k, kl] = p.str('setpoint');
    const [v, vl] = p.str('21.5');
    expect(await p.run('kv_set', k, kl, v, vl)).toBe(0);
    expect(await p.run('kv_get', k, kl, 2000, 16)).toBe(4);
    expect(Buffer.from(p.mem().subarray(2000, 2004)).toString()).toBe('21.5');
    expect(await p.run('kv_delete', k, kl)).toBe(0);
    expect(await p.run('kv_get', k, kl, 2000, 16)).toBe(STATUS.notFound.value);
    expect(await p.run('kv_delete', k, kl)).toBe(STATUS.notFound.value);
  });

  it('kv_get with a buffer too small returns the length and writes nothing', async () => {
    const p = await probe(names, { capabilities: ['kv:1KiB'], dataDir: dir });
    const [k, kl] = p.str('name');
    const [v, vl] = p.str('greenhouse-3');
    await p.run('kv_set', k, kl, v, vl);
    p.mem().fill(0xaa, 3000, 3016);
    expect(await p.run('kv_get', k, kl, 3000, 4)).toBe(12);
    expect([...p.mem().subarray(3000, 3004)]).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
  });

  it('kv_set returns E_QUOTA past the granted size, and E_TOO_BIG for a value larger than it', async () => {
    const p = await probe(names, { capabilities: ['kv:200B'], dataDir: dir });
    const [a, al] = p.str('a');
    const [b, bl] = p.str('b');
    expect(await p.run('kv_set', a, al, 0, 100)).toBe(0);
    expect(await p.run('kv_set', b, bl, 0, 100)).toBe(STATUS.quota.value);
    expect(await p.run('kv_set', b, bl, 0, 201)).toBe(STATUS.tooBig.value);
    expect(p.host.stats()).toMatchObject({ quotaRefused: 1, kvBytes: 1 + 100 + KV_ENTRY_OVERHEAD });
  });

  it('keys are 1 to 128 bytes of UTF-8', async () => {
    const p = await probe(names, { capabilities: ['kv:1KiB'], dataDir: dir });
    const [long, ll] = p.str('k'.repeat(129));
    expect(await p.run('kv_set', long, ll, 0, 1)).toBe(STATUS.invalid.value);
    expect(await p.run('kv_set', long, 0, 0, 1)).toBe(STATUS.invalid.value);
    p.mem().set([0xff, 0xfe], 5000);
    expect(await p.run('kv_set', 5000, 2, 0, 1)).toBe(STATUS.invalid.value);
  });

  it('what one host wrote, the next host of the same app reads (a restart of the agent)', async () => {
    const p = await probe(names, { capabilities: ['kv:1KiB'], dataDir: dir });
    const [k, kl] = p.str('boots');
    const [v, vl] = p.str('1');
    await p.run('kv_set', k, kl, v, vl);
    await p.host.close();
    expect(await readdir(dir)).toEqual(['probe.kv']);
    const q = await probe(names, { capabilities: ['kv:1KiB'], dataDir: dir });
    const [k2, kl2] = q.str('boots');
    expect(await q.run('kv_get', k2, kl2, 2000, 8)).toBe(1);
    expect(q.mem()[2000]).toBe(0x31);
    expect(kvFile(dir, 'probe')).toBe(join(dir, 'probe.kv'));
  });
});
