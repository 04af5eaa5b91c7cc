// Tests of the simulated GPS: dead reckoning worked out by hand, fix outages, and sentences
// read through the real Linux serial backend from the far side of a socat PTY.

import { afterEach, describe, expect, it } from 'vitest';
import { SerialportSerial } from '../../agent/host/hw/linux/serialport-serial.ts';
import { ManualTime } from '../../agent/host/hw/manual-time.ts';
import type { GpsSpec } from '../scenario.ts';
import { fixAt, gpsDevice } from './gps.ts';
import { openPtyPair, type PtyPair } from './pty.ts';
import { attachDevice, type AttachedDevice } from './sim-device.ts';

const spec = (over: Partial<GpsSpec> = {}): GpsSpec => ({
  device: 'nmea-gps',
  periodMs: 1000,
  startUtc: '2024-06-01T12:00:00Z',
  lat: 48.1173,
  lon: 11.5166667,
  altitudeM: 545.4,
  speedKnots: 0,
  courseDeg: 0,
  satellites: 8,
  noFix: [],
  ...over,
});

describe('fixAt', () => {
  it('60 knots for one hour moves one degree of latitude north, or one of longitude east at the equator', () => {
    const north = fixAt(spec({ lat: 10, lon: 20, speedKnots: 60, courseDeg: 0 }), 3_600_000);
    expect(north.lat).toBeCloseTo(11, 9);
    expect(north.lon).toBeCloseTo(20, 9);
    const east = fixAt(spec({ lat: 0, lon: 20, speedKnots: 60, courseDeg: 90 }), 3_600_000);
    expect(east.lat).toBeCloseTo(0, 9);
    expect(east.lon).toBeCloseTo(21, 9);
    expect(east.time.toISOString()).toBe('2024-06-01T13:00:00.000Z');
  });

  it('has no fix inside a noFix span', () => {
    const s = spec({ noFix: [{ fromMs: 1000, toMs: 3000 }] });
    expect([0, 999, 1000, 2999, 3000].map((t) => fixAt(s, t).valid)).toEqual([true, true, false, false, true]);
  });
});

describe('simulated GPS over a PTY', () => {
  let pty: PtyPair | undefined;
  let device: AttachedDevice | undefined;
  const serial = new SerialportSerial();
  afterEach(async () => {
    await serial.close();
    await device?.detach();
    await pty?.close();
  });

  it('sends a GGA and an RMC sentence per period of the injected clock, read by the Linux backend', async () => {
    pty = await openPtyPair();
    const time = new ManualTime(0);
    device = await attachDevice(pty.b, gpsDevice(spec(), { time }));
    const port = await serial.open(pty.a, { baudRate: 9600 });
    expect((await port.read(100, { timeoutMs: 100 })).length).toBe(0); // nothing before the first period

    await time.advance(2000);
    let text = '';
    while (text.split('\r\n').length < 5) {
      const chunk = await port.read(1024, { timeoutMs: 5000 });
      if (chunk.length === 0) break;
      text += Buffer.from(chunk).toString('latin1');
    }
    const lines = text.split('\r\n').filter((l) => l !== '');
    expect(lines.map((l) => l.slice(0, 17))).toEqual(['$GPGGA,120001.00,', '$GPRMC,120001.00,', '$GPGGA,120002.00,', '$GPRMC,120002.00,']);
    expect(lines[0]).toMatch(/^\$GPGGA,120001\.00,4807\.0380,N,01131\.0000,E,1,08,0\.9,545\.4,M,0\.0,M,,\*[0-9A-F]{2}$/);
    expect(lines[3]).toMatch(/^\$GPRMC,120002\.00,A,4807\.0380,N,01131\.0000,E,0\.0,0\.0,010624,,,A\*[0-9A-F]{2}$/);
  });
});
