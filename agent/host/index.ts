// fleetlet's host API for modules: the public surface of agent/host (re-exports only; the
// hardware interfaces and backends are in hw/).
export { AppHost } from './app-host.ts';
export { AppRunner } from './app-runner.ts';
export type { AppSpec, RunnerOptions, VirtualTime } from './app-runner.ts';
export type { AppError, AppErrorReason, AppPhase, AppReport, AppState } from './app-report.ts';
export { DEFAULT_HOST_LIMITS } from './config.ts';
export { hostDevice, serialPathFor } from './device.ts';
export type { DeviceWiring } from './device.ts';
export type { AppHostOptions, HostDevice, HostLimits } from './config.ts';
export { Grants } from './grants.ts';
export type { MissingReason } from './grants.ts';
export { ProcExit, RECENT_EVENTS } from './host-context.ts';
export type { HostEvent, HostStats } from './host-context.ts';
export type { HostDef, RateClass } from './host-def.ts';
export { HOST_API_DOC, renderHostApiDoc } from './host-api-doc.ts';
export { KV_ENTRY_OVERHEAD, KV_MAX_KEY_BYTES, KvError, KvStore, kvFile } from './kv-store.ts';
export type { KvErrorCode } from './kv-store.ts';
export { HOST_DEFS, findHostDef, linkHost } from './link.ts';
export { MAX_LOG_LINE_BYTES } from './log-lines.ts';
export type { LogLine, LogSink } from './log-lines.ts';
export { isSubtopic, MAX_SUBTOPIC_BYTES } from './publisher.ts';
export type { AppMessage, Publisher } from './publisher.ts';
export { ERRNO, OK, STATUS, statusOfHardware, statusText } from './status.ts';
export type { StatusName, StatusSpec } from './status.ts';
