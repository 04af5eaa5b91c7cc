// The thermostat example (AssemblyScript reactor): each tick reads the temperature sensor,
// switches a heater relay on GPIO pin 17 with hysteresis around a setpoint, and publishes telemetry.
// @ts-nocheck: AssemblyScript source, compiled by asc (examples/build.ts), not by the project's tsc.
//
// The setpoint and the hysteresis are per-device settings (SETPOINT, HYSTERESIS: WASI environment
// variables), so changing them needs no re-signing. The relay goes on when the temperature is
// below SETPOINT - HYSTERESIS and off when it is above SETPOINT + HYSTERESIS; in between it keeps
// its state. A failed reading leaves the relay as it is; three in a row make health() report 0.

import { formatFixed, gpioWrite, lastStatus, log, logError, logWarn, publish, readSensor, settingNumber, statusName } from "../lib/fleetlet";

const RELAY_PIN: i32 = 17;

let setpoint: f64 = 21.0;
let hysteresis: f64 = 0.5;
let relayOn = false;
let failedReads: i32 = 0;

export function init(): void {
  setpoint = settingNumber("SETPOINT", 21.0);
  hysteresis = settingNumber("HYSTERESIS", 0.5);
  if (gpioWrite(RELAY_PIN, false) < 0) logError("cannot drive the relay on pin 17: " + statusName(lastStatus()));
  log("setpoint " + formatFixed(setpoint, 2) + " degC, hysteresis " + formatFixed(hysteresis, 2) + " degC");
}

export function tick(): void {
  const t = readSensor("temperature");
  if (isNaN(t)) {
    failedReads++;
    logWarn("cannot read the temperature: " + statusName(lastStatus()));
    return;
  }
  failedReads = 0;
  if (!relayOn && t < setpoint - hysteresis) switchRelay(true, t);
  else if (relayOn && t > setpoint + hysteresis) switchRelay(false, t);
  publish("telemetry", '{"temperature":' + formatFixed(t, 2) + ',"setpoint":' + formatFixed(setpoint, 2) + ',"relay":' + (relayOn ? "true" : "false") + "}");
}

/** 1 while the sensor answers, 0 after three failed readings in a row. */
export function health(): i32 {
  return failedReads < 3 ? 1 : 0;
}

function switchRelay(on: bool, t: f64): void {
  const s = gpioWrite(RELAY_PIN, on);
  if (s < 0) {
    logError("cannot switch the relay: " + statusName(s));
    return;
  }
  relayOn = on;
  log("heater " + (on ? "on" : "off") + " at " + formatFixed(t, 2) + " degC");
}
