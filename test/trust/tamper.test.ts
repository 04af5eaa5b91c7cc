// The tamper suite: every attack fleetlet's update path defends against, each refused with its own code and with the
// data directory byte-identical before and after; then the accepted cases (rotation, operator rollback).

import { encode as cborxEncode } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { encodeCbor, Tagged } from '../../schemas/cbor/index.ts';
import { encodeManifest, type Manifest } from '../../schemas/messages/manifest.ts';
import { decodeBundle, encodeBundle } from '../../agent/update/bundle.ts';
import { decodeSign, decodeSign1, signSign1 } from '../../agent/update/cose.ts';
import { ED25519_L } from '../../agent/update/ed25519.ts';
import { verifyModuleBytes } from '../../agent/update/module-bytes.ts';
import { UpdateRejected, type RejectCode } from '../../agent/update/rejection.ts';
import { TrustStore } from '../../agent/update/trust-store.ts';
import {
  actor, clockAt, DAY, DEVICE, desiredState, manifest, provisionedStore, removeDir, signManifest, signState, signTrust,
  snapshotDir, standardKeys, T0, trustUpdate, wasmModule, type Actor,
} from './fixtures.ts';

/** A provisioned device: trust sequence 2 (which revoked "module-old"), thermostat committed at 5, state at 3. */
interface World {
  readonly dir: string;
  readonly store: TrustStore;
  readonly keys: ReturnType<typeof standardKeys>;
  readonly old: Actor;
  readonly module: Uint8Array;
  readonly v5: Manifest;
  readonly signedV5: Uint8Array;
  readonly bundleV5: Uint8Array;
  /** A key an attack's `prepare` added. */
  extra?: Actor;
  reopen(): Promise<TrustStore>;
  /** Installs a bundle as the device does: layout, manifest, then module bytes. */
  install(bundle: Uint8Array, store?: TrustStore): Promise<unknown>;
}

// Keys are made once (tweetnacl needs ~17 ms per key); every world gets its own data directory.
const KEYS = standardKeys();
const OLD = actor('module-old', 'module-signer');

async function world(): Promise<World> {
  const keys = KEYS;
  const old = OLD;
  const clock = clockAt(T0);
  const { dir, store } = await provisionedStore({ ...keys, all: [...keys.all, old] }, clock);
  await store.applyTrustUpdate(signTrust(trustUpdate(keys.all, { sequence: 2, revoked: ['module-old'] }), keys.roots.slice(0, 2)));
  await store.commit('thermostat', 5, T0 - DAY);
  await store.commitDesiredState(3, T0 - DAY);
  const module = wasmModule(5);
  const v5 = manifest(module, { sequence: 5, version: '1.5.0' });
  const signedV5 = signManifest(v5, keys.moduleSigner);
  return {
    dir, store, keys, old, module, v5, signedV5,
    bundleV5: encodeBundle({ signedManifest: signedV5, module }),
    reopen: () => TrustStore.open(dir, { clock }),
    install: (bundle, s = store) => s.verifyBundle(bundle, DEVICE),
  };
}

/** Re-wraps a COSE_Sign1 around other payload bytes, keeping the original protected header and signature. */
function swapPayload(signed: Uint8Array, payload: Uint8Array): Uint8Array {
  const m = decodeSign1(signed);
  return encodeCbor(new Tagged(18, [m.protectedBytes, new Map(), payload, m.signature]));
}

function withSignature(signed: Uint8Array, signature: Uint8Array): Uint8Array {
  const m = decodeSign1(signed);
  return encodeCbor(new Tagged(18, [m.protectedBytes, new Map(), m.payload, signature]));
}

function flipBit(bytes: Uint8Array, at: number, bit = 0): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at]! ^= 1 << bit;
  return out;
}

function plusL(sig: Uint8Array): Uint8Array {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
  s += ED25519_L;
  const out = Uint8Array.from(sig);
  for (let i = 32; i < 64; i++, s >>= 8n) out[i] = Number(s & 0xffn);
  return out;
}

