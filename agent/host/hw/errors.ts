// The hardware backends' one error type: a HardwareError carries a stable code (it travels to
// the host API, which maps it to a module-visible error number) and the device it concerns.

/**
 * Why a hardware operation failed; values are stable strings (they travel in reports):
 * - unknown-sensor / unknown-line / unknown-port: no such sensor, GPIO line or serial path
 * - not-configured: a GPIO line used before `configure` (or after `release`)
 * - wrong-direction: writing an input line, or waiting for an edge on an output line
 * - busy: already configured or open, or held by another process, or an operation already running
 * - timeout: the device or tool did not answer in time (waiting for an edge that never comes is
 *   not an error: `waitEdge` resolves with null)
 * - aborted: the caller's AbortSignal fired
 * - io: the read or write itself failed (sensor unplugged, CRC error, tool exited with an error)
 * - closed: the backend or port was closed
 * - invalid-argument: a value out of range (baud rate, byte count, line value)
 * - unsupported: the backend cannot do this here (missing tools, unknown tool version)
 */
export type HardwareErrorCode =
  | 'unknown-sensor'
  | 'unknown-line'
  | 'unknown-port'
  | 'not-configured'
  | 'wrong-direction'
  | 'busy'
  | 'timeout'
  | 'aborted'
  | 'io'
  | 'closed'
  | 'invalid-argument'
  | 'unsupported';

/** A failed hardware operation: its code, the device it concerns, and the message to report. */
export class HardwareError extends Error {
  override readonly name = 'HardwareError';
  constructor(
    readonly code: HardwareErrorCode,
    /** The sensor name, line name or port path concerned, when there is one. */
    readonly device: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether `e` is a HardwareError, optionally with the given code. */
export function isHardwareError(e: unknown, code?: HardwareErrorCode): e is HardwareError {
  return e instanceof HardwareError && (code === undefined || e.code === code);
}

/** The HardwareError for a signal that fired: its reason when it is one, else "aborted". */
export function abortError(signal: AbortSignal, device: string | undefined): HardwareError {
  const r: unknown = signal.reason;
  if (r instanceof HardwareError) return r;
  return new HardwareError('aborted', device, `Operation on "${device ?? 'hardware'}" was aborted`, { cause: r });
}
