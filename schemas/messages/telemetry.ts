// Telemetry: numeric readings from a device or one of its modules (the one message with floats;
// it is never signed, so it needs no canonical form).

import { appName, deviceId, millis, requestId } from '../names.ts';
import { s, type Infer } from '../schema/index.ts';
import { defineMessage } from './define.ts';

export const telemetryPointSchema = s.object({
  name: s.text({ maxBytes: 64, minBytes: 1, pattern: /[A-Za-z0-9_.:-]+/, describe: 'a metric name (letters, digits, "_", ".", ":", "-")' }),
  value: s.float(),
  unit: s.optional(s.text({ maxBytes: 16, minBytes: 1 })),
  /** When the value was read, if not the report's time. */
  timeMs: s.optional(millis),
});
export type TelemetryPoint = Infer<typeof telemetryPointSchema>;

export const telemetrySchema = s.object({
  v: s.literal(1),
  deviceId,
  /** Idempotency key, unique per device: a report redelivered at QoS 1 is counted once. */
  id: requestId,
  timeMs: millis,
  /** The module that produced the points; absent for the agent's own. */
  module: s.optional(appName),
  points: s.array(telemetryPointSchema, { minItems: 1, maxItems: 256 }),
});
export type Telemetry = Infer<typeof telemetrySchema>;

export const telemetryMessage = defineMessage('telemetry', telemetrySchema, { signed: false, floats: true, maxBytes: 32 * 1024, maxDepth: 3, maxStringBytes: 128, maxItems: 256 });

/** @throws SchemaError when the report does not match its schema */
export function encodeTelemetry(t: Telemetry): Uint8Array {
  return telemetryMessage.encode(t);
}

/** @throws CborError, SchemaError */
export function decodeTelemetry(bytes: Uint8Array): Telemetry {
  return telemetryMessage.decode(bytes);
}
