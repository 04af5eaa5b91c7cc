// The typed error of device-side enrollment: why the device could not join the fleet.

/** Stable reasons (tests match on them; never rename one). */
export type EnrollmentErrorCode =
  /** The cloud refused the device; `refusal` holds the cloud's code. */
  | 'refused'
  /** The starting trust update is not signed by enough of the bootstrap roots pinned in the config. */
  | 'untrusted-roots'
  /** The trust store refused the starting trust update (its own checks: threshold, expiry, keys). */
  | 'trust-rejected'
  /** The sealed credentials do not open with the device's box key, or hold no password. */
  | 'bad-credentials'
  /** The options make no sense (threshold above the number of roots, a root that is not a key). */
  | 'bad-options'
  /** A persisted enrollment file is damaged. */
  | 'corrupt'
  /** The caller's AbortSignal fired. */
  | 'aborted';

export class EnrollmentError extends Error {
  override readonly name = 'EnrollmentError';
  constructor(
    readonly code: EnrollmentErrorCode,
    message: string,
    /** The cloud's refusal code, for 'refused'. */
    readonly refusal?: string,
  ) {
    super(message);
  }
}
