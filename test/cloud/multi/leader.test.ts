// RolloutLeader: two cloud processes' leaders on one store (one SQLite file opened twice, and one PostgreSQL schema):
// exactly one runs a rollout driver; a stopped leader hands over at the standby's next try; a leader whose store stops
// answering stops its driver before the lease expires, and only then does the standby take over; the fencing token
// grows with each new holder. "Drivers" here are stand-ins that record when they run, so an overlap is seen.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import type { RolloutDriver } from '../../../cloud/rollout/driver.ts';
import { createRollout, step } from '../../../cloud/rollout/engine.ts';
import { MemoryRolloutStore, type RolloutStore } from '../../../cloud/rollout/store.ts';
import { LeaderError, ROLLOUT_LEASE, RolloutLeader, type RolloutLeaderOptions } from '../../../cloud/rollout/leader.ts';
import { PostgresStore, SqliteStore, type CloudStore, type Lease } from '../../../cloud/store/index.ts';
import { until } from '../../agent/agent-kit.ts';
import { dropSchemas, startPostgres, type PgServer } from '../store/pg-server.ts';

const TTL = 1200;
const EVERY = 300;
const MARGIN = 300;

const dir = mkdtempSync(join(tmpdir(), 'fleetlet-leader-'));
let pgServer: Promise<PgServer> | undefined;
const schemas: string[] = [];
const open: CloudStore[] = [];
const leaders: RolloutLeader[] = [];

afterAll(async () => {
  for (const l of leaders) await l.stop();
  for (const s of open) await s.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  const pg = await pgServer?.catch(() => undefined);
  if (pg !== undefined) {
    await dropSchemas(pg.url, schemas);
    await pg.stop();
  }
});

/** Two stores on one database, as two cloud processes would open it. */
type Backend = { readonly name: string; readonly pair: () => Promise<[CloudStore, CloudStore]> };

