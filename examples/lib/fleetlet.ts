// fleetlet's AssemblyScript binding library: typed wrappers over the `fleetlet:host/v1` host API
// (schemas/host-imports.ts, docs/host-api.md) and the WASI calls apps need, so an app calls
// readSensor("temperature") or gpioWrite(17, true) rather than passing pointers and lengths.
// @ts-nocheck: AssemblyScript source, compiled by asc (examples/build.ts), not by the project's tsc.
//
// Only the functions an app calls end up as imports of its module (asc compiles what is used),
// so an app that never touches serial ports needs no serial capability.
//
// Errors: calls that can fail return the host's status (0 or a count on success, a negative
// STATUS_* value otherwise); calls that return a value (readSensor, kvGet, serialReadLine) return
// NaN or null on failure, and lastStatus() tells why. statusName() names a status.

// ---- the raw host imports, typed exactly as schemas/host-imports.ts ----

@external("fleetlet:host/v1", "log")
declare function host_log(level: i32, ptr: usize, len: usize): void;
@external("fleetlet:host/v1", "clock_wall")
declare function host_clock_wall(): i64;
@external("fleetlet:host/v1", "clock_mono")
declare function host_clock_mono(): i64;
@external("fleetlet:host/v1", "sleep")
declare function host_sleep(ms: i32): i32;
@external("fleetlet:host/v1", "sensor_read")
declare function host_sensor_read(namePtr: usize, nameLen: usize, outPtr: usize): i32;
@external("fleetlet:host/v1", "gpio_config")
declare function host_gpio_config(pin: i32, direction: i32): i32;
@external("fleetlet:host/v1", "gpio_read")
declare function host_gpio_read(pin: i32): i32;
@external("fleetlet:host/v1", "gpio_write")
declare function host_gpio_write(pin: i32, level: i32): i32;
@external("fleetlet:host/v1", "gpio_wait_edge")
declare function host_gpio_wait_edge(pin: i32, edge: i32, timeoutMs: i32): i32;
@external("fleetlet:host/v1", "serial_open")
declare function host_serial_open(pathPtr: usize, pathLen: usize, baud: i32): i32;
@external("fleetlet:host/v1", "serial_read")
declare function host_serial_read(handle: i32, bufPtr: usize, bufLen: usize, timeoutMs: i32): i32;
@external("fleetlet:host/v1", "serial_write")
declare function host_serial_write(handle: i32, ptr: usize, len: usize): i32;
@external("fleetlet:host/v1", "serial_close")
declare function host_serial_close(handle: i32): i32;
@external("fleetlet:host/v1", "publish")
declare function host_publish(topicPtr: usize, topicLen: usize, payloadPtr: usize, payloadLen: usize): i32;
@external("fleetlet:host/v1", "kv_get")
declare function host_kv_get(keyPtr: usize, keyLen: usize, bufPtr: usize, bufLen: usize): i32;
@external("fleetlet:host/v1", "kv_set")
declare function host_kv_set(keyPtr: usize, keyLen: usize, valPtr: usize, valLen: usize): i32;
@external("fleetlet:host/v1", "kv_delete")
declare function host_kv_delete(keyPtr: usize, keyLen: usize): i32;
@external("wasi_snapshot_preview1", "environ_sizes_get")
declare function wasi_environ_sizes_get(countPtr: usize, bufSizePtr: usize): i32;
@external("wasi_snapshot_preview1", "environ_get")
declare function wasi_environ_get(environPtr: usize, bufPtr: usize): i32;

// ---- statuses (docs/host-api.md "Status codes") ----

export const STATUS_OK: i32 = 0;
export const STATUS_DENIED: i32 = -1;
export const STATUS_INVALID: i32 = -2;
export const STATUS_FAULT: i32 = -3;
export const STATUS_NOT_FOUND: i32 = -4;
export const STATUS_BUSY: i32 = -5;
export const STATUS_TIMEOUT: i32 = -6;
export const STATUS_IO: i32 = -7;
export const STATUS_RATE_LIMITED: i32 = -8;
export const STATUS_QUOTA: i32 = -9;
export const STATUS_BAD_HANDLE: i32 = -10;
export const STATUS_STATE: i32 = -11;
export const STATUS_TOO_BIG: i32 = -12;
export const STATUS_UNSUPPORTED: i32 = -13;
export const STATUS_CLOSED: i32 = -14;

