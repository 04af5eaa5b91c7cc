// The CloudStore conformance suite on SqliteStore, each test with its own database file (so that a second store
// can open it as a second process would), and what only SQLite has: WAL, the file's schema version, open errors.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, SqliteStore, StoreError } from '../../../cloud/store/index.ts';
import { runStoreConformance } from './conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'fleetlet-sqlite-'));
let n = 0;
const newPath = (): string => join(dir, `store-${n++}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreConformance({
  name: 'SqliteStore',
  newDatabase: async () => {
    const path = newPath();
    return { open: (options) => SqliteStore.open({ path, ...options }) };
  },
});

describe('SqliteStore', () => {
  it('open puts the file in WAL mode and records the schema version in schema_version', async () => {
    const path = newPath();
    const store = await SqliteStore.open({ path });
    await store.close();
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.prepare('SELECT version FROM schema_version ORDER BY version').all()).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })));
    } finally {
      raw.close();
    }
  });

  it('open refuses a database written by a newer fleetlet (schema-too-new) and leaves it untouched', async () => {
    const path = newPath();
    await (await SqliteStore.open({ path })).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_version (version, applied_at_ms) VALUES (?, ?)').run(LATEST_SCHEMA_VERSION + 1, 0);
    raw.close();
    const err = await SqliteStore.open({ path }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('schema-too-new');
    expect((err as StoreError).message).toContain(`${LATEST_SCHEMA_VERSION + 1}`);
  });

  it('calls from many devices at once never overlap inside a transaction (one queue for the connection)', async () => {
    // What the registry ingest does when a wave of devices reports together: transactions (upsertDevice) and plain
    // writes of many devices interleaved. A guard that checked for an open transaction and then began one let two
    // callers woken by the same commit both begin: "cannot start a transaction within a transaction".
    const store = await SqliteStore.open({ path: newPath(), synchronous: 'normal' });
    try {
      const ids = Array.from({ length: 40 }, (_, i) => `dev-${i}`);
      await Promise.all(ids.map((deviceId) => store.upsertDevice({ deviceId, deviceClass: 'sim', atMs: 1 })));
      const calls: Promise<unknown>[] = [];
      for (let round = 1; round <= 5; round++) {
        for (const deviceId of ids) {
          calls.push(store.acceptReport(deviceId, round, 1000 + round));
          calls.push(store.upsertDevice({ deviceId, deviceClass: 'sim', agentVersion: `0.${round}`, atMs: 1000 + round }));
          calls.push(store.putModuleStatus({ deviceId, module: 'app', version: `1.${round}`, state: 'running', health: 'ok', traps: 0, recentLogs: [], updatedAtMs: 1000 + round }));
        }
      }
      const failures = (await Promise.allSettled(calls)).filter((r) => r.status === 'rejected');
      expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
      for (const deviceId of ids) {
        expect((await store.getDevice(deviceId))?.reportSequence).toBe(5);
        expect((await store.listModuleStatus(deviceId))[0]?.version).toBe('1.5');
      }
    } finally {
      await store.close();
    }
  });

  it('open of a file that cannot be created fails with code backend naming the path', async () => {
    const path = join(dir, 'no-such-folder', 'store.db');
    const err = await SqliteStore.open({ path }).then(() => undefined, (e: unknown) => e);
    expect((err as StoreError).code).toBe('backend');
    expect((err as StoreError).message).toContain(path);
  });
});
