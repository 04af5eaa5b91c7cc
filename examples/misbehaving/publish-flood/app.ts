// A misbehaving example for tests (AssemblyScript reactor): every tick tries to publish 1000
// messages; past its hostCallsPerSecond the host refuses them with E_RATE_LIMITED, so the flood
// never reaches the broker and the app goes on ticking.
// @ts-nocheck: AssemblyScript source, compiled by asc (examples/build.ts), not by the project's tsc.

import { log, publish, STATUS_RATE_LIMITED } from "../../lib/fleetlet";

export function init(): void {}

export function tick(): void {
  let sent = 0;
  let refused = 0;
  for (let i = 0; i < 1000; i++) {
    const s = publish("spam", "message " + i.toString());
    if (s == STATUS_RATE_LIMITED) refused++;
    else if (s >= 0) sent++;
  }
  log("published " + sent.toString() + ", rate-limited " + refused.toString());
}
