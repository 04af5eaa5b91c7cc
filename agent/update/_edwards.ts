// Edwards25519 point decoding and small-order detection in BigInt, for the public-key checks tweetnacl leaves out.

/** The field prime 2^255 - 19. */
const P = (1n << 255n) - 19n;
/** The curve constant d = -121665 / 121666 (mod p). */
const D = mod(-121665n * inverse(121666n));
/** A square root of -1 (mod p): 2^((p-1)/4). */
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function pow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

function inverse(a: bigint): bigint {
  return pow(a, P - 2n);
}

/** Little-endian bytes to an unsigned integer. */
export function leBytesToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/** Extended homogeneous coordinates (X:Y:Z:T) with x = X/Z, y = Y/Z, xy = T/Z. */
interface Point {
  x: bigint;
  y: bigint;
  z: bigint;
  t: bigint;
}

/** Why a 32-byte string is not an acceptable point encoding. */
export type PointProblem = 'non-canonical' | 'not-on-curve';

/**
 * Decodes a point as RFC 8032 §5.1.3 does, but refuses the encodings it calls non-canonical:
 * y >= p, and x = 0 with the sign bit set.
 */
export function decodePoint(bytes: Uint8Array): Point | PointProblem {
  if (bytes.length !== 32) return 'not-on-curve';
  const n = leBytesToBigInt(bytes);
  const sign = n >> 255n;
  const y = n & ((1n << 255n) - 1n);
  if (y >= P) return 'non-canonical';
  const y2 = (y * y) % P;
  const u = mod(y2 - 1n);
  const v = mod(D * y2 + 1n);
  // x = (u v^3) (u v^7)^((p-5)/8), then fix up by sqrt(-1) if needed.
  const v3 = (v * v * v) % P;
  const v7 = (v3 * v3 * v) % P;
  let x = (u * v3 % P) * pow(u * v7, (P - 5n) / 8n) % P;
  const vx2 = (v * x * x) % P;
  if (vx2 === u) {
    // x is a root
  } else if (vx2 === mod(-u)) {
    x = (x * SQRT_M1) % P;
  } else {
    return 'not-on-curve';
  }
  if (x === 0n && sign === 1n) return 'non-canonical';
  if ((x & 1n) !== sign) x = P - x;
  return { x, y, z: 1n, t: (x * y) % P };
}

/** Point doubling on the a = -1 twisted Edwards curve (extended coordinates, "dbl-2008-hwcd"). */
function double(p: Point): Point {
  const a = (p.x * p.x) % P;
  const b = (p.y * p.y) % P;
  const c = (2n * p.z * p.z) % P;
  const dd = mod(-a);
  const e = mod((p.x + p.y) * (p.x + p.y) - a - b);
  const g = mod(dd + b);
  const f = mod(g - c);
  const h = mod(dd - b);
  return { x: (e * f) % P, y: (g * h) % P, z: (f * g) % P, t: (e * h) % P };
}

/** True when 8·P is the identity, i.e. the point lies in the torsion subgroup (order 1, 2, 4 or 8). */
export function hasSmallOrder(p: Point): boolean {
  const q = double(double(double(p)));
  return q.x === 0n && q.y === q.z;
}
