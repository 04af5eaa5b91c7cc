// Why a module download stopped for good: one typed error with a stable code, so the reconciler can report it and
// decide whether to try again later (a cancelled or impossible download never loops).

/** Stable reasons (persisted in status reports and matched by tests; never rename one). */
export const DOWNLOAD_FAILURE_CODES = [
  /** The cloud answered that it cancelled this download for this device. */
  'cancelled',
  /** The cloud does not hold a blob with this digest. */
  'not-found',
  /** No chunk arrived for the configured stall timeout while connected. */
  'stalled',
  /** One chunk was asked for more times than allowed without an answer. */
  'too-many-attempts',
  /** A response claimed another total size, or carried more or fewer bytes than asked. */
  'size-mismatch',
  /** A response named another digest or offset than the request it answers, or the cloud refused the range. */
  'bad-response',
  /** The assembled bytes do not hash to the digest asked for. */
  'digest-mismatch',
  /** The file system is full (ENOSPC) while writing the partial file. */
  'no-space',
  /** The caller's AbortSignal fired (the partial download is kept for a resume). */
  'aborted',
] as const;

export type DownloadFailureCode = (typeof DOWNLOAD_FAILURE_CODES)[number];

/** A download that stopped and will not continue by itself. */
export class DownloadFailed extends Error {
  override readonly name = 'DownloadFailed';
  constructor(
    readonly code: DownloadFailureCode,
    /** SHA-256 hex of the blob. */
    readonly digest: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether `e` is a `DownloadFailed`, optionally with the given code. */
export function isDownloadFailed(e: unknown, code?: DownloadFailureCode): e is DownloadFailed {
  return e instanceof DownloadFailed && (code === undefined || e.code === code);
}
