// NMEA 0183 sentences as a GPS receiver sends them: the checksum, and $GPGGA (fix data) and
// $GPRMC (recommended minimum) built from a position, a time and a fix state.

/** The checksum of a sentence body (between "$" and "*"): XOR of its bytes, two upper hex digits. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

/** "$" + body + "*" + checksum + CR LF. */
export function nmeaSentence(body: string): string {
  return `$${body}*${nmeaChecksum(body)}\r\n`;
}

export interface Fix {
  /** UTC time of the fix. */
  readonly time: Date;
  /** Degrees, north and east positive. */
  readonly lat: number;
  readonly lon: number;
  readonly altitudeM: number;
  readonly speedKnots: number;
  readonly courseDeg: number;
  readonly satellites: number;
  /** false: no fix (GGA quality 0, RMC status V, empty position). */
  readonly valid: boolean;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** hhmmss.ss */
function utcTime(t: Date): string {
  const cs = Math.floor(t.getUTCMilliseconds() / 10);
  return `${pad(t.getUTCHours(), 2)}${pad(t.getUTCMinutes(), 2)}${pad(t.getUTCSeconds(), 2)}.${pad(cs, 2)}`;
}

/** ddmmyy */
function utcDate(t: Date): string {
  return `${pad(t.getUTCDate(), 2)}${pad(t.getUTCMonth() + 1, 2)}${pad(t.getUTCFullYear() % 100, 2)}`;
}

/** Degrees as NMEA's (d)ddmm.mmmm and a hemisphere letter. */
function angle(deg: number, degDigits: number, pos: string, neg: string): [string, string] {
  const a = Math.abs(deg);
  let d = Math.floor(a);
  let minutes = Math.round((a - d) * 60 * 10_000) / 10_000;
  if (minutes >= 60) {
    d += 1;
    minutes -= 60;
  }
  const [mi, mf] = minutes.toFixed(4).split('.') as [string, string];
  return [`${pad(d, degDigits)}${mi.padStart(2, '0')}.${mf}`, deg < 0 ? neg : pos];
}

export function gga(f: Fix): string {
  const [lat, ns] = f.valid ? angle(f.lat, 2, 'N', 'S') : ['', ''];
  const [lon, ew] = f.valid ? angle(f.lon, 3, 'E', 'W') : ['', ''];
  const fields = [
    'GPGGA',
    utcTime(f.time),
    lat,
    ns,
    lon,
    ew,
    f.valid ? '1' : '0',
    pad(f.valid ? f.satellites : 0, 2),
    f.valid ? '0.9' : '',
    f.valid ? f.altitudeM.toFixed(1) : '',
    f.valid ? 'M' : '',
    f.valid ? '0.0' : '',
    f.valid ? 'M' : '',
    '',
    '',
  ];
  return nmeaSentence(fields.join(','));
}

export function rmc(f: Fix): string {
  const [lat, ns] = f.valid ? angle(f.lat, 2, 'N', 'S') : ['', ''];
  const [lon, ew] = f.valid ? angle(f.lon, 3, 'E', 'W') : ['', ''];
  const fields = [
    'GPRMC',
    utcTime(f.time),
    f.valid ? 'A' : 'V',
    lat,
    ns,
    lon,
    ew,
    f.valid ? f.speedKnots.toFixed(1) : '',
    f.valid ? f.courseDeg.toFixed(1) : '',
    utcDate(f.time),
    '',
    '',
    f.valid ? 'A' : 'N',
  ];
  return nmeaSentence(fields.join(','));
}
