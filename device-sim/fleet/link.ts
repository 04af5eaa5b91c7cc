// One simulated device's network link: a TCP relay on 127.0.0.1 between the device's agent and the broker that can
// be slow (a delay on every chunk and a bandwidth cap, each direction on its own) and can go down (live connections
// cut, new ones refused until it comes back), as a cellular link in a field does. Only devices with a link fault get
// one; the others talk to the broker directly.

import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { SlowLink } from './plan.ts';

export interface DeviceLink {
  /** `mqtt://127.0.0.1:PORT`: what the device's agent connects to. */
  readonly url: string;
  /** True while the link is down. */
  readonly down: boolean;
  /** Times the link went down. */
  readonly outages: number;
  /** Takes the link down (cuts every live connection) until `up()`. */
  goDown(): void;
  up(): void;
  close(): Promise<void>;
}

/** Delays and paces the chunks of one direction, keeping their order. */
class Pacer {
  readonly #queue: { at: number; chunk: Buffer }[] = [];
  #nextFree = 0;
  #timer: NodeJS.Timeout | undefined;
  constructor(private readonly slow: SlowLink, private readonly to: Socket) {}

  push(chunk: Buffer): void {
    const now = Date.now();
    const start = Math.max(now, this.#nextFree);
    this.#nextFree = start + (chunk.length * 1000) / this.slow.bytesPerSecond;
    this.#queue.push({ at: this.#nextFree + this.slow.delayMs, chunk });
    this.#arm();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#queue.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = Date.now();
      while (this.#queue.length > 0 && this.#queue[0]!.at <= now) {
        const { chunk } = this.#queue.shift()!;
        if (!this.to.destroyed) this.to.write(chunk);
      }
      this.#arm();
    }, Math.max(0, this.#queue[0]!.at - Date.now()));
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#queue.length = 0;
  }
}

/**
 * Starts a link to the broker at `target` (`mqtt://host:port`).
 * @throws Error when the target is not an mqtt:// URL with a port, or the relay cannot listen
 */
export async function startLink(target: string, slow?: SlowLink): Promise<DeviceLink> {
  const u = new URL(target);
  if (u.protocol !== 'mqtt:' || u.port === '') throw new Error(`Cannot relay to "${target}": a simulated link needs an mqtt:// URL with a port`);
  const host = u.hostname;
  const port = Number(u.port);
  const live = new Set<Socket>();
  let down = false;
  let outages = 0;
  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    upstream.setNoDelay(true);
    const pair = [client, upstream] as const;
    const pacers = slow === undefined ? [] : [new Pacer(slow, upstream), new Pacer(slow, client)];
    for (const s of pair) {
      live.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        live.delete(s);
        for (const p of pacers) p.stop();
        for (const o of pair) if (o !== s) o.destroy();
      });
    }
    if (slow === undefined) {
      client.pipe(upstream);
      upstream.pipe(client);
    } else {
      client.on('data', (c: Buffer) => pacers[0]!.push(c));
      upstream.on('data', (c: Buffer) => pacers[1]!.push(c));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get down() {
      return down;
    },
    get outages() {
      return outages;
    },
    goDown() {
      if (!down) outages++;
      down = true;
      for (const s of [...live]) s.destroy();
    },
    up() {
      down = false;
    },
    async close() {
      for (const s of [...live]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
