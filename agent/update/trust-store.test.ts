// Tests for TrustStore: provisioning, restart, trusted time and the time floor, commit-time floors, verification of
// manifests and desired states, trust-update rotation, and refusal of corrupt files.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  actor, clockAt, DAY, DEVICE, desiredState, manifest, provisionedStore, removeDir, signManifest, signState, signTrust,
  snapshotDir, standardKeys, T0, tempDir, trustUpdate, wasmModule, YEAR,
} from '../../test/trust/fixtures.ts';
import { FLOORS_FILE, FloorsCorrupt } from './floors.ts';
import { UpdateRejected, type RejectCode } from './rejection.ts';
import { TRUST_FILE, TrustCorrupt, TrustStore } from './trust-store.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeDir(d);
});

async function code(f: () => unknown): Promise<RejectCode | 'accepted'> {
  try {
    await f();
    return 'accepted';
  } catch (e) {
    if (e instanceof UpdateRejected) return e.code;
    throw e;
  }
}

async function setup(clock = clockAt(T0)) {
  const r = await provisionedStore(standardKeys(), clock);
  dirs.push(r.dir);
  return r;
}

describe('TrustStore provisioning', () => {
  it('provision accepts a self-signed first trust update and open reads it back after a restart', async () => {
    const { dir, store, keys } = await setup();
    expect(store.trust?.update.sequence).toBe(1);
    const again = await TrustStore.open(dir, { clock: clockAt(T0) });
    expect(again.trust?.update.keys.map((k) => k.id)).toEqual(keys.all.map((k) => k.id));
    expect(again.floors.timeFloor).toBe(T0 - DAY);
  });

  it('provision refuses a first trust update signed below its own threshold, and writes nothing', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const keys = standardKeys();
    const store = await TrustStore.open(dir, { clock: clockAt(T0) });
    expect(await code(() => store.provision(signTrust(trustUpdate(keys.all), keys.roots.slice(0, 1))))).toBe('below-threshold');
    expect((await snapshotDir(dir)).size).toBe(0);
    expect(store.trust).toBeUndefined();
  });

  it('a store with no trust refuses to verify and to apply updates with no-trust', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const store = await TrustStore.open(dir);
    const keys = standardKeys();
    expect(await code(() => store.verifyManifest(signManifest(manifest(wasmModule()), keys.moduleSigner), DEVICE))).toBe('no-trust');
    expect(await code(() => store.applyTrustUpdate(signTrust(trustUpdate(keys.all), keys.roots)))).toBe('no-trust');
  });

  it('provision twice is refused', async () => {
    const { store, keys } = await setup();
    await expect(store.provision(signTrust(trustUpdate(keys.all), keys.roots))).rejects.toThrow(/already holds trust/);
  });

  it('open refuses corrupt trust and floors files instead of trusting nothing', async () => {
    const { dir } = await setup();
    const trust = await readFile(join(dir, TRUST_FILE));
    await writeFile(join(dir, TRUST_FILE), trust.subarray(0, trust.length - 3));
    await expect(TrustStore.open(dir)).rejects.toBeInstanceOf(TrustCorrupt);
    await writeFile(join(dir, TRUST_FILE), trust);
    await writeFile(join(dir, FLOORS_FILE), Uint8Array.of(0xa0));
    await expect(TrustStore.open(dir)).rejects.toBeInstanceOf(FloorsCorrupt);
  });
});

describe('TrustStore trusted time', () => {
  it('now() is the later of the clock and the time floor', async () => {
    const clock = clockAt(0);
    const { store } = await setup(clockAt(T0));
    const booted = await TrustStore.open(store.dataDir, { clock });
    // Provisioning raised the floor to the trust update's issuedAt.
    expect(booted.now()).toBe(T0 - DAY);
    clock.set(T0 + 5);
    expect(booted.now()).toBe(T0 + 5);
    clock.set(Number.NaN);
    expect(booted.now()).toBe(T0 - DAY);
  });

  it('a device booting at 1970 refuses a manifest that expired before its time floor, and accepts a fresh one', async () => {
    const { store, keys } = await setup();
    const m1 = manifest(wasmModule(), { sequence: 5, issuedAt: T0 + 10 * DAY, expiresAt: T0 + 100 * DAY });
    await store.commit('thermostat', 5, m1.issuedAt);
    const booted = await TrustStore.open(store.dataDir, { clock: clockAt(0) });
    expect(booted.now()).toBe(T0 + 10 * DAY);
    const stale = signManifest(manifest(wasmModule(), { sequence: 6, issuedAt: T0 - 50 * DAY, expiresAt: T0 + 2 * DAY }), keys.moduleSigner);
    expect(await code(() => booted.verifyManifest(stale, DEVICE))).toBe('expired');
    const fresh = signManifest(manifest(wasmModule(), { sequence: 6, issuedAt: T0 + 11 * DAY, expiresAt: T0 + 60 * DAY }), keys.moduleSigner);
    expect(booted.verifyManifest(fresh, DEVICE).manifest.sequence).toBe(6);
  });

  it('documents are refused once the trust store itself expired', async () => {
    const clock = clockAt(T0);
    const { store, keys } = await setup(clock);
    clock.set(T0 + YEAR + 1);
    const m = signManifest(manifest(wasmModule(), { expiresAt: T0 + 2 * YEAR }), keys.moduleSigner);
    expect(await code(() => store.verifyManifest(m, DEVICE))).toBe('expired');
  });
});

