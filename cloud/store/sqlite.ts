// SqliteStore: the cloud store in an embedded SQLite file (better-sqlite3), the default for one cloud process.
// better-sqlite3 is synchronous; its calls are wrapped as async and run one after another in a queue, and a
// transaction holds the queue until it ends, so the async store methods of one process never interleave inside one.
import Database from 'better-sqlite3';
import { bindValue, type Row, type SqlDriver, type SqlRunner } from './_driver.ts';
import { StoreError } from './errors.ts';
import { SqlStore, type SqlStoreOptions } from './sql-store.ts';

export interface SqliteStoreOptions extends SqlStoreOptions {
  /** File of the database, or ':memory:' (tests). */
  readonly path: string;
  /**
   * 'full' (default): every commit is fsynced, so a decision persisted before the cloud acts survives a power cut.
   * 'normal': a power cut may lose the last commits (never the file's consistency); a process crash loses nothing.
   */
  readonly synchronous?: 'full' | 'normal';
}

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #statements = new Map<string, Database.Statement>();
  /** The tail of the queue every call runs in (see #serial). */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(path: string, synchronous: 'full' | 'normal') {
    this.#path = path;
    try {
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.#db.pragma('busy_timeout = 5000');
    } catch (e) {
      throw new StoreError('backend', `Cannot open the SQLite store "${path}": ${(e as Error).message}`, { cause: e });
    }
  }

  #statement(sql: string): Database.Statement {
    if (this.#closed) throw new StoreError('closed', `Cannot use the SQLite store "${this.#path}": it is closed`);
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  #allNow(sql: string, params: readonly unknown[]): Row[] {
    return this.#wrap(sql, () => this.#statement(sql).all(...params.map(bindValue)) as Row[]);
  }

  #runNow(sql: string, params: readonly unknown[]): number {
    return this.#wrap(sql, () => this.#statement(sql).run(...params.map(bindValue)).changes);
  }

  #wrap<T>(sql: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError('backend', `SQLite store "${this.#path}" failed on "${sql.replace(/\s+/g, ' ').slice(0, 80)}": ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Runs `f` after every call queued before it has finished. One FIFO queue for plain calls and transactions: a
   * transaction's `await`s let other calls run, and a check-then-start guard (wait until no transaction is open,
   * then begin one) lets two callers woken by the same commit both begin ("cannot start a transaction within a
   * transaction", which bench:fleet saw thousands of times at 1,000 devices) or run a plain write inside another
   * caller's transaction. Queueing hands the connection over atomically.
   */
  #serial<T>(f: () => T | Promise<T>): Promise<T> {
    const run = this.#queue.then(f, f);
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.#serial(() => this.#allNow(sql, params));
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.#serial(() => this.#runNow(sql, params));
  }

  tx<T>(fn: (q: SqlRunner) => Promise<T>): Promise<T> {
    const inside: SqlRunner = {
      all: async (sql, params = []) => this.#allNow(sql, params),
      run: async (sql, params = []) => this.#runNow(sql, params),
    };
    return this.#serial(async () => {
      this.#runNow('BEGIN IMMEDIATE', []);
      try {
        const result = await fn(inside);
        this.#runNow('COMMIT', []);
        return result;
      } catch (e) {
        if (!this.#closed && this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  async lockForMigration(): Promise<void> {
    // BEGIN IMMEDIATE already holds SQLite's write lock.
  }

  close(): Promise<void> {
    return this.#serial(() => {
      if (this.#closed) return;
      this.#closed = true;
      this.#statements.clear();
      this.#db.close();
    });
  }
}

export class SqliteStore extends SqlStore {
  private constructor(driver: SqliteDriver, options: SqliteStoreOptions) {
    super(driver, options);
  }

  /** Opens (creating if needed) the database file and brings its schema up to date. @throws StoreError 'backend', 'schema-too-new' */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    const driver = new SqliteDriver(options.path, options.synchronous ?? 'full');
    const store = new SqliteStore(driver, options);
    try {
      await store.migrate();
    } catch (e) {
      await driver.close();
      throw e;
    }
    return store;
  }
}
