// NMEA 0183 parsing for the GPS logger example (AssemblyScript): checksums, and positions from
// $GPGGA sentences (any talker: GP, GN, GL...).
// @ts-nocheck: AssemblyScript source, compiled by asc (examples/build.ts), not by the project's tsc.

/** A position from one GGA sentence. */
export class Position {
  /** hhmmss.ss, as the receiver sent it. */
  utc: string = "";
  /** Degrees, north and east positive. */
  lat: f64 = 0;
  lon: f64 = 0;
  altitudeM: f64 = 0;
  satellites: i32 = 0;
  /** GGA fix quality: 0 means no fix (the position fields are empty). */
  quality: i32 = 0;
}

function hexDigit(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Whether a sentence is "$" body "*" two hex digits, and the digits are the XOR of the body's bytes. */
export function checksumOk(sentence: string): bool {
  const star = sentence.lastIndexOf("*");
  if (sentence.length < 4 || sentence.charCodeAt(0) != 36 || star < 1 || star + 3 != sentence.length) return false;
  let x = 0;
  for (let i = 1; i < star; i++) x ^= sentence.charCodeAt(i);
  const hi = hexDigit(sentence.charCodeAt(star + 1));
  const lo = hexDigit(sentence.charCodeAt(star + 2));
  return hi >= 0 && lo >= 0 && ((hi << 4) | lo) == x;
}

/** The fields of a checked sentence, without "$" and the checksum: ["GPGGA", "120001.00", ...]. */
export function fields(sentence: string): string[] {
  return sentence.substring(1, sentence.lastIndexOf("*")).split(",");
}

/** NMEA's (d)ddmm.mmmm and a hemisphere letter as signed degrees; NaN when malformed. */
export function degrees(value: string, hemisphere: string): f64 {
  if (value.length == 0) return NaN;
  const v = parseFloat(value);
  if (isNaN(v)) return NaN;
  const d = Math.floor(v / 100);
  const deg = d + (v - d * 100) / 60;
  if (hemisphere == "S" || hemisphere == "W") return -deg;
  if (hemisphere == "N" || hemisphere == "E") return deg;
  return NaN;
}

/** The position of a GGA sentence's fields, or null when they are not a GGA sentence. */
export function parseGga(f: string[]): Position | null {
  if (f.length < 10 || f[0].length != 5 || f[0].substring(2) != "GGA") return null;
  const p = new Position();
  p.utc = f[1];
  p.quality = I32.parseInt(f[6].length == 0 ? "0" : f[6]);
  p.satellites = I32.parseInt(f[7].length == 0 ? "0" : f[7]);
  if (p.quality == 0) return p;
  p.lat = degrees(f[2], f[3]);
  p.lon = degrees(f[4], f[5]);
  p.altitudeM = f[9].length == 0 ? NaN : parseFloat(f[9]);
  if (isNaN(p.lat) || isNaN(p.lon)) p.quality = 0;
  return p;
}
