// A misbehaving example for tests (AssemblyScript reactor): init throws, so the app traps at
// start; the agent must report it as failed in init with a trap and never tick it.
// @ts-nocheck: AssemblyScript source, compiled by asc (examples/build.ts), not by the project's tsc.

import { log } from "../../lib/fleetlet";

export function init(): void {
  log("starting, then failing on purpose");
  throw new Error("no configuration: refusing to start");
}

export function tick(): void {
  log("tick (never reached)");
}
