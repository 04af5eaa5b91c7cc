// What a module publishes: the sink the agent wires to MQTT (the module's own subtree,
// `fleetlet/v1/dev/{deviceId}/app/{module}/{subtopic}`), and the subtopic syntax the host checks.

/** One message a module published. */
export interface AppMessage {
  readonly app: string;
  /** Below the module's namespace: levels of letters, digits, ".", "_", "-". */
  readonly subtopic: string;
  /** The module's bytes (a copy the sink may keep). */
  readonly payload: Uint8Array;
  /** Wall-clock time, ms since the Unix epoch. */
  readonly timeMs: number;
}

/** Takes a module's messages; the agent maps them to `appTopic(deviceId, app, subtopic)`. */
export interface Publisher {
  /** @throws anything: the host reports it to the module as E_IO */
  publish(message: AppMessage): void;
}

/** Longest subtopic in bytes (as schemas/topics.ts allows). */
export const MAX_SUBTOPIC_BYTES = 128;

/** Whether text is a concrete subtopic (no wildcards, no empty level), as schemas/topics.ts accepts. */
export function isSubtopic(text: string): boolean {
  return text.length > 0 && Buffer.byteLength(text) <= MAX_SUBTOPIC_BYTES && text.split('/').every((l) => /^[A-Za-z0-9._-]+$/.test(l));
}
