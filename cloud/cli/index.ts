// The operator's `fleetlet` commands over the cloud's HTTP API: devices, release, rollout, logs.

export { registerDevices } from './devices.ts';
export { registerRelease } from './release.ts';
export { registerRollout, createRequest, watchRollout, rolloutSummary, type CreateFlags } from './rollout.ts';
export { registerLogs, printLogs } from './logs.ts';
export { CloudClient, ApiError, type CloudClientOptions } from './client.ts';
export { DEFAULT_CLOUD, type CloudCliIo } from './_common.ts';