describe('TrustStore floors', () => {
  it('verification does not raise the floor; commit does, so the previous version stays installable until then', async () => {
    const { store, keys } = await setup();
    const v1 = signManifest(manifest(wasmModule(1), { sequence: 1 }), keys.moduleSigner);
    const v2 = signManifest(manifest(wasmModule(2), { sequence: 2 }), keys.moduleSigner);
    await store.commit('thermostat', 1);
    const before = await snapshotDir(store.dataDir);
    store.verifyManifest(v2, DEVICE);
    expect(await snapshotDir(store.dataDir)).toEqual(before);
    // Health rollback from an uncommitted v2 to v1 is still possible.
    expect(store.verifyManifest(v1, DEVICE).manifest.sequence).toBe(1);
    await store.commit('thermostat', 2);
    expect(await code(() => store.verifyManifest(v1, DEVICE))).toBe('rollback');
    // Re-verifying the committed version itself is allowed (restart of the running version).
    expect(store.verifyManifest(v2, DEVICE).manifest.sequence).toBe(2);
    // Floors never go down.
    await store.commit('thermostat', 1);
    expect(store.floors.manifests['thermostat']).toBe(2);
  });

  it('floors are per app name and survive a restart', async () => {
    const { store, keys } = await setup();
    await store.commit('thermostat', 4);
    await store.commitDesiredState(9, T0);
    const again = await TrustStore.open(store.dataDir, { clock: clockAt(T0) });
    expect(again.floors).toEqual({ v: 1, timeFloor: T0, desiredState: 9, manifests: { thermostat: 4 } });
    const other = signManifest(manifest(wasmModule(), { name: 'logger', sequence: 1 }), keys.moduleSigner);
    expect(again.verifyManifest(other, DEVICE).manifest.name).toBe('logger');
  });
});

describe('TrustStore verification', () => {
  it('verifyManifest returns the manifest, its signer and the digest of the signed bytes', async () => {
    const { store, keys } = await setup();
    const signed = signManifest(manifest(wasmModule()), keys.moduleSigner);
    const v = store.verifyManifest(signed, DEVICE);
    expect(v.signer).toBe('module-1');
    expect(v.manifest.name).toBe('thermostat');
    expect(v.digest.length).toBe(32);
  });

  it('verifyDesiredState returns the referenced manifests in module order', async () => {
    const { store, keys } = await setup();
    const a = signManifest(manifest(wasmModule(1), { name: 'alpha' }), keys.moduleSigner);
    const b = signManifest(manifest(wasmModule(2), { name: 'beta' }), keys.moduleSigner);
    const state = signState(desiredState([{ name: 'beta', signed: b }, { name: 'alpha', signed: a }]), keys.stateSigner);
    const v = store.verifyDesiredState(state, [a, b], DEVICE);
    expect(v.manifests.map((m) => m.manifest.name)).toEqual(['beta', 'alpha']);
    expect(v.signer).toBe('state-1');
    expect(await code(() => store.verifyDesiredState(state, [a], DEVICE))).toBe('missing-manifest');
  });

  it('verifyDesiredState refuses a module entry whose name differs from its manifest', async () => {
    const { store, keys } = await setup();
    const a = signManifest(manifest(wasmModule(1), { name: 'alpha' }), keys.moduleSigner);
    const state = signState(desiredState([{ name: 'beta', signed: a }]), keys.stateSigner);
    expect(await code(() => store.verifyDesiredState(state, [a], DEVICE))).toBe('mix-and-match');
  });
});

