// The PostgreSQL server for the store tests: FLEETLET_PG_URL when set (CI starts Debian's postgresql), else a private
// cluster started here in a temporary folder from Debian's binaries. No PostgreSQL at all is a test failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PgServer {
  /** Connection string of a database the tests may create schemas in. */
  readonly url: string;
  stop(): Promise<void>;
}

/** @throws Error when FLEETLET_PG_URL is unset and no PostgreSQL binaries are installed */
export async function startPostgres(): Promise<PgServer> {
  const given = process.env.FLEETLET_PG_URL;
  if (given !== undefined && given !== '') {
    await waitReady(given, 10_000);
    return { url: given, stop: async () => {} };
  }
  return startPrivateCluster();
}

function findBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) {
    throw new Error('Cannot test the PostgreSQL store: FLEETLET_PG_URL is unset and no PostgreSQL is installed under /usr/lib/postgresql (apt-get install postgresql)');
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return join(root, versions[0]!, 'bin');
}

/** initdb refuses to run as root: as root, the cluster belongs to Debian's postgres user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isSafeInteger(uid) || uid <= 0) throw new Error('Cannot start a private PostgreSQL as root: there is no "postgres" user to run it as');
  return { uid, gid };
}

async function startPrivateCluster(): Promise<PgServer> {
  const bin = findBin();
  const dir = mkdtempSync(join(tmpdir(), 'fleetlet-pg-'));
  const user = runAs();
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'fleetlet', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], {
    encoding: 'utf8',
    ...(user ?? {}),
  });
  if (init.status !== 0) throw new Error(`Cannot initialise a private PostgreSQL cluster in "${data}": ${init.stderr || init.error?.message}`);
  const server: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-k', dir, '-c', "listen_addresses=", '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=60'],
    { stdio: 'ignore', ...(user ?? {}) },
  );
  const url = `postgres://fleetlet@localhost/postgres?host=${encodeURIComponent(dir)}`;
  try {
    await waitReady(url, 30_000, server);
  } catch (e) {
    server.kill('SIGKILL');
    throw e;
  }
  return {
    url,
    stop: async () => {
      const exited = new Promise<void>((r) => server.once('exit', () => r()));
      server.kill('SIGINT'); // fast shutdown
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(url: string, timeoutMs: number, server?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server !== undefined && server.exitCode !== null) throw new Error(`The private PostgreSQL server exited with code ${server.exitCode}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (e) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`Cannot reach PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Drops the schemas the tests made. */
export async function dropSchemas(url: string, schemas: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await client.end();
  }
}
