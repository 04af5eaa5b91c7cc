// A small, independent reader of WebAssembly binary framing for fleetlet's fuzz harnesses: section
// boundaries, function signatures of imports and exports, code bodies. It is deliberately not the
// engine's decoder (the code under test), and it only reads what the harnesses need.

/** Reads bytes from a position; every method throws `ReadFailure` past the end or on a bad LEB. */
export class ByteReader {
  constructor(readonly bytes: Uint8Array, public pos = 0, readonly end = bytes.length) {}

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) throw new ReadFailure(`Unexpected end at byte ${this.pos}`);
    return this.bytes[this.pos++] as number;
  }

  /** An unsigned LEB128 of at most 5 bytes whose value fits 32 bits. */
  u32(): number {
    let result = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.u8();
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (result > 0xffff_ffff) throw new ReadFailure(`LEB128 value too large at byte ${this.pos - 1}`);
        return result;
      }
    }
    throw new ReadFailure(`LEB128 longer than 5 bytes at byte ${this.pos}`);
  }

  /** Skips a signed LEB128 of at most `maxBytes` bytes. */
  skipSleb(maxBytes: number): void {
    for (let i = 0; i < maxBytes; i++) if ((this.u8() & 0x80) === 0) return;
    throw new ReadFailure(`LEB128 longer than ${maxBytes} bytes at byte ${this.pos}`);
  }

  take(n: number): Uint8Array {
    if (n > this.end - this.pos) throw new ReadFailure(`Cannot read ${n} bytes at byte ${this.pos}`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  name(): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.take(this.u32()));
  }
}

export class ReadFailure extends Error {
  override readonly name = 'ReadFailure';
}

export interface SectionInfo {
  readonly id: number;
  /** Offset of the section id byte. */
  readonly start: number;
  /** Offset of the section size LEB. */
  readonly sizeStart: number;
  readonly payloadStart: number;
  /** Offset just past the payload. */
  readonly end: number;
}

/** The sections of a binary, or undefined when the header or the section framing is broken. */
export function readSections(bytes: Uint8Array): SectionInfo[] | undefined {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return undefined;
  const r = new ByteReader(bytes, 8);
  const out: SectionInfo[] = [];
  try {
    while (!r.atEnd) {
      const start = r.pos;
      const id = r.u8();
      const sizeStart = r.pos;
      const size = r.u32();
      const payloadStart = r.pos;
      if (size > bytes.length - payloadStart) return undefined;
      r.pos = payloadStart + size;
      out.push({ id, start, sizeStart, payloadStart, end: r.pos });
    }
  } catch (e) {
    if (e instanceof ReadFailure) return undefined;
    throw e;
  }
  return out;
}

export interface Signature {
  readonly params: readonly number[];
  readonly results: readonly number[];
}

export interface ImportInfo {
  readonly module: string;
  readonly name: string;
  /** 0 func, 1 table, 2 memory, 3 global. */
  readonly kind: number;
  /** The function's signature, for function imports. */
  readonly sig: Signature | undefined;
}

export interface ExportInfo {
  readonly name: string;
  readonly kind: number;
  readonly index: number;
  /** The function's signature, for function exports. */
  readonly sig: Signature | undefined;
}

export interface ModuleSummary {
  readonly types: readonly (Signature | undefined)[];
  readonly imports: readonly ImportInfo[];
  readonly exports: readonly ExportInfo[];
}

/**
 * Reads the type, import, function and export sections of a well-formed binary.
 * @throws ReadFailure when those sections are malformed
 */
export function summarize(bytes: Uint8Array): ModuleSummary {
  const sections = readSections(bytes);
  if (sections === undefined) throw new ReadFailure('Cannot read the section framing');
  const types: (Signature | undefined)[] = [];
  const imports: ImportInfo[] = [];
  const funcTypes: number[] = [];
  const rawExports: { name: string; kind: number; index: number }[] = [];
  for (const s of sections) {
    const r = new ByteReader(bytes, s.payloadStart, s.end);
    if (s.id === 1) {
      for (let n = r.u32(), i = 0; i < n; i++) {
        const form = r.u8();
        if (form !== 0x60) throw new ReadFailure(`Unknown type form "0x${form.toString(16)}"`);
        const params = [...r.take(r.u32())];
        const results = [...r.take(r.u32())];
        types.push({ params, results });
      }
    } else if (s.id === 2) {
      for (let n = r.u32(), i = 0; i < n; i++) {
        const module = r.name();
        const field = r.name();
        const kind = r.u8();
        let sig: Signature | undefined;
        if (kind === 0) {
          const typeIndex = r.u32();
          sig = types[typeIndex];
          funcTypes.push(typeIndex);
        } else if (kind === 1) {
          r.u8();
          skipLimits(r);
        } else if (kind === 2) {
          skipLimits(r);
        } else if (kind === 3) {
          r.u8();
          r.u8();
        } else {
          throw new ReadFailure(`Unknown import kind "${kind}"`);
        }
        imports.push({ module, name: field, kind, sig });
      }
    } else if (s.id === 3) {
      for (let n = r.u32(), i = 0; i < n; i++) funcTypes.push(r.u32());
    } else if (s.id === 7) {
      for (let n = r.u32(), i = 0; i < n; i++) rawExports.push({ name: r.name(), kind: r.u8(), index: r.u32() });
    }
  }
  const exports = rawExports.map((e) => ({ ...e, sig: e.kind === 0 ? types[funcTypes[e.index] ?? -1] : undefined }));
  return { types, imports, exports };
}

function skipLimits(r: ByteReader): void {
  const flags = r.u8();
  r.u32();
  if (flags & 1) r.u32();
}

export interface CodeBody {
  /** Offset of the body's size LEB. */
  readonly sizeStart: number;
  readonly bodyStart: number;
  readonly end: number;
}

/** The function bodies of a code section, or undefined when its framing is broken. */
export function codeBodies(bytes: Uint8Array, code: SectionInfo): CodeBody[] | undefined {
  const r = new ByteReader(bytes, code.payloadStart, code.end);
  const out: CodeBody[] = [];
  try {
    for (let n = r.u32(), i = 0; i < n; i++) {
      const sizeStart = r.pos;
      const size = r.u32();
      const bodyStart = r.pos;
      r.take(size);
      out.push({ sizeStart, bodyStart, end: r.pos });
    }
  } catch (e) {
    if (e instanceof ReadFailure) return undefined;
    throw e;
  }
  return out;
}
