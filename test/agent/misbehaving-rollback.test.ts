// Each misbehaving example app (examples/misbehaving), shipped to the agent as an update of a healthy version, is
// rolled back by the health gate before its probation window ends on the agent's clock: the previous version runs
// again, status says 'rolled-back' with the reason, and the anti-rollback floor stays at the previous version.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../agent/agent.ts';
import type { TrustStore } from '../../agent/update/trust-store.ts';
import { SimGpio } from '../../device-sim/gpio/sim-gpio.ts';
import type { Status } from '../../schemas/messages/status.ts';
import {
  CAUSE, HEALTHY_SEQUENCE, HEALTHY_VERSION, MISBEHAVING, SIM_DEVICE, healthyRelease, releaseExample, sharedClock, shippedOutcomes, type Shipped,
} from '../bench/agent-misbehaving.ts';
import { BUILD_TIMEOUT_MS, buildExamples } from '../examples/_kit.ts';
import { agentWorld, until, type AgentWorld } from './agent-kit.ts';

/** Probation for the misbehaving versions: long enough that "before the end" means something, short for a test. */
const WINDOW_MS = 8_000;
const BAD_VERSION = '1.0.0';
const BAD_SEQUENCE = 10;

let world: AgentWorld | undefined;
let agent: Agent;
let trust: TrustStore;
let status: Status;
let shipped: Shipped[];

/** Awaits `p`, or fails naming `what` after a minute (a step that hangs says which it was). */
async function within<T>(what: string, p: Promise<T>, ms = 60_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Installs the healthy 0.9.0 of every app (short probation), restarts the agent with the real window, ships 1.0.0. */
async function shipAll(): Promise<void> {
  world = await within('the test world', agentWorld());
  const w = world;
  const clock = sharedClock();
  const hardware = () => ({ clock, gpio: new SimGpio({ '17': { kind: 'output' } }, { time: clock }) });
  const first = await within('the first agent', w.startAgent({ identity: SIM_DEVICE, now: clock.now, hardware: hardware() }));
  await within('the healthy state published', w.publishState(MISBEHAVING.map((name) => ({ release: healthyRelease(w, name) }))));
  await until('every healthy version running', () => first.agent.modules().filter((m) => m.version === HEALTHY_VERSION && m.state === 'running').length === MISBEHAVING.length, 30_000);
  await within('the healthy versions installed', first.agent.idle());
  await within('the first agent to close', first.agent.close());

  const second = await within('the second agent', w.startAgent({ identity: SIM_DEVICE, now: clock.now, hardware: hardware(), probation: { windowMs: WINDOW_MS, pollMs: 20, healthEveryMs: 200 } }));
  agent = second.agent;
  trust = second.trust;
  await until('the healthy versions started again', () => MISBEHAVING.every((n) => agent.supervisor.isRunning(n)));
  await within('the update published', w.publishState(MISBEHAVING.map((name) => ({ release: releaseExample(w, name, BAD_VERSION, BAD_SEQUENCE) }))));
  await until('every update judged', () => agent.installs.length === MISBEHAVING.length, 60_000);
  await within('the updates carried out', agent.idle());
  status = agent.status();
  shipped = shippedOutcomes(agent, second.reporter.events, BAD_VERSION);
}

describe('misbehaving apps shipped as updates', () => {
  beforeAll(buildExamples, BUILD_TIMEOUT_MS);
  beforeAll(shipAll, 180_000);
  afterAll(async () => {
    await world?.close();
  });

  it.each(MISBEHAVING)('%s 1.0.0 is rolled back to 0.9.0 before its probation window ends, with the reason in status', (name) => {
    const install = agent.installs.find((i) => i.app === name);
    expect(install).toMatchObject({ version: BAD_VERSION, outcome: 'rollback-attempted' });

    // What runs: the previous version, again.
    expect(agent.supervisor.isRunning(name)).toBe(true);
    expect(agent.supervisor.get(name)?.manifest.version).toBe(HEALTHY_VERSION);

    // What status says, with the cause named.
    const shown = status.modules.find((m) => m.name === name);
    expect(shown).toMatchObject({ version: HEALTHY_VERSION, sequence: HEALTHY_SEQUENCE, state: 'rolled-back', errorCode: 'health-failed' });
    expect(shown?.detail).toMatch(new RegExp(`^${BAD_VERSION.replaceAll('.', '\\.')}: `));
    expect(shown?.detail).toMatch(CAUSE[name]);

    // Judged unhealthy before the window ended, on the agent's clock, and after the update was committed.
    const s = shipped.find((x) => x.app === name)!;
    expect(s.committedAtMs).toBeDefined();
    expect(s.verdict).toBeDefined();
    expect(s.rolledBackAtMs).toBeDefined();
    const { verdict, decidedAtMs, firstProblemAtMs } = s.verdict!;
    expect(verdict.healthy).toBe(false);
    expect(decidedAtMs).toBeGreaterThanOrEqual(s.committedAtMs!);
    expect(decidedAtMs).toBeLessThan(s.windowEndsAtMs!);
    expect(firstProblemAtMs).toBeDefined();
    expect(firstProblemAtMs!).toBeGreaterThanOrEqual(s.committedAtMs!);
    expect(firstProblemAtMs!).toBeLessThanOrEqual(decidedAtMs);
    expect(s.rolledBackAtMs!).toBeGreaterThanOrEqual(decidedAtMs);

    // The anti-rollback floor never rose to the bad version.
    expect(trust.floors.manifests[name]).toBe(HEALTHY_SEQUENCE);
  });
});
