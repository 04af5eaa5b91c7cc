// The cloud's store: the CloudStore interface, its SQLite and PostgreSQL implementations, the records, and the
// adapter that backs enrollment with it.
export type { CloudStore } from './store.ts';
export * from './types.ts';
export { StoreError, type StoreErrorCode } from './errors.ts';
export { SqliteStore, type SqliteStoreOptions } from './sqlite.ts';
export { PostgresStore, type PostgresStoreOptions } from './postgres.ts';
export type { SqlStoreOptions } from './sql-store.ts';
export { MIGRATIONS, LATEST_SCHEMA_VERSION, type Migration } from './migrations.ts';
export { CloudEnrollmentStore } from './enrollment-adapter.ts';
export { CloudRolloutStore } from './rollout-adapter.ts';
