// StoreDesiredStates as two cloud processes sharing one SQLite file would run it: each sets other apps of the same
// device at the same time; no sequence is signed twice, no app is lost, and the state each published is the one it
// stored. Also: clearing keeps the sequence, and a state signed afterwards is above every one before.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageBus } from '../../../agent/session/bus.ts';
import { decodeSign1, verifySign1 } from '../../../agent/update/cose.ts';
import { StoreDesiredStates } from '../../../cloud/state/store-states.ts';
import { SqliteStore } from '../../../cloud/store/sqlite.ts';
import type { CloudStore } from '../../../cloud/store/store.ts';
import { decodeDesiredState } from '../../../schemas/messages/desired-state.ts';
import { topicFor } from '../../../schemas/topics.ts';
import { fleetKeys, type FleetKeys } from '../../agent/e2e-kit.ts';
import { removeDir, tempDir } from '../../trust/fixtures.ts';

let keys: FleetKeys;
let dir: string;
const stores: CloudStore[] = [];
const sent: { topic: string; payload: Uint8Array; retain: boolean }[] = [];

const bus: MessageBus = {
  connected: true,
  publish: async (topic, payload, options) => {
    sent.push({ topic, payload: Uint8Array.from(payload), retain: options?.retain === true });
  },
  subscribe: async () => async () => {},
  onConnectionChange: () => () => {},
};

beforeAll(async () => {
  keys = fleetKeys();
  dir = await tempDir('fleetlet-store-states-');
});

afterAll(async () => {
  for (const s of stores) await s.close();
  await removeDir(dir);
});

describe('StoreDesiredStates', () => {
  it('two processes setting apps of one device at once sign every sequence once and lose no app', async () => {
    const path = join(dir, 'fleet.db');
    const [a, b] = [await SqliteStore.open({ path }), await SqliteStore.open({ path })];
    stores.push(a, b);
    const signer = { kid: keys.stateSigner.id, seed: keys.stateSigner.kp.seed };
    const pa = new StoreDesiredStates({ store: a, bus, signer });
    const pb = new StoreDesiredStates({ store: b, bus, signer });
    const digest = (i: number): string => i.toString(16).padStart(64, '0');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? pa : pb).setApp('dev-1', `app-${i}`, { manifestDigest: digest(i + 1), settings: { N: String(i) } })));
    expect(results.map((r) => r.state.sequence).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const row = await a.getDesiredState('dev-1');
    expect(row?.sequence).toBe(20);
    expect(row?.modules.map((m) => m.name).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `app-${i}`).sort());
    const last = results.find((r) => r.state.sequence === 20)!;
    expect(Buffer.from(row!.signed!).equals(Buffer.from(last.signed))).toBe(true);
    // what was published is what was stored and signed by the state signer
    const published = sent.filter((s) => s.topic === topicFor('desiredState', 'dev-1'));
    expect(published).toHaveLength(20);
    expect(published.every((p) => p.retain)).toBe(true);
    expect(verifySign1(decodeSign1(last.signed), keys.stateSigner.kp.publicKey)).toBe('ok');
    expect(decodeDesiredState(decodeSign1(last.signed).payload).modules).toHaveLength(20);

    await pa.clear('dev-1');
    expect(sent.at(-1)).toEqual({ topic: topicFor('desiredState', 'dev-1'), payload: new Uint8Array(0), retain: true });
    expect(await b.getDesiredState('dev-1')).toMatchObject({ sequence: 20, modules: [] });
    expect((await b.getDesiredState('dev-1'))?.signed).toBeUndefined();
    const after = await pb.setApp('dev-1', 'app-0', { manifestDigest: digest(1) });
    expect(after.state.sequence).toBe(21);
    expect(after.state.modules.map((m) => m.name)).toEqual(['app-0']);

    // republishing sends each stored state and trust once, unchanged
    await pa.publishTrust('dev-2', keys.trust);
    sent.length = 0;
    expect(await pb.republishAll()).toBe(2);
    expect(sent.map((s) => s.topic).sort()).toEqual([topicFor('desiredState', 'dev-1'), topicFor('trust', 'dev-2')].sort());
    expect(Buffer.from(sent.find((s) => s.topic === topicFor('desiredState', 'dev-1'))!.payload).equals(Buffer.from(after.signed))).toBe(true);
  });

  it('refreshStale signs again, same modules and next sequence, only the states past half their validity', async () => {
    const store = await SqliteStore.open({ path: join(dir, 'stale.db') });
    stores.push(store);
    let now = Date.UTC(2030, 0, 1);
    const states = new StoreDesiredStates({ store, bus, signer: { kid: keys.stateSigner.id, seed: keys.stateSigner.kp.seed }, clock: () => now, validitySeconds: 8 * 86_400 });
    await states.setApp('dev-old', 'app', { manifestDigest: 'a'.repeat(64), settings: { K: 'v' } });
    now += 3 * 86_400_000;
    await states.setApp('dev-new', 'app', { manifestDigest: 'b'.repeat(64) });
    await states.clear('dev-new');
    await states.setApp('dev-mid', 'app', { manifestDigest: 'c'.repeat(64) });
    now += 1.5 * 86_400_000; // dev-old is 4.5 days old (past half of 8), dev-mid 1.5 days
    expect(await states.refreshStale()).toBe(1);
    const row = await store.getDesiredState('dev-old');
    expect(row).toMatchObject({ sequence: 2, modules: [{ name: 'app', manifestDigest: 'a'.repeat(64), settings: { K: 'v' } }] });
    const state = decodeDesiredState(decodeSign1(row!.signed!).payload);
    expect(state.issuedAt).toBe(now / 1000);
    expect(state.expiresAt).toBe(now / 1000 + 8 * 86_400);
    expect((await store.getDesiredState('dev-mid'))?.sequence).toBe(1);
    expect(await states.refreshStale()).toBe(0);
  });
});
