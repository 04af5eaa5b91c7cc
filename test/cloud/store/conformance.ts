// The CloudStore conformance suite: one set of tests run against every implementation (sqlite.test.ts,
// postgres.test.ts). Each test gets a fresh database; it may open it several times, as a restarted cloud or as a
// second cloud process sharing it.
import { afterEach, describe, expect, it } from 'vitest';
import { applyEvent, createRollout, recoverRollouts, type Release } from '../../../cloud/rollout/index.ts';
import { CloudEnrollmentStore, CloudRolloutStore, LATEST_SCHEMA_VERSION, StoreError, type CloudStore, type SqlStoreOptions, type TelemetryPoint } from '../../../cloud/store/index.ts';

/** A fresh, empty database that can be opened any number of times. */
export interface TestDatabase {
  open(options?: SqlStoreOptions): Promise<CloudStore>;
}

export interface Backend {
  readonly name: string;
  newDatabase(): Promise<TestDatabase>;
}

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StoreError) return e.code;
    throw e;
  }
  return 'no error';
}

/** Every page of a list, following cursors. */
async function all<T>(list: (cursor: string | undefined) => Promise<{ items: readonly T[]; next?: string }>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await list(cursor);
    items.push(...page.items);
    cursor = page.next;
    pages++;
  } while (cursor !== undefined);
  return { items, pages };
}

const cur = (c: string | undefined): { cursor?: string } => (c === undefined ? {} : { cursor: c });

