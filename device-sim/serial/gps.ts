// A simulated NMEA GPS receiver: every period of the injected clock it sends a $GPGGA and a
// $GPRMC sentence for its position, dead-reckoned from the scenario's start, speed and course.

import type { TimeSource } from '../../agent/host/hw/time.ts';
import type { GpsSpec } from '../scenario.ts';
import { gga, rmc, type Fix } from './nmea.ts';
import type { DeviceLogic } from './sim-device.ts';

const NM_PER_DEGREE = 60;

/** The fix at `t` ms after the simulation started. */
export function fixAt(spec: GpsSpec, t: number): Fix {
  const hours = t / 3_600_000;
  const dist = spec.speedKnots * hours; // nautical miles
  const c = (spec.courseDeg * Math.PI) / 180;
  const lat = spec.lat + (dist * Math.cos(c)) / NM_PER_DEGREE;
  const lon = spec.lon + (dist * Math.sin(c)) / (NM_PER_DEGREE * Math.cos((spec.lat * Math.PI) / 180));
  return {
    time: new Date(Date.parse(spec.startUtc) + t),
    lat,
    lon: ((lon + 540) % 360) - 180,
    altitudeM: spec.altitudeM,
    speedKnots: spec.speedKnots,
    courseDeg: spec.courseDeg,
    satellites: spec.satellites,
    valid: !spec.noFix.some((s) => t >= s.fromMs && t < s.toMs),
  };
}

export interface GpsOptions {
  readonly time: TimeSource;
  /** Clock time of the simulation's start (default: the clock's time at `start`). */
  readonly startedAt?: number;
}

/** The GPS's logic: sentences at t = period, 2 periods, ... after the start (nothing at 0). */
export function gpsDevice(spec: GpsSpec, options: GpsOptions): DeviceLogic {
  let timer: unknown;
  let stopped = false;
  return {
    start(send) {
      const t0 = options.startedAt ?? options.time.now();
      let n = 0;
      const tick = (): void => {
        if (stopped) return;
        n++;
        const f = fixAt(spec, n * spec.periodMs);
        send(gga(f) + rmc(f));
        timer = options.time.setTimeout(tick, t0 + (n + 1) * spec.periodMs - options.time.now());
      };
      timer = options.time.setTimeout(tick, t0 + spec.periodMs - options.time.now());
    },
    receive() {
      // A GPS receiver ignores what it is sent (configuration sentences are not simulated).
    },
    stop() {
      stopped = true;
      if (timer !== undefined) options.time.clearTimeout(timer);
    },
  };
}
