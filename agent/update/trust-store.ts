// `TrustStore`: a device's persisted trust (the accepted trust update and every revocation) and anti-rollback floors
// in its data directory, with trusted time from an injected clock and the time floor. Verification never writes;
// accepting a trust update and committing a version do, atomically.

import { join } from 'node:path';
import { CborError, decodeCbor, encodeCbor } from '../../schemas/cbor/index.ts';
import { trustUpdateMessage, type TrustUpdate } from '../../schemas/messages/trust-update.ts';
import { keyId } from '../../schemas/names.ts';
import { s, SchemaError } from '../../schemas/schema/index.ts';
import { readFileIfExists, writeFileAtomic } from './atomic-file.ts';
import { decodeBundle } from './bundle.ts';
import { decodeSign } from './cose.ts';
import { verifyModuleBytes } from './module-bytes.ts';
import { loadFloors, raiseDesiredState, raiseManifest, raiseTime, saveFloors, type Floors } from './floors.ts';
import { UpdateRejected } from './rejection.ts';
import { checkTrustUpdate } from './_trust-update.ts';
import { keyHex, type TrustView } from './trust-view.ts';
import { openDesiredState, verifyDesiredState, verifyManifest, type DeviceIdentity, type VerifiedDesiredState, type VerifiedManifest, type VerifyContext } from './verify.ts';
import type { DesiredState } from '../../schemas/messages/desired-state.ts';

/** File name of the trust record in the data directory (a wire format: never rename). */
export const TRUST_FILE = 'trust.cbor';

/** Seconds since the Unix epoch; devices without a real-time clock may return anything, even 0. */
export type Clock = () => number;

export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

export interface TrustStoreOptions {
  /** Default: the system clock. */
  readonly clock?: Clock;
}

const trustRecordSchema = s.object({
  v: s.literal(1),
  /** The accepted trust update, as its COSE_Sign bytes. */
  update: s.bytes({ maxLength: 64 * 1024 }),
  revokedIds: s.array(keyId, { maxItems: 4096 }),
  revokedKeys: s.array(s.bytes({ length: 32 }), { maxItems: 4096 }),
});

/** A trust file that exists but cannot be read back: the device must not fall back to trusting nothing or anything. */
export class TrustCorrupt extends Error {
  override readonly name = 'TrustCorrupt';
}

function encodeTrustRecord(t: TrustView): Uint8Array {
  return encodeCbor(trustRecordSchema.check({
    v: 1,
    update: t.signed,
    revokedIds: [...t.revokedIds].sort(),
    revokedKeys: [...t.revokedKeys].sort().map((h) => Uint8Array.from(Buffer.from(h, 'hex'))),
  }, 'trust'));
}

function decodeTrustRecord(bytes: Uint8Array, where: string): TrustView {
  try {
    const r = trustRecordSchema.check(decodeCbor(bytes, { maxBytes: 512 * 1024, maxItems: 4096 }), 'trust');
    const update = trustUpdateMessage.decode(decodeSign(r.update).payload);
    return { update, signed: r.update, revokedIds: new Set(r.revokedIds), revokedKeys: new Set(r.revokedKeys.map(keyHex)) };
  } catch (e) {
    if (e instanceof CborError || e instanceof SchemaError || e instanceof UpdateRejected) throw new TrustCorrupt(`Cannot read "${TRUST_FILE}" in "${where}": ${e.message}`);
    throw e;
  }
}

export class TrustStore {
  private constructor(
    readonly dataDir: string,
    private trustView: TrustView | undefined,
    private floorsNow: Floors,
    private readonly clock: Clock,
  ) {}

  /**
   * Opens the trust store of a data directory (which may hold nothing yet: then only `provision` is possible).
   * @throws TrustCorrupt, FloorsCorrupt when a file exists but cannot be read back; file system errors
   */
  static async open(dataDir: string, options: TrustStoreOptions = {}): Promise<TrustStore> {
    const bytes = await readFileIfExists(join(dataDir, TRUST_FILE));
    const trust = bytes === undefined ? undefined : decodeTrustRecord(bytes, dataDir);
    return new TrustStore(dataDir, trust, await loadFloors(dataDir), options.clock ?? systemClock);
  }

  /** The trust in force, or undefined before provisioning. */
  get trust(): TrustView | undefined {
    return this.trustView;
  }

  /** The committed floors. */
  get floors(): Floors {
    return this.floorsNow;
  }

