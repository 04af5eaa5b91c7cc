// A misbehaving example for tests (AssemblyScript reactor): every tick keeps another 64 KiB
// buffer, so its memory grows without end until the engine refuses to grow it past the
// descriptor's maxMemoryPages; the allocator then traps.
// @ts-nocheck: AssemblyScript source, compiled by asc (examples/build.ts), not by the project's tsc.

import { log } from "../../lib/fleetlet";

const hoard: ArrayBuffer[] = [];

export function init(): void {}

export function tick(): void {
  hoard.push(new ArrayBuffer(65536));
  log("holding " + (hoard.length * 64).toString() + " KiB");
}
