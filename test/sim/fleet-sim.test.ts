// The fleet simulator on a real broker with the minimal cloud: simulated devices in worker processes enroll (auto
// accept) and install what their desired state names; power cuts during an update leave each device on the old or the
// new version, never on nothing; skewed clocks within the signatures' validity still install, and the devices'
// reports carry their skewed time.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FleetSim, planFleet, type FleetSnapshot } from '../../device-sim/fleet/index.ts';
import { decodeStatus } from '../../schemas/messages/status.ts';
import { TOPIC_ROOT, TOPICS } from '../../schemas/topics.ts';
import { e2eFleet, release, type E2eFleet, type E2eRelease } from '../agent/e2e-kit.ts';

const APP = 'meter';
let fleet: E2eFleet;
let v1: E2eRelease;
let v2: E2eRelease;

const enrollmentOf = (f: E2eFleet): { roots: string[]; threshold: number } => ({ roots: f.keys.roots.map((r) => Buffer.from(r.kp.publicKey).toString('hex')), threshold: 2 });
const nowS = (): number => Math.floor(Date.now() / 1000);
const fast = { statusIntervalMs: 2_000, probation: { windowMs: 1_200, pollMs: 20, healthEveryMs: 200 }, backoff: { initialMs: 100, maxMs: 1_000 }, download: { timeoutMs: 2_000, stallTimeoutMs: 20_000 } };

async function setAll(sim: FleetSim, r: E2eRelease): Promise<void> {
  for (const d of sim.devices) await fleet.cloud.setDesired(d.id, [{ release: r, name: APP }]);
}

const on = (s: FleetSnapshot, r: E2eRelease): number => s.running[`${APP}@${r.version}`] ?? 0;

beforeAll(async () => {
  fleet = await e2eFleet('aedes');
  // issued two hours ago, so a device whose clock is behind still finds the release valid
  const over = { issuedAt: nowS() - 7_200, limits: { ...release(fleet.keys, APP, '1.0.0', 1, 'good').manifest.limits, tickPeriodMs: 1_000 } };
  v1 = release(fleet.keys, APP, '1.0.0', 1, 'good', over);
  v2 = release(fleet.keys, APP, '2.0.0', 2, 'good', over);
}, 30_000);

afterAll(async () => {
  await fleet?.close();
});

describe('FleetSim', () => {
  it('20 simulated devices in 2 processes enroll with the cloud and run v1 once their desired state names it', async () => {
    const sim = await FleetSim.start({ devices: 20, processes: 2, brokerUrl: fleet.cloud.url, enrollment: enrollmentOf(fleet), agent: fast });
    try {
      expect(sim.usage().map((u) => u.devices)).toEqual([10, 10]);
      await sim.waitFor((s) => s.enrolled === 20 && s.online === 20, 30_000);
      expect(new Set(sim.devices.map((d) => d.tags['site']))).toEqual(new Set(['a', 'b', 'c']));
      await setAll(sim, v1);
      const s = await sim.waitFor((x) => on(x, v1) === 20, 30_000);
      expect(s.runningNothing).toBe(0);
    } finally {
      await sim.close();
    }
  }, 60_000);

  it('power cuts during the v2 update leave every device running v2 or v1, never nothing', async () => {
    const devices = planFleet({ devices: 6, firstIndex: 101 });
    const dataRoot = join(fleet.dir, 'sim-power');
    const options = { brokerUrl: fleet.cloud.url, enrollment: enrollmentOf(fleet), agent: fast, dataRoot, processes: 1 };
    const first = await FleetSim.start({ ...options, devices });
    try {
      await first.waitFor((s) => s.enrolled === 6, 30_000);
      await setAll(first, v1);
      await first.waitFor((s) => on(s, v1) === 6, 30_000);
    } finally {
      await first.close();
    }
    // the same devices booted again from their data directories, now on boards that lose power during an update
    const cut: string[] = [];
    const sim = await FleetSim.start({ ...options, devices: devices.map((d) => ({ ...d, powerCut: true })), fragileSize: 3, cutWithinMs: 600, onCut: (c) => cut.push(c.update) });
    try {
      expect(sim.usage().map((u) => u.devices)).toEqual([3, 3]); // two fragile workers, no steady one
      await sim.waitFor((s) => s.enrolled === 6 && on(s, v1) === 6, 30_000);
      await setAll(sim, v2);
      await sim.waitFor((s, x) => new Set(x.cuts.map((c) => c.deviceId)).size === 6 && s.enrolled === 6 && x.devices.every((d) => x.device(d.id)?.update === 'idle') && on(s, v1) + on(s, v2) === 6, 45_000);
      const end = sim.snapshot();
      expect(end.runningNothing).toBe(0);
      expect(on(end, v1) + on(end, v2)).toBe(6);
      expect(cut.every((u) => u !== 'idle')).toBe(true);
      expect(sim.usage().every((u) => u.restarts >= 1)).toBe(true);
    } finally {
      await sim.close();
    }
  }, 90_000);

  it('devices with clocks skewed by up to 30 minutes still install, and report in their own time', async () => {
    const reported = new Map<string, number>();
    const unsubscribe = await fleet.cloud.bus.subscribe(`${TOPIC_ROOT}/dev/+/${TOPICS.status.suffix}`, (payload) => {
      try {
        const st = decodeStatus(payload);
        reported.set(st.deviceId, st.timeMs - Date.now());
      } catch {
        // an empty retained clear
      }
    });
    const sim = await FleetSim.start({ devices: 6, firstIndex: 201, skewS: 1_800, seed: 7, processes: 1, brokerUrl: fleet.cloud.url, enrollment: enrollmentOf(fleet), agent: fast });
    try {
      const skewed = sim.devices.filter((d) => Math.abs(d.skewMs) > 60_000);
      expect(skewed.length).toBeGreaterThan(2);
      expect(sim.devices.some((d) => d.skewMs < 0) && sim.devices.some((d) => d.skewMs > 0)).toBe(true);
      await sim.waitFor((s) => s.enrolled === 6, 30_000);
      await setAll(sim, v1);
      await sim.waitFor((s) => on(s, v1) === 6, 30_000);
      for (const d of skewed) expect(Math.abs(reported.get(d.id)! - d.skewMs)).toBeLessThan(30_000);
    } finally {
      await unsubscribe();
      await sim.close();
    }
  }, 60_000);

  it('devices whose link keeps going down, on slow links, still enroll and install v1', async () => {
    const sim = await FleetSim.start({
      devices: 4, firstIndex: 301, offline: 1, slow: 1, offlinePeriods: { everyMs: 1_500, forMs: 500 }, slowLink: { delayMs: 20, bytesPerSecond: 64 * 1024 },
      processes: 1, brokerUrl: fleet.cloud.url, enrollment: enrollmentOf(fleet), agent: fast,
    });
    try {
      expect(sim.devices.every((d) => d.offline !== undefined && d.slow !== undefined)).toBe(true);
      await sim.waitFor((s) => s.enrolled === 4, 30_000);
      await setAll(sim, v1);
      await sim.waitFor((s, x) => on(s, v1) === 4 && x.devices.every((d) => (x.device(d.id)?.outages ?? 0) >= 2), 40_000);
    } finally {
      await sim.close();
    }
  }, 60_000);
});