const STATUS_NAMES: string[] = [
  "E_DENIED", "E_INVALID", "E_FAULT", "E_NOT_FOUND", "E_BUSY", "E_TIMEOUT", "E_IO",
  "E_RATE_LIMITED", "E_QUOTA", "E_BAD_HANDLE", "E_STATE", "E_TOO_BIG", "E_UNSUPPORTED", "E_CLOSED",
];

/** "OK", "E_DENIED"...; a count (a positive status) reads as "OK". */
export function statusName(status: i32): string {
  if (status >= 0) return "OK";
  const i = -status - 1;
  return i < STATUS_NAMES.length ? STATUS_NAMES[i] : "E_" + (-status).toString();
}

let status: i32 = 0;

/** The status of the last call made through this library. */
export function lastStatus(): i32 {
  return status;
}

/** 16 bytes of static memory for out-parameters (an f64 reading, WASI sizes). */
const SCRATCH: usize = memory.data(16, 8);

function utf8(text: string): ArrayBuffer {
  return String.UTF8.encode(text);
}

// ---- log ----

export const LEVEL_DEBUG: i32 = 0;
export const LEVEL_INFO: i32 = 1;
export const LEVEL_WARN: i32 = 2;
export const LEVEL_ERROR: i32 = 3;

/** Writes one line to the module log at a level (lines are cut at 4096 bytes by the host). */
export function logAt(level: i32, message: string): void {
  const b = utf8(message);
  host_log(level, changetype<usize>(b), <usize>b.byteLength);
}

/** Writes an info line to the module log. */
export function log(message: string): void {
  logAt(LEVEL_INFO, message);
}
export function logDebug(message: string): void {
  logAt(LEVEL_DEBUG, message);
}
export function logWarn(message: string): void {
  logAt(LEVEL_WARN, message);
}
export function logError(message: string): void {
  logAt(LEVEL_ERROR, message);
}

/**
 * The abort handler every example is built with (`--use abort=...`): logs the message and where
 * it came from as an error line, then traps, so the agent reports the app as trapped.
 */
export function fleetletAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = "abort: " + (message === null ? "(no message)" : changetype<string>(message));
  if (fileName !== null) text += " at " + changetype<string>(fileName) + ":" + line.toString() + ":" + column.toString();
  logError(text);
  unreachable();
}

// ---- clocks and sleep ----

/** Milliseconds of the agent's monotonic clock (no capability needed). */
export function monotonicMs(): f64 {
  return <f64>host_clock_mono() / 1e6;
}

/** Milliseconds since the Unix epoch (capability `clock`). */
export function wallClockMs(): f64 {
  return <f64>host_clock_wall() / 1e6;
}

/** Waits `ms` milliseconds without holding the agent; returns the status. */
export function sleep(ms: i32): i32 {
  status = host_sleep(ms);
  return status;
}

// ---- sensors ----

/** Reads a named sensor (capability `sensor:<name>:read`); NaN on failure (see lastStatus()). */
export function readSensor(name: string): f64 {
  const n = utf8(name);
  status = host_sensor_read(changetype<usize>(n), <usize>n.byteLength, SCRATCH);
  return status < 0 ? NaN : load<f64>(SCRATCH);
}

// ---- GPIO ----

export const INPUT: i32 = 0;
export const OUTPUT: i32 = 1;
export const EDGE_RISING: i32 = 0;
export const EDGE_FALLING: i32 = 1;
export const EDGE_BOTH: i32 = 2;

const outputs = new Set<i32>();