describe('TrustStore trust updates', () => {
  it('rotation: a new module signer replaces the old one once signed by two current roots', async () => {
    const { store, keys } = await setup();
    const newSigner = actor('module-2', 'module-signer');
    const next = trustUpdate([...keys.roots, newSigner, keys.stateSigner], { sequence: 2, issuedAt: T0 });
    await store.applyTrustUpdate(signTrust(next, [keys.roots[0]!, keys.roots[2]!]));
    expect(await code(() => store.verifyManifest(signManifest(manifest(wasmModule()), keys.moduleSigner), DEVICE))).toBe('unknown-key');
    expect(store.verifyManifest(signManifest(manifest(wasmModule()), newSigner), DEVICE).signer).toBe('module-2');
    expect(store.floors.timeFloor).toBe(T0);
  });

  it('root rotation needs a threshold of the old roots and of the new roots', async () => {
    const { store, keys } = await setup();
    const newRoots = [actor('root-a', 'root'), actor('root-b', 'root')];
    const next = trustUpdate([...newRoots, keys.moduleSigner, keys.stateSigner], { sequence: 2, threshold: 2 });
    expect(await code(() => store.applyTrustUpdate(signTrust(next, keys.roots.slice(0, 2))))).toBe('below-threshold');
    expect(await code(() => store.applyTrustUpdate(signTrust(next, [keys.roots[0]!, ...newRoots])))).toBe('below-threshold');
    await store.applyTrustUpdate(signTrust(next, [...keys.roots.slice(1), ...newRoots]));
    expect(store.trust?.update.keys.filter((k) => k.role === 'root').map((k) => k.id)).toEqual(['root-a', 'root-b']);
    // The old roots no longer count.
    const after = trustUpdate([...newRoots, keys.moduleSigner, keys.stateSigner], { sequence: 3 });
    expect(await code(() => store.applyTrustUpdate(signTrust(after, keys.roots)))).toBe('unknown-key');
  });

  it('revocation is forever: a revoked id or public key cannot come back, even under another id', async () => {
    const { store, keys } = await setup();
    const without = keys.all.filter((k) => k.id !== 'module-1');
    await store.applyTrustUpdate(signTrust(trustUpdate(without, { sequence: 2, revoked: ['module-1'] }), keys.roots.slice(0, 2)));
    expect(await code(() => store.verifyManifest(signManifest(manifest(wasmModule()), keys.moduleSigner), DEVICE))).toBe('revoked-key');
    const sameIdAgain = trustUpdate([...without, actor('module-1', 'module-signer')], { sequence: 3 });
    expect(await code(() => store.applyTrustUpdate(signTrust(sameIdAgain, keys.roots.slice(0, 2))))).toBe('revoked-key');
    const sameKeyNewId = trustUpdate([...without, { ...keys.moduleSigner, id: 'module-9' }], { sequence: 3 });
    expect(await code(() => store.applyTrustUpdate(signTrust(sameKeyNewId, keys.roots.slice(0, 2))))).toBe('revoked-key');
  });

  it('trust updates with an old sequence, an expiry in the past, or a signer that is not a root are refused', async () => {
    const { store, keys } = await setup();
    expect(await code(() => store.applyTrustUpdate(signTrust(trustUpdate(keys.all, { sequence: 1 }), keys.roots)))).toBe('rollback');
    expect(await code(() => store.applyTrustUpdate(signTrust(trustUpdate(keys.all, { sequence: 2, issuedAt: T0 - 9 * DAY, expiresAt: T0 - DAY }), keys.roots)))).toBe('expired');
    expect(await code(() => store.applyTrustUpdate(signTrust(trustUpdate(keys.all, { sequence: 2 }), [keys.roots[0]!, keys.moduleSigner])))).toBe('wrong-role');
  });

  it('a key of small order in a trust update is refused as bad-key', async () => {
    const { store, keys } = await setup();
    const weak = { ...actor('module-weak', 'module-signer') };
    const update = trustUpdate([...keys.all, weak], { sequence: 2 });
    const tampered = { ...update, keys: update.keys.map((k) => (k.id === 'module-weak' ? { ...k, publicKey: Uint8Array.from(Buffer.from('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex')) } : k)) };
    expect(await code(() => store.applyTrustUpdate(signTrust(tampered, keys.roots)))).toBe('bad-key');
  });
});