/** Runs every attempt; all must be refused with one code, which is then rethrown (from the last attempt). */
async function everyAttempt(attempts: readonly (() => unknown)[]): Promise<never> {
  let last: UpdateRejected | undefined;
  const codes = new Set<string>();
  for (const a of attempts) {
    try {
      await a();
      codes.add('accepted');
    } catch (e) {
      if (!(e instanceof UpdateRejected)) throw e;
      codes.add(e.code);
      last = e;
    }
  }
  if (codes.size !== 1 || last === undefined) throw new Error(`Attempts ended in ${[...codes].join(', ')}`);
  throw last;
}

const indexOf = (hay: Uint8Array, needle: string): number => Buffer.from(hay).indexOf(Buffer.from(needle));

interface Attack {
  readonly attack: string;
  readonly code: RejectCode;
  /** Legitimate set-up done before the data directory is snapshotted. */
  prepare?(w: World): Promise<void>;
  run(w: World): Promise<unknown> | unknown;
}

/** A legitimate trust update (sequence 3) that adds `signer`, remembered as `w.extra`. */
async function addSigner(w: World, signer: Actor): Promise<void> {
  await w.store.applyTrustUpdate(signTrust(trustUpdate([...w.keys.all, signer], { sequence: 3, revoked: ['module-old'] }), w.keys.roots.slice(0, 2)));
  w.extra = signer;
}