export function runStoreConformance(backend: Backend): void {
  describe(`CloudStore conformance: ${backend.name}`, () => {
    const opened: CloudStore[] = [];
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    async function fresh(options?: SqlStoreOptions): Promise<{ store: CloudStore; db: TestDatabase; open: (o?: SqlStoreOptions) => Promise<CloudStore> }> {
      const db = await backend.newDatabase();
      const open = async (o?: SqlStoreOptions): Promise<CloudStore> => {
        const s = await db.open(o);
        opened.push(s);
        return s;
      };
      return { store: await open(options), db, open };
    }

    it('open applies every migration once; reopening keeps the data and the version', async () => {
      const { store, open } = await fresh();
      expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      await store.upsertDevice({ deviceId: 'dev-1', deviceClass: 'pi', atMs: 5 });
      const again = await open();
      expect(await again.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect((await again.getDevice('dev-1'))?.deviceClass).toBe('pi');
    });

    it('upsertDevice creates with defaults, keeps fields left out, and last seen only rises', async () => {
      const { store } = await fresh();
      const created = await store.upsertDevice({ deviceId: 'dev-1', deviceClass: 'pi', atMs: 100 });
      expect(created).toEqual({ deviceId: 'dev-1', deviceClass: 'pi', tags: [], schemaVersions: {}, online: false, lastSeenMs: 100, createdAtMs: 100 });
      await store.upsertDevice({ deviceId: 'dev-1', deviceClass: 'pi', tags: ['b', 'a', 'a'], agentVersion: '1.2.0', schemaVersions: { status: 2 }, atMs: 300 });
      const later = await store.upsertDevice({ deviceId: 'dev-1', deviceClass: 'pi4', atMs: 200 });
      expect(later).toEqual({ deviceId: 'dev-1', deviceClass: 'pi4', tags: ['a', 'b'], agentVersion: '1.2.0', schemaVersions: { status: 2 }, online: false, lastSeenMs: 300, createdAtMs: 100 });
      expect(await store.getDevice('nope')).toBeUndefined();
    });

    it('listDevices pages by id with a cursor and filters by tag and class', async () => {
      const { store } = await fresh();
      for (let i = 0; i < 25; i++) {
        await store.upsertDevice({ deviceId: `dev-${String(i).padStart(2, '0')}`, deviceClass: i % 2 === 0 ? 'pi' : 'x86', tags: i % 5 === 0 ? ['lab'] : ['field'], atMs: i });
      }
      const { items, pages } = await all((c) => store.listDevices({ limit: 10, ...cur(c) }));
      expect(pages).toBe(3);
      expect(items.map((d) => d.deviceId)).toEqual(Array.from({ length: 25 }, (_, i) => `dev-${String(i).padStart(2, '0')}`));
      expect((await store.listDevices({ tag: 'lab' })).items.map((d) => d.deviceId)).toEqual(['dev-00', 'dev-05', 'dev-10', 'dev-15', 'dev-20']);
      expect((await store.listDevices({ tag: 'lab', deviceClass: 'pi' })).items.map((d) => d.deviceId)).toEqual(['dev-00', 'dev-10', 'dev-20']);
      await store.setTags('dev-05', ['field']);
      expect((await store.listDevices({ tag: 'lab' })).items).toHaveLength(4);
      expect((await store.getDevice('dev-05'))?.tags).toEqual(['field']);
      expect(await code(store.setTags('nope', []))).toBe('not-found');
      expect(await code(store.listDevices({ cursor: 'garbage!' }))).toBe('bad-cursor');
      expect(await code(store.listDevices({ limit: 0 }))).toBe('bad-limit');
      expect(await code(store.listDevices({ limit: 1001 }))).toBe('bad-limit');
      // A cursor of another list's shape is refused, not misread.
      const events = await store.listEvents({ limit: 1 });
      expect(events.next).toBeUndefined();
      const page = await store.listDevices({ limit: 1 });
      expect(await code(store.listEvents({ cursor: page.next! }))).toBe('bad-cursor');
    });

    it('setPresence marks a device online (seen) and offline (last seen kept); unknown devices are not-found', async () => {
      const { store } = await fresh();
      await store.upsertDevice({ deviceId: 'd', deviceClass: 'pi', atMs: 10 });
      await store.setPresence('d', true, 50);
      expect(await store.getDevice('d')).toMatchObject({ online: true, lastSeenMs: 50 });
      await store.setPresence('d', false, 80);
      expect(await store.getDevice('d')).toMatchObject({ online: false, lastSeenMs: 50 });
      expect(await code(store.setPresence('x', true, 1))).toBe('not-found');
    });

    it('acceptReport keeps only reports newer than every one accepted before', async () => {
      const { store } = await fresh();
      await store.upsertDevice({ deviceId: 'd', deviceClass: 'pi', atMs: 0 });
      const results = [];
      for (const seq of [0, 1, 3, 2, 3, 4, 0]) results.push(await store.acceptReport('d', seq, seq * 10));
      expect(results).toEqual([true, true, true, false, false, true, false]);
      expect(await store.getDevice('d')).toMatchObject({ reportSequence: 4, lastSeenMs: 40 });
      expect(await code(store.acceptReport('x', 1, 1))).toBe('not-found');
      expect(await code(store.acceptReport('d', -1, 1))).toBe('bad-value');
    });

    it('retireDevice hides the device, revokes its enrollment and refuses later updates', async () => {
      const { store } = await fresh();
      await store.upsertDevice({ deviceId: 'a', deviceClass: 'pi', atMs: 0 });
      await store.upsertDevice({ deviceId: 'b', deviceClass: 'pi', atMs: 0 });
      await store.putEnrollment({ deviceId: 'a', deviceClass: 'pi', state: 'accepted', publicKey: bytes(32, 1), boxKey: bytes(32, 2), passwordHash: bytes(32, 3), requestedAtMs: 0, decidedAtMs: 1 });
      await store.retireDevice('a', 500);
      await store.retireDevice('a', 600); // idempotent: the first time counts
      expect((await store.listDevices()).items.map((d) => d.deviceId)).toEqual(['b']);
      expect((await store.listDevices({ includeRetired: true })).items.map((d) => d.deviceId)).toEqual(['a', 'b']);
      expect(await store.getDevice('a')).toMatchObject({ retiredAtMs: 500, online: false });
      const e = await store.getEnrollment('a');
      expect(e?.state).toBe('retired');
      expect(e?.passwordHash).toBeUndefined();
      expect(await code(store.upsertDevice({ deviceId: 'a', deviceClass: 'pi', atMs: 700 }))).toBe('retired');
      expect(await code(store.retireDevice('zz', 1))).toBe('not-found');
    });

    it('enrollment records go pending to accepted only from the states named, with their keys intact', async () => {
      const { store } = await fresh();
      const pk = Uint8Array.from({ length: 32 }, (_, i) => i);
      await store.putEnrollment({ deviceId: 'd1', deviceClass: 'pi', state: 'pending', publicKey: pk, boxKey: bytes(32, 0xff), requestedAtMs: 10 });
      await store.putEnrollment({ deviceId: 'd2', deviceClass: 'pi', state: 'pending', publicKey: pk, boxKey: pk, requestedAtMs: 11 });
      expect(await store.getEnrollment('d1')).toEqual({ deviceId: 'd1', deviceClass: 'pi', state: 'pending', publicKey: pk, boxKey: bytes(32, 0xff), requestedAtMs: 10 });
      await store.setEnrollmentState('d1', { state: 'accepted', from: ['pending'], atMs: 20, passwordHash: bytes(32, 7) });
      expect(await code(store.setEnrollmentState('d1', { state: 'refused', from: ['pending'], atMs: 21 }))).toBe('conflict');
      await store.setEnrollmentState('d2', { state: 'refused', from: ['pending'], atMs: 22, note: 'unknown-serial' });
      expect(await code(store.setEnrollmentState('zz', { state: 'accepted', atMs: 1 }))).toBe('not-found');
      expect(await store.getEnrollment('d1')).toMatchObject({ state: 'accepted', passwordHash: bytes(32, 7), decidedAtMs: 20 });
      expect(await store.getEnrollment('d2')).toMatchObject({ state: 'refused', note: 'unknown-serial' });
      expect((await store.listEnrollments({ state: 'pending' })).items).toEqual([]);
      expect((await store.listEnrollments({ state: 'accepted' })).items.map((e) => e.deviceId)).toEqual(['d1']);
      await store.confirmEnrollment('d1', 30);
      await store.confirmEnrollment('d1', 40);
      expect((await store.getEnrollment('d1'))?.confirmedAtMs).toBe(30);
      expect(await code(store.confirmEnrollment('zz', 1))).toBe('not-found');
      await store.deleteEnrollment('d2');
      expect(await store.getEnrollment('d2')).toBeUndefined();
    });

    it('CloudEnrollmentStore backs the enrollment service: accepted devices only, and retirement stays in force', async () => {
      const { store } = await fresh();
      const enroll = new CloudEnrollmentStore(store);
      const device = { deviceId: 'd1', deviceClass: 'pi', publicKey: bytes(32, 1), boxKey: bytes(32, 2), passwordHash: bytes(32, 3), enrolledAtMs: 100 };
      await store.putEnrollment({ deviceId: 'd0', deviceClass: 'pi', state: 'pending', publicKey: bytes(32, 9), boxKey: bytes(32, 9), requestedAtMs: 1 });
      await enroll.put(device);
      expect(await enroll.get('d1')).toEqual(device);
      expect(await enroll.get('d0')).toBeUndefined();
      expect((await store.getDevice('d1'))?.deviceClass).toBe('pi');
      await enroll.put({ ...device, confirmedAtMs: 150 });
      expect((await enroll.list()).map((d) => [d.deviceId, d.confirmedAtMs])).toEqual([['d1', 150]]);
      await store.retireDevice('d1', 200);
      expect(await enroll.get('d1')).toBeUndefined();
      await enroll.put({ ...device, enrolledAtMs: 300 });
      expect(await enroll.get('d1')).toBeUndefined();
      expect((await store.getEnrollment('d1'))?.state).toBe('retired');
      await enroll.delete('d1');
      expect(await store.getEnrollment('d1')).toBeUndefined();
    });

    it('fleetSummary counts live devices, online ones and retired ones, and live modules per version and health; listModuleStatusOf reads many devices', async () => {
      const { store } = await fresh();
      expect(await store.fleetSummary()).toEqual({ devices: 0, online: 0, retired: 0, versions: {}, health: {} });
      const status = (deviceId: string, module: string, version: string, health: string) => store.putModuleStatus({ deviceId, module, version, state: 'running', health, traps: 0, recentLogs: [], updatedAtMs: 1 });
      for (const [id, online] of [['a', true], ['b', false], ['c', true], ['d', true]] as const) {
        await store.upsertDevice({ deviceId: id, deviceClass: 'pi', atMs: 1 });
        if (online) await store.setPresence(id, true, 2);
      }
      await status('a', 'thermo', '1.0.0', 'ok');
      await status('a', 'blink', '2.0.0', 'ok');
      await status('b', 'thermo', '1.1.0', 'failed');
      await status('c', 'thermo', '1.0.0', 'probation');
      await status('d', 'thermo', '1.0.0', 'ok');
      await store.retireDevice('d', 5);
      expect(await store.fleetSummary()).toEqual({
        devices: 3, online: 2, retired: 1,
        versions: { thermo: { '1.0.0': 2, '1.1.0': 1 }, blink: { '2.0.0': 1 } },
        health: { ok: 2, failed: 1, probation: 1 },
      });
      const many = await store.listModuleStatusOf(['c', 'a', 'zz']);
      expect(many.map((m) => `${m.deviceId}/${m.module}`)).toEqual(['a/blink', 'a/thermo', 'c/thermo']);
      expect(await store.listModuleStatusOf([])).toEqual([]);
      const ids = Array.from({ length: 450 }, (_, i) => `x-${i}`);
      expect(await store.listModuleStatusOf([...ids, 'b'])).toHaveLength(1);
      expect(await code(store.listModuleStatusOf(Array.from({ length: 1001 }, (_, i) => `y-${i}`)))).toBe('bad-limit');
    });

    it('module status keeps the latest report per module; an older one is ignored', async () => {
      const { store } = await fresh();
      const base = { deviceId: 'd', module: 'thermo', version: '1.0.0', state: 'running', health: 'ok', traps: 0, recentLogs: ['boot'], updatedAtMs: 100 };
      await store.putModuleStatus({ ...base, fuelPerTick: 1234.5, memoryHighWater: 65536 });
      await store.putModuleStatus({ ...base, module: 'blink', updatedAtMs: 90 });
      await store.putModuleStatus({ ...base, version: '1.1.0', health: 'failing', traps: 3, recentLogs: ['a', 'b'], updatedAtMs: 200 });
      await store.putModuleStatus({ ...base, version: '0.9.0', updatedAtMs: 150 });
      expect(await store.listModuleStatus('d')).toEqual([
        { ...base, module: 'blink', updatedAtMs: 90 },
        { ...base, version: '1.1.0', health: 'failing', traps: 3, recentLogs: ['a', 'b'], updatedAtMs: 200 },
      ]);
      expect(await store.listModuleStatus('other')).toEqual([]);
    });

    it('telemetry is stored in batches and read oldest first, filtered and paged', async () => {
      const { store } = await fresh();
      const points: TelemetryPoint[] = [];
      for (let i = 0; i < 450; i++) points.push({ deviceId: 'd', module: 'thermo', metric: i % 3 === 0 ? 'temp' : 'fuel', atMs: 1000 + Math.floor(i / 2), value: i / 4 });
      points.push({ deviceId: 'e', module: 'thermo', metric: 'temp', atMs: 1000, value: 1 });
      await store.addTelemetry(points);
      const { items, pages } = await all((c) => store.queryTelemetry({ deviceId: 'd', limit: 100, ...cur(c) }));
      expect(pages).toBe(5);
      expect(items).toEqual(points.slice(0, 450));
      const temps = await all((c) => store.queryTelemetry({ deviceId: 'd', metric: 'temp', fromMs: 1010, toMs: 1020, limit: 2, ...cur(c) }));
      expect(temps.items).toEqual(points.filter((p) => p.deviceId === 'd' && p.metric === 'temp' && p.atMs >= 1010 && p.atMs < 1020));
      expect(temps.items.length).toBeGreaterThan(2);
      expect(await code(store.addTelemetry([{ deviceId: 'd', module: 'm', metric: 'x', atMs: 1, value: Number.NaN }]))).toBe('bad-value');
    });

    it('addEvent stores a redelivered event once; events list newest first; retention removes old history', async () => {
      const { store } = await fresh({ retention: { eventsMs: 1000, telemetryMs: 500 } });
      expect(await store.addEvent({ deviceId: 'd', eventId: 'e1', kind: 'rollback', atMs: 100, data: { module: 'thermo', cause: 'trap' } })).toBe(true);
      expect(await store.addEvent({ deviceId: 'd', eventId: 'e1', kind: 'rollback', atMs: 100, data: { other: true } })).toBe(false);
      expect(await store.addEvent({ deviceId: 'other', eventId: 'e1', kind: 'boot', atMs: 900, data: null })).toBe(true);
      for (let i = 2; i <= 12; i++) await store.addEvent({ deviceId: 'd', eventId: `e${i}`, kind: 'tick', atMs: 100 * i, data: i });
      const d = await all((c) => store.listEvents({ deviceId: 'd', limit: 5, ...cur(c) }));
      expect(d.pages).toBe(3);
      expect(d.items.map((e) => e.eventId)).toEqual(['e12', 'e11', 'e10', 'e9', 'e8', 'e7', 'e6', 'e5', 'e4', 'e3', 'e2', 'e1']);
      expect(d.items.at(-1)).toEqual({ deviceId: 'd', eventId: 'e1', kind: 'rollback', atMs: 100, data: { module: 'thermo', cause: 'trap' } });
      expect((await store.listEvents({ kind: 'boot' })).items.map((e) => e.deviceId)).toEqual(['other']);
      await store.addTelemetry([{ deviceId: 'd', module: 'm', metric: 't', atMs: 1400, value: 1 }, { deviceId: 'd', module: 'm', metric: 't', atMs: 1600, value: 2 }]);
      expect(await store.applyRetention(2050)).toEqual({ events: 11, telemetry: 1 });
      expect((await store.listEvents({ deviceId: 'd' })).items.map((e) => e.eventId)).toEqual(['e12', 'e11']);
      expect((await store.queryTelemetry({ deviceId: 'd' })).items.map((p) => p.value)).toEqual([2]);
    });

    it('releases are stored once by manifest digest and listed by name, newest sequence first', async () => {
      const { store } = await fresh();
      const rel = (name: string, sequence: number) => ({ manifestDigest: `${name}-${sequence}`.padEnd(64, '0'), moduleDigest: 'ab'.repeat(32), name, version: `1.${sequence}.0`, sequence, sizeBytes: 4096, createdAtMs: sequence });
      expect(await store.putRelease(rel('thermo', 1))).toBe(true);
      expect(await store.putRelease(rel('thermo', 1))).toBe(false);
      for (const [n, s] of [['thermo', 3], ['blink', 1], ['thermo', 2], ['blink', 2]] as const) await store.putRelease(rel(n, s));
      const { items, pages } = await all((c) => store.listReleases({ limit: 2, ...cur(c) }));
      expect(pages).toBe(3);
      expect(items.map((r) => `${r.name}@${r.sequence}`)).toEqual(['blink@2', 'blink@1', 'thermo@3', 'thermo@2', 'thermo@1']);
      expect((await store.listReleases({ name: 'thermo', limit: 1 })).items[0]).toEqual(rel('thermo', 3));
      expect(await store.getRelease(rel('blink', 2).manifestDigest)).toEqual(rel('blink', 2));
      expect(await store.getRelease('none')).toBeUndefined();
    });

    it('rollouts: created for a known release, updated only at the version read, and kept across a restart', async () => {
      const { store, open } = await fresh();
      await store.putRelease({ manifestDigest: 'm1', moduleDigest: 'x', name: 'thermo', version: '1.0.0', sequence: 1, sizeBytes: 1, createdAtMs: 0 });
      expect(await code(store.createRollout({ rolloutId: 'r0', manifestDigest: 'nope', spec: {}, createdBy: 'ops', atMs: 1 }))).toBe('not-found');
      const r = await store.createRollout({ rolloutId: 'r1', manifestDigest: 'm1', spec: { waves: [1, 10, 100] }, createdBy: 'ops', atMs: 10 });
      expect(r).toEqual({ rolloutId: 'r1', manifestDigest: 'm1', state: 'created', spec: { waves: [1, 10, 100] }, createdBy: 'ops', createdAtMs: 10, updatedAtMs: 10, version: 1 });
      expect(await code(store.createRollout({ rolloutId: 'r1', manifestDigest: 'm1', spec: {}, createdBy: 'ops', atMs: 11 }))).toBe('conflict');
      const running = await store.updateRollout('r1', 1, { state: 'running', atMs: 20 });
      expect(running).toMatchObject({ state: 'running', version: 2, updatedAtMs: 20, spec: { waves: [1, 10, 100] } });
      expect(await code(store.updateRollout('r1', 1, { state: 'halted', atMs: 21 }))).toBe('conflict');
      expect(await code(store.updateRollout('zz', 1, { atMs: 21 }))).toBe('not-found');
      expect(await code(store.updateRollout('r1', 2, { atMs: 21, version: 2 }))).toBe('bad-value');
      expect(await store.updateRollout('r1', 2, { atMs: 22, version: 7 })).toMatchObject({ version: 7, state: 'running' });
      expect(await store.updateRollout('r1', 7, { atMs: 23 })).toMatchObject({ version: 8 });
      const v8 = await store.getRollout('r1');
      await store.createRollout({ rolloutId: 'r2', manifestDigest: 'm1', spec: null, createdBy: 'ops', atMs: 30 });
      await store.updateRollout('r2', 1, { state: 'paused', spec: { waves: [5] }, atMs: 31 });

      const restarted = await open();
      expect(await restarted.getRollout('r1')).toEqual(v8);
      expect((await restarted.listRollouts()).items.map((x) => x.rolloutId)).toEqual(['r2', 'r1']);
      expect((await restarted.listRollouts({ state: 'paused' })).items.map((x) => [x.rolloutId, x.spec])).toEqual([['r2', { waves: [5] }]]);
      const paged = await all((c) => restarted.listRollouts({ limit: 1, ...cur(c) }));
      expect(paged.items.map((x) => x.rolloutId)).toEqual(['r2', 'r1']);
    });

    it('rollout targets: added once per device, moved between states, counted per wave and paged by wave', async () => {
      const { store } = await fresh();
      await store.putRelease({ manifestDigest: 'm1', moduleDigest: 'x', name: 'thermo', version: '1.0.0', sequence: 1, sizeBytes: 1, createdAtMs: 0 });
      await store.createRollout({ rolloutId: 'r1', manifestDigest: 'm1', spec: {}, createdBy: 'ops', atMs: 1 });
      const targets = Array.from({ length: 450 }, (_, i) => ({ deviceId: `dev-${String(i).padStart(3, '0')}`, wave: i < 10 ? 0 : i < 50 ? 1 : 2 }));
      await store.addTargets('r1', targets, 5);
      await store.setTargetState('r1', 'dev-000', 'healthy', 9);
      await store.setTargetState('r1', 'dev-001', 'failed', 9, 'trap: unreachable');
      await store.addTargets('r1', [{ deviceId: 'dev-000', wave: 2 }], 10);
      expect(await store.countTargets('r1')).toEqual({ waiting: 448, healthy: 1, failed: 1 });
      expect(await store.countTargets('r1', 0)).toEqual({ waiting: 8, healthy: 1, failed: 1 });
      expect(await store.countTargets('r1', 1)).toEqual({ waiting: 40 });
      const failed = await store.listTargets('r1', { state: 'failed' });
      expect(failed.items).toEqual([{ rolloutId: 'r1', deviceId: 'dev-001', wave: 0, state: 'failed', detail: 'trap: unreachable', updatedAtMs: 9 }]);
      const { items, pages } = await all((c) => store.listTargets('r1', { limit: 100, ...cur(c) }));
      expect(pages).toBe(5);
      expect(items.map((t) => t.deviceId)).toEqual(targets.map((t) => t.deviceId));
      expect((await store.listTargets('r1', { wave: 1, limit: 1000 })).items).toHaveLength(40);
      expect(await code(store.setTargetState('r1', 'nope', 'sent', 1))).toBe('not-found');
      expect(await code(store.addTargets('zz', [], 1))).toBe('not-found');
    });

    it('decisions are appended with their reasons; the audit log lists who did what, newest first', async () => {
      const { store } = await fresh();
      for (let i = 0; i < 7; i++) await store.recordDecision({ rolloutId: i % 2 === 0 ? 'r1' : 'r2', atMs: i, decision: `d${i}`, reason: `because ${i}`, actor: 'cloud-a' });
      const d = await all((c) => store.listDecisions('r1', { limit: 3, ...cur(c) }));
      expect(d.items).toEqual([0, 2, 4, 6].map((i) => ({ rolloutId: 'r1', atMs: i, decision: `d${i}`, reason: `because ${i}`, actor: 'cloud-a' })));
      expect(d.pages).toBe(2);
      await store.audit({ atMs: 1, actor: 'alice', action: 'rollout.create', subject: 'r1', detail: { waves: 3 } });
      await store.audit({ atMs: 2, actor: 'bob', action: 'device.retire', subject: 'dev-9' });
      await store.audit({ atMs: 3, actor: 'alice', action: 'rollout.halt', subject: 'r1' });
      expect((await store.listAudit()).items.map((e) => e.action)).toEqual(['rollout.halt', 'device.retire', 'rollout.create']);
      expect((await store.listAudit({ actor: 'alice' })).items).toEqual([
        { atMs: 3, actor: 'alice', action: 'rollout.halt', subject: 'r1' },
        { atMs: 1, actor: 'alice', action: 'rollout.create', subject: 'r1', detail: { waves: 3 } },
      ]);
      const a = await all((c) => store.listAudit({ limit: 2, ...cur(c) }));
      expect(a.items.map((e) => e.atMs)).toEqual([3, 2, 1]);
    });

    it('leases: one holder at a time, renewed while held, free again on expiry or release, token rising at each new holder', async () => {
      let now = 1_000;
      const clock = (): number => now;
      const { store: a, open } = await fresh({ clock });
      const b = await open({ clock });
      const first = await a.tryAcquireLease('rollout:r1', 'cloud-a', 100);
      expect(first).toEqual({ name: 'rollout:r1', holder: 'cloud-a', expiresAtMs: 1_100, token: 1 });
      expect(await b.tryAcquireLease('rollout:r1', 'cloud-b', 100)).toBeUndefined();
      expect(await b.getLease('rollout:r1')).toEqual(first);
      now = 1_050;
      expect(await a.tryAcquireLease('rollout:r1', 'cloud-a', 100)).toEqual({ ...first, expiresAtMs: 1_150 });
      expect(await a.renewLease('rollout:r1', 'cloud-a', 100)).toEqual({ ...first, expiresAtMs: 1_150 });
      expect(await b.renewLease('rollout:r1', 'cloud-b', 100)).toBeUndefined();
      expect(await b.releaseLease('rollout:r1', 'cloud-b')).toBe(false);
      now = 1_150; // expired
      expect(await a.renewLease('rollout:r1', 'cloud-a', 100)).toBeUndefined();
      expect(await a.getLease('rollout:r1')).toBeUndefined();
      expect(await b.tryAcquireLease('rollout:r1', 'cloud-b', 100)).toEqual({ name: 'rollout:r1', holder: 'cloud-b', expiresAtMs: 1_250, token: 2 });
      expect(await a.tryAcquireLease('rollout:r1', 'cloud-a', 100)).toBeUndefined();
      expect(await b.releaseLease('rollout:r1', 'cloud-b')).toBe(true);
      expect(await a.tryAcquireLease('rollout:r1', 'cloud-a', 100)).toMatchObject({ holder: 'cloud-a', token: 3 });
      expect(await b.tryAcquireLease('rollout:r2', 'cloud-b', 100)).toMatchObject({ holder: 'cloud-b', token: 1 });
      expect(await code(a.tryAcquireLease('x', 'a', 0))).toBe('bad-value');
    });

    it('two cloud processes racing for the same leases: exactly one wins each', async () => {
      const { store: a, open } = await fresh();
      const b = await open();
      const rounds = 40;
      const results = await Promise.all(
        Array.from({ length: rounds }, (_, i) => Promise.all([a.tryAcquireLease(`race-${i}`, 'cloud-a', 60_000), b.tryAcquireLease(`race-${i}`, 'cloud-b', 60_000)])),
      );
      for (const [i, [x, y]] of results.entries()) {
        expect([x, y].filter((l) => l !== undefined), `round ${i}`).toHaveLength(1);
        const winner = (x ?? y)!.holder;
        expect((await a.getLease(`race-${i}`))?.holder).toBe(winner);
      }
    });

    it('two cloud processes: stale rollout updates conflict and out-of-order reports are dropped', async () => {
      const { store: a, open } = await fresh();
      const b = await open();
      await a.putRelease({ manifestDigest: 'm1', moduleDigest: 'x', name: 'thermo', version: '1.0.0', sequence: 1, sizeBytes: 1, createdAtMs: 0 });
      await a.createRollout({ rolloutId: 'r1', manifestDigest: 'm1', spec: {}, createdBy: 'ops', atMs: 1 });
      const outcomes = await Promise.allSettled([a.updateRollout('r1', 1, { state: 'running', atMs: 2 }), b.updateRollout('r1', 1, { state: 'halted', atMs: 2 })]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect((lost.reason as StoreError).code).toBe('conflict');
      expect((await b.getRollout('r1'))?.version).toBe(2);

      await a.upsertDevice({ deviceId: 'd', deviceClass: 'pi', atMs: 0 });
      const seqs = Array.from({ length: 60 }, (_, i) => i + 1).sort((x, y) => ((x * 37) % 61) - ((y * 37) % 61));
      const accepted = await Promise.all(seqs.map((s, i) => (i % 2 === 0 ? a : b).acceptReport('d', s, s)));
      expect((await b.getDevice('d'))?.reportSequence).toBe(60);
      // A report accepted after a higher one would break the order: every accepted report beats those accepted before it.
      const acceptedSeqs = seqs.filter((_, i) => accepted[i]);
      expect(acceptedSeqs.length).toBeGreaterThan(0);
      expect(await a.acceptReport('d', 60, 99)).toBe(false);
    });

    it('CloudRolloutStore backs the rollout engine: compare-and-set on the revision across processes, records kept across a restart', async () => {
      const { store: a, open } = await fresh();
      const b = await open();
      const NEW: Release = { version: '1.1.0', sequence: 2, manifestDigest: 'b'.repeat(64) };
      const OLD: Release = { version: '1.0.0', sequence: 1, manifestDigest: 'a'.repeat(64) };
      await a.putRelease({ manifestDigest: NEW.manifestDigest, moduleDigest: 'c'.repeat(64), name: 'thermo', version: NEW.version, sequence: NEW.sequence, sizeBytes: 100, createdAtMs: 0 });
      const devices = ['d1', 'd2', 'd3', 'd4'].map((id) => ({ id, tags: { site: 'x' } }));
      const { record } = createRollout({ id: 'r1', app: 'thermo', release: NEW, previous: OLD, target: { kind: 'selector', match: { site: 'x' } }, waves: { kind: 'fixed', sizes: [1, 3] } }, devices, 0);
      const ra = new CloudRolloutStore(a, 'alice');
      const rb = new CloudRolloutStore(b);
      expect(await ra.save(record, undefined)).toBe(true);
      expect(await rb.save(record, undefined)).toBe(false);
      expect(await rb.load('r1')).toEqual(record);
      expect(await a.getRollout('r1')).toMatchObject({ state: 'created', version: 0, createdBy: 'alice', manifestDigest: NEW.manifestDigest });

      expect((await applyEvent(ra, 'r1', { type: 'start', atMs: 10 })).ok).toBe(true);
      expect(await rb.save(record, record.revision)).toBe(false); // a stale writer
      // Two processes step the same rollout at once: one saves, the other re-reads and retries (applyEvent), so both reports count.
      const report = (deviceId: string, atMs: number) => ({ type: 'report' as const, atMs, deviceId, module: { state: 'installing', version: NEW.version, manifestDigest: NEW.manifestDigest } });
      await Promise.all([applyEvent(ra, 'r1', report('d1', 20)), applyEvent(rb, 'r1', report('d1', 21))]);
      const stepped = await ra.load('r1');
      expect(stepped?.state).toBe('running');
      expect((await a.getRollout('r1'))?.version).toBe(stepped?.revision);

      const restarted = new CloudRolloutStore(await open());
      expect(await restarted.listActive()).toEqual(['r1']);
      const recovered = await recoverRollouts(restarted);
      expect(recovered.map((r) => r.actions)).toEqual([[{ kind: 'publish', rolloutId: 'r1', app: 'thermo', wave: 0, deviceIds: ['d1'], release: NEW }]]);
      await applyEvent(restarted, 'r1', { type: 'abort', atMs: 40 });
      expect(await ra.listActive()).toEqual([]);
      expect((await a.getRollout('r1'))?.state).toBe('aborted');

      const unknownRelease = createRollout({ id: 'r2', app: 'thermo', release: { ...NEW, manifestDigest: 'f'.repeat(64) }, target: { kind: 'selector', match: { site: 'x' } }, waves: { kind: 'fixed', sizes: [4] } }, devices, 0).record;
      expect(await code(ra.save(unknownRelease, undefined))).toBe('not-found');
    });

    it('desired states: written by compare-and-set on the sequence, the trust kept beside them, listed by device', async () => {
      const { store } = await fresh();
      expect(await store.getDesiredState('d1')).toBeUndefined();
      const mods = [{ name: 'thermo', manifestDigest: 'a'.repeat(64), settings: { SETPOINT: '21' }, version: '1.0.0' }];
      expect(await store.putDesiredState({ deviceId: 'd1', sequence: 1, modules: mods, signed: bytes(40, 7), updatedAtMs: 10 }, undefined)).toBe(true);
      expect(await store.putDesiredState({ deviceId: 'd1', sequence: 1, modules: [], signed: bytes(40, 8), updatedAtMs: 11 }, undefined)).toBe(false);
      expect(await store.putDesiredState({ deviceId: 'd1', sequence: 2, modules: [], signed: bytes(40, 8), updatedAtMs: 11 }, 0)).toBe(false);
      await store.setDesiredTrust('d1', bytes(50, 9), 12);
      expect(await store.putDesiredState({ deviceId: 'd1', sequence: 2, modules: [...mods, { name: 'meter', manifestDigest: 'b'.repeat(64), settings: {} }], signed: bytes(40, 8), updatedAtMs: 13 }, 1)).toBe(true);
      expect(await store.getDesiredState('d1')).toEqual({
        deviceId: 'd1', sequence: 2, modules: [...mods, { name: 'meter', manifestDigest: 'b'.repeat(64), settings: {} }], signed: bytes(40, 8), trust: bytes(50, 9), updatedAtMs: 13,
      });
      // cleared (a retired device): same sequence, no signed bytes, the trust kept
      expect(await store.putDesiredState({ deviceId: 'd1', sequence: 2, modules: [], updatedAtMs: 14 }, 2)).toBe(true);
      expect(await store.getDesiredState('d1')).toEqual({ deviceId: 'd1', sequence: 2, modules: [], trust: bytes(50, 9), updatedAtMs: 14 });
      expect(await code(store.putDesiredState({ deviceId: 'd1', sequence: 1, modules: [], updatedAtMs: 15 }, 2))).toBe('bad-value');
      // a row holding only a trust update is at sequence 0
      await store.setDesiredTrust('d0', bytes(50, 1), 16);
      expect(await store.getDesiredState('d0')).toEqual({ deviceId: 'd0', sequence: 0, modules: [], trust: bytes(50, 1), updatedAtMs: 16 });
      expect(await store.putDesiredState({ deviceId: 'd0', sequence: 1, modules: [], signed: bytes(3, 1), updatedAtMs: 17 }, undefined)).toBe(false);
      expect(await store.putDesiredState({ deviceId: 'd0', sequence: 1, modules: [], signed: bytes(3, 1), updatedAtMs: 17 }, 0)).toBe(true);
      for (let i = 2; i < 7; i++) await store.setDesiredTrust(`d${i}`, bytes(4, i), 20);
      const { items, pages } = await all((c) => store.listDesiredStates({ limit: 3, ...cur(c) }));
      expect(pages).toBe(3);
      expect(items.map((d) => d.deviceId)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6']);
    });

    it('two cloud processes signing desired states for one device never store one sequence twice', async () => {
      const { store: a, open } = await fresh();
      const b = await open();
      const won: number[] = [];
      const writer = async (s: CloudStore, tag: number): Promise<void> => {
        for (let n = 0; n < 15; ) {
          const row = await s.getDesiredState('d');
          const next = (row?.sequence ?? 0) + 1;
          if (await s.putDesiredState({ deviceId: 'd', sequence: next, modules: [], signed: bytes(8, tag), updatedAtMs: next }, row?.sequence)) {
            won.push(next);
            n++;
          }
        }
      };
      await Promise.all([writer(a, 1), writer(b, 2)]);
      expect(won.sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect((await a.getDesiredState('d'))?.sequence).toBe(30);
    });

    it('rollout requests and one-time enrollment tokens are stored once', async () => {
      const { store, open } = await fresh();
      const other = await open();
      expect(await store.putRolloutRequest({ rolloutId: 'r1', createdBy: 'alice', request: { autoRollback: true, rollbackRelease: 'c'.repeat(64) }, createdAtMs: 5 })).toBe(true);
      expect(await other.putRolloutRequest({ rolloutId: 'r1', createdBy: 'bob', request: {}, createdAtMs: 6 })).toBe(false);
      expect(await other.getRolloutRequest('r1')).toEqual({ rolloutId: 'r1', createdBy: 'alice', request: { autoRollback: true, rollbackRelease: 'c'.repeat(64) }, createdAtMs: 5 });
      expect(await store.getRolloutRequest('r2')).toBeUndefined();
      const race = await Promise.all([store.useEnrollmentToken('h1', 'dev-a', 1), other.useEnrollmentToken('h1', 'dev-b', 1)]);
      expect(race.filter(Boolean)).toHaveLength(1);
      expect(await store.useEnrollmentToken('h1', 'dev-c', 2)).toBe(false);
      expect(await store.useEnrollmentToken('h2', 'dev-c', 2)).toBe(true);
    });

    it('a closed store refuses calls with code closed', async () => {
      const { db } = await fresh();
      const s = await db.open();
      await s.close();
      expect(await code(s.getDevice('d'))).toBe('closed');
      await s.close();
    });
  });
}
