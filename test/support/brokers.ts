// Real MQTT brokers for fleetlet's tests: aedes embedded in the test process (the quick suite), and Debian's mosquitto
// (the end-to-end suite; .ci/run starts one and exports FLEETLET_MOSQUITTO_URL, otherwise a private one is spawned here).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes, type AedesOptions } from 'aedes';

export interface RunningBroker {
  /** `mqtt://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface EmbeddedBroker extends RunningBroker {
  readonly aedes: Aedes;
}

/** Starts aedes on a free loopback port (options: authenticate, authorizePublish, authorizeSubscribe hooks). */
export async function startAedes(options: AedesOptions = {}): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker(options);
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    aedes,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`mosquitto exited with code ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The mosquitto binary (Debian's package puts it in /usr/sbin, which is not on every PATH). */
export const MOSQUITTO_BIN = process.env.FLEETLET_MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

/**
 * A mosquitto broker: the one .ci/run started (FLEETLET_MOSQUITTO_URL) when `extraConfig` is empty, else a private
 * one on a free port with anonymous access plus `extraConfig` lines (ACL files, listeners). Throws when mosquitto is
 * missing: the end-to-end suite must fail, not pass without having run.
 */
export async function startMosquitto(extraConfig: readonly string[] = []): Promise<RunningBroker> {
  const shared = process.env.FLEETLET_MOSQUITTO_URL;
  if (shared && extraConfig.length === 0) {
    const port = Number(new URL(shared).port);
    await waitForPort(port, undefined, 5000);
    return { url: shared, port, close: async () => {} };
  }
  const dir = await mkdtemp(join(tmpdir(), 'fleetlet-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ...extraConfig, ''].join('\n'));
  const child = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (e) => reject(new Error(`Cannot start ${MOSQUITTO_BIN} (apt-get install mosquitto): ${e.message}`)));
  });
  await spawned;
  try {
    await waitForPort(port, child, 10_000);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${stderr}`);
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
