// The GPS logger example (AssemblyScript reactor): reads NMEA sentences from a serial GPS
// receiver, parses the positions of its $GPGGA sentences and publishes each one as JSON.
// @ts-nocheck: AssemblyScript source, compiled by asc (examples/build.ts), not by the project's tsc.
//
// The port and its baud rate are settings (GPS_PORT, GPS_BAUD) that the capability
// serial:<path>:<baud> must grant. Each tick takes the complete lines that arrived since the last
// one (serial reads wait only for what is there), so a slow tick never loses sentences: the host
// buffers them. Sentences with a bad checksum are counted and skipped; while the receiver has no
// fix, nothing is published. health() is 0 when the port could not be opened or no valid
// sentence came for 5 seconds.

import { formatFixed, log, logWarn, monotonicMs, publish, serialOpen, serialReadLine, setting, settingNumber, statusName, STATUS_TIMEOUT, lastStatus } from "../lib/fleetlet";
import { checksumOk, fields, parseGga } from "./nmea";

let port: string = "/dev/gps";
let baud: i32 = 9600;
let handle: i32 = -1;
let positions: i32 = 0;
let badSentences: i32 = 0;
let hadFix = false;
let lastValidAt: f64 = 0;

export function init(): void {
  port = setting("GPS_PORT", "/dev/gps");
  baud = <i32>settingNumber("GPS_BAUD", 9600);
  lastValidAt = monotonicMs();
  open();
}

function open(): void {
  handle = serialOpen(port, baud);
  if (handle < 0) logWarn("cannot open " + port + " at " + baud.toString() + " baud: " + statusName(handle));
  else log("reading NMEA from " + port + " at " + baud.toString() + " baud");
}

export function tick(): void {
  if (handle < 0) {
    open();
    return;
  }
  while (true) {
    const line = serialReadLine(handle, 0);
    if (line === null) {
      if (lastStatus() != STATUS_TIMEOUT) logWarn("cannot read " + port + ": " + statusName(lastStatus()));
      return;
    }
    sentence(changetype<string>(line));
  }
}

function sentence(line: string): void {
  if (line.length == 0) return;
  if (!checksumOk(line)) {
    badSentences++;
    logWarn("bad NMEA sentence (" + badSentences.toString() + " so far): " + line);
    return;
  }
  lastValidAt = monotonicMs();
  const p = parseGga(fields(line));
  if (p === null) return;
  if (p.quality == 0) {
    if (hadFix) log("lost the fix at " + p.utc);
    hadFix = false;
    return;
  }
  if (!hadFix) log("fix at " + p.utc + ": " + p.satellites.toString() + " satellites");
  hadFix = true;
  positions++;
  publish("position", '{"utc":"' + p.utc + '","lat":' + formatFixed(p.lat, 6) + ',"lon":' + formatFixed(p.lon, 6) + ',"alt":' + formatFixed(p.altitudeM, 1) + ',"sats":' + p.satellites.toString() + "}");
}

/** 1 while the port is open and valid sentences keep coming, else 0. */
export function health(): i32 {
  return handle >= 0 && monotonicMs() - lastValidAt < 5000 ? 1 : 0;
}
