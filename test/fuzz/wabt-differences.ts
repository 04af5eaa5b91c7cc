// Recognises exactly the inputs on which WABT 1.0.32's `wasm-validate` is wrong by the
// WebAssembly 2.0 spec (see wabt-differences.md for each rule and why), so that the mutation
// fuzzer holds fleetlet's verdict to the spec rather than to WABT's bugs.

import { MAX_LOCALS } from '../../agent/wasm/binary/index.ts';
import { scanInstructions } from './mutate-instr.ts';
import type { WabtVerdict } from './wabt.ts';
import { ByteReader, ReadFailure, codeBodies, readSections } from './wasm-reader.ts';

export type WabtDifference =
  /** WABT accepts an active data or element segment whose offset expression is empty. */
  | 'empty-segment-offset'
  /** WABT accepts data segment flags 4, 5 and 6 (it ignores bit 2); only 0, 1 and 2 exist. */
  | 'data-segment-flags'
  /** WABT accepts a function body whose last `end` closes an inner block, leaving the body's own expression open. */
  | 'body-ends-inside-block'
  /** WABT accepts a global's initializer that runs to the end of the global section without its `end`. */
  | 'global-init-without-end'
  /** WABT accepts a data count section with a non-zero count when the data section is absent. */
  | 'data-count-without-data'
  /** WABT accepts 0x6b (a typed reference from a later proposal) as a table's element type. */
  | 'table-ref-type-0x6b'
  /** WABT rejects a module for the contents or the placement of a custom section (it reads `name` and others). */
  | 'custom-section'
  /** Not WABT's fault: fleetlet's limit on a function's locals, which the spec lets an implementation set. */
  | 'fleetlet-locals-limit';

/** Skips a constant expression; false when it holds an instruction not allowed in one. */
function skipConstExpr(r: ByteReader): boolean {
  for (;;) {
    const op = r.u8();
    switch (op) {
      case 0x0b: return true;
      case 0x41: r.skipSleb(5); break;
      case 0x42: r.skipSleb(10); break;
      case 0x43: r.take(4); break;
      case 0x44: r.take(8); break;
      case 0xd0: r.u8(); break;
      case 0x23: case 0xd2: r.u32(); break;
      default: return false;
    }
  }
}

/** Whether the expression at the reader is just `end`; advances past the expression. */
function emptyExpr(r: ByteReader): boolean {
  if (r.bytes[r.pos] === 0x0b) {
    r.pos++;
    return true;
  }
  if (!skipConstExpr(r)) throw new ReadFailure('Not a constant expression');
  return false;
}

function dataHasEmptyOffset(r: ByteReader): boolean {
  for (let n = r.u32(), i = 0; i < n; i++) {
    const flags = r.u32();
    let empty = false;
    if (flags === 0) empty = emptyExpr(r);
    else if (flags === 2) { r.u32(); empty = emptyExpr(r); }
    else if (flags !== 1) throw new ReadFailure('Unknown data segment flags');
    if (empty) return true;
    r.take(r.u32());
  }
  return false;
}

function elemHasEmptyOffset(r: ByteReader): boolean {
  for (let n = r.u32(), i = 0; i < n; i++) {
    const flags = r.u32();
    if (flags > 7) throw new ReadFailure('Unknown element segment flags');
    const active = (flags & 1) === 0;
    if ((flags & 2) !== 0 && active) r.u32();
    if (active && emptyExpr(r)) return true;
    if ((flags & 3) !== 0) r.u8(); // elemkind or reftype
    const usesExprs = (flags & 4) !== 0;
    for (let k = r.u32(), j = 0; j < k; j++) {
      if (usesExprs) { if (!skipConstExpr(r)) throw new ReadFailure('Not a constant expression'); }
      else r.u32();
    }
  }
  return false;
}

/** Whether some active data or element segment of the binary has an empty offset expression. */
export function hasEmptySegmentOffset(bytes: Uint8Array): boolean {
  const sections = readSections(bytes);
  if (sections === undefined) return false;
  try {
    return sections.some((s) => {
      const r = new ByteReader(bytes, s.payloadStart, s.end);
      return (s.id === 11 && dataHasEmptyOffset(r)) || (s.id === 9 && elemHasEmptyOffset(r));
    });
  } catch (e) {
    if (e instanceof ReadFailure) return false;
    throw e;
  }
}

/** Whether some data segment's flags are 3 to 7 (read up to the first such segment). */
export function hasBadDataSegmentFlags(bytes: Uint8Array): boolean {
  const data = readSections(bytes)?.find((s) => s.id === 11);
  if (data === undefined) return false;
  try {
    const r = new ByteReader(bytes, data.payloadStart, data.end);
    for (let n = r.u32(), i = 0; i < n; i++) {
      const flags = r.u32();
      if (flags >= 3 && flags <= 7) return true;
      if (flags > 7) return false;
      if (flags === 2) r.u32();
      if (flags !== 1 && !skipConstExpr(r)) return false;
      r.take(r.u32());
    }
  } catch (e) {
    if (!(e instanceof ReadFailure)) throw e;
  }
  return false;
}

/**
 * Whether some function body scans fully into instructions, ends with `end`, and yet never
 * closes its own expression: every `end` in it closes a `block`, `loop` or `if`.
 */
