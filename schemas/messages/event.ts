// Events: things that happened on a device (an update committed, a module crashed, a signature
// refused), each with an idempotency key so that a redelivered event is counted once.

import { appName, deviceId, errorCode, millis, requestId } from '../names.ts';
import { s, type Infer } from '../schema/index.ts';
import { defineMessage } from './define.ts';

export const eventSchema = s.object({
  v: s.literal(1),
  deviceId,
  /** Idempotency key: unique per device; a receiver drops an id it has seen. */
  id: requestId,
  timeMs: millis,
  /** What happened, dotted ("update.committed", "module.trapped", "verify.refused"). */
  type: s.text({ maxBytes: 64, minBytes: 1, pattern: /[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*/, describe: 'an event type (dotted lowercase words)' }),
  severity: s.oneOf(['info', 'warning', 'error']),
  module: s.optional(appName),
  code: s.optional(errorCode),
  message: s.optional(s.text({ maxBytes: 1024 })),
  attributes: s.map(s.text({ maxBytes: 64, minBytes: 1, pattern: /[A-Za-z0-9_.-]+/ }), s.text({ maxBytes: 256 }), { maxEntries: 32 }),
});
export type DeviceEvent = Infer<typeof eventSchema>;

export const eventMessage = defineMessage('event', eventSchema, { signed: false, maxBytes: 16 * 1024, maxDepth: 2, maxStringBytes: 1024, maxItems: 32 });

/** @throws SchemaError when the event does not match its schema */
export function encodeEvent(e: DeviceEvent): Uint8Array {
  return eventMessage.encode(e);
}

/** @throws CborError, SchemaError */
export function decodeEvent(bytes: Uint8Array): DeviceEvent {
  return eventMessage.decode(bytes);
}
