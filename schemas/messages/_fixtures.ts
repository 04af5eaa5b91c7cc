// Sample documents for fleetlet's schema tests and fuzzers: one valid instance of each message.

import type { ChunkRequest, ChunkResponse } from './chunk.ts';
import type { Command, CommandResult } from './command.ts';
import type { DesiredState } from './desired-state.ts';
import type { EnrollmentRequest, EnrollmentResponse } from './enrollment.ts';
import type { DeviceEvent } from './event.ts';
import type { LogBatch } from './log.ts';
import type { Manifest } from './manifest.ts';
import type { Presence } from './presence.ts';
import type { Status } from './status.ts';
import type { Telemetry } from './telemetry.ts';
import type { TrustUpdate } from './trust-update.ts';

export const sampleManifest: Manifest = {
  v: 1,
  name: 'thermostat',
  version: '1.4.0',
  sequence: 7,
  digest: new Uint8Array(32).fill(0xab),
  size: 12345,
  capabilities: ['sensor:temperature:read', 'gpio:17:out', 'kv:64KiB', 'publish:alerts/#'],
  limits: {
    maxMemoryPages: 16,
    maxTableElements: 1000,
    maxCallDepth: 1000,
    maxStackSlots: 65536,
    fuelPerTick: 1_000_000,
    hostCallsPerSecond: 100,
    tickPeriodMs: 1000,
  },
  kind: 'reactor',
  targets: ['rpi4', 'sim'],
  issuedAt: 1_700_000_000,
  expiresAt: 1_800_000_000,
};

export const sampleDesiredState: DesiredState = {
  v: 1,
  deviceId: 'dev-0001',
  sequence: 42,
  issuedAt: 1_700_000_000,
  expiresAt: 1_700_086_400,
  modules: [
    { name: 'thermostat', manifestDigest: new Uint8Array(32).fill(1), settings: { SETPOINT: '21.5', MODE: 'heat' } },
    { name: 'logger', manifestDigest: new Uint8Array(32).fill(2), settings: {} },
  ],
};

export const sampleTrustUpdate: TrustUpdate = {
  v: 1,
  sequence: 3,
  issuedAt: 1_700_000_000,
  expiresAt: 1_731_536_000,
  rootThreshold: 2,
  keys: [
    { id: 'root-a', publicKey: new Uint8Array(32).fill(0x11), role: 'root', notBefore: 1_600_000_000, notAfter: 2_000_000_000 },
    { id: 'root-b', publicKey: new Uint8Array(32).fill(0x12), role: 'root', notBefore: 1_600_000_000, notAfter: 2_000_000_000 },
    { id: 'root-c', publicKey: new Uint8Array(32).fill(0x13), role: 'root', notBefore: 1_600_000_000, notAfter: 2_000_000_000 },
    { id: 'modsign-1', publicKey: new Uint8Array(32).fill(0x21), role: 'module-signer', notBefore: 1_600_000_000, notAfter: 1_900_000_000 },
    { id: 'state-1', publicKey: new Uint8Array(32).fill(0x31), role: 'state-signer', notBefore: 1_600_000_000, notAfter: 1_800_000_000 },
  ],
  revoked: ['modsign-0'],
};

export const sampleStatus: Status = {
  v: 1,
  deviceId: 'dev-0001',
  deviceClass: 'rpi4',
  timeMs: 1_700_000_000_123,
  seq: 3 * 2 ** 32 + 17,
  agentVersion: '0.1.0',
  supportedVersions: { manifest: [1], desiredState: [1], trustUpdate: [1] },
  trustSequence: 3,
  desiredSequence: 42,
  uptimeS: 86_400,
  modules: [
    {
      name: 'thermostat', version: '1.4.0', sequence: 7, manifestDigest: new Uint8Array(32).fill(1), state: 'running', restarts: 0,
      metrics: { ticks: 1200, fuelPerTick: 5400, fuelPerTickMax: 9100, memoryHighWaterPages: 2, traps: 0, exhaustions: 0, logLines: 31 },
    },
    { name: 'logger', version: '0.2.0', sequence: 2, manifestDigest: new Uint8Array(32).fill(2), state: 'rolled-back', restarts: 3, errorCode: 'health-failed', detail: 'health returned 0 three times' },
  ],
};

