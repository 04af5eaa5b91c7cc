// Expected reasons why V8 (Node 20, V8 11.3) judges a mutant differently from fleetlet: V8 also
// accepts SIMD, legacy exception handling, tail calls and shared memories (threads), and has its
// own size limits. The mutation fuzzer reports V8's disagreements by reason and never fails on them.

import { scanInstructions } from './mutate-instr.ts';
import { ByteReader, codeBodies, readSections } from './wasm-reader.ts';

export type V8Difference = 'simd' | 'exceptions' | 'tail-call' | 'threads' | 'v8-limit' | 'unexplained';

const exceptionOpcodes = new Set([0x06, 0x07, 0x08, 0x09, 0x18, 0x19]);

/** The first byte in a function body that is not an instruction of Wasm 2.0, if the body scans up to one. */
function foreignOpcodes(bytes: Uint8Array): number[] {
  const code = readSections(bytes)?.find((s) => s.id === 10);
  if (code === undefined) return [];
  const out: number[] = [];
  for (const b of codeBodies(bytes, code) ?? []) {
    const body = bytes.subarray(b.bodyStart, b.end);
    const { instrs, codeStart } = scanInstructions(body);
    const last = instrs[instrs.length - 1];
    const stop = last === undefined ? codeStart : last.end;
    if (stop < body.length) out.push(body[stop] as number);
  }
  return out;
}

/**
 * Whether a v128 (0x7b) value type may appear: the byte anywhere in the type, import or global
 * section (a rough test, good enough for a report), or as a local's type.
 */
function mentionsV128(bytes: Uint8Array): boolean {
  const sections = readSections(bytes) ?? [];
  for (const s of sections) {
    if ((s.id === 1 || s.id === 2 || s.id === 6) && bytes.subarray(s.payloadStart, s.end).includes(0x7b)) return true;
    if (s.id === 10) {
      for (const b of codeBodies(bytes, s) ?? []) {
        try {
          const r = new ByteReader(bytes, b.bodyStart, b.end);
          for (let n = r.u32(), i = 0; i < n; i++) { r.u32(); if (r.u8() === 0x7b) return true; }
        } catch {
          // Unreadable locals: not evidence of SIMD.
        }
      }
    }
  }
  return false;
}

/** Whether a memory (defined, or imported before any unreadable import) has limits flags 2 or 3: shared, from the threads proposal. */
function hasSharedMemory(bytes: Uint8Array): boolean {
  for (const s of readSections(bytes) ?? []) {
    const r = new ByteReader(bytes, s.payloadStart, s.end);
    try {
      if (s.id === 5) {
        for (let n = r.u32(), i = 0; i < n; i++) {
          const flags = r.u8();
          if (flags === 2 || flags === 3) return true;
          r.u32();
          if (flags & 1) r.u32();
        }
      } else if (s.id === 2) {
        for (let n = r.u32(), i = 0; i < n; i++) {
          r.name();
          r.name();
          const kind = r.u8();
          if (kind === 0) r.u32();
          else if (kind === 1 || kind === 2) {
            if (kind === 1) r.u8();
            const flags = r.u8();
            if (kind === 2 && (flags === 2 || flags === 3)) return true;
            r.u32();
            if (flags & 1) r.u32();
          } else if (kind === 3) { r.u8(); r.u8(); }
          else break;
        }
      }
    } catch {
      // Unreadable entries: no evidence of a shared memory.
    }
  }
  return false;
}

/**
 * Why V8 judged the input differently from fleetlet's engine.
 * @param v8Valid V8's verdict (`WebAssembly.validate`)
 * @param v8Message V8's compile error message when it rejects
 */
export function explainV8Difference(bytes: Uint8Array, v8Valid: boolean, v8Message: string): V8Difference {
  if (!v8Valid) {
    return /exceeds|maximum|limit|too many|too large|larger than|more than/i.test(v8Message) ? 'v8-limit' : 'unexplained';
  }
  const sections = readSections(bytes) ?? [];
  if (sections.some((s) => s.id === 13)) return 'exceptions';
  const foreign = foreignOpcodes(bytes);
  if (foreign.includes(0xfd) || mentionsV128(bytes)) return 'simd';
  if (foreign.some((op) => exceptionOpcodes.has(op))) return 'exceptions';
  if (foreign.includes(0x12) || foreign.includes(0x13)) return 'tail-call';
  if (hasSharedMemory(bytes)) return 'threads';
  return 'unexplained';
}
