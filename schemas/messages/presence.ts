// Presence: whether a device's agent is connected (retained; the MQTT Last Will publishes the
// offline form, so a lost connection never overwrites the status report).

import { deviceId, millis, requestId } from '../names.ts';
import { s, type Infer } from '../schema/index.ts';
import { defineMessage } from './define.ts';

export const presenceSchema = s.object({
  v: s.literal(1),
  deviceId,
  state: s.oneOf(['online', 'offline']),
  /** When the session began (the Last Will is fixed at connect time, so it carries this too). */
  sinceMs: millis,
  /** One id per MQTT session, so an old session's will is told apart from a new session's presence. */
  sessionId: requestId,
});
export type Presence = Infer<typeof presenceSchema>;

export const presenceMessage = defineMessage('presence', presenceSchema, { signed: false, maxBytes: 1024, maxDepth: 1, maxStringBytes: 128, maxItems: 8 });

/** @throws SchemaError when the presence does not match its schema */
export function encodePresence(p: Presence): Uint8Array {
  return presenceMessage.encode(p);
}

/** @throws CborError, SchemaError */
export function decodePresence(bytes: Uint8Array): Presence {
  return presenceMessage.decode(bytes);
}
