// The agent end to end over a real broker (aedes), in-process: install, update, settings change, rollback with the
// previous version's key-value state, no retry of a failed version, removal, and refusal of a forged state; each
// asserting what runs (the runner) and what status says.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kvFile } from '../../agent/host/kv-store.ts';
import { topicFor } from '../../schemas/topics.ts';
import { signState, desiredState, actor } from '../trust/fixtures.ts';
import { agentWorld, DEVICE, until, type AgentWorld } from './agent-kit.ts';

let world: AgentWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const kvValue = async (dir: string, app: string): Promise<string | undefined> => {
  const bytes = await readFile(kvFile(dir, app)).catch(() => undefined);
  if (bytes === undefined) return undefined;
  return bytes.includes(Buffer.from(`${app}@`)) ? bytes.toString('latin1').match(new RegExp(`${app}@[0-9.]+`))?.[0] : undefined;
};

describe('the agent over aedes', () => {
  it('installs, updates, changes settings, rolls back a bad version to the previous one with its state, and removes', async () => {
    world = await agentWorld();
    const w = world;
    const { agent, reporter } = await w.startAgent();
    const v1 = w.release('meter', '1.0.0', 1, 'good');
    await w.publishState([{ release: v1, settings: { RATE: '1' } }]);
    await until('meter 1.0.0 running', () => agent.modules().find((m) => m.name === 'meter' && m.version === '1.0.0' && m.state === 'running'));
    await agent.idle();
    expect(agent.supervisor.isRunning('meter')).toBe(true);
    expect(agent.supervisor.get('meter')?.settings).toEqual({ RATE: '1' });
    expect(reporter.types()).toEqual(expect.arrayContaining(['update.started', 'update.committed', 'update.good', 'state.applied']));
    expect(await kvValue(w.dir, 'meter')).toBe('meter@1.0.0');

    // update
    const v2 = w.release('meter', '2.0.0', 2, 'good');
    await w.publishState([{ release: v2, settings: { RATE: '1' } }]);
    await until('meter 2.0.0 running', () => agent.modules().find((m) => m.version === '2.0.0' && m.state === 'running'));
    await agent.idle();
    expect(agent.supervisor.get('meter')?.manifest.version).toBe('2.0.0');
    expect(await kvValue(w.dir, 'meter')).toBe('meter@2.0.0');
    expect((await agent.machine.store.pointer('meter')).previous).toBeNull();

    // settings change: same version, restarted with the new settings
    await w.publishState([{ release: v2, settings: { RATE: '5' } }]);
    await until('new settings', () => agent.supervisor.get('meter')?.settings.RATE === '5');
    await agent.idle();
    expect(agent.supervisor.isRunning('meter')).toBe(true);
    expect(agent.supervisor.get('meter')?.manifest.version).toBe('2.0.0');

    // a version that traps in tick: rolled back to 2.0.0, with 2.0.0's key-value state, the floor stays at 2
    const v3 = w.release('meter', '3.0.0', 3, 'trap-tick');
    await w.publishState([{ release: v3, settings: { RATE: '5' } }]);
    const rolled = await until('rolled back', () => agent.modules().find((m) => m.state === 'rolled-back'));
    await agent.idle();
    expect(rolled.version).toBe('2.0.0');
    expect(rolled.errorCode).toBe('health-failed');
    expect(rolled.detail).toMatch(/3\.0\.0.*trapped/);
    expect(agent.supervisor.isRunning('meter')).toBe(true);
    expect(agent.supervisor.get('meter')?.manifest.version).toBe('2.0.0');
    expect(await kvValue(w.dir, 'meter')).toBe('meter@2.0.0');
    const { trust } = { trust: (agent as unknown as { o: { trust: { floors: { manifests: Record<string, number> } } } }).o.trust };
    expect(trust.floors.manifests.meter).toBe(2);
    const status = reporter.lastStatus!;
    expect(status.modules.find((m) => m.name === 'meter')).toMatchObject({ version: '2.0.0', state: 'rolled-back', errorCode: 'health-failed' });
    expect(reporter.types()).toContain('update.rolled-back');

    // the same bad version again (a new state sequence, same manifest): not retried
    const installsBefore = agent.installs.length;
    const applied = reporter.types().filter((t) => t === 'state.applied').length;
    await w.publishState([{ release: v3, settings: { RATE: '6' } }]);
    await until('the state applied', () => reporter.types().filter((t) => t === 'state.applied').length > applied);
    await agent.idle();
    expect(agent.installs.length).toBe(installsBefore);
    expect(agent.supervisor.get('meter')?.manifest.version).toBe('2.0.0');

    // removal
    await w.publishState([]);
    await until('meter removed', () => (agent.modules().length === 0 ? true : undefined));
    await agent.idle();
    expect(agent.supervisor.isRunning('meter')).toBe(false);
    await expect(stat(join(w.dir, 'apps', 'meter'))).rejects.toThrow();
    expect(reporter.lastStatus?.modules).toEqual([]);
  });

  it('refuses a desired state signed by an unknown key before fetching anything', async () => {
    world = await agentWorld();
    const w = world;
    const { agent, reporter } = await w.startAgent();
    const v1 = w.release('meter', '1.0.0', 1, 'good');
    const forger = actor('state-9', 'state-signer');
    const d = desiredState([{ name: 'meter', signed: v1.signed }], { sequence: 50 });
    w.fetcher.fetched.length = 0;
    await w.cloud.publishAsync(topicFor('desiredState', DEVICE.deviceId), Buffer.from(signState(d, forger)), { qos: 1, retain: true });
    await until('refusal event', () => reporter.events.find((e) => e.type === 'state.refused'));
    await agent.idle();
    expect(w.fetcher.fetched).toEqual([]);
    expect(agent.modules()).toEqual([]);
  });

  it('a first install that fails leaves nothing running and says why; a later good version installs', async () => {
    world = await agentWorld();
    const w = world;
    const { agent } = await w.startAgent();
    const bad = w.release('meter', '1.0.0', 1, 'trap-init');
    await w.publishState([{ release: bad }]);
    const failed = await until('failed', () => agent.modules().find((m) => m.state === 'failed'));
    await agent.idle();
    expect(failed.errorCode).toBe('health-failed');
    expect(agent.supervisor.isRunning('meter')).toBe(false);
    const good = w.release('meter', '1.0.1', 2, 'good');
    await w.publishState([{ release: good }]);
    await until('good running', () => agent.modules().find((m) => m.version === '1.0.1' && m.state === 'running'));
  });

  it('starts the installed apps again after a restart, before any desired state arrives', async () => {
    world = await agentWorld();
    const w = world;
    const first = await w.startAgent();
    const v1 = w.release('meter', '1.0.0', 1, 'good');
    await w.publishState([{ release: v1, settings: { RATE: '3' } }]);
    await until('running', () => first.agent.modules().find((m) => m.state === 'running'));
    await first.agent.idle();
    const lastSeq = first.agent.status().seq;
    await first.agent.close();
    await w.cloud.publishAsync(topicFor('desiredState', DEVICE.deviceId), Buffer.alloc(0), { qos: 1, retain: true }); // clear the retained state
    const second = await w.startAgent();
    expect(second.agent.supervisor.isRunning('meter')).toBe(true);
    expect(second.agent.supervisor.get('meter')?.settings).toEqual({ RATE: '3' });
    expect(second.agent.modules()[0]).toMatchObject({ name: 'meter', version: '1.0.0', state: 'running' });
    // report order survives the restart (the boot count is the high half of seq), whatever the clock did
    const seq = second.agent.status().seq;
    expect(seq).toBeGreaterThan(lastSeq);
    expect(Math.floor(seq / 2 ** 32)).toBe(Math.floor(lastSeq / 2 ** 32) + 1);
  });
});

