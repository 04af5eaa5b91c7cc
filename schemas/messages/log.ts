// Module logs: batches of lines one module wrote (its `log` host calls and WASI stdout/stderr).

import { appName, deviceId, millis } from '../names.ts';
import { s, type Infer } from '../schema/index.ts';
import { defineMessage } from './define.ts';

export const logLevel = s.oneOf(['debug', 'info', 'warn', 'error']);
export type LogLevel = Infer<typeof logLevel>;

export const logEntrySchema = s.object({
  timeMs: millis,
  level: logLevel,
  text: s.text({ maxBytes: 4096 }),
});
export type LogEntry = Infer<typeof logEntrySchema>;

export const logBatchSchema = s.object({
  v: s.literal(1),
  deviceId,
  module: appName,
  /** Batch number per module since the agent started: a gap means batches were lost. */
  seq: s.uint(),
  /** Lines dropped since the previous batch (rate limit or buffer full). */
  dropped: s.uint(),
  entries: s.array(logEntrySchema, { minItems: 1, maxItems: 256 }),
});
export type LogBatch = Infer<typeof logBatchSchema>;

export const logBatchMessage = defineMessage('logBatch', logBatchSchema, { signed: false, maxBytes: 256 * 1024, maxDepth: 3, maxStringBytes: 4096, maxItems: 256 });

/** @throws SchemaError when the batch does not match its schema */
export function encodeLogBatch(b: LogBatch): Uint8Array {
  return logBatchMessage.encode(b);
}

/** @throws CborError, SchemaError */
export function decodeLogBatch(bytes: Uint8Array): LogBatch {
  return logBatchMessage.decode(bytes);
}
