// `fleetlet verify`: checks a bundle as a device would (signature, key role and validity, target, expiry,
// anti-rollback, then module size and digest) against a device data directory or a trust update file.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrustStore } from '../update/trust-store.ts';
import { UpdateRejected } from '../update/rejection.ts';
import { decodeBundle } from '../update/bundle.ts';
import { decodeSign1 } from '../update/cose.ts';
import { decodeManifest } from '../../schemas/messages/manifest.ts';
import { nowSeconds, parseInstant } from './_args.ts';
import { instant } from './_format.ts';
import { readInput } from './_files.ts';
import { CliError, EXIT } from './errors.ts';
import { openStore } from './trust.ts';

export interface VerifyOptions {
  readonly trust?: string;
  readonly dataDir?: string;
  readonly deviceClass?: string;
  readonly deviceId?: string;
  readonly now?: string;
}

/** The device class to check the target against: given, or the bundle's first target (then the check is moot). */
function deviceClassFor(bundle: Uint8Array, given: string | undefined): { deviceClass: string; note: string[] } {
  if (given !== undefined) return { deviceClass: given, note: [] };
  const first = (() => {
    try {
      return decodeManifest(decodeSign1(decodeBundle(bundle).signedManifest).payload).targets[0];
    } catch {
      return undefined;
    }
  })();
  return { deviceClass: first ?? 'unknown', note: [`target not checked (no --device-class)`] };
}

/**
 * Verifies a bundle; returns the lines to print.
 * @throws CliError (exit 1) with the rejection code when the bundle is refused
 */
export async function verify(file: string, o: VerifyOptions): Promise<string[]> {
  if ((o.trust === undefined) === (o.dataDir === undefined)) throw new CliError('Cannot verify: give exactly one of --trust FILE and --data-dir DIR', EXIT.usage);
  const clock = o.now === undefined ? nowSeconds : (() => { const t = parseInstant(o.now!, '--now'); return () => t; })();
  const bundle = await readInput(file, 'bundle');
  const { deviceClass, note } = deviceClassFor(bundle, o.deviceClass);
  const device = { deviceId: o.deviceId ?? 'cli', deviceClass };
  let temp: string | undefined;
  try {
    let store: TrustStore;
    if (o.dataDir !== undefined) {
      store = await openStore(o.dataDir, clock);
    } else {
      // A trust file alone: a throw-away device that was provisioned with it and has committed nothing.
      const trustBytes = await readInput(o.trust!, 'trust update');
      temp = await mkdtemp(join(tmpdir(), 'fleetlet-verify-'));
      store = await TrustStore.open(temp, { clock });
      try {
        await store.provision(trustBytes);
      } catch (e) {
        if (e instanceof UpdateRejected) throw new CliError(`Cannot use trust update "${o.trust}": ${e.message} (${e.code})`);
        throw e;
      }
    }
    if (store.trust === undefined) throw new CliError(`Cannot verify: "${o.dataDir}" holds no trust (run "fleetlet trust provision" first)`);
    try {
      const { verified, module } = await store.verifyBundle(bundle, device);
      const m = verified.manifest;
      return [
        `OK ${file}: ${m.name} ${m.version} (sequence ${m.sequence}), signed by "${verified.signer}"`,
        `module ${module.length} bytes, sha256 ${Buffer.from(m.digest).toString('hex')}`,
        `checked at ${instant(store.now())} against trust update ${store.trust.update.sequence}`,
        ...note,
      ];
    } catch (e) {
      if (e instanceof UpdateRejected) throw new CliError(`Rejected ${file} (${e.code}): ${e.message}`);
      throw e;
    }
  } finally {
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
  }
}