describe('the agent under hostile messages', () => {
  it('survives random bytes on its state, trust and command topics, refuses them, and still applies a good state', async () => {
    world = await agentWorld();
    const w = world;
    const { agent, reporter } = await w.startAgent();
    const fc = await import('fast-check');
    const payloads = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 300 }), { numRuns: process.env.FLEETLET_PROFILE === 'ci' ? 60 : 300, seed: 7 });
    // a few structured ones too: valid CBOR of the wrong shape, a COSE_Sign1 tag around garbage
    payloads.push(Uint8Array.of(0xa0), Uint8Array.of(0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40), Uint8Array.of(0x80));
    for (const name of ['desiredState', 'trust', 'command'] as const) {
      for (const p of payloads) await w.cloud.publishAsync(topicFor(name, DEVICE.deviceId), Buffer.from(p), { qos: 1 });
    }
    await until('refusals', () => reporter.events.filter((e) => e.type === 'state.refused').length > 10 || undefined);
    await agent.idle();
    expect(agent.modules()).toEqual([]);
    expect(reporter.types()).not.toContain('state.failed');
    const v1 = w.release('meter', '1.0.0', 1, 'good');
    await w.publishState([{ release: v1 }]);
    await until('meter running after the noise', () => agent.modules().find((m) => m.state === 'running'));
  });
});
