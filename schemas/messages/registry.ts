// Every message type by name, and `SUPPORTED_VERSIONS`: the schema versions this build accepts,
// which agents report so that the cloud sends only what they understand.

import { chunkRequestMessage, chunkResponseMessage } from './chunk.ts';
import { commandMessage, commandResultMessage } from './command.ts';
import type { AnyMessage } from './define.ts';
import { desiredStateMessage } from './desired-state.ts';
import { enrollmentRequestMessage, enrollmentResponseMessage } from './enrollment.ts';
import { eventMessage } from './event.ts';
import { logBatchMessage } from './log.ts';
import { manifestMessage } from './manifest.ts';
import { presenceMessage } from './presence.ts';
import { statusMessage } from './status.ts';
import { telemetryMessage } from './telemetry.ts';
import { trustUpdateMessage } from './trust-update.ts';

/** Every message type, keyed by its name. */
export const MESSAGES = {
  manifest: manifestMessage,
  desiredState: desiredStateMessage,
  trustUpdate: trustUpdateMessage,
  status: statusMessage,
  presence: presenceMessage,
  event: eventMessage,
  telemetry: telemetryMessage,
  logBatch: logBatchMessage,
  command: commandMessage,
  commandResult: commandResultMessage,
  enrollmentRequest: enrollmentRequestMessage,
  enrollmentResponse: enrollmentResponseMessage,
  chunkRequest: chunkRequestMessage,
  chunkResponse: chunkResponseMessage,
} as const satisfies Record<string, AnyMessage>;

export type MessageName = keyof typeof MESSAGES;

/** Schema versions accepted per message type (what an agent puts in its status report). */
export const SUPPORTED_VERSIONS: Readonly<Record<MessageName, readonly number[]>> = Object.fromEntries(
  Object.entries(MESSAGES).map(([name, m]) => [name, [m.version]]),
) as unknown as Record<MessageName, readonly number[]>;
