// The session's typed errors: what went wrong with the agent's MQTT connection or its events outbox, and where.

/** Stable reasons (tests and the agent's logs match on them; never rename one). */
export type SessionErrorCode =
  | 'bad-options'
  | 'closed'
  | 'connection-lost'
  | 'connect-failed'
  | 'publish-refused'
  | 'subscribe-refused'
  | 'handler-threw'
  | 'wrong-device'
  | 'outbox-damaged'
  | 'outbox-io';

/** Something the session could not do; `detail` is where (a topic, a file path, a URL). */
export class SessionError extends Error {
  override readonly name = 'SessionError';
  constructor(
    readonly code: SessionErrorCode,
    readonly detail: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The text of an unknown thrown value, for error messages. */
export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
