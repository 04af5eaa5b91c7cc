// Private to cloud/store: the small SQL seam between the shared store logic (SqlStore) and each database client.
// SQL is written once with `?` placeholders in the subset that SQLite and PostgreSQL both accept.

export type Row = Record<string, unknown>;
export type Dialect = 'sqlite' | 'postgres';

/** Runs statements; parameters are strings, numbers, null or bytes. */
export interface SqlRunner {
  /** Rows of a SELECT or of a statement with RETURNING. */
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Rows changed by an INSERT, UPDATE or DELETE. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface SqlDriver extends SqlRunner {
  readonly dialect: Dialect;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  tx<T>(fn: (q: SqlRunner) => Promise<T>): Promise<T>;
  /** Inside a transaction: waits until no other process is migrating the same database. */
  lockForMigration(q: SqlRunner): Promise<void>;
  close(): Promise<void>;
}

/** Values as the database clients want them: bytes as Buffer, booleans as 0/1, undefined as null. */
export function bindValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}
