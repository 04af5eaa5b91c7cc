// The agent's MQTT session: the public surface (re-exports only).
export { BusOffline } from './bus.ts';
export type { MessageBus, MessageHandler, PublishOptions } from './bus.ts';
export { busFromClient } from './client-bus.ts';
export { Session } from './session.ts';
export type { SessionOptions, SessionStats, SessionState, SessionTls } from './options.ts';
export { SessionError } from './errors.ts';
export type { SessionErrorCode } from './errors.ts';
export { Backoff, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
export type { BackoffOptions } from './backoff.ts';
export { Outbox, DEFAULT_OUTBOX_LIMITS } from './outbox.ts';
export type { OutboxEntry, OutboxLimits } from './outbox.ts';
export { newEventId, newSessionId } from './event-id.ts';
