// Reconnect backoff: the delays follow random() * min(maxMs, initialMs * factor^n), reset once a connection stays up,
// and a fleet that loses its broker at once spreads its first reconnects. Asserted on the delays the sessions
// scheduled (recorded through onBackoff), never on wall time.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backoff, backoffDelay, Session, type BackoffOptions } from '../../../agent/session/index.ts';
import { startAedes, type EmbeddedBroker } from '../../support/brokers.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';
import { fastOptions, tempDir, uniqueDeviceId, waitFor } from './_kit.ts';

const B: BackoffOptions = { initialMs: 10, maxMs: 100, factor: 2 };

describe('backoffDelay', () => {
  it('is random() times min(maxMs, initialMs * factor^attempt)', () => {
    expect([0, 1, 2, 3, 4, 5, 30].map((n) => backoffDelay(n, B, () => 1))).toEqual([10, 20, 40, 80, 100, 100, 100]);
    expect(backoffDelay(3, B, () => 0.5)).toBe(40);
    expect(backoffDelay(3, B, () => 0)).toBe(0);
  });

  it('Backoff counts failures until reset and never overflows on a long outage', () => {
    const b = new Backoff(B, () => 1);
    const seen = Array.from({ length: 2000 }, () => b.next());
    expect(seen.slice(0, 6)).toEqual([10, 20, 40, 80, 100, 100]);
    expect(Math.max(...seen)).toBe(100);
    expect(b.attempt).toBe(4);
    b.reset();
    expect(b.next()).toBe(10);
  });

  it('Backoff refuses bounds that make no sense', () => {
    expect(() => new Backoff({ initialMs: 100, maxMs: 10, factor: 2 }, Math.random)).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 1, maxMs: 10, factor: 0.5 }, Math.random)).toThrow(RangeError);
  });
});

describe('Session reconnect backoff', () => {
  let broker: EmbeddedBroker;
  let proxy: TcpProxy;
  beforeAll(async () => {
    broker = await startAedes();
    proxy = await startTcpProxy(broker.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await broker?.close();
  });

  it('a refused session schedules the formula delays, capped at maxMs, and resets after a stable connection', async () => {
    const tmp = await tempDir();
    const randoms = [1, 0.5, 1, 1, 1, 0.25];
    let i = 0;
    const delays: [number, number][] = [];
    proxy.refuse(true);
    const s = await Session.open(
      fastOptions(proxy.url, uniqueDeviceId(), tmp.dir, { backoff: B, stableAfterMs: 100, random: () => randoms[i++ % randoms.length]!, onBackoff: (d, n) => delays.push([d, n]) }),
    );
    await waitFor(() => delays.length >= 6, 'six scheduled reconnects');
    expect(delays.slice(0, 6)).toEqual([
      [10, 0],
      [10, 1],
      [40, 2],
      [80, 3],
      [100, 4],
      [25, 4],
    ]);
    proxy.refuse(false);
    await s.whenConnected();
    await waitFor(() => s.stats.backoffAttempt === 0, 'the backoff reset after a stable connection');
    const before = delays.length;
    i = 0;
    proxy.cut();
    await waitFor(() => delays.length > before, 'the reconnect after a cut');
    expect(delays[before]).toEqual([10, 0]);
    await s.whenConnected();
    await s.close();
    expect(s.stats.attempts).toBe(delays.length + 1);
    await tmp.remove();
  });

  it('a connection dropped before it is stable does not reset the backoff', async () => {
    const tmp = await tempDir();
    const delays: number[] = [];
    const s = await Session.open(fastOptions(proxy.url, uniqueDeviceId(), tmp.dir, { backoff: B, stableAfterMs: 60_000, random: () => 1, onBackoff: (d) => delays.push(d) }));
    for (let k = 1; k <= 3; k++) {
      await s.whenConnected();
      proxy.cut();
      await waitFor(() => delays.length === k, `reconnect ${k}`);
    }
    expect(delays).toEqual([10, 20, 40]);
    await s.close();
    await tmp.remove();
  });

  it('100 sessions refused at once spread their first reconnects over the initial window', async () => {
    const n = 100;
    const initialMs = 2000;
    proxy.refuse(true);
    const tmp = await tempDir();
    const first = new Map<number, number>();
    const sessions = await Promise.all(
      Array.from({ length: n }, (_, k) =>
        Session.open(
          fastOptions(proxy.url, uniqueDeviceId(`herd${k}`), `${tmp.dir}/${k}`, {
            backoff: { initialMs, maxMs: 60_000, factor: 2 },
            onBackoff: (d) => {
              if (!first.has(k)) first.set(k, d);
            },
          }),
        ),
      ),
    );
    await waitFor(() => first.size === n, 'every session to schedule its first reconnect');
    await Promise.all(sessions.map((s) => s.close()));
    proxy.refuse(false);
    await tmp.remove();
    const delays = [...first.values()].sort((a, b) => a - b);
    expect(delays[0]).toBeGreaterThanOrEqual(0);
    expect(delays.at(-1)).toBeLessThanOrEqual(initialMs);
    // mqtt.js's fixed period would put all 100 in the same instant; full jitter puts about 5 in any 100 ms
    let crowded = 0;
    for (let a = 0, b = 0; b < delays.length; b++) {
      while (delays[b]! - delays[a]! >= 100) a++;
      crowded = Math.max(crowded, b - a + 1);
    }
    expect(crowded).toBeLessThan(30);
    expect(delays.at(-1)! - delays[0]!).toBeGreaterThan(initialMs / 2);
  });
});
