// Errors of the cloud's store: one class with a stable code, saying what could not be done and on which record.

export type StoreErrorCode = 'closed' | 'not-found' | 'conflict' | 'retired' | 'bad-cursor' | 'bad-limit' | 'bad-value' | 'schema-too-new' | 'backend';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
