// The CloudStore conformance suite on PostgresStore: FLEETLET_PG_URL's server, or a private cluster started for
// this file. Each test gets its own schema. No PostgreSQL is a failure, never a skip.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { PostgresStore } from '../../../cloud/store/index.ts';
import { runStoreConformance } from './conformance.ts';
import { dropSchemas, startPostgres, type PgServer } from './pg-server.ts';

let server: PgServer | undefined;
const schemas: string[] = [];

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  if (server === undefined) return;
  await dropSchemas(server.url, schemas);
  await server.stop();
});

runStoreConformance({
  name: 'PostgresStore',
  newDatabase: async () => {
    if (server === undefined) throw new Error('PostgreSQL did not start');
    const schema = `fleetlet_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const url = server.url;
    return { open: (options) => PostgresStore.open({ connectionString: url, schema, maxConnections: 4, ...options }) };
  },
});
