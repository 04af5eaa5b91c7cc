// PostgresStore: the cloud store on a PostgreSQL server (pg Pool), for larger fleets where several cloud processes
// share one database. Statements use the shared `?` SQL, numbered `$1, $2...` here.
import pg from 'pg';
import { bindValue, type Row, type SqlDriver, type SqlRunner } from './_driver.ts';
import { StoreError } from './errors.ts';
import { SqlStore, type SqlStoreOptions } from './sql-store.ts';

export interface PostgresStoreOptions extends SqlStoreOptions {
  /** postgres://user:password@host:port/database */
  readonly connectionString: string;
  /** Tables live in this schema (created if missing); default the role's search_path (usually public). */
  readonly schema?: string;
  /** Connections in the pool (default 10). */
  readonly maxConnections?: number;
}

/** Key of the advisory lock taken while migrating (any fixed number; "fleetlet" in ASCII). */
const MIGRATION_LOCK = 0x666c6565746c6574n;

/** Turns `?` placeholders into `$1, $2...` (the shared SQL never has `?` inside a string literal). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #where: string;
  readonly #sql = new Map<string, string>();
  #closed = false;

  constructor(pool: pg.Pool, where: string) {
    this.#pool = pool;
    this.#where = where;
    // An idle connection that the server drops must not crash the cloud: the pool replaces it.
    this.#pool.on('error', () => {});
  }

  #text(sql: string): string {
    let t = this.#sql.get(sql);
    if (t === undefined) {
      t = numberPlaceholders(sql);
      this.#sql.set(sql, t);
    }
    return t;
  }

  async #query(client: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[]): Promise<pg.QueryResult<Row>> {
    if (this.#closed) throw new StoreError('closed', `Cannot use the PostgreSQL store at ${this.#where}: it is closed`);
    try {
      return await client.query<Row>(this.#text(sql), params.map(bindValue));
    } catch (e) {
      throw new StoreError('backend', `PostgreSQL store at ${this.#where} failed on "${sql.replace(/\s+/g, ' ').slice(0, 80)}": ${(e as Error).message}`, { cause: e });
    }
  }

  async all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.#query(this.#pool, sql, params)).rows;
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.#query(this.#pool, sql, params)).rowCount ?? 0;
  }

  async tx<T>(fn: (q: SqlRunner) => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError('closed', `Cannot use the PostgreSQL store at ${this.#where}: it is closed`);
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (e) {
      throw new StoreError('backend', `Cannot connect to the PostgreSQL store at ${this.#where}: ${(e as Error).message}`, { cause: e });
    }
    const inside: SqlRunner = {
      all: async (sql, params = []) => (await this.#query(client, sql, params)).rows,
      run: async (sql, params = []) => (await this.#query(client, sql, params)).rowCount ?? 0,
    };
    let broken: unknown;
    try {
      await this.#query(client, 'BEGIN', []);
      const result = await fn(inside);
      await this.#query(client, 'COMMIT', []);
      return result;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError;
      }
      throw e;
    } finally {
      // A connection whose rollback failed is in an unknown state: the pool closes it instead of reusing it.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async lockForMigration(q: SqlRunner): Promise<void> {
    await q.all('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK.toString()]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}

export class PostgresStore extends SqlStore {
  private constructor(driver: PostgresDriver, options: PostgresStoreOptions) {
    super(driver, options);
  }

  /** Connects, creates the schema if asked and brings it up to date. @throws StoreError 'backend', 'schema-too-new', 'bad-value' */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const schema = options.schema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new StoreError('bad-value', `Cannot use schema "${schema}": lowercase letters, digits and "_" only`);
    const where = redact(options.connectionString) + (schema === undefined ? '' : ` (schema ${schema})`);
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    const driver = new PostgresDriver(pool, where);
    const store = new PostgresStore(driver, options);
    try {
      if (schema !== undefined) {
        // Under the migration lock: two processes creating the same schema at once would otherwise collide.
        await driver.tx(async (q) => {
          await driver.lockForMigration(q);
          await q.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        });
      }
      await store.migrate();
    } catch (e) {
      await driver.close();
      throw e;
    }
    return store;
  }
}

/** The connection string without its password, for error messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'the configured PostgreSQL server';
  }
}