export const samplePresence: Presence = { v: 1, deviceId: 'dev-0001', state: 'offline', sinceMs: 1_700_000_000_000, sessionId: 's-81c2' };

export const sampleEvent: DeviceEvent = {
  v: 1,
  deviceId: 'dev-0001',
  id: 'ev-000017',
  timeMs: 1_700_000_000_500,
  type: 'update.committed',
  severity: 'info',
  module: 'thermostat',
  attributes: { sequence: '7' },
};

export const sampleTelemetry: Telemetry = {
  v: 1,
  deviceId: 'dev-0001',
  id: 'tm-000042',
  timeMs: 1_700_000_001_000,
  module: 'thermostat',
  points: [
    { name: 'temperature', value: 21.375, unit: 'Cel' },
    { name: 'duty', value: 0.1 },
    { name: 'fuel.used', value: 123456, timeMs: 1_700_000_000_900 },
  ],
};

export const sampleLogBatch: LogBatch = {
  v: 1,
  deviceId: 'dev-0001',
  module: 'thermostat',
  seq: 12,
  dropped: 0,
  entries: [
    { timeMs: 1_700_000_000_001, level: 'info', text: 'setpoint 21.5' },
    { timeMs: 1_700_000_000_002, level: 'warn', text: 'sensor slow: 120 ms \u00b0C' },
  ],
};

export const sampleCommand: Command = {
  v: 1,
  id: 'cmd-1',
  deviceId: 'dev-0001',
  issuedAtMs: 1_700_000_000_000,
  expiresAtMs: 1_700_000_060_000,
  action: { op: 'set-log-level', module: 'thermostat', level: 'debug' },
};

export const sampleCommandResult: CommandResult = { v: 1, id: 'cmd-1', deviceId: 'dev-0001', timeMs: 1_700_000_000_200, status: 'ok' };

export const sampleEnrollmentRequest: EnrollmentRequest = {
  v: 1,
  requestId: 'enr-1',
  deviceId: 'dev-0001',
  deviceClass: 'rpi4',
  publicKey: new Uint8Array(32).fill(0x44),
  agentVersion: '0.1.0',
  supportedVersions: { manifest: [1] },
  token: 'one-time-secret',
  boxKey: new Uint8Array(32).fill(0x45),
  signature: new Uint8Array(64).fill(0x46),
};

export const sampleEnrollmentResponse: EnrollmentResponse = {
  v: 1,
  requestId: 'enr-1',
  deviceId: 'dev-0001',
  result: {
    status: 'accepted',
    trust: new Uint8Array([0xd8, 0x62, 0x84]),
    credentials: { username: 'dev-0001', nonce: new Uint8Array(24).fill(0x51), cloudBoxKey: new Uint8Array(32).fill(0x52), sealed: new Uint8Array(48).fill(0x53) },
  },
};

export const sampleChunkRequest: ChunkRequest = { v: 1, requestId: 'ch-9', deviceId: 'dev-0001', digest: new Uint8Array(32).fill(0xab), offset: 65536, length: 65536 };

export const sampleChunkResponse: ChunkResponse = {
  v: 1,
  requestId: 'ch-9',
  digest: new Uint8Array(32).fill(0xab),
  offset: 65536,
  result: { status: 'ok', totalSize: 70000, data: new Uint8Array(70000 - 65536).fill(7) },
};

/** One valid sample per message type, keyed like `MESSAGES`. */
export const SAMPLES = {
  manifest: sampleManifest,
  desiredState: sampleDesiredState,
  trustUpdate: sampleTrustUpdate,
  status: sampleStatus,
  presence: samplePresence,
  event: sampleEvent,
  telemetry: sampleTelemetry,
  logBatch: sampleLogBatch,
  command: sampleCommand,
  commandResult: sampleCommandResult,
  enrollmentRequest: sampleEnrollmentRequest,
  enrollmentResponse: sampleEnrollmentResponse,
  chunkRequest: sampleChunkRequest,
  chunkResponse: sampleChunkResponse,
} as const;