const BACKENDS: readonly Backend[] = [
  {
    name: 'one SQLite file',
    pair: async () => {
      const path = join(dir, `${randomBytes(4).toString('hex')}.db`);
      const a = await SqliteStore.open({ path });
      const b = await SqliteStore.open({ path });
      open.push(a, b);
      return [a, b];
    },
  },
  {
    name: 'PostgreSQL',
    pair: async () => {
      pgServer ??= startPostgres();
      const { url } = await pgServer;
      const schema = `fleetlet_leader_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      const a = await PostgresStore.open({ connectionString: url, schema, maxConnections: 2 });
      const b = await PostgresStore.open({ connectionString: url, schema, maxConnections: 2 });
      open.push(a, b);
      return [a, b];
    },
  },
];

/** What the stand-in drivers did, in the order it happened. */
class World {
  readonly log: string[] = [];
  /** When each log line was written (ms since the epoch). */
  readonly at: number[] = [];
  readonly running = new Set<string>();
  overlaps = 0;

  note(line: string): void {
    this.log.push(line);
    this.at.push(Date.now());
  }

  driverFor(holder: string): () => Promise<RolloutDriver> {
    return async () => {
      if (this.running.size > 0) this.overlaps++;
      this.running.add(holder);
      this.note(`${holder} drives`);
      let stopped = false;
      return {
        stop: async () => {
          if (stopped) return;
          stopped = true;
          this.running.delete(holder);
          this.note(`${holder} stopped`);
        },
      } as unknown as RolloutDriver;
    };
  }

  async leader(store: CloudStore, holder: string, over: Partial<RolloutLeaderOptions> = {}): Promise<RolloutLeader> {
    const l = await RolloutLeader.start({
      store,
      holder,
      ttlMs: TTL,
      renewEveryMs: EVERY,
      marginMs: MARGIN,
      startDriver: this.driverFor(holder),
      onChange: (leading) => this.note(`${holder} ${leading ? 'leads' : 'stands by'}`),
      ...over,
    });
    leaders.push(l);
    return l;
  }
}

/**
 * A store whose lease calls wait for `gate` while `hang` is on (a database that stops answering); `granted` keeps the
 * latest expiry of a lease it gave.
 */
function hanging(store: CloudStore): { store: CloudStore; hang: () => void; release: () => void; granted: () => number } {
  let gate: Promise<void> | undefined;
  let granted = 0;
  let open = (): void => {};
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (prop === 'renewLease' || prop === 'tryAcquireLease') {
        return async (...args: unknown[]) => {
          if (gate !== undefined) await gate;
          const lease = (await (v as (...a: unknown[]) => Promise<Lease | undefined>).apply(target, args));
          if (lease !== undefined) granted = Math.max(granted, lease.expiresAtMs);
          return lease;
        };
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return {
    store: wrapped,
    hang: () => {
      gate = new Promise((r) => (open = r));
    },
    release: () => {
      gate = undefined;
      open();
    },
    granted: () => granted,
  };
}

describe.each(BACKENDS)('RolloutLeader on $name', ({ pair }) => {
  it('one of two processes leads and runs the only driver; stop hands over to the other at its next try', async () => {
    const [sa, sb] = await pair();
    const w = new World();
    const a = await w.leader(sa, 'proc-a');
    const b = await w.leader(sb, 'proc-b');
    expect(a.leading).toBe(true);
    expect(a.driver).toBeDefined();
    expect(b.leading).toBe(false);
    expect(b.driver).toBeUndefined();
    expect(await b.leader()).toBe('proc-a');
    const first = a.lease!;
    // several renewals later the same process leads, on the same token
    await new Promise((r) => setTimeout(r, EVERY * 4));
    expect([a.leading, b.leading]).toEqual([true, false]);
    expect((await sa.getLease(ROLLOUT_LEASE))?.token).toBe(first.token);

    await a.stop();
    expect(a.leading).toBe(false);
    await until('proc-b leads', () => b.leading || undefined, TTL * 5);
    expect(b.lease!.token).toBeGreaterThan(first.token);
    expect(w.overlaps).toBe(0);
    expect(w.log).toEqual(['proc-a drives', 'proc-a leads', 'proc-a stopped', 'proc-a stands by', 'proc-b drives', 'proc-b leads']);
    await b.stop();
    expect(w.running.size).toBe(0);
    expect(await sb.getLease(ROLLOUT_LEASE)).toBeUndefined(); // given up, not left to run out
  });

  it('a leader whose store stops answering stops its driver before its lease expires; the other takes over after expiry', async () => {
    const [sa, sb] = await pair();
    const w = new World();
    const h = hanging(sa);
    const a = await w.leader(h.store, 'proc-a');
    const b = await w.leader(sb, 'proc-b');
    expect(a.leading).toBe(true);
    const token = a.lease!.token;
    h.hang();
    onTestFinished(() => h.release()); // a failed expectation must not leave proc-a's stop waiting for ever
    await until('proc-a stands by', () => !a.leading || undefined, TTL * 5);
    // its driver stopped before the last lease the store gave it ran out
    expect(w.log.slice(-2)).toEqual(['proc-a stopped', 'proc-a stands by']);
    expect(w.at.at(-1)!).toBeLessThan(h.granted());
    await until('proc-b leads', () => b.leading || undefined, TTL * 5);
    expect(b.lease!.token).toBe(token + 1);
    // and the other process only took over once that lease had run out
    expect(w.at[w.log.indexOf('proc-b leads')]!).toBeGreaterThanOrEqual(h.granted());
    // the store answers again: the renewal that was waiting is refused, and proc-a stays a standby
    h.release();
    await new Promise((r) => setTimeout(r, EVERY * 3));
    expect([a.leading, b.leading]).toEqual([false, true]);
    expect(w.overlaps).toBe(0);
    expect(w.log.indexOf('proc-a stands by')).toBeLessThan(w.log.indexOf('proc-b drives'));
    expect(w.log.filter((x) => x.endsWith('drives'))).toEqual(['proc-a drives', 'proc-b drives']);
  });

  it('a renewal that throws stops the driver at once; the leader takes its own unexpired lease back on the next try', async () => {
    const [sa, sb] = await pair();
    const w = new World();
    let fail = false;
    const flaky = new Proxy(sa, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'renewLease') return async (...args: unknown[]) => {
          if (fail) {
            fail = false;
            throw new Error('connection reset');
          }
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const errors: Error[] = [];
    const a = await w.leader(flaky, 'proc-a', { onError: (e) => errors.push(e) });
    const b = await w.leader(sb, 'proc-b');
    const token = a.lease!.token;
    fail = true;
    await until('proc-a re-elected', () => (a.counts.elected === 2 && a.leading) || undefined, TTL * 5);
    expect(errors.map((e) => e.message)).toEqual(['connection reset']);
    expect(a.counts.demoted).toBe(1);
    expect(a.lease!.token).toBe(token); // the same lease: no other process held it in between
    expect(b.leading).toBe(false);
    expect(w.overlaps).toBe(0);
    expect(w.log).toEqual(['proc-a drives', 'proc-a leads', 'proc-a stopped', 'proc-a stands by', 'proc-a drives', 'proc-a leads']);
  });
});

describe('RolloutLeader options', () => {
  it('refuses a renewal period and margin that do not fit in the lease', async () => {
    const store = await SqliteStore.open({ path: ':memory:' });
    open.push(store);
    const startDriver = async (): Promise<RolloutDriver> => {
      throw new Error('not reached');
    };
    await expect(RolloutLeader.start({ store, holder: 'x', ttlMs: 300, renewEveryMs: 200, marginMs: 100, startDriver })).rejects.toBeInstanceOf(LeaderError);
    await expect(RolloutLeader.start({ store, holder: 'x', ttlMs: 1.5, startDriver })).rejects.toThrow(/lease of 1.5 ms/);
    expect(await store.getLease(ROLLOUT_LEASE)).toBeUndefined();
  });

  it('a driver that fails to start gives the lease up, so the other process can lead', async () => {
    const store = await SqliteStore.open({ path: join(dir, 'fail-start.db') });
    open.push(store);
    const errors: string[] = [];
    const l = await RolloutLeader.start({
      store, holder: 'broken', ttlMs: TTL, renewEveryMs: EVERY, marginMs: MARGIN,
      startDriver: async () => { throw new Error('no broker'); },
      onError: (e) => errors.push(e.message),
    });
    leaders.push(l);
    expect(l.leading).toBe(false);
    expect(errors).toEqual(['no broker']);
    expect(await store.getLease(ROLLOUT_LEASE)).toBeUndefined();
  });
});

describe('RolloutLeader.fence', () => {
  it('refuses a rollout save once the lease may have run out by the process clock (a paused process), and after stop', async () => {
    const store = await SqliteStore.open({ path: join(dir, 'fence.db') });
    open.push(store);
    let jump = 0; // what a pause of the whole process does to the clock: timers have not fired yet, time has passed
    let fenced: RolloutStore | undefined;
    const inner = new MemoryRolloutStore();
    const l = await RolloutLeader.start({
      store, holder: 'paused', ttlMs: TTL, renewEveryMs: EVERY, marginMs: MARGIN, clock: () => Date.now() + jump,
      startDriver: async (leader) => {
        fenced = leader.fence(inner);
        return { stop: async () => {} } as unknown as RolloutDriver;
      },
    });
    leaders.push(l);
    expect(l.leading).toBe(true);
    const { record } = createRollout({ id: 'ro-f', app: 'meter', release: { version: '2.0.0', sequence: 2, manifestDigest: 'ab'.repeat(32) }, target: { kind: 'list', deviceIds: ['d1'] }, waves: { kind: 'fixed', sizes: [1] } }, [{ id: 'd1', tags: {} }], Date.now());
    expect(await fenced!.save(record, undefined)).toBe(true);
    const started = step(record, { type: 'start', atMs: Date.now() });
    if (!started.ok) throw started.error;

    jump = TTL; // the driver's timer fires first after the pause
    const refused = await fenced!.save(started.record, record.revision).then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(LeaderError);
    expect(refused).toMatchObject({ code: 'not-leading' });
    expect((refused as Error).message).toBe('Cannot save rollout "ro-f": process "paused" may no longer hold the rollouts lease');
    expect((await inner.load('ro-f'))?.state).toBe('created');
    expect(await fenced!.load('ro-f')).toEqual(record); // reads pass

    jump = 0;
    await until('the leader renewed', () => (l.leading && l.lease !== undefined) || undefined, TTL * 3);
    await new Promise((r) => setTimeout(r, EVERY * 2));
    expect(await fenced!.save(started.record, record.revision)).toBe(true);
    await l.stop();
    await expect(fenced!.save({ ...started.record, revision: started.record.revision + 1 }, started.record.revision)).rejects.toMatchObject({ code: 'not-leading' });
  });
});
