// A misbehaving example for tests (AssemblyScript reactor): every tick loops forever, so each
// tick runs out of its fuelPerTick; the agent must stop it each time and fail the app after
// several such ticks, without holding the other apps.
// @ts-nocheck: AssemblyScript source, compiled by asc (examples/build.ts), not by the project's tsc.

import { log } from "../../lib/fleetlet";

let spins: i64 = 0;

export function init(): void {}

export function tick(): void {
  log("spinning");
  while (true) spins++;
}
