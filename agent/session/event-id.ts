// Idempotency keys for the agent's events: unique per device, across restarts, without any persisted counter.

import { randomBytes } from 'node:crypto';

/**
 * A new event id: the time in base 36 (so ids sort roughly by creation) and 72 random bits (so two ids made in the
 * same millisecond, or after the clock stepped back, still differ). Matches the schemas' request id pattern.
 */
export function newEventId(nowMs: number = Date.now()): string {
  return `${Math.max(0, Math.floor(nowMs)).toString(36)}-${randomBytes(9).toString('base64url')}`;
}

/** A new MQTT session id (one per connection, carried in presence so an old session's will is told apart). */
export function newSessionId(): string {
  return randomBytes(12).toString('hex');
}
