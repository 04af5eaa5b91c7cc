// Minimal WebAssembly binary encoding helpers for fleetlet's fuzz and bench harnesses: LEB128,
// names, vectors, sections and whole modules, enough to build small wrapper modules by hand.

export type Bytes = readonly number[];

/** Unsigned LEB128 of a non-negative integer below 2^53, optionally padded to `minLength` bytes. */
export function uleb(value: number | bigint, minLength = 1): number[] {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError(`Cannot encode "${value}" as unsigned LEB128`);
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(byte | 0x80);
  } while (v !== 0n || out.length < minLength);
  out[out.length - 1] = (out[out.length - 1] as number) & 0x7f;
  return out;
}

/** Signed LEB128 of an integer (number or bigint). */
export function sleb(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

export function name(s: string): number[] {
  const utf8 = [...new TextEncoder().encode(s)];
  return [...uleb(utf8.length), ...utf8];
}

export function vec(items: readonly Bytes[]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

export function section(id: number, body: Bytes): number[] {
  return [id, ...uleb(body.length), ...body];
}

export const MAGIC_VERSION: Bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

export function moduleBytes(sections: readonly Bytes[]): Uint8Array {
  return Uint8Array.from([...MAGIC_VERSION, ...sections.flat()]);
}

export function funcType(params: readonly number[], results: readonly number[]): number[] {
  return [0x60, ...uleb(params.length), ...params, ...uleb(results.length), ...results];
}

/** A code-section entry: locals given as (count, type) runs, then the instruction bytes (without the final `end`). */
export function funcBody(locals: readonly (readonly [number, number])[], code: Bytes): number[] {
  const body = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...code, 0x0b];
  return [...uleb(body.length), ...body];
}
