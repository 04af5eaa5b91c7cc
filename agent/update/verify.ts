// Verification of signed manifests and desired states against a trust view, the floors and trusted time, all before
// a single module byte is fetched. Pure: nothing here persists anything.

import { createHash } from 'node:crypto';
import { desiredStateMessage, type DesiredState } from '../../schemas/messages/desired-state.ts';
import { manifestMessage, type Manifest } from '../../schemas/messages/manifest.ts';
import { manifestFloor, type Floors } from './floors.ts';
import { UpdateRejected } from './rejection.ts';
import { openSign1 } from './_signed.ts';
import type { TrustView } from './trust-view.ts';

/** Who the device is: desired states name a device id, manifests target device classes. */
export interface DeviceIdentity {
  readonly deviceId: string;
  readonly deviceClass: string;
}

/** What verification reads: the trust in force, the committed floors, trusted time and the device. */
export interface VerifyContext {
  readonly trust: TrustView;
  readonly floors: Floors;
  /** Trusted time in seconds: max(clock, time floor). */
  readonly now: number;
  readonly device: DeviceIdentity;
}

/** A manifest whose every pre-download check passed. */
export interface VerifiedManifest {
  readonly manifest: Manifest;
  /** The COSE_Sign1 bytes as received. */
  readonly signed: Uint8Array;
  /** SHA-256 of `signed`: how a desired state names this manifest. */
  readonly digest: Uint8Array;
  /** Id of the module-signer key that signed it. */
  readonly signer: string;
}

/** A desired state and every manifest it references, all verified. */
export interface VerifiedDesiredState {
  readonly state: DesiredState;
  readonly signed: Uint8Array;
  readonly signer: string;
  /** The referenced manifests, in the order of `state.modules`. */
  readonly manifests: readonly VerifiedManifest[];
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** SHA-256 of a signed manifest's COSE bytes (the `manifestDigest` of desired states). */
export function manifestDigest(signed: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(signed).digest());
}

/**
 * Verifies a signed manifest: signature by a trusted module-signer key valid now, target, expiry, anti-rollback.
 * @throws UpdateRejected with the code of the first failed check
 */
export function verifyManifest(signed: Uint8Array, ctx: VerifyContext): VerifiedManifest {
  const { doc: manifest, key } = openSign1(signed, manifestMessage, 'module-signer', ctx.trust, ctx.now);
  const what = `manifest "${manifest.name}" ${manifest.version}`;
  if (!manifest.targets.includes(ctx.device.deviceClass)) {
    throw new UpdateRejected('wrong-target', `Cannot accept ${what}: it targets ${manifest.targets.map((t) => `"${t}"`).join(', ')}, not "${ctx.device.deviceClass}"`);
  }
  if (manifest.expiresAt <= ctx.now) throw new UpdateRejected('expired', `Cannot accept ${what}: it expired at ${manifest.expiresAt} (now ${ctx.now})`);
  const floor = manifestFloor(ctx.floors, manifest.name);
  if (manifest.sequence < floor) {
    throw new UpdateRejected('rollback', `Cannot accept ${what}: sequence ${manifest.sequence} is below the committed ${floor}`);
  }
  return { manifest, signed: Uint8Array.from(signed), digest: manifestDigest(signed), signer: key.id };
}

/**
 * The first half of `verifyDesiredState`: the state's own signature by a state-signer key, its device id, expiry and
 * anti-rollback, without the manifests. The agent runs it before it fetches a single manifest, so a forged or replayed
 * state never makes the device download anything.
 * @throws UpdateRejected with the code of the first failed check
 */
export function openDesiredState(signedState: Uint8Array, ctx: VerifyContext): { readonly state: DesiredState; readonly signer: string } {
  const { doc: state, key } = openSign1(signedState, desiredStateMessage, 'state-signer', ctx.trust, ctx.now);
  const what = `desired state ${state.sequence}`;
  if (state.deviceId !== ctx.device.deviceId) {
    throw new UpdateRejected('wrong-target', `Cannot accept ${what}: it is for device "${state.deviceId}", not "${ctx.device.deviceId}"`);
  }
  if (state.expiresAt <= ctx.now) throw new UpdateRejected('expired', `Cannot accept ${what}: it expired at ${state.expiresAt} (now ${ctx.now})`);
  if (state.sequence < ctx.floors.desiredState) {
    throw new UpdateRejected('rollback', `Cannot accept ${what}: sequence ${state.sequence} is below the committed ${ctx.floors.desiredState}`);
  }
  return { state, signer: key.id };
}

/**
 * Verifies a signed desired state and the signed manifests delivered with it: the state's signature by a state-signer
 * key, its device id, expiry and anti-rollback; then that the manifests are exactly the referenced ones, each verified
 * as `verifyManifest` does (so a state signer can only point at what a module signer signed).
 * @throws UpdateRejected with the code of the first failed check
 */
export function verifyDesiredState(signedState: Uint8Array, signedManifests: readonly Uint8Array[], ctx: VerifyContext): VerifiedDesiredState {
  const { state, signer } = openDesiredState(signedState, ctx);
  const what = `desired state ${state.sequence}`;
  const byDigest = new Map<string, Uint8Array>();
  for (const m of signedManifests) byDigest.set(hex(manifestDigest(m)), m);
  const referenced = new Set(state.modules.map((m) => hex(m.manifestDigest)));
  for (const d of byDigest.keys()) {
    if (!referenced.has(d)) throw new UpdateRejected('mix-and-match', `Cannot accept ${what}: a manifest with digest ${d} was delivered but the state does not reference it`);
  }
  const manifests = state.modules.map((m) => {
    const bytes = byDigest.get(hex(m.manifestDigest));
    if (bytes === undefined) throw new UpdateRejected('missing-manifest', `Cannot accept ${what}: the manifest of "${m.name}" (${hex(m.manifestDigest)}) was not delivered`);
    const verified = verifyManifest(bytes, ctx);
    if (verified.manifest.name !== m.name) {
      throw new UpdateRejected('mix-and-match', `Cannot accept ${what}: module "${m.name}" references the manifest of "${verified.manifest.name}"`);
    }
    return verified;
  });
  return { state, signed: Uint8Array.from(signedState), signer, manifests };
}
