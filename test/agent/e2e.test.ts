// The device agent end to end over a real broker, with everything real between the cloud and the runner: enrollment
// (credentials sealed to the device, the embedded broker's auth hooks), the MQTT session, desired states signed by the
// cloud's state signer, chunked downloads from the chunk service, the update machine and the health gate. The same
// story runs on aedes (embedded, MQTT 3.1.1) and on Debian's mosquitto (MQTT 5); each step asserts what runs (the
// runner) and what the retained status report says.

import { afterEach, describe, expect, it } from 'vitest';
import { startAgentProcess, type RunningAgent } from '../../agent/daemon.ts';
import { decodePresence } from '../../schemas/messages/presence.ts';
import { decodeStatus, type Status } from '../../schemas/messages/status.ts';
import { topicFor } from '../../schemas/topics.ts';
import { until } from './agent-kit.ts';
import { e2eFleet, release, type BrokerKind, type E2eFleet } from './e2e-kit.ts';

let fleet: E2eFleet | undefined;
let running: RunningAgent | undefined;
afterEach(async () => {
  await running?.close();
  await fleet?.close();
  running = undefined;
  fleet = undefined;
});

const DEVICE = 'dev-e2e-1';

describe.each([
  ['aedes', 4],
  ['mosquitto', 5],
] as const)('the agent end to end on %s (MQTT %s)', (kind: BrokerKind, protocolVersion) => {
  it('enrolls, installs, updates, changes settings, rolls back and removes, and status says so', async () => {
    fleet = await e2eFleet(kind, { protocolVersion: protocolVersion === 5 ? 5 : 4 });
    const f = fleet;
    let status: Status | undefined;
    let presence: string | undefined;
    f.cloud.client.on('message', (topic, payload) => {
      if (payload.length === 0) return;
      if (topic === topicFor('status', DEVICE)) status = decodeStatus(new Uint8Array(payload));
      if (topic === topicFor('presence', DEVICE)) presence = decodePresence(new Uint8Array(payload)).state;
    });
    await f.cloud.client.subscribeAsync([topicFor('status', DEVICE), topicFor('presence', DEVICE)], { qos: 1 });
    const plan = await f.plan(DEVICE, { protocolVersion: protocolVersion === 5 ? 5 : 4 } as never);
    running = await startAgentProcess({ ...plan, broker: { ...plan.broker, protocolVersion: protocolVersion === 5 ? 5 : 4 } }, () => {});
    const agent = running.agent;

    // enrollment
    expect(running.enrollment.fresh).toBe(true);
    expect(await f.cloud.enrollment.enrolled(DEVICE)).toBeDefined();
    if (kind === 'aedes') expect(running.enrollment.credentials?.username).toBe(DEVICE);
    await until('presence online', () => presence === 'online' || undefined);
    await until('a first status', () => status);

    const mod = (s: Status | undefined) => s?.modules.find((m) => m.name === 'meter');
    // install
    const v1 = release(f.keys, 'meter', '1.0.0', 1, 'good');
    await f.cloud.setDesired(DEVICE, [{ name: 'meter', release: v1, settings: { RATE: '1' } }]);
    await until('status: meter 1.0.0 running and ticking', () => {
      const m = mod(status);
      return m?.version === '1.0.0' && m.state === 'running' && (m.metrics?.ticks ?? 0) > 0 ? m : undefined;
    });
    expect(agent.supervisor.isRunning('meter')).toBe(true);
    expect(status!.desiredSequence).toBe(1);

    // update
    const v2 = release(f.keys, 'meter', '2.0.0', 2, 'good');
    await f.cloud.setDesired(DEVICE, [{ name: 'meter', release: v2, settings: { RATE: '1' } }]);
    await until('status: meter 2.0.0 running', () => (mod(status)?.version === '2.0.0' && mod(status)?.state === 'running') || undefined);
    expect(agent.supervisor.get('meter')?.manifest.version).toBe('2.0.0');

    // settings change
    await f.cloud.setDesired(DEVICE, [{ name: 'meter', release: v2, settings: { RATE: '9' } }]);
    await until('restarted with RATE=9', () => agent.supervisor.get('meter')?.settings.RATE === '9' || undefined);
    await until('status applied 3', () => status?.desiredSequence === 3 || undefined);
    expect(agent.supervisor.isRunning('meter')).toBe(true);

    // rollback
    const v3 = release(f.keys, 'meter', '3.0.0', 3, 'unhealthy');
    await f.cloud.setDesired(DEVICE, [{ name: 'meter', release: v3, settings: { RATE: '9' } }]);
    const rolled = await until('status: rolled back to 2.0.0', () => (mod(status)?.state === 'rolled-back' ? mod(status) : undefined));
    expect(rolled).toMatchObject({ version: '2.0.0', errorCode: 'health-failed' });
    expect(rolled.detail).toMatch(/3\.0\.0.*health\(\) reported 0/);
    expect(agent.supervisor.get('meter')?.manifest.version).toBe('2.0.0');
    expect(agent.supervisor.isRunning('meter')).toBe(true);

    // removal
    await f.cloud.setDesired(DEVICE, []);
    await until('status: no modules', () => (status?.modules.length === 0 && status.desiredSequence === 5) || undefined);
    expect(agent.supervisor.isRunning('meter')).toBe(false);

    // a clean shutdown says offline
    await running.close();
    running = undefined;
    await until('presence offline', () => presence === 'offline' || undefined);
  });
});
