// The CloudStore conformance suite on PostgresStore: FLEETLET_PG_URL's server, or a private cluster started for
// this file. Each test gets its own schema. No PostgreSQL is a failure of every test, never a skip: the server is
// started by the first test that needs it (not in a beforeAll hook, whose failure vitest reports as skipped tests).
import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { PostgresStore } from '../../../cloud/store/index.ts';
import { runStoreConformance } from './conformance.ts';
import { dropSchemas, startPostgres, type PgServer } from './pg-server.ts';

let server: Promise<PgServer> | undefined;
const schemas: string[] = [];

afterAll(async () => {
  const s = await server?.catch(() => undefined);
  if (s === undefined) return;
  await dropSchemas(s.url, schemas);
  await s.stop();
});

runStoreConformance({
  name: 'PostgresStore',
  newDatabase: async () => {
    server ??= startPostgres();
    const { url } = await server;
    const schema = `fleetlet_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return { open: (options) => PostgresStore.open({ connectionString: url, schema, maxConnections: 4, ...options }) };
  },
});