const ATTACKS: readonly Attack[] = [
  {
    attack: 'unsigned: the bundle carries the bare manifest with no COSE signature',
    code: 'unsigned',
    run: (w) => w.install(encodeBundle({ signedManifest: encodeManifest(w.v5), module: w.module })),
  },
  {
    attack: 'unsigned: a COSE_Sign1 whose signature is empty',
    code: 'unsigned',
    run: (w) => w.install(encodeBundle({ signedManifest: withSignature(w.signedV5, new Uint8Array(0)), module: w.module })),
  },
  {
    attack: 'unknown key: a module signer the trust store never listed',
    code: 'unknown-key',
    run: (w) => w.install(encodeBundle({ signedManifest: signManifest(w.v5, actor('module-x', 'module-signer')), module: w.module })),
  },
  {
    attack: 'unknown key: an attacker key under a trusted key id',
    code: 'bad-signature',
    run: (w) => w.install(encodeBundle({ signedManifest: signManifest(w.v5, { ...actor('module-1', 'module-signer') }), module: w.module })),
  },
  {
    attack: 'revoked key: a manifest signed by the revoked "module-old"',
    code: 'revoked-key',
    run: (w) => w.install(encodeBundle({ signedManifest: signManifest(w.v5, w.old), module: w.module })),
  },
  {
    attack: 'key outside its validity window: signer expired before now',
    code: 'key-not-valid-now',
    prepare: (w) => addSigner(w, actor('module-late', 'module-signer', { notBefore: T0 - 400 * DAY, notAfter: T0 - DAY })),
    run: (w) => w.install(encodeBundle({ signedManifest: signManifest(w.v5, w.extra!), module: w.module })),
  },
  {
    attack: 'key outside its validity window: signer not valid yet',
    code: 'key-not-valid-now',
    prepare: (w) => addSigner(w, actor('module-early', 'module-signer', { notBefore: T0 + DAY, notAfter: T0 + 400 * DAY })),
    run: (w) => w.install(encodeBundle({ signedManifest: signManifest(w.v5, w.extra!), module: w.module })),
  },
  {
    attack: 'key used outside its role: the state signer signs a manifest',
    code: 'wrong-role',
    run: (w) => w.install(encodeBundle({ signedManifest: signManifest(w.v5, w.keys.stateSigner), module: w.module })),
  },
  {
    attack: 'key used outside its role: a stolen cloud (state signer) references a manifest it signed itself',
    code: 'wrong-role',
    run: (w) => {
      const evil = signManifest(manifest(wasmModule(66), { sequence: 9 }), w.keys.stateSigner);
      return w.store.verifyDesiredState(signState(desiredState([{ name: 'thermostat', signed: evil }], { sequence: 4 }), w.keys.stateSigner), [evil], DEVICE);
    },
  },
  {
    attack: 'one flipped bit in the manifest (inside the app name)',
    code: 'bad-signature',
    run: (w) => w.install(encodeBundle({ signedManifest: flipBit(w.signedV5, indexOf(w.signedV5, 'thermostat'), 0), module: w.module })),
  },
  {
    attack: 'one flipped bit in the signature (R half)',
    code: 'bad-signature',
    run: (w) => {
      const sig = decodeSign1(w.signedV5).signature;
      return w.install(encodeBundle({ signedManifest: withSignature(w.signedV5, flipBit(sig, 5, 3)), module: w.module }));
    },
  },
  {
    attack: 'one flipped bit in the module',
    code: 'digest-mismatch',
    run: (w) => w.install(encodeBundle({ signedManifest: w.signedV5, module: flipBit(w.module, w.module.length - 1, 2) })),
  },
  {
    attack: 'truncated bundle (every length short of the whole)',
    code: 'truncated',
    run: (w) => everyAttempt(Array.from({ length: w.bundleV5.length - 4 }, (_, i) => () => w.install(w.bundleV5.subarray(0, i + 4)))),
  },
  {
    attack: 'a trust update with the same root key counted twice',
    code: 'duplicate-signer',
    run: (w) => {
      const next = trustUpdate([...w.keys.all, actor('module-evil', 'module-signer')], { sequence: 3, revoked: ['module-old'] });
      return w.store.applyTrustUpdate(signTrust(next, [w.keys.roots[0]!, w.keys.roots[0]!]));
    },
  },
  {
    attack: 'payload re-encoded with a duplicate key under the old signature',
    code: 'duplicate-key',
    run: (w) => {
      const p = decodeSign1(w.signedV5).payload;
      // The map head gains one entry and "v": 1 (the first key in canonical order) appears twice.
      expect(Buffer.from(p.subarray(1, 4)).toString('hex')).toBe('617601');
      const dup = Uint8Array.of(p[0]! + 1, 0x61, 0x76, 0x01, ...p.subarray(1));
      return w.install(encodeBundle({ signedManifest: swapPayload(w.signedV5, dup), module: w.module }));
    },
  },
  {
    attack: 'payload re-encoded in non-canonical form (cbor-x, insertion order) under the old signature',
    code: 'non-canonical',
    run: (w) => w.install(encodeBundle({ signedManifest: swapPayload(w.signedV5, Uint8Array.from(cborxEncode({ ...w.v5 }))), module: w.module })),
  },
  {
    attack: 'payload re-encoded with a widened integer ("v": 1 as 0x18 0x01) under the old signature',
    code: 'non-canonical',
    run: (w) => {
      const p = decodeSign1(w.signedV5).payload;
      const wide = Uint8Array.of(p[0]!, 0x61, 0x76, 0x18, 0x01, ...p.subarray(4));
      return w.install(encodeBundle({ signedManifest: swapPayload(w.signedV5, wide), module: w.module }));
    },
  },
  {
    attack: 'malleated signature (S + L)',
    code: 'malleable-signature',
    run: (w) => w.install(encodeBundle({ signedManifest: withSignature(w.signedV5, plusL(decodeSign1(w.signedV5).signature)), module: w.module })),
  },
  {
    attack: 'wrong target: a manifest for another device class',
    code: 'wrong-target',
    run: (w) => w.install(encodeBundle({ signedManifest: signManifest({ ...w.v5, targets: ['esp32'] }, w.keys.moduleSigner), module: w.module })),
  },
  {
    attack: 'wrong target: a desired state for another device',
    code: 'wrong-target',
    run: (w) => w.store.verifyDesiredState(signState(desiredState([{ name: 'thermostat', signed: w.signedV5 }], { deviceId: 'dev-002', sequence: 4 }), w.keys.stateSigner), [w.signedV5], DEVICE),
  },
  {
    attack: 'expired manifest',
    code: 'expired',
    run: (w) => w.install(encodeBundle({ signedManifest: signManifest({ ...w.v5, issuedAt: T0 - 30 * DAY, expiresAt: T0 - 1 }, w.keys.moduleSigner), module: w.module })),
  },
  {
    attack: 'expired desired state',
    code: 'expired',
    run: (w) => w.store.verifyDesiredState(signState(desiredState([{ name: 'thermostat', signed: w.signedV5 }], { sequence: 4, issuedAt: T0 - 9 * DAY, expiresAt: T0 }), w.keys.stateSigner), [w.signedV5], DEVICE),
  },
  {
    attack: 'rollback: replay of every earlier manifest sequence (1 to 4)',
    code: 'rollback',
    run: (w) =>
      everyAttempt([1, 2, 3, 4].map((seq) => () => {
        const m = wasmModule(seq);
        return w.install(encodeBundle({ signedManifest: signManifest(manifest(m, { sequence: seq }), w.keys.moduleSigner), module: m }));
      })),
  },
  {
    attack: 'rollback: replay of every earlier manifest sequence after a restart',
    code: 'rollback',
    run: async (w) => {
      const restarted = await w.reopen();
      return everyAttempt([1, 2, 3, 4].map((seq) => () => {
        const m = wasmModule(seq);
        return w.install(encodeBundle({ signedManifest: signManifest(manifest(m, { sequence: seq }), w.keys.moduleSigner), module: m }), restarted);
      }));
    },
  },
  {
    attack: 'rollback: replay of every earlier desired state (1 and 2), also after a restart',
    code: 'rollback',
    run: async (w) => {
      const restarted = await w.reopen();
      const attempt = (s: TrustStore, seq: number) => () =>
        s.verifyDesiredState(signState(desiredState([{ name: 'thermostat', signed: w.signedV5 }], { sequence: seq }), w.keys.stateSigner), [w.signedV5], DEVICE);
      return everyAttempt([attempt(w.store, 1), attempt(w.store, 2), attempt(restarted, 1), attempt(restarted, 2)]);
    },
  },
  {
    attack: 'rollback: replay of an older trust update',
    code: 'rollback',
    run: (w) => w.store.applyTrustUpdate(signTrust(trustUpdate(w.keys.all, { sequence: 2 }), w.keys.roots)),
  },
  {
    attack: 'mix-and-match: a desired state delivered with a manifest from another state',
    code: 'mix-and-match',
    run: (w) => {
      const other = signManifest(manifest(wasmModule(7), { name: 'logger' }), w.keys.moduleSigner);
      const state = signState(desiredState([{ name: 'thermostat', signed: w.signedV5 }], { sequence: 4 }), w.keys.stateSigner);
      return w.store.verifyDesiredState(state, [w.signedV5, other], DEVICE);
    },
  },
  {
    attack: 'mix-and-match: a desired state missing the manifest it references',
    code: 'missing-manifest',
    run: (w) => {
      const other = signManifest(manifest(wasmModule(7), { name: 'logger' }), w.keys.moduleSigner);
      const state = signState(desiredState([{ name: 'logger', signed: other }], { sequence: 4 }), w.keys.stateSigner);
      return w.store.verifyDesiredState(state, [], DEVICE);
    },
  },
  {
    attack: 'module larger than its declared size (reading stops at the declared size)',
    code: 'too-large',
    run: async (w) => {
      let pulled = 0;
      async function* endless(): AsyncGenerator<Uint8Array> {
        yield w.module;
        for (;;) {
          pulled++;
          yield new Uint8Array(1024);
        }
      }
      try {
        return await verifyModuleBytes(w.store.verifyManifest(w.signedV5, DEVICE).manifest, endless());
      } finally {
        expect(pulled).toBe(1);
      }
    },
  },
  {
    attack: 'module larger than its declared size inside a bundle',
    code: 'too-large',
    run: (w) => w.install(encodeBundle({ signedManifest: w.signedV5, module: Uint8Array.of(...w.module, 0) })),
  },
  {
    attack: 'a trust update signed below threshold',
    code: 'below-threshold',
    run: (w) => w.store.applyTrustUpdate(signTrust(trustUpdate([...w.keys.all, actor('module-evil', 'module-signer')], { sequence: 3, revoked: ['module-old'] }), [w.keys.roots[1]!])),
  },
  {
    attack: 'a trust update that names no signature at all',
    code: 'unsigned',
    run: (w) => w.store.applyTrustUpdate(signTrust(trustUpdate(w.keys.all, { sequence: 3, revoked: ['module-old'] }), [])),
  },
  {
    attack: 'a trust update adding a small-order key (forgeable by anyone)',
    code: 'bad-key',
    run: (w) => {
      const u = trustUpdate([...w.keys.all, actor('module-weak', 'module-signer')], { sequence: 3, revoked: ['module-old'] });
      const weak = { ...u, keys: u.keys.map((k) => (k.id === 'module-weak' ? { ...k, publicKey: Uint8Array.from(Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex')) } : k)) };
      return w.store.applyTrustUpdate(signTrust(weak, w.keys.roots));
    },
  },
  {
    attack: 'a manifest with a schema version the agent does not know',
    code: 'unknown-schema',
    run: (w) => {
      const p = Uint8Array.from(decodeSign1(w.signedV5).payload);
      p[3] = 0x02; // "v": 1 becomes "v": 2, then signed by the real signer
      return w.install(encodeBundle({ signedManifest: signSign1(p, { kid: 'module-1', seed: w.keys.moduleSigner.kp.seed }), module: w.module }));
    },
  },
  {
    attack: 'a manifest signed with another algorithm header (alg swap)',
    code: 'unsupported-algorithm',
    run: (w) => {
      const m = decodeSign1(w.signedV5);
      const prot = encodeCbor(new Map<number, unknown>([[1, -7], [4, new TextEncoder().encode('module-1')]]));
      return w.install(encodeBundle({ signedManifest: encodeCbor(new Tagged(18, [prot, new Map(), m.payload, m.signature])), module: w.module }));
    },
  },
  {
    attack: 'a bundle with bytes after the module',
    code: 'malformed',
    run: (w) => w.install(Uint8Array.of(...w.bundleV5, 0)),
  },
];

describe('tamper suite', () => {
  it('covers at least 16 attacks', () => {
    expect(ATTACKS.length).toBeGreaterThanOrEqual(16);
  });

  it.each(ATTACKS)('$attack is refused with $code and nothing persisted', async ({ prepare, run, code }) => {
    const w = await world();
    try {
      await prepare?.(w);
      const before = await snapshotDir(w.dir);
      let got: string = 'accepted';
      try {
        await run(w);
      } catch (e) {
        if (!(e instanceof UpdateRejected)) throw e;
        got = e.code;
      }
      expect(got).toBe(code);
      expect(await snapshotDir(w.dir)).toEqual(before);
    } finally {
      await removeDir(w.dir);
    }
  });
});

describe('accepted cases', () => {
  it('the untampered bundle installs', async () => {
    const w = await world();
    try {
      const r = (await w.install(w.bundleV5)) as { verified: { manifest: Manifest }; module: Uint8Array };
      expect(r.verified.manifest.sequence).toBe(5);
      expect([...r.module]).toEqual([...w.module]);
    } finally {
      await removeDir(w.dir);
    }
  });

  it('rotation signed by enough old keys is accepted and persisted across a restart', async () => {
    const w = await world();
    try {
      const newSigner = actor('module-2', 'module-signer');
      const newRoot = actor('root-4', 'root');
      const keys = [...w.keys.roots.slice(1), newRoot, newSigner, w.keys.stateSigner];
      const next = trustUpdate(keys, { sequence: 3, revoked: ['module-old', 'module-1', 'root-1'], issuedAt: T0 });
      // Two of the current roots (root-2, root-3) and, for the new root set, two of its own (root-3, root-4).
      await w.store.applyTrustUpdate(signTrust(next, [w.keys.roots[1]!, w.keys.roots[2]!, newRoot]));
      const restarted = await w.reopen();
      expect(restarted.trust?.update.sequence).toBe(3);
      const m6 = wasmModule(6);
      const b6 = encodeBundle({ signedManifest: signManifest(manifest(m6, { sequence: 6 }), newSigner), module: m6 });
      expect(((await w.install(b6, restarted)) as { verified: { signer: string } }).verified.signer).toBe('module-2');
      const byOld = encodeBundle({ signedManifest: signManifest(manifest(m6, { sequence: 6 }), w.keys.moduleSigner), module: m6 });
      await expect(w.install(byOld, restarted)).rejects.toMatchObject({ code: 'revoked-key' });
      // The revoked root cannot help sign the next update.
      const after = trustUpdate(keys, { sequence: 4, revoked: ['module-old', 'module-1', 'root-1'] });
      await expect(restarted.applyTrustUpdate(signTrust(after, [w.keys.roots[0]!, newRoot]))).rejects.toMatchObject({ code: 'revoked-key' });
    } finally {
      await removeDir(w.dir);
    }
  });

  it('an operator rollback ships the old module bytes under a new manifest with a higher sequence', async () => {
    const w = await world();
    try {
      const m6 = wasmModule(6);
      const b6 = encodeBundle({ signedManifest: signManifest(manifest(m6, { sequence: 6, version: '1.6.0' }), w.keys.moduleSigner), module: m6 });
      await w.install(b6);
      await w.store.commit('thermostat', 6);
      // Version 1.6.0 misbehaves in the field; the operator re-signs 1.5.0's bytes as sequence 7.
      await expect(w.install(w.bundleV5)).rejects.toMatchObject({ code: 'rollback' });
      const b7 = encodeBundle({ signedManifest: signManifest(manifest(w.module, { sequence: 7, version: '1.5.0' }), w.keys.moduleSigner), module: w.module });
      const r = (await w.install(b7)) as { verified: { manifest: Manifest }; module: Uint8Array };
      expect(r.verified.manifest.sequence).toBe(7);
      expect([...r.module]).toEqual([...w.module]);
      await w.store.commit('thermostat', 7);
      await expect(w.install(b6)).rejects.toMatchObject({ code: 'rollback' });
    } finally {
      await removeDir(w.dir);
    }
  });

  it('the agent health rollback: an uncommitted new version can be abandoned for the committed one', async () => {
    const w = await world();
    try {
      const m6 = wasmModule(6);
      await w.install(encodeBundle({ signedManifest: signManifest(manifest(m6, { sequence: 6 }), w.keys.moduleSigner), module: m6 }));
      // Version 6 fails its health gate and is never committed: version 5 must still install.
      const restarted = await w.reopen();
      await expect(w.install(w.bundleV5, restarted)).resolves.toBeDefined();
    } finally {
      await removeDir(w.dir);
    }
  });

  it('decodeSign of the accepted trust update lists one signature per root that signed it', async () => {
    const w = await world();
    try {
      expect(decodeSign(w.store.trust!.signed).signatures.map((s) => s.kid)).toEqual(['root-1', 'root-2']);
      expect(decodeBundle(w.bundleV5).module.length).toBe(w.module.length);
    } finally {
      await removeDir(w.dir);
    }
  });
});
