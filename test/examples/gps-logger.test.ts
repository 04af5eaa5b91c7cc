// The GPS logger example under `fleetlet run` on the simulator: NMEA sentences travel from the
// simulated receiver through a socat pseudo-terminal and the real serialport backend; every
// published position must be the simulator's fix for that second, nothing is published while
// the receiver has no fix, and a port the app was not granted is never opened.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../device-sim/parse-scenario.ts';
import type { GpsSpec } from '../../device-sim/scenario.ts';
import { fixAt } from '../../device-sim/serial/gps.ts';
import { BUILD_TIMEOUT_MS, buildExamples, built, example, fleetlet, published } from './_kit.ts';

const SCENARIO = example('gps-logger', 'scenario.json');
const GPS = loadScenarioFile(SCENARIO).serial['gps'] as GpsSpec;
/** NMEA carries minutes with 4 decimals (1/600000 degree) and the app prints 6 decimals. */
const DEGREE_TOLERANCE = 1 / 600_000 + 5e-7;

interface Position {
  utc: string;
  lat: number;
  lon: number;
  alt: number;
  sats: number;
}

const runGps = (...extra: string[]) =>
  fleetlet(['run', built('gps-logger'), '--app', example('gps-logger', 'fleetlet.app.json'), '--scenario', SCENARIO, '--duration', '9000', '--speed', '2', ...extra]);

describe('gps-logger under fleetlet run', () => {
  beforeAll(buildExamples, BUILD_TIMEOUT_MS);

  it('publishes the positions of the simulated receiver, read over a pseudo-terminal, and none without a fix', async () => {
    expect(JSON.parse(readFileSync(SCENARIO, 'utf8')).serial.gps.noFix).toEqual([{ fromMs: 4500, toMs: 6500 }]);
    const run = await runGps();
    expect(run.code, run.err.join('\n')).toBe(0);
    const positions = published(run.err, 'gps-logger', 'position').map((m) => JSON.parse(m.payload) as Position);
    const seconds = positions.map((p) => Number(/^1200([0-9]{2})\.00$/.exec(p.utc)?.[1]));
    // Fixes come at 1 s, 2 s, ...; those at 5 s and 6 s fall in the no-fix span. On a busy
    // machine the port may open after the 1 s fix (opening flushes what came before, as a UART
    // does) or the run end before the 8 s one arrives; the others must all be there, in order.
    expect(seconds).toEqual(expect.arrayContaining([2, 3, 4, 7]));
    expect(seconds.every((s, i) => i === 0 || s > seconds[i - 1]!)).toBe(true);
    expect(seconds.filter((s) => s === 5 || s === 6)).toEqual([]);
    for (const p of positions) {
      const s = Number(p.utc.slice(4, 6));
      const fix = fixAt(GPS, s * 1000);
      expect(fix.valid).toBe(true);
      expect(Math.abs(p.lat - fix.lat)).toBeLessThanOrEqual(DEGREE_TOLERANCE);
      expect(Math.abs(p.lon - fix.lon)).toBeLessThanOrEqual(DEGREE_TOLERANCE);
      expect(p).toMatchObject({ alt: 545.4, sats: 9 });
    }
    // The trailer moves: the positions differ from the start by what 30 knots north-east make.
    expect(positions.at(-1)!.lat).toBeGreaterThan(GPS.lat);
    expect(positions.at(-1)!.lon).toBeGreaterThan(GPS.lon);
    expect(run.err).toContainEqual(expect.stringMatching(/\] gps-logger info: lost the fix at 120005\.00$/));
    expect(run.err).toContainEqual(expect.stringMatching(/\] gps-logger info: fix at 120007\.00: 9 satellites$/));
    expect(run.err.filter((l) => l.includes('bad NMEA sentence'))).toEqual([]);
  });

  it('gets E_DENIED for a port its capability does not name, and the port stays closed', async () => {
    const run = await runGps('--setting', 'GPS_PORT=/dev/modem', '--duration', '1500');
    expect(run.code, run.err.join('\n')).toBe(0);
    expect(run.err).toContainEqual(expect.stringMatching(/\] gps-logger warn: cannot open \/dev\/modem at 9600 baud: E_DENIED$/));
    expect(run.err).toContainEqual(expect.stringMatching(/\] gps-logger denied serial_open: /));
    expect(published(run.err, 'gps-logger', 'position')).toEqual([]);
  });
});
