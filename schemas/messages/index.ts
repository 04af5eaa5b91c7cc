// fleetlet's messages: the public surface (re-exports only).
export { defineMessage } from './define.ts';
export type { Message, AnyMessage, MessageOptions, DecodeResult, VersionedShape } from './define.ts';
export { MESSAGES, SUPPORTED_VERSIONS } from './registry.ts';
export type { MessageName } from './registry.ts';
export { manifestMessage, manifestSchema, limitsSchema, appKind, capabilityText, encodeManifest, decodeManifest, MAX_MODULE_BYTES } from './manifest.ts';
export type { Manifest, ManifestLimits, AppKind } from './manifest.ts';
export { desiredStateMessage, desiredStateSchema, desiredModuleSchema, encodeDesiredState, decodeDesiredState } from './desired-state.ts';
export type { DesiredState, DesiredModule } from './desired-state.ts';
export { trustUpdateMessage, trustUpdateSchema, trustedKeySchema, keyRole, encodeTrustUpdate, decodeTrustUpdate, MAX_ROOT_KEYS } from './trust-update.ts';
export type { TrustUpdate, TrustedKey, KeyRole } from './trust-update.ts';
export { statusMessage, statusSchema, moduleStatusSchema, moduleMetricsSchema, moduleState, encodeStatus, decodeStatus } from './status.ts';
export type { Status, ModuleStatus, ModuleState, ModuleMetrics } from './status.ts';
export { presenceMessage, presenceSchema, encodePresence, decodePresence } from './presence.ts';
export type { Presence } from './presence.ts';
export { eventMessage, eventSchema, encodeEvent, decodeEvent } from './event.ts';
export type { DeviceEvent } from './event.ts';
export { telemetryMessage, telemetrySchema, telemetryPointSchema, encodeTelemetry, decodeTelemetry } from './telemetry.ts';
export type { Telemetry, TelemetryPoint } from './telemetry.ts';
export { logBatchMessage, logBatchSchema, logEntrySchema, logLevel, encodeLogBatch, decodeLogBatch } from './log.ts';
export type { LogBatch, LogEntry, LogLevel } from './log.ts';
export { commandMessage, commandSchema, commandAction, commandResultMessage, commandResultSchema, encodeCommand, decodeCommand, encodeCommandResult, decodeCommandResult } from './command.ts';
export type { Command, CommandAction, CommandResult } from './command.ts';
export {
  enrollmentRequestMessage,
  enrollmentRequestSchema,
  enrollmentResponseMessage,
  enrollmentResponseSchema,
  encodeEnrollmentRequest,
  decodeEnrollmentRequest,
  encodeEnrollmentResponse,
  decodeEnrollmentResponse,
  enrollmentSigningBytes,
  ENROLLMENT_SIGNING_CONTEXT,
  sealedCredentialsSchema,
} from './enrollment.ts';
export type { EnrollmentRequest, EnrollmentResponse, SealedCredentials } from './enrollment.ts';
export { chunkRequestMessage, chunkRequestSchema, chunkResponseMessage, chunkResponseSchema, encodeChunkRequest, decodeChunkRequest, encodeChunkResponse, decodeChunkResponse, MAX_CHUNK_BYTES } from './chunk.ts';
export type { ChunkRequest, ChunkResponse } from './chunk.ts';
