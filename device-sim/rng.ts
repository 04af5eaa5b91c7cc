// Deterministic randomness for the simulator: counter-based (a hash of seed, stream and index),
// so a value depends only on what it is for, never on how many values were drawn before.

/** FNV-1a hash of a string to 32 bits: turns a sensor name into a stream id. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A 32-bit finaliser (murmur3 fmix32): every input bit affects every output bit. */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A uniform number in [0, 1) for (seed, stream, index); index may be any safe integer. */
export function uniform(seed: number, stream: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296) >>> 0;
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  h = fmix32(h ^ stream);
  h = fmix32(h ^ lo);
  h = fmix32(h ^ hi ^ 0x7f4a7c15);
  return h / 4294967296;
}

/** A standard normal number for (seed, stream, index) (Box-Muller over two uniforms). */
export function gaussian(seed: number, stream: number, index: number): number {
  const u1 = 1 - uniform(seed, stream, 2 * index); // (0, 1]
  const u2 = uniform(seed, stream, 2 * index + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
