// The `fleetlet:host/v1` key-value functions: get, set and delete in the app's persistent store,
// within the quota of its `kv:<size>` capability.

import { HOST_MODULE } from '../../schemas/host-imports.ts';
import type { HostDef } from './host-def.ts';
import type { HostContext } from './host-context.ts';
import { KV_MAX_KEY_BYTES, type KvStore } from './kv-store.ts';
import { OK } from './status.ts';

const def = (d: Omit<HostDef, 'module'>): HostDef => ({ module: HOST_MODULE, ...d });

/** The key, or the status to return. */
function key(ctx: HostContext, fn: string, ptr: unknown, len: unknown): { ok: true; key: string } | { ok: false; status: number } {
  if (Number(len) === 0) return { ok: false, status: ctx.status('invalid') };
  const t = ctx.memory.text(Number(ptr), Number(len), KV_MAX_KEY_BYTES);
  if (t.ok) return { ok: true, key: t.text };
  return { ok: false, status: t.reason === 'fault' ? ctx.fault(fn, 'the key is outside memory') : ctx.status('invalid') };
}

/** The store, or the status to return (a device without a data directory has none). */
function store(ctx: HostContext): KvStore | number {
  return ctx.kv ?? ctx.status('unsupported');
}

export const KV_DEFS: readonly HostDef[] = [
  def({
    name: 'kv_get',
    rate: 'refuse',
    suspends: false,
    errors: ['invalid', 'fault', 'notFound', 'unsupported'],
    check: '',
    traps: '',
    make: (ctx) => (kPtr, kLen, bPtr, bLen) => {
      const k = key(ctx, 'kv_get', kPtr, kLen);
      if (!k.ok) return k.status;
      const kv = store(ctx);
      if (typeof kv === 'number') return kv;
      if (!ctx.memory.inBounds(Number(bPtr), Number(bLen))) return ctx.fault('kv_get', 'the buffer is outside memory');
      const v = kv.get(k.key);
      if (v === undefined) return ctx.status('notFound');
      // Like snprintf: the length is always returned, the bytes only copied when they fit.
      if (v.length <= Number(bLen) >>> 0) ctx.memory.write(Number(bPtr), v);
      return v.length;
    },
  }),
  def({
    name: 'kv_set',
    rate: 'refuse',
    suspends: false,
    errors: ['invalid', 'fault', 'tooBig', 'quota', 'unsupported'],
    check: 'the store holds at most the size of the granted kv:<size> (each entry costs its key, its value and 64 bytes)',
    traps: '',
    make: (ctx) => (kPtr, kLen, vPtr, vLen) => {
      const k = key(ctx, 'kv_set', kPtr, kLen);
      if (!k.ok) return k.status;
      const kv = store(ctx);
      if (typeof kv === 'number') return kv;
      const n = Number(vLen) >>> 0;
      if (n > kv.quotaBytes) return ctx.status('tooBig');
      const v = ctx.memory.view(Number(vPtr), n);
      if (v === undefined) return ctx.fault('kv_set', 'the value is outside memory');
      if (kv.set(k.key, v) === 'quota') return ctx.overQuota('kv_set', `key "${k.key}" with ${n} bytes would pass the quota of ${kv.quotaBytes} bytes`);
      return OK;
    },
  }),
  def({
    name: 'kv_delete',
    rate: 'refuse',
    suspends: false,
    errors: ['invalid', 'fault', 'notFound', 'unsupported'],
    check: '',
    traps: '',
    make: (ctx) => (kPtr, kLen) => {
      const k = key(ctx, 'kv_delete', kPtr, kLen);
      if (!k.ok) return k.status;
      const kv = store(ctx);
      if (typeof kv === 'number') return kv;
      return kv.delete(k.key) ? OK : ctx.status('notFound');
    },
  }),
];
