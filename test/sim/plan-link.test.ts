// The fleet simulator's plan (ids, tags, seeded faults, workers) and a device's simulated link (outages, slow link).

import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignWorkers, FleetPlanError, planFleet, startLink } from '../../device-sim/fleet/index.ts';

describe('planFleet', () => {
  it('names devices sim-0001.. with site and ring tags', () => {
    const d = planFleet({ devices: 40 });
    expect(d.map((x) => x.id).slice(0, 3)).toEqual(['sim-0001', 'sim-0002', 'sim-0003']);
    expect(d.map((x) => x.tags['site']).slice(0, 4)).toEqual(['a', 'b', 'c', 'a']);
    expect(d.filter((x) => x.tags['ring'] === 'canary').map((x) => x.id)).toEqual(['sim-0001', 'sim-0002']);
  });

  it('draws the same faults for the same seed, and each fault from its own stream', () => {
    const a = planFleet({ devices: 500, seed: 9, offline: 0.2, slow: 0.1, powerCuts: 0.05, skewS: 60 });
    expect(planFleet({ devices: 500, seed: 9, offline: 0.2, slow: 0.1, powerCuts: 0.05, skewS: 60 })).toEqual(a);
    const offline = a.filter((x) => x.offline !== undefined).length;
    expect(offline).toBeGreaterThan(60);
    expect(offline).toBeLessThan(140);
    expect(a.every((x) => Math.abs(x.skewMs) <= 60_000)).toBe(true);
    // more slow links do not move who is offline or who loses power
    const b = planFleet({ devices: 500, seed: 9, offline: 0.2, slow: 0.9, powerCuts: 0.05, skewS: 60 });
    expect(b.map((x) => [x.offline !== undefined, x.powerCut])).toEqual(a.map((x) => [x.offline !== undefined, x.powerCut]));
    expect(planFleet({ devices: 500, seed: 10, offline: 0.2 }).map((x) => x.offline !== undefined)).not.toEqual(a.map((x) => x.offline !== undefined));
  });

  it('refuses a fraction outside [0, 1], naming it', () => {
    expect(() => planFleet({ devices: 5, slow: 2 })).toThrow(FleetPlanError);
    expect(() => planFleet({ devices: 5, slow: 2 })).toThrow('Invalid slow fraction 2: need a number in [0, 1]');
    expect(() => planFleet({ devices: 0 })).toThrow('Invalid device count 0');
  });

  it('assignWorkers deals steady devices round-robin and puts power-cut devices in small workers of their own', () => {
    const d = planFleet({ devices: 10 }).map((x, i) => ({ ...x, powerCut: i >= 7 }));
    const w = assignWorkers(d, 2, 2);
    expect(w.map((g) => [g.fragile, g.devices.map((x) => x.index)])).toEqual([
      [false, [1, 3, 5, 7]],
      [false, [2, 4, 6]],
      [true, [8, 9]],
      [true, [10]],
    ]);
  });
});

describe('startLink', () => {
  let server: Server;
  let url: string;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.pipe(s); // echo
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const open = (linkUrl: string): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const u = new URL(linkUrl);
      const s = connect(Number(u.port), u.hostname, () => resolve(s));
      s.once('error', reject);
    });
  const echo = (s: Socket, bytes: Buffer): Promise<Buffer> =>
    new Promise((resolve) => {
      const got: Buffer[] = [];
      let n = 0;
      s.on('data', (c: Buffer) => {
        got.push(c);
        n += c.length;
        if (n >= bytes.length) resolve(Buffer.concat(got));
      });
      s.write(bytes);
    });

  it('relays bytes in order through a slow link', async () => {
    const link = await startLink(url, { delayMs: 5, bytesPerSecond: 1_000_000 });
    try {
      const s = await open(link.url);
      const bytes = Buffer.from(Array.from({ length: 20_000 }, (_, i) => i % 251));
      expect((await echo(s, bytes)).equals(bytes)).toBe(true);
      s.destroy();
    } finally {
      await link.close();
    }
  });

  it('goDown cuts live connections and refuses new ones until up', async () => {
    const link = await startLink(url);
    try {
      const s = await open(link.url);
      const closed = new Promise<void>((r) => s.once('close', () => r()));
      link.goDown();
      await closed;
      expect(link.down).toBe(true);
      expect(link.outages).toBe(1);
      const refused = await open(link.url);
      await new Promise<void>((r) => refused.once('close', () => r()));
      link.up();
      const again = await open(link.url);
      expect((await echo(again, Buffer.from('ok'))).toString()).toBe('ok');
      again.destroy();
    } finally {
      await link.close();
    }
  });
});
