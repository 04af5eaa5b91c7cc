// The template for a new fleetlet app (AssemblyScript reactor): copy this folder, rename the app
// in fleetlet.app.json, and replace what init and tick do (README.md says how to build and run it).
// @ts-nocheck: AssemblyScript source, compiled by asc (examples/build.ts), not by the project's tsc.
//
// A reactor exports init (once), tick (every tickPeriodMs) and optionally health (1 healthy, 0
// not). Everything the app touches goes through ../lib/fleetlet and must be declared in the
// descriptor's capabilities. This one counts its starts in the key-value store, reads a sensor
// each tick and publishes the reading.

import { formatFixed, kvGet, kvSet, lastStatus, log, logWarn, publish, readSensor, setting, statusName } from "../lib/fleetlet";

let label: string = "";
let starts: i32 = 0;
let lastReadOk = true;

export function init(): void {
  label = setting("LABEL", "template");
  const stored = kvGet("starts");
  starts = stored === null ? 1 : I32.parseInt(changetype<string>(stored)) + 1;
  if (kvSet("starts", starts.toString()) < 0) logWarn("cannot store the start count: " + statusName(lastStatus()));
  log(label + " started (start " + starts.toString() + ")");
}

export function tick(): void {
  const t = readSensor("temperature");
  lastReadOk = !isNaN(t);
  if (!lastReadOk) {
    logWarn("no reading: " + statusName(lastStatus()));
    return;
  }
  publish("reading", '{"label":"' + label + '","temperature":' + formatFixed(t, 2) + "}");
}

export function health(): i32 {
  return lastReadOk ? 1 : 0;
}
