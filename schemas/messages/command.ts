// Commands from the cloud to one device (restart a module, report status ...) and the device's
// result for each, correlated by the command id in the payload (MQTT 3.1.1 has no correlation data).

import { appName, deviceId, errorCode, millis, requestId } from '../names.ts';
import { s, type Infer } from '../schema/index.ts';
import { logLevel } from './log.ts';
import { defineMessage } from './define.ts';

/** What a command asks for, told apart by `op`. None can install code: only a signed desired state can. */
export const commandAction = s.union('op', [
  s.object({ op: s.literal('restart-module'), module: appName }),
  s.object({ op: s.literal('stop-module'), module: appName }),
  s.object({ op: s.literal('start-module'), module: appName }),
  s.object({ op: s.literal('set-log-level'), module: appName, level: logLevel }),
  s.object({ op: s.literal('report-status') }),
  s.object({ op: s.literal('resync') }),
]);
export type CommandAction = Infer<typeof commandAction>;

export const commandSchema = s.object(
  {
    v: s.literal(1),
    /** Correlates the result; a device runs each id once. */
    id: requestId,
    /** The one device the command is for (a command for another device is refused). */
    deviceId,
    issuedAtMs: millis,
    /** A command still queued for an offline device is not run after this. */
    expiresAtMs: millis,
    action: commandAction,
  },
  { rules: [(c) => (c.expiresAtMs > c.issuedAtMs ? undefined : { field: '.expiresAtMs', detail: `expiry "${c.expiresAtMs}" is not after issue "${c.issuedAtMs}"` })] },
);
export type Command = Infer<typeof commandSchema>;

export const commandMessage = defineMessage('command', commandSchema, { signed: false, maxBytes: 4096, maxDepth: 2, maxStringBytes: 128, maxItems: 16 });

export const commandResultSchema = s.object({
  v: s.literal(1),
  /** The command's id. */
  id: requestId,
  deviceId,
  timeMs: millis,
  status: s.oneOf(['ok', 'failed', 'refused', 'expired']),
  code: s.optional(errorCode),
  message: s.optional(s.text({ maxBytes: 1024 })),
});
export type CommandResult = Infer<typeof commandResultSchema>;

export const commandResultMessage = defineMessage('commandResult', commandResultSchema, { signed: false, maxBytes: 4096, maxDepth: 1, maxStringBytes: 1024, maxItems: 16 });

/** @throws SchemaError when the command does not match its schema */
export function encodeCommand(c: Command): Uint8Array {
  return commandMessage.encode(c);
}

/** @throws CborError, SchemaError */
export function decodeCommand(bytes: Uint8Array): Command {
  return commandMessage.decode(bytes);
}

/** @throws SchemaError when the result does not match its schema */
export function encodeCommandResult(r: CommandResult): Uint8Array {
  return commandResultMessage.encode(r);
}

/** @throws CborError, SchemaError */
export function decodeCommandResult(bytes: Uint8Array): CommandResult {
  return commandResultMessage.decode(bytes);
}
