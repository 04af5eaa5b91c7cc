// Turns a device's status report (schemas/messages/status.ts, as decoded from the wire) into the rollout event the
// engine steps on: the module entry of the rollout's app, timed by the cloud's clock (a device's clock may drift).

import type { Status } from '../../schemas/messages/status.ts';
import type { RolloutEvent } from './record.ts';

/** The report event of `status` for `app`; `module` is undefined when the device does not list the app. */
export function reportFromStatus(status: Status, app: string, atMs: number): Extract<RolloutEvent, { type: 'report' }> {
  const m = status.modules.find((x) => x.name === app);
  if (m === undefined) return { type: 'report', atMs, deviceId: status.deviceId, module: undefined };
  return {
    type: 'report',
    atMs,
    deviceId: status.deviceId,
    module: {
      state: m.state,
      version: m.version,
      manifestDigest: m.manifestDigest,
      ...(m.errorCode === undefined ? {} : { errorCode: m.errorCode }),
      ...(m.metrics === undefined ? {} : { metrics: m.metrics }),
    },
  };
}
