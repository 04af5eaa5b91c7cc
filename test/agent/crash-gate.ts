// The health gate and constants shared by fleetlet's crash-point sweep and its child: the new version "runs" during
// probation by writing its own key-value state, then is judged healthy or not.

import { kvFile } from '../../agent/host/kv-store.ts';
import { writeFileAtomic } from '../../agent/update/atomic-file.ts';
import type { HealthGate } from '../../agent/update/slots/machine.ts';
import type { DeviceIdentity } from '../../agent/update/verify.ts';

/** The sweep's fixed trusted time (the trust fixtures' T0) and device. */
export const SWEEP_NOW = 1_800_000_000;
export const SWEEP_DEVICE: DeviceIdentity = { deviceId: 'dev-001', deviceClass: 'rpi4' };
export const SWEEP_APP = 'thermostat';

export const kvText = (version: string): Uint8Array => new Uint8Array(Buffer.from(`state of ${version}`));

export function sweepGate(dataDir: string, verdict: 'healthy' | 'unhealthy'): HealthGate {
  return {
    async judge(app, version) {
      await writeFileAtomic(kvFile(dataDir, app), kvText(version));
      return verdict === 'healthy' ? { healthy: true } : { healthy: false, reason: `"${app}" ${version} reported itself unhealthy` };
    },
  };
}
