// The rollout store seam: records survive serialisation, saves are compare-and-set on the revision, applyEvent
// persists before it hands back actions, recoverRollouts lists what to publish again after a restart, and a
// damaged or foreign record is refused with a typed error.
import { describe, expect, it } from 'vitest';
import {
  MemoryRolloutStore,
  RolloutError,
  applyEvent,
  applyEvents,
  createRollout,
  parseRecord,
  recoverRollouts,
  serialiseRecord,
  type RolloutRecord,
} from '../../../cloud/rollout/index.ts';
import { NEW, OLD } from './_sim.ts';

const devices = ['a', 'b', 'c', 'd'].map((id) => ({ id, tags: { site: 'x' } }));

function fresh(id = 'r1'): RolloutRecord {
  return createRollout({ id, app: 'thermo', release: NEW, previous: OLD, target: { kind: 'selector', match: { site: 'x' } }, waves: { kind: 'fixed', sizes: [1, 3] } }, devices, 0).record;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof RolloutError ? e.code : `untyped: ${String(e)}`;
  }
  return undefined;
}

describe('MemoryRolloutStore and applyEvent', () => {
  it('persists each step, refuses a stale revision, and recovers the publishes still owed after a restart', async () => {
    const store = new MemoryRolloutStore();
    const r = fresh();
    expect(await store.save(r, undefined)).toBe(true);
    expect(await store.save(r, undefined)).toBe(false);
    const started = await applyEvent(store, 'r1', { type: 'start', atMs: 10 });
    expect(started.ok).toBe(true);
    expect((await store.load('r1'))?.state).toBe('running');
    expect(await store.save(r, r.revision)).toBe(false); // another writer moved it on
    // A restart: only the store survives.
    const recovered = await recoverRollouts(store);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.actions).toEqual([{ kind: 'publish', rolloutId: 'r1', app: 'thermo', wave: 0, deviceIds: ['a'], release: NEW }]);
    await applyEvent(store, 'r1', { type: 'report', atMs: 20, deviceId: 'a', module: { state: 'running', version: NEW.version, manifestDigest: NEW.manifestDigest } });
    const after = (await recoverRollouts(store))[0]!;
    expect(after.record.wave).toBe(1);
    expect(after.actions).toEqual([{ kind: 'publish', rolloutId: 'r1', app: 'thermo', wave: 1, deviceIds: ['b', 'c', 'd'], release: NEW }]);
    const refused = await applyEvent(store, 'r1', { type: 'start', atMs: 30 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'not-allowed' } });
    await applyEvent(store, 'r1', { type: 'abort', atMs: 40 });
    expect(await store.listActive()).toEqual([]);
    await expect(applyEvent(store, 'nope', { type: 'tick', atMs: 1 })).rejects.toMatchObject({ code: 'bad-record' });
  });
});

describe('applyEvents', () => {
  it('steps a burst of reports on one load and one save, ending where stepping them one by one ends', async () => {
    const report = (deviceId: string, atMs: number) => ({ type: 'report' as const, atMs, deviceId, module: { state: 'running', version: NEW.version, manifestDigest: NEW.manifestDigest } });
    const burst = [report('a', 20), report('zz', 21), report('b', 22), report('c', 23), report('d', 24), { type: 'tick' as const, atMs: 25 }];
    const one = new MemoryRolloutStore();
    await one.save(fresh(), undefined);
    await applyEvent(one, 'r1', { type: 'start', atMs: 10 });
    for (const e of burst) await applyEvent(one, 'r1', e);

    let saves = 0;
    const counting = new MemoryRolloutStore();
    const store = { load: (id: string) => counting.load(id), listActive: () => counting.listActive(), save: (r: RolloutRecord, rev: number | undefined) => (saves++, counting.save(r, rev)) };
    await store.save(fresh(), undefined);
    await applyEvent(store, 'r1', { type: 'start', atMs: 10 });
    saves = 0;
    const { record, actions } = await applyEvents(store, 'r1', burst);
    expect(saves).toBe(1);
    // 'zz' is no target: skipped, not fatal; wave 2 was published in the burst; every device good: completed
    expect(actions.filter((a) => a.kind === 'publish')).toEqual([{ kind: 'publish', rolloutId: 'r1', app: 'thermo', wave: 1, deviceIds: ['b', 'c', 'd'], release: NEW }]);
    const single = (await one.load('r1'))!;
    expect(record.state).toBe(single.state);
    expect(record.devices).toEqual(single.devices);
    expect(record.decisions.map((d) => d.code)).toEqual(single.decisions.map((d) => d.code));
    // nothing to change: no save at all
    saves = 0;
    await applyEvents(store, 'r1', [report('zz', 30)]);
    expect(saves).toBe(0);
  });
});

describe('parseRecord', () => {
  it('reads back exactly what serialiseRecord wrote', () => {
    const r = fresh();
    expect(parseRecord(serialiseRecord(r))).toEqual(r);
  });
  it('refuses garbage, another schema version and a record whose devices do not match its targets', () => {
    const r = JSON.parse(serialiseRecord(fresh()));
    expect(codeOf(() => parseRecord('{'))).toBe('bad-record');
    expect(codeOf(() => parseRecord('null'))).toBe('bad-record');
    expect(codeOf(() => parseRecord(JSON.stringify({ ...r, schemaVersion: 2 })))).toBe('bad-record');
    expect(codeOf(() => parseRecord(JSON.stringify({ ...r, devices: r.devices.slice(1) })))).toBe('bad-record');
    expect(codeOf(() => parseRecord(JSON.stringify({ ...r, waveSizes: [1, 1] })))).toBe('bad-record');
    expect(codeOf(() => parseRecord(JSON.stringify({ ...r, state: 'exploded' })))).toBe('bad-record');
    expect(codeOf(() => parseRecord(JSON.stringify({ ...r, wave: 7 })))).toBe('bad-record');
    expect(codeOf(() => parseRecord(JSON.stringify({ ...r, waveSizes: [2, 2] })))).toBe('bad-record');
  });
});

describe('createRollout', () => {
  it('refuses a policy out of range and a digest that is not hex, naming the rollout', () => {
    const spec = { id: 'r9', app: 'thermo', release: NEW, target: { kind: 'list', deviceIds: ['a'] }, waves: { kind: 'fixed', sizes: [1] } } as const;
    for (const policy of [{ successPercent: 0 }, { errorPercent: 101 }, { minFinished: 0 }, { waveTimeoutMs: 1.5 }, { soakMs: -1 }, { regression: { confidence: 0.3 } }, { regression: { fuelMargin: -1 } }]) {
      expect(codeOf(() => createRollout({ ...spec, policy: policy as never }, devices, 0)), JSON.stringify(policy)).toBe('bad-config');
    }
    expect(() => createRollout({ ...spec, release: { ...NEW, manifestDigest: 'zz' } }, devices, 0)).toThrow(/Rollout "r9": Invalid release digest "zz"/);
  });
  it('takes baselines measured before creation', () => {
    const { record } = createRollout({ id: 'r', app: 'thermo', release: NEW, target: { kind: 'list', deviceIds: ['a', 'b'] }, waves: { kind: 'fixed', sizes: [2] } }, devices, 0, {
      a: { version: '1.0.0', ticks: 50, fuelPerTick: 1000, memoryHighWaterPages: 2, traps: 0 },
    });
    expect(record.devices.map((d) => d.baseline?.fuelPerTick)).toEqual([1000, undefined]);
  });
});
