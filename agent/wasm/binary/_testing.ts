// Byte builders for the decoder's unit tests: hand-assembled binaries with LEB128 encoders,
// written independently of the decoder so that tests never take expected values from it.

/** Unsigned LEB128 of a non-negative integer (up to 2^53). */
export function uleb(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

/** Signed LEB128 of any integer (minimal length). */
export function sleb(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** UTF-8 bytes of a string, length-prefixed (a binary `name`). */
export function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

/** A vector: count then the concatenated entries. */
export function vec(entries: readonly (readonly number[])[]): number[] {
  return [...uleb(entries.length), ...entries.flat()];
}

/** A section: id, size, contents. */
export function section(id: number, contents: readonly number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

export const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A module: the header followed by the given sections (or any raw bytes). */
export function mod(...sections: readonly (readonly number[])[]): Uint8Array {
  return new Uint8Array([...HEADER, ...sections.flat()]);
}

/** A code section entry: size, local runs, then the instruction bytes (which must include the final end). */
export function body(locals: readonly (readonly [count: number, type: number])[], code: readonly number[]): number[] {
  const content = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...code];
  return [...uleb(content.length), ...content];
}

/** A module with one `[] -> []` function whose body is `code` (including its final end). */
export function funcModule(code: readonly number[], locals: readonly (readonly [number, number])[] = []): Uint8Array {
  return mod(
    section(1, vec([[0x60, 0x00, 0x00]])),
    section(3, vec([[0x00]])),
    section(10, vec([body(locals, code)])),
  );
}
