// The status numbers fleetlet's host API returns to modules (0 or a count on success, a negative
// code otherwise) as data, the WASI preview1 errno values the WASI subset uses, and the one
// mapping from hardware errors to statuses.

import type { HardwareErrorCode } from './hw/errors.ts';

/** One negative status a `fleetlet:host/v1` function can return. */
export interface StatusSpec {
  readonly value: number;
  readonly name: string;
  readonly meaning: string;
}

function status(value: number, name: string, meaning: string): StatusSpec {
  return { value, name, meaning };
}

/**
 * Every error status, by stable name (the values are part of the ABI: never renumber one).
 * The AssemblyScript binding and docs/host-api.md are generated from this table.
 */
export const STATUS = {
  denied: status(-1, 'E_DENIED', 'outside the granted capabilities (another pin, port, sensor or topic); the backend was not called'),
  invalid: status(-2, 'E_INVALID', 'an argument is out of range or malformed (direction, level, edge, baud rate, key, topic)'),
  fault: status(-3, 'E_FAULT', 'a pointer and length do not lie inside the module memory'),
  notFound: status(-4, 'E_NOT_FOUND', 'no such sensor, line, port or key'),
  busy: status(-5, 'E_BUSY', 'in use (a line already held, a read already running)'),
  timeout: status(-6, 'E_TIMEOUT', 'the wait ended without the event (an edge that did not come, a device that did not answer)'),
  io: status(-7, 'E_IO', 'the device failed (sensor unplugged, read error)'),
  rateLimited: status(-8, 'E_RATE_LIMITED', 'the module made more host calls (or published more bytes) per second than its limits allow'),
  quota: status(-9, 'E_QUOTA', 'the key-value store or the host memory budget would exceed its quota'),
  badHandle: status(-10, 'E_BAD_HANDLE', 'no open serial port has this handle'),
  state: status(-11, 'E_STATE', 'not possible in this state (a line not configured, or configured the other way)'),
  tooBig: status(-12, 'E_TOO_BIG', 'a payload, value or write is larger than the host accepts'),
  unsupported: status(-13, 'E_UNSUPPORTED', 'the device cannot do this (no such backend on this device)'),
  closed: status(-14, 'E_CLOSED', 'the port or backend was closed, or the module is stopping'),
} as const satisfies Record<string, StatusSpec>;

export type StatusName = keyof typeof STATUS;

/** The success status. */
export const OK = 0;

/** Status for each hardware error code (one place: every backend error reaches modules through it). */
const FROM_HARDWARE: Readonly<Record<HardwareErrorCode, StatusName>> = {
  'unknown-sensor': 'notFound',
  'unknown-line': 'notFound',
  'unknown-port': 'notFound',
  'not-configured': 'state',
  'wrong-direction': 'state',
  'busy': 'busy',
  'timeout': 'timeout',
  'aborted': 'closed',
  'io': 'io',
  'closed': 'closed',
  'invalid-argument': 'invalid',
  'unsupported': 'unsupported',
};

/** The status a hardware error code becomes. */
export function statusOfHardware(code: HardwareErrorCode): StatusName {
  return FROM_HARDWARE[code];
}

/** The name of a status value ("E_DENIED"), or undefined for 0, counts and unknown values. */
export function statusText(value: number): string | undefined {
  for (const s of Object.values(STATUS)) if (s.value === value) return s.name;
  return undefined;
}

/** The WASI preview1 errno values the subset returns (as `wasi_snapshot_preview1` defines them). */
export const ERRNO = {
  success: 0,
  again: 6,
  badf: 8,
  fault: 21,
  inval: 28,
  nosys: 52,
  notsup: 58,
  spipe: 70,
} as const;