  /**
   * Trusted time: the later of the clock and the time floor (the newest issuedAt the device has committed), so a
   * device that boots at 1970 still refuses whatever expired before the newest document it ever accepted.
   */
  now(): number {
    const c = this.clock();
    return Math.max(Number.isFinite(c) ? Math.floor(c) : 0, this.floorsNow.timeFloor);
  }

  private context(device: DeviceIdentity): VerifyContext {
    if (this.trustView === undefined) throw new UpdateRejected('no-trust', `Cannot verify anything: the trust store in "${this.dataDir}" is not provisioned`);
    return { trust: this.trustView, floors: this.floorsNow, now: this.now(), device };
  }

  /**
   * Installs the device's first trust: a trust update signed by a threshold of its own root keys. Done once, when the
   * device is set up (the trust it starts from must come from the operator, not from the network).
   * @throws UpdateRejected as `applyTrustUpdate`; Error when the store already holds trust
   */
  async provision(signedTrustUpdate: Uint8Array): Promise<TrustUpdate> {
    if (this.trustView !== undefined) throw new Error(`Cannot provision "${this.dataDir}": it already holds trust (sequence ${this.trustView.update.sequence})`);
    return this.install(checkTrustUpdate(signedTrustUpdate, undefined, this.now()));
  }

  /**
   * Accepts a trust update (rotation, revocation, new signers): signed by a threshold of the current root keys and of
   * its own root keys, with a higher sequence. Persists it, then raises the time floor to its issuedAt.
   * @throws UpdateRejected with the code of the failed check (nothing is persisted then)
   */
  async applyTrustUpdate(signedTrustUpdate: Uint8Array): Promise<TrustUpdate> {
    if (this.trustView === undefined) throw new UpdateRejected('no-trust', `Cannot apply a trust update: "${this.dataDir}" is not provisioned`);
    return this.install(checkTrustUpdate(signedTrustUpdate, this.trustView, this.now()));
  }

  private async install(view: TrustView): Promise<TrustUpdate> {
    await writeFileAtomic(join(this.dataDir, TRUST_FILE), encodeTrustRecord(view));
    this.trustView = view;
    await this.saveFloors(raiseTime(this.floorsNow, view.update.issuedAt));
    return view.update;
  }

  /**
   * Checks a signed manifest before any module byte is fetched.
   * @throws UpdateRejected
   */
  verifyManifest(signed: Uint8Array, device: DeviceIdentity): VerifiedManifest {
    return verifyManifest(signed, this.context(device));
  }

  /**
   * Checks a signed desired state and the signed manifests it references before any module byte is fetched.
   * @throws UpdateRejected
   */
  verifyDesiredState(signedState: Uint8Array, signedManifests: readonly Uint8Array[], device: DeviceIdentity): VerifiedDesiredState {
    return verifyDesiredState(signedState, signedManifests, this.context(device));
  }

  /**
   * Checks a desired state's own signature, device, expiry and floor (not its manifests): run before fetching them.
   * @throws UpdateRejected
   */
  openDesiredState(signedState: Uint8Array, device: DeviceIdentity): { readonly state: DesiredState; readonly signer: string } {
    return openDesiredState(signedState, this.context(device));
  }

  /**
   * Verifies a bundle file as a device installs one: layout, then the signed manifest (before the module is looked
   * at), then the module's size and digest.
   * @throws UpdateRejected
   */
  async verifyBundle(bundle: Uint8Array, device: DeviceIdentity): Promise<{ readonly verified: VerifiedManifest; readonly module: Uint8Array }> {
    const parts = decodeBundle(bundle);
    const verified = this.verifyManifest(parts.signedManifest, device);
    return { verified, module: await verifyModuleBytes(verified.manifest, parts.module) };
  }

  /**
   * Records that version `sequence` of app `name` passed its health gate: from now on lower sequences are refused.
   * The floor rises here, not at verification, so the agent can still roll back to the version it ran before.
   * `issuedAt` (of the committed manifest) raises the time floor.
   */
  async commit(name: string, sequence: number, issuedAt = 0): Promise<void> {
    await this.saveFloors(raiseManifest(this.floorsNow, name, sequence, issuedAt));
  }

  /** Records that desired state `sequence` is in force; `issuedAt` raises the time floor. */
  async commitDesiredState(sequence: number, issuedAt = 0): Promise<void> {
    await this.saveFloors(raiseDesiredState(this.floorsNow, sequence, issuedAt));
  }

  private async saveFloors(next: Floors): Promise<void> {
    if (JSON.stringify(next) === JSON.stringify(this.floorsNow)) return;
    await saveFloors(this.dataDir, next);
    this.floorsNow = next;
  }
}