/** Configures a pin as INPUT or OUTPUT (capability `gpio:<pin>:in` or `gpio:<pin>:out`). */
export function gpioConfig(pin: i32, direction: i32): i32 {
  status = host_gpio_config(pin, direction);
  if (status >= 0) {
    if (direction == OUTPUT) outputs.add(pin);
    else outputs.delete(pin);
  }
  return status;
}

/** Drives an output pin; configures it as an output first if this library has not yet. */
export function gpioWrite(pin: i32, high: bool): i32 {
  if (!outputs.has(pin)) {
    const s = gpioConfig(pin, OUTPUT);
    if (s < 0) return s;
  }
  status = host_gpio_write(pin, high ? 1 : 0);
  return status;
}

/** A configured pin's level, 0 or 1, or a negative status. */
export function gpioRead(pin: i32): i32 {
  status = host_gpio_read(pin);
  return status;
}

/** Waits for an edge on an input pin: the level after it, or a negative status (STATUS_TIMEOUT). */
export function gpioWaitEdge(pin: i32, edge: i32, timeoutMs: i32): i32 {
  status = host_gpio_wait_edge(pin, edge, timeoutMs);
  return status;
}

// ---- serial ports ----

/** Longest line serialReadLine returns; longer lines come out in pieces of this size. */
export const MAX_LINE_BYTES: i32 = 1024;

class LineReader {
  buf: Uint8Array = new Uint8Array(MAX_LINE_BYTES);
  len: i32 = 0;
}

const readers = new Map<i32, LineReader>();

/** Opens a serial port (capability `serial:<path>:<baud>`): a handle, or a negative status. */
export function serialOpen(path: string, baud: i32): i32 {
  const p = utf8(path);
  status = host_serial_open(changetype<usize>(p), <usize>p.byteLength, baud);
  return status;
}

/** Reads into `into`, waiting up to `timeoutMs` for the first byte: the count (0 on timeout) or a negative status. */
export function serialRead(handle: i32, into: Uint8Array, timeoutMs: i32): i32 {
  status = host_serial_read(handle, into.dataStart, <usize>into.length, timeoutMs);
  return status;
}

/** Writes text as UTF-8: the bytes written or a negative status. */
export function serialWrite(handle: i32, text: string): i32 {
  const b = utf8(text);
  status = host_serial_write(handle, changetype<usize>(b), <usize>b.byteLength);
  return status;
}

/** Writes bytes: the bytes written or a negative status. */
export function serialWriteBytes(handle: i32, data: Uint8Array): i32 {
  status = host_serial_write(handle, data.dataStart, <usize>data.length);
  return status;
}

export function serialClose(handle: i32): i32 {
  readers.delete(handle);
  status = host_serial_close(handle);
  return status;
}

/**
 * The next line from a port (without its CR LF), waiting up to `timeoutMs` for it to be
 * complete; null when none is complete by then (what arrived is kept for the next call) or on
 * an error (lastStatus() is STATUS_TIMEOUT or the error). With 0 it only takes what is there.
 */
export function serialReadLine(handle: i32, timeoutMs: i32): string | null {
  let r: LineReader;
  if (readers.has(handle)) r = readers.get(handle);
  else {
    r = new LineReader();
    readers.set(handle, r);
  }
  const deadline = monotonicMs() + <f64>timeoutMs;
  while (true) {
    const nl = r.buf.subarray(0, r.len).indexOf(10);
    if (nl >= 0 || r.len == MAX_LINE_BYTES) {
      const end = nl >= 0 ? nl : r.len;
      let textEnd = end;
      if (textEnd > 0 && r.buf[textEnd - 1] == 13) textEnd--;
      const line = String.UTF8.decodeUnsafe(r.buf.dataStart, <usize>textEnd);
      const rest = nl >= 0 ? end + 1 : end;
      r.buf.copyWithin(0, rest, r.len);
      r.len -= rest;
      status = STATUS_OK;
      return line;
    }
    let wait = <i32>Math.ceil(deadline - monotonicMs());
    if (wait < 0) wait = 0;
    const n = host_serial_read(handle, r.buf.dataStart + <usize>r.len, <usize>(MAX_LINE_BYTES - r.len), wait);
    if (n < 0) {
      status = n;
      return null;
    }
    if (n == 0) {
      status = STATUS_TIMEOUT;
      return null;
    }
    r.len += n;
  }
}

