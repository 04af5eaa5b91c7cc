// The CloudStore conformance suite on PostgresStore: FLEETLET_PG_URL's server, or a private cluster started for
// this file. Each test gets its own schema. No PostgreSQL is a failure of every test, never a skip: the server is
// started by the first test that needs it (not in a beforeAll hook, whose failure vitest reports as skipped tests).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, PostgresStore, StoreError } from '../../../cloud/store/index.ts';
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

async function newSchema(): Promise<{ url: string; schema: string }> {
  server ??= startPostgres();
  const { url } = await server;
  const schema = `fleetlet_test_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return { url, schema };
}

runStoreConformance({
  name: 'PostgresStore',
  newDatabase: async () => {
    const { url, schema } = await newSchema();
    return { open: (options) => PostgresStore.open({ connectionString: url, schema, maxConnections: 4, ...options }) };
  },
});

describe('PostgresStore', () => {
  it('cloud processes starting together on a new database each open it, and every migration is applied once', async () => {
    const { url, schema } = await newSchema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open({ connectionString: url, schema, maxConnections: 2 })));
    try {
      for (const s of stores) expect(await s.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const rows = await client.query(`SELECT version FROM ${schema}.schema_version ORDER BY version`);
        expect(rows.rows.map((r: { version: number }) => r.version)).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
      } finally {
        await client.end();
      }
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('open against a server that does not answer fails with code backend, without the password', async () => {
    const err = await PostgresStore.open({ connectionString: 'postgres://fleetlet:s3cret@127.0.0.1:1/fleetlet' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('backend');
    expect((err as StoreError).message).toContain('127.0.0.1:1');
    expect((err as StoreError).message).not.toContain('s3cret');
  });
});
