// Sample documents for fleetlet's schema tests and fuzzers: one valid instance of each message.

import type { DesiredState } from './desired-state.ts';
import type { Manifest } from './manifest.ts';
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
