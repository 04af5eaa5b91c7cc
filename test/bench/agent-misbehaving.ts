// Shipping fleetlet's misbehaving example apps to an agent as updates of a healthy version, and what the agent made of
// each (when the update was committed, when the health gate first saw trouble and decided, when the previous version
// ran again): shared by the rollback test (test/agent/misbehaving-rollback.test.ts) and the agent bench.

import { readFileSync } from 'node:fs';
import type { Agent } from '../../agent/agent.ts';
import type { TimeSource } from '../../agent/host/hw/time.ts';
import type { ProbationRecord } from '../../agent/runtime/probation.ts';
import type { DeviceIdentity } from '../../agent/update/verify.ts';
import { findExamples } from '../../examples/build.ts';
import { manifestFromDescriptor } from '../../schemas/app-descriptor.ts';
import type { DeviceEvent } from '../../schemas/messages/event.ts';
import { DEVICE, T0, type AgentWorld, type Release } from '../agent/agent-kit.ts';
import { DAY, sha256, signManifest } from '../trust/fixtures.ts';

/** The misbehaving examples (examples/misbehaving), in the order they are shipped. */
export const MISBEHAVING = ['trap-at-start', 'spin', 'grow-memory', 'wrong-pin', 'publish-flood'] as const;
export type MisbehavingApp = (typeof MISBEHAVING)[number];

/** What the gate's reason must name for each app: the way it misbehaves. */
export const CAUSE: Readonly<Record<MisbehavingApp, RegExp>> = {
  'trap-at-start': /trap/,
  spin: /fuel/,
  'grow-memory': /trap/,
  'wrong-pin': /refused [0-9]+ host calls it has no capability for/,
  'publish-flood': /rate-limited/,
};

/** The healthy version each misbehaving one replaces, and its anti-rollback sequence. */
export const HEALTHY_VERSION = '0.9.0';
export const HEALTHY_SEQUENCE = 9;

/** A device of the simulator's class: the misbehaving descriptors target only `sim`. */
export const SIM_DEVICE: DeviceIdentity = { deviceId: DEVICE.deviceId, deviceClass: 'sim' };

/**
 * One time line for the agent's `now` and the apps' scheduler clock, starting at T0 (s) so the trust store's fixed
 * clock and the signed documents' windows agree with it. The gate mixes the runner's error times with the agent's
 * clock, so the two must be the same clock for its `firstProblemAtMs` to mean anything.
 */
export function sharedClock(): TimeSource {
  const origin = performance.now();
  return {
    now: () => T0 * 1000 + (performance.now() - origin),
    setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}

/**
 * Signs a built example (examples/build/NAME.wasm) as `fleetlet sign` would, from its descriptor's capabilities,
 * limits, kind and targets, and puts the manifest and module in the world's fetcher.
 * @throws Error when the example does not exist or is not built (call buildExamples first)
 */
export function releaseExample(world: AgentWorld, name: string, version: string, sequence: number): Release {
  const app = findExamples().find((a) => a.name === name);
  if (app === undefined) throw new Error(`There is no example app "${name}"`);
  const module = new Uint8Array(readFileSync(app.output));
  const manifest = manifestFromDescriptor({ ...app.descriptor, version }, { sequence, digest: sha256(module), size: module.length, issuedAt: T0 - DAY, expiresAt: T0 + 90 * DAY });
  const signed = signManifest(manifest, world.keys.moduleSigner);
  world.fetcher.put(module);
  world.fetcher.put(signed);
  return { name, version, sequence, module, manifest, signed };
}

/** The kit's healthy reactor under a misbehaving app's name, declaring what that app declares (and its own kv). */
export function healthyRelease(world: AgentWorld, name: MisbehavingApp): Release {
  const declared = findExamples().find((a) => a.name === name)?.descriptor.capabilities ?? [];
  return world.release(name, HEALTHY_VERSION, HEALTHY_SEQUENCE, 'good', { capabilities: ['kv:4096', ...declared] });
}

/** What happened to one misbehaving update, on the agent's clock (ms); a field is undefined when it did not happen. */
export interface Shipped {
  readonly app: MisbehavingApp;
  readonly version: string;
  /** The `update.committed` event: the new version became active and its probation began. */
  readonly committedAtMs: number | undefined;
  /** When the gate's window would have ended at the earliest: the machine keeps probation's start in whole seconds. */
  readonly windowEndsAtMs: number | undefined;
  /** The gate's record of its verdict on this version. */
  readonly verdict: ProbationRecord | undefined;
  /** The `update.rolled-back` event: emitted once the previous version was started again. */
  readonly rolledBackAtMs: number | undefined;
}

const eventOf = (events: readonly DeviceEvent[], type: string, app: string, version: string): DeviceEvent | undefined =>
  events.find((e) => e.type === type && e.module === app && e.attributes['version'] === version);

/** Reads what the agent did with `version` of each misbehaving app from its events and the gate's history. */
export function shippedOutcomes(agent: Agent, events: readonly DeviceEvent[], version: string): Shipped[] {
  const windowMs = agent.gate.policy.windowMs;
  return MISBEHAVING.map((app) => {
    const committed = eventOf(events, 'update.committed', app, version)?.timeMs;
    return {
      app,
      version,
      committedAtMs: committed,
      windowEndsAtMs: committed === undefined ? undefined : Math.floor(committed / 1000) * 1000 + windowMs,
      verdict: agent.gate.history.find((h) => h.app === app && h.version === version),
      rolledBackAtMs: eventOf(events, 'update.rolled-back', app, version)?.timeMs,
    };
  });
}