// ---- publish ----

/** Publishes text below the app's topic namespace (capability `publish:<filter>` covering `subtopic`). */
export function publish(subtopic: string, payload: string): i32 {
  return publishBytes(subtopic, Uint8Array.wrap(utf8(payload)));
}

export function publishBytes(subtopic: string, payload: Uint8Array): i32 {
  const t = utf8(subtopic);
  status = host_publish(changetype<usize>(t), <usize>t.byteLength, payload.dataStart, <usize>payload.length);
  return status;
}

// ---- key-value store (capability `kv:<size>`) ----

/** The value stored under `key`, or null (lastStatus() is STATUS_NOT_FOUND when there is none). */
export function kvGet(key: string): string | null {
  const k = utf8(key);
  let cap = 256;
  while (true) {
    const buf = new ArrayBuffer(cap);
    const n = host_kv_get(changetype<usize>(k), <usize>k.byteLength, changetype<usize>(buf), <usize>cap);
    status = n;
    if (n < 0) return null;
    if (n <= cap) return String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>n);
    cap = n; // the host returns the full length when the buffer was too small
  }
}

export function kvSet(key: string, value: string): i32 {
  const k = utf8(key);
  const v = utf8(value);
  status = host_kv_set(changetype<usize>(k), <usize>k.byteLength, changetype<usize>(v), <usize>v.byteLength);
  return status;
}

export function kvDelete(key: string): i32 {
  const k = utf8(key);
  status = host_kv_delete(changetype<usize>(k), <usize>k.byteLength);
  return status;
}

// ---- settings: the per-device settings, as WASI environment variables ----

let settings: Map<string, string> | null = null;

function loadSettings(): Map<string, string> {
  const map = new Map<string, string>();
  if (wasi_environ_sizes_get(SCRATCH, SCRATCH + 4) != 0) return map;
  const count = load<u32>(SCRATCH);
  const size = load<u32>(SCRATCH + 4);
  const ptrs = new ArrayBuffer(<i32>(count * 4));
  const buf = new ArrayBuffer(<i32>size);
  if (wasi_environ_get(changetype<usize>(ptrs), changetype<usize>(buf)) != 0) return map;
  for (let i: u32 = 0; i < count; i++) {
    const start = load<usize>(changetype<usize>(ptrs) + <usize>(i * 4));
    let end = start;
    while (load<u8>(end) != 0) end++;
    const entry = String.UTF8.decodeUnsafe(start, end - start);
    const eq = entry.indexOf("=");
    if (eq > 0) map.set(entry.substring(0, eq), entry.substring(eq + 1));
  }
  return map;
}

/** A per-device setting (the descriptor's default, or the desired state's value), or `fallback`. */
export function setting(name: string, fallback: string): string {
  if (settings === null) settings = loadSettings();
  const s = changetype<Map<string, string>>(settings);
  return s.has(name) ? s.get(name) : fallback;
}

/** A setting read as a number; `fallback` when it is absent or not a number. */
export function settingNumber(name: string, fallback: f64): f64 {
  const text = setting(name, "");
  if (text.length == 0) return fallback;
  const v = parseFloat(text);
  return isNaN(v) ? fallback : v;
}

// ---- formatting ----

/** `value` with exactly `digits` decimals ("48.117300"); "null" for NaN and infinities (JSON-safe). */
export function formatFixed(value: f64, digits: i32): string {
  if (!isFinite(value)) return "null";
  const scale = Math.pow(10, <f64>digits);
  const scaled = <i64>Math.round(Math.abs(value) * scale);
  const whole = scaled / <i64>scale;
  let frac = (scaled % <i64>scale).toString();
  while (frac.length < digits) frac = "0" + frac;
  const sign = value < 0 && scaled != 0 ? "-" : "";
  return digits > 0 ? sign + whole.toString() + "." + frac : sign + whole.toString();
}
