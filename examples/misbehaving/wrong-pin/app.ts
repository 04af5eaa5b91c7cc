// A misbehaving example for tests (AssemblyScript reactor): granted GPIO pin 17 as an output, it
// drives pin 18 every tick; the host must refuse each call with E_DENIED before it reaches the
// hardware, and the app goes on ticking.
// @ts-nocheck: AssemblyScript source, compiled by asc (examples/build.ts), not by the project's tsc.

import { gpioWrite, logWarn, statusName } from "../../lib/fleetlet";

let level = false;

export function init(): void {}

export function tick(): void {
  level = !level;
  const s = gpioWrite(18, level);
  if (s < 0) logWarn("pin 18: " + statusName(s));
}
