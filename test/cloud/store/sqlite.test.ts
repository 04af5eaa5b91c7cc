// The CloudStore conformance suite on SqliteStore, each test with its own database file (so that a second store
// can open it as a second process would).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteStore } from '../../../cloud/store/index.ts';
import { runStoreConformance } from './conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'fleetlet-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreConformance({
  name: 'SqliteStore',
  newDatabase: async () => {
    const path = join(dir, `store-${n++}.db`);
    return { open: (options) => SqliteStore.open({ path, ...options }) };
  },
});
