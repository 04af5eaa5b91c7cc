// Self-checks of the binding library (AssemblyScript reactor, not an example to copy): init runs
// each check once and logs "ok NAME" or "FAIL NAME: ..."; test/examples/library.test.ts runs it
// under `fleetlet run` and expects every check ok.
// @ts-nocheck: AssemblyScript source, compiled by asc (examples/build.ts), not by the project's tsc.

import {
  formatFixed, kvDelete, kvGet, kvSet, lastStatus, log, logError, monotonicMs, publishBytes, setting, settingNumber,
  sleep, statusName, STATUS_NOT_FOUND, STATUS_OK,
} from "../../lib/fleetlet";

let failures = 0;

function check(name: string, ok: bool, detail: string): void {
  if (ok) log("ok " + name);
  else {
    failures++;
    logError("FAIL " + name + ": " + detail);
  }
}

function same(name: string, got: string, want: string): void {
  check(name, got == want, 'got "' + got + '", want "' + want + '"');
}

export function init(): void {
  same("formatFixed 6 digits", formatFixed(48.1173, 6), "48.117300");
  same("formatFixed negative", formatFixed(-12.5, 1), "-12.5");
  same("formatFixed rounds to zero without a sign", formatFixed(-0.001, 2), "0.00");
  same("formatFixed no digits", formatFixed(3.0, 0), "3");
  same("formatFixed NaN", formatFixed(NaN, 2), "null");

  same("statusName E_DENIED", statusName(-1), "E_DENIED");
  same("statusName E_CLOSED", statusName(-14), "E_CLOSED");
  same("statusName count", statusName(5), "OK");
  same("statusName unknown", statusName(-99), "E_99");

  same("setting with = in its value", setting("EQ", ""), "a=b=c");
  same("setting absent", setting("MISSING", "fallback"), "fallback");
  check("settingNumber", settingNumber("NUM", 0) == 2.5, "got " + settingNumber("NUM", 0).toString());
  check("settingNumber not a number", settingNumber("WORD", 7) == 7, "got " + settingNumber("WORD", 7).toString());

  let long = "";
  for (let i = 0; i < 100; i++) long += "0123456789";
  check("kvSet", kvSet("long", long) == STATUS_OK, statusName(lastStatus()));
  const back = kvGet("long");
  check("kvGet longer than its first buffer", back !== null && changetype<string>(back) == long, "got " + (back === null ? "null" : changetype<string>(back).length.toString() + " characters"));
  check("kvGet missing", kvGet("missing") === null && lastStatus() == STATUS_NOT_FOUND, statusName(lastStatus()));
  check("kvDelete", kvDelete("long") == STATUS_OK && kvGet("long") === null, statusName(lastStatus()));

  const before = monotonicMs();
  check("sleep", sleep(250) == STATUS_OK && monotonicMs() - before >= 250, "slept " + (monotonicMs() - before).toString() + " ms");

  const bytes = new Uint8Array(4);
  bytes[0] = 0; bytes[1] = 1; bytes[2] = 2; bytes[3] = 255;
  check("publishBytes", publishBytes("bytes", bytes) == STATUS_OK, statusName(lastStatus()));
  log(failures == 0 ? "all checks passed" : failures.toString() + " checks failed");
}

export function tick(): void {}
