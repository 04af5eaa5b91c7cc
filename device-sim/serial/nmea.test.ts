// Tests of the NMEA sentence builders: checksums on published example sentences, and GGA/RMC
// fields for fixes in each hemisphere and without a fix, written out by hand.

import { describe, expect, it } from 'vitest';
import { gga, nmeaChecksum, rmc, type Fix } from './nmea.ts';

const fix = (over: Partial<Fix> = {}): Fix => ({
  time: new Date('2024-06-01T12:00:01Z'),
  lat: 48.1173,
  lon: 11.5166667,
  altitudeM: 545.4,
  speedKnots: 0,
  courseDeg: 0,
  satellites: 8,
  valid: true,
  ...over,
});

/** The body between "$" and "*", after checking the framing and the checksum independently. */
function body(sentence: string): string {
  const m = /^\$([^*]+)\*([0-9A-F]{2})\r\n$/.exec(sentence);
  expect(m, `framed sentence: ${JSON.stringify(sentence)}`).not.toBeNull();
  const sum = [...m![1]!].reduce((x, c) => x ^ c.charCodeAt(0), 0);
  expect(parseInt(m![2]!, 16)).toBe(sum);
  return m![1]!;
}

describe('NMEA sentences', () => {
  it('nmeaChecksum matches the published example sentences', () => {
    expect(nmeaChecksum('GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,')).toBe('47');
    expect(nmeaChecksum('GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W')).toBe('6A');
  });

  it('gga and rmc carry time, position, fix and date', () => {
    expect(body(gga(fix()))).toBe('GPGGA,120001.00,4807.0380,N,01131.0000,E,1,08,0.9,545.4,M,0.0,M,,');
    expect(body(rmc(fix({ speedKnots: 12.34, courseDeg: 84.4 })))).toBe('GPRMC,120001.00,A,4807.0380,N,01131.0000,E,12.3,84.4,010624,,,A');
  });

  it('southern and western positions use S and W', () => {
    expect(body(gga(fix({ lat: -33.8688, lon: 151.2093 })))).toContain(',3352.1280,S,15112.5580,E,');
    expect(body(gga(fix({ lat: 51.5072, lon: -0.1278 })))).toContain(',5130.4320,N,00007.6680,W,');
  });

  it('minutes that round to 60 carry into the degrees', () => {
    expect(body(gga(fix({ lat: 10.99999999, lon: 0 })))).toContain(',1100.0000,N,00000.0000,E,');
  });

  it('without a fix GGA has quality 0 and RMC status V, with no position', () => {
    expect(body(gga(fix({ valid: false })))).toBe('GPGGA,120001.00,,,,,0,00,,,,,,,');
    expect(body(rmc(fix({ valid: false })))).toBe('GPRMC,120001.00,V,,,,,,,010624,,,N');
  });
});
