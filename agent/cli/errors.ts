// `CliError`: a failure the `fleetlet` CLI reports as one line and an exit status, never as a stack trace.

/** Exit statuses of `fleetlet` (a wire format for scripts: never renumber). */
export const EXIT = {
  ok: 0,
  /** A file, key, module or document is wrong, or verification refused it. */
  failed: 1,
  /** The command line itself is wrong (commander reports these with this status too). */
  usage: 2,
  /** A bug in fleetlet. */
  internal: 70,
} as const;

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
  }
}
