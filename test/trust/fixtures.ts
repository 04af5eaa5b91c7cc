// Test fixtures for fleetlet's trust layer: keys with roles, trust updates, manifests, desired states and bundles,
// built and signed the way the CLI and the cloud do, at a fixed clock.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { encodeDesiredState, type DesiredState } from '../../schemas/messages/desired-state.ts';
import { encodeManifest, type Manifest } from '../../schemas/messages/manifest.ts';
import { encodeTrustUpdate, type KeyRole, type TrustUpdate } from '../../schemas/messages/trust-update.ts';
import { signSign, signSign1 } from '../../agent/update/cose.ts';
import { generateKeyPair, type Ed25519KeyPair } from '../../agent/update/ed25519.ts';
import { TrustStore, type Clock } from '../../agent/update/trust-store.ts';
import { manifestDigest, type DeviceIdentity } from '../../agent/update/verify.ts';

/** The fixed "now" of these tests (2027-01-15), in seconds. */
export const T0 = 1_800_000_000;
export const DAY = 86_400;
export const YEAR = 365 * DAY;

export const DEVICE: DeviceIdentity = { deviceId: 'dev-001', deviceClass: 'rpi4' };

/** A key with its trust-store entry. */
export interface Actor {
  readonly id: string;
  readonly role: KeyRole;
  readonly kp: Ed25519KeyPair;
  readonly notBefore: number;
  readonly notAfter: number;
}

export function actor(id: string, role: KeyRole, window: { notBefore?: number; notAfter?: number } = {}): Actor {
  return { id, role, kp: generateKeyPair(), notBefore: window.notBefore ?? T0 - YEAR, notAfter: window.notAfter ?? T0 + 5 * YEAR };
}

export function trustUpdate(keys: readonly Actor[], opts: { sequence?: number; threshold?: number; issuedAt?: number; expiresAt?: number; revoked?: string[] } = {}): TrustUpdate {
  return {
    v: 1,
    sequence: opts.sequence ?? 1,
    issuedAt: opts.issuedAt ?? T0 - DAY,
    expiresAt: opts.expiresAt ?? T0 + YEAR,
    rootThreshold: opts.threshold ?? 2,
    keys: keys.map((k) => ({ id: k.id, publicKey: k.kp.publicKey, role: k.role, notBefore: k.notBefore, notAfter: k.notAfter })),
    revoked: opts.revoked ?? [],
  };
}

export function signTrust(update: TrustUpdate, signers: readonly Actor[]): Uint8Array {
  return signSign(encodeTrustUpdate(update), signers.map((a) => ({ kid: a.id, seed: a.kp.seed })));
}

/** The smallest valid WebAssembly module with a one-byte custom section name `tag`, so that modules differ. */
export function wasmModule(tag = 0): Uint8Array {
  // magic, version, then a custom section (id 0) of 2 bytes: name length 1, name = tag.
  return Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, tag & 0x7f);
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

export function manifest(module: Uint8Array, over: Partial<Manifest> = {}): Manifest {
  return {
    v: 1,
    name: 'thermostat',
    version: '1.0.0',
    sequence: 1,
    digest: sha256(module),
    size: module.length,
    capabilities: ['sensor:temperature:read'],
    limits: { maxMemoryPages: 16, maxTableElements: 1000, maxCallDepth: 500, maxStackSlots: 65536, fuelPerTick: 1_000_000, hostCallsPerSecond: 100, tickPeriodMs: 1000 },
    kind: 'reactor',
    targets: ['rpi4', 'sim'],
    issuedAt: T0 - DAY,
    expiresAt: T0 + 90 * DAY,
    ...over,
  };
}

export function signManifest(m: Manifest, signer: Actor): Uint8Array {
  return signSign1(encodeManifest(m), { kid: signer.id, seed: signer.kp.seed });
}

export function desiredState(signedManifests: readonly { name: string; signed: Uint8Array }[], over: Partial<DesiredState> = {}): DesiredState {
  return {
    v: 1,
    deviceId: DEVICE.deviceId,
    sequence: 1,
    issuedAt: T0 - 3600,
    expiresAt: T0 + 7 * DAY,
    modules: signedManifests.map((m) => ({ name: m.name, manifestDigest: manifestDigest(m.signed), settings: { SETPOINT: '21.5' } })),
    ...over,
  };
}

export function signState(d: DesiredState, signer: Actor): Uint8Array {
  return signSign1(encodeDesiredState(d), { kid: signer.id, seed: signer.kp.seed });
}

/** A standard key set: three roots (threshold 2), a module signer and a state signer. */
export function standardKeys(): { roots: Actor[]; moduleSigner: Actor; stateSigner: Actor; all: Actor[] } {
  const roots = [actor('root-1', 'root'), actor('root-2', 'root'), actor('root-3', 'root')];
  const moduleSigner = actor('module-1', 'module-signer');
  const stateSigner = actor('state-1', 'state-signer');
  return { roots, moduleSigner, stateSigner, all: [...roots, moduleSigner, stateSigner] };
}

/** A settable clock. */
export function clockAt(t: number): Clock & { set(t: number): void } {
  let now = t;
  const c = (() => now) as Clock & { set(t: number): void };
  c.set = (x: number) => {
    now = x;
  };
  return c;
}

export async function tempDir(prefix = 'fleetlet-trust-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A data directory provisioned with `keys` (sequence 1, threshold 2 of the roots). */
export async function provisionedStore(keys = standardKeys(), clock: Clock = clockAt(T0)): Promise<{ dir: string; store: TrustStore; keys: ReturnType<typeof standardKeys> }> {
  const dir = await tempDir();
  const store = await TrustStore.open(dir, { clock });
  await store.provision(signTrust(trustUpdate(keys.all), keys.roots.slice(0, 2)));
  return { dir, store, keys };
}

/** Every file of a directory (recursively) with its bytes, to prove nothing was written. */
export async function snapshotDir(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p, `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, (await readFile(p)).toString('hex'));
    }
  };
  await walk(dir, '');
  return out;
}