export function hasBodyEndingInsideBlock(bytes: Uint8Array): boolean {
  const code = readSections(bytes)?.find((s) => s.id === 10);
  if (code === undefined) return false;
  return (codeBodies(bytes, code) ?? []).some((b) => {
    const body = bytes.subarray(b.bodyStart, b.end);
    const { instrs } = scanInstructions(body);
    const last = instrs[instrs.length - 1];
    if (last === undefined || last.end !== body.length || last.info.name !== 'end') return false;
    let depth = 0;
    for (const ins of instrs) {
      if (ins.info.imm === 'block') depth++;
      else if (ins.info.name === 'end' && depth-- === 0) return false;
    }
    return true;
  });
}

/** Whether some function body declares more locals than fleetlet's `MAX_LOCALS`. */
export function hasTooManyLocals(bytes: Uint8Array): boolean {
  const code = readSections(bytes)?.find((s) => s.id === 10);
  if (code === undefined) return false;
  return (codeBodies(bytes, code) ?? []).some((b) => {
    try {
      const r = new ByteReader(bytes, b.bodyStart, b.end);
      let total = 0;
      for (let n = r.u32(), i = 0; i < n; i++) {
        total += r.u32();
        r.u8();
      }
      return total > MAX_LOCALS;
    } catch {
      return false;
    }
  });
}

/** Whether the global section's last initializer reaches the end of the section without `end`. */
export function hasGlobalInitWithoutEnd(bytes: Uint8Array): boolean {
  const global = readSections(bytes)?.find((s) => s.id === 6);
  if (global === undefined) return false;
  const r = new ByteReader(bytes, global.payloadStart, global.end);
  try {
    for (let n = r.u32(), i = 0; i < n; i++) {
      r.u8();
      r.u8();
      if (!skipConstExpr(r)) return false;
    }
  } catch (e) {
    if (!(e instanceof ReadFailure)) throw e;
    return r.atEnd;
  }
  return false;
}

/** Whether the binary has a data count section with a non-zero count and no data section. */
export function hasDataCountWithoutData(bytes: Uint8Array): boolean {
  const sections = readSections(bytes);
  const dc = sections?.find((s) => s.id === 12);
  if (sections === undefined || dc === undefined || sections.some((s) => s.id === 11)) return false;
  try {
    return new ByteReader(bytes, dc.payloadStart, dc.end).u32() > 0;
  } catch {
    return false;
  }
}

function skipLimits(r: ByteReader): void {
  const flags = r.u8();
  r.u32();
  if (flags & 1) r.u32();
}

/** Whether a table (defined or imported) before any unreadable entry has element type byte 0x6b. */
export function hasTableRefType6b(bytes: Uint8Array): boolean {
  for (const s of readSections(bytes) ?? []) {
    const r = new ByteReader(bytes, s.payloadStart, s.end);
    try {
      if (s.id === 4) {
        for (let n = r.u32(), i = 0; i < n; i++) {
          if (r.u8() === 0x6b) return true;
          skipLimits(r);
        }
      } else if (s.id === 2) {
        for (let n = r.u32(), i = 0; i < n; i++) {
          r.name();
          r.name();
          const kind = r.u8();
          if (kind === 0) r.u32();
          else if (kind === 1) { if (r.u8() === 0x6b) return true; skipLimits(r); }
          else if (kind === 2) skipLimits(r);
          else if (kind === 3) { r.u8(); r.u8(); }
          else break;
        }
      }
    } catch (e) {
      if (!(e instanceof ReadFailure)) throw e;
    }
  }
  return false;
}

/**
 * The binary without its custom sections, or undefined when it has none (or its framing is
 * broken). A custom section whose name itself is malformed is kept: that makes the binary
 * malformed, so removing it would change the verdict the spec requires.
 */
export function withoutCustomSections(bytes: Uint8Array): Uint8Array | undefined {
  const sections = readSections(bytes);
  if (sections === undefined) return undefined;
  const removable = sections.filter((s) => {
    if (s.id !== 0) return false;
    try {
      new ByteReader(bytes, s.payloadStart, s.end).name();
      return true;
    } catch {
      return false;
    }
  });
  if (removable.length === 0) return undefined;
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let at = 8;
  for (const s of removable) {
    parts.push(bytes.subarray(at, s.start));
    at = s.end;
  }
  parts.push(bytes.subarray(at));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let pos = 0;
  for (const p of parts) { out.set(p, pos); pos += p.length; }
  return out;
}

/**
 * The documented difference that explains a disagreement between fleetlet and WABT, or undefined.
 * - fleetlet rejects, WABT accepts: the first WABT acceptance rule the binary breaks, or
 *   fleetlet's locals limit.
 * - fleetlet accepts, WABT rejects: 'custom-section' when WABT accepts the binary without its
 *   custom sections (`wabtWithoutCustom`), which by the spec cannot change validity.
 */
export function explainWabtDifference(
  bytes: Uint8Array,
  ourValid: boolean,
  wabt: WabtVerdict,
  wabtWithoutCustom: WabtVerdict | undefined,
): WabtDifference | undefined {
  if (wabt.valid === undefined || ourValid === wabt.valid) return undefined;
  if (!ourValid) {
    if (hasEmptySegmentOffset(bytes)) return 'empty-segment-offset';
    if (hasBadDataSegmentFlags(bytes)) return 'data-segment-flags';
    if (hasBodyEndingInsideBlock(bytes)) return 'body-ends-inside-block';
    if (hasGlobalInitWithoutEnd(bytes)) return 'global-init-without-end';
    if (hasDataCountWithoutData(bytes)) return 'data-count-without-data';
    if (hasTableRefType6b(bytes)) return 'table-ref-type-0x6b';
    if (hasTooManyLocals(bytes)) return 'fleetlet-locals-limit';
    return undefined;
  }
  return wabtWithoutCustom?.valid === true ? 'custom-section' : undefined;
}
