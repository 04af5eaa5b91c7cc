// A TCP proxy on 127.0.0.1 that fleetlet's network-fault tests control: every client connection is piped to the
// target (a real broker), and `cut()` destroys all live connections at once, as a dropped link or a NAT timeout would.
// `refuse(true)` makes new connections fail until lifted (a link that stays down).

import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** `mqtt://127.0.0.1:PORT` of the proxy's listening side. */
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Cuts made so far. */
  readonly cuts: number;
  /** Destroys every live connection (both sides); returns how many were cut. */
  cut(): number;
  /** While true, new connections are closed as soon as they are accepted. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const live = new Set<Socket>();
  let accepted = 0;
  let cuts = 0;
  let refusing = false;
  const server: Server = createServer((client) => {
    accepted++;
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    const pair = [client, upstream];
    for (const s of pair) {
      live.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        live.delete(s);
        for (const o of pair) if (o !== s) o.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    get accepted() { return accepted; },
    get cuts() { return cuts; },
    cut() {
      const n = live.size;
      for (const s of [...live]) s.destroy();
      if (n > 0) cuts++;
      return n;
    },
    refuse(on: boolean) { refusing = on; },
    async close() {
      for (const s of [...live]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
