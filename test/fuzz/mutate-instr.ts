// Instruction-level mutations of function bodies for fleetlet's mutation fuzzer: finds instruction
// boundaries with the opcode table, then deletes, duplicates, swaps, inserts or retypes whole
// instructions, or bends one immediate, so that most mutants still decode and reach the validator.

import { OPCODES, opInfo, prefixedOpInfo, type ImmKind, type OpInfo } from '../../agent/wasm/opcodes.ts';
import type { Prng } from './prng.ts';
import { sleb, uleb } from './wasm-encode.ts';
import { ByteReader } from './wasm-reader.ts';

export interface Instruction {
  readonly start: number;
  readonly end: number;
  readonly info: OpInfo;
  /** Offset of the first immediate (after the opcode and any sub-opcode). */
  readonly immStart: number;
}

function skipImmediates(r: ByteReader, imm: ImmKind): void {
  switch (imm) {
    case 'none': return;
    case 'block': r.skipSleb(5); return;
    case 'i32': r.skipSleb(5); return;
    case 'i64': r.skipSleb(10); return;
    case 'f32': r.take(4); return;
    case 'f64': r.take(8); return;
    case 'reftype': r.u8(); return;
    case 'select_t': r.take(r.u32()); return;
    case 'br_table': for (let n = r.u32(), i = 0; i <= n; i++) r.u32(); return;
    case 'memarg': case 'call_indirect': case 'data_memory': case 'memory_memory': case 'elem_table': case 'table_table':
      r.u32(); r.u32(); return;
    case 'label': case 'func': case 'local': case 'global': case 'table': case 'memory': case 'data': case 'elem':
      r.u32(); return;
  }
}

/**
 * The instructions of a function body (after its locals), in order; stops at the first byte that
 * is not an instruction of the table or whose immediates do not read.
 */
export function scanInstructions(body: Uint8Array): { codeStart: number; instrs: Instruction[] } {
  const r = new ByteReader(body);
  const instrs: Instruction[] = [];
  let codeStart = 0;
  try {
    for (let n = r.u32(), i = 0; i < n; i++) { r.u32(); r.u8(); }
    codeStart = r.pos;
    while (!r.atEnd) {
      const start = r.pos;
      const byte = r.u8();
      const info = byte === 0xfc ? prefixedOpInfo(r.u32()) : opInfo(byte);
      if (info === undefined) break;
      const immStart = r.pos;
      skipImmediates(r, info.imm);
      instrs.push({ start, end: r.pos, info, immStart });
    }
  } catch {
    // A body that does not scan to its end keeps the instructions read so far.
  }
  return { codeStart, instrs };
}

const smallIndex = (rng: Prng): number => rng.pick([0, 0, 0, 1, 1, 2, 3, 5, 200, 0xffffffff]);

/** Immediates of the given kind, encoded, with small or edge values. */
function randomImmediates(imm: ImmKind, rng: Prng): number[] {
  switch (imm) {
    case 'none': return [];
    case 'block': return rng.chance(0.8) ? [rng.pick([0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x70, 0x6f])] : sleb(rng.pick([0, 1, 2, 5, 1000, -3]));
    case 'i32': return sleb(rng.pick([0, 1, -1, 0x7fffffff, -0x80000000, 65536]));
    case 'i64': return sleb(rng.pick([0n, 1n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n]));
    case 'f32': return [...rng.bytes(4)];
    case 'f64': return [...rng.bytes(8)];
    case 'reftype': return [rng.pick([0x70, 0x6f, 0x7f, 0x40])];
    case 'select_t': return rng.chance(0.8) ? [1, rng.pick([0x7f, 0x7e, 0x7d, 0x7c, 0x70, 0x6f])] : [rng.pick([0, 2]), 0x7f, 0x7f];
    case 'br_table': {
      const n = rng.int(4);
      return [...uleb(n), ...Array.from({ length: n + 1 }, () => uleb(rng.pick([0, 0, 1, 2, 50]))).flat()];
    }
    case 'memarg': return [...uleb(rng.pick([0, 1, 2, 3, 4, 6, 31, 32, 64])), ...uleb(rng.pick([0, 1, 8, 65535, 0xffffffff]))];
    case 'memory': return [rng.chance(0.9) ? 0 : 1];
    case 'memory_memory': return [rng.chance(0.9) ? 0 : 1, rng.chance(0.9) ? 0 : 1];
    case 'data_memory': return [...uleb(smallIndex(rng)), rng.chance(0.9) ? 0 : 1];
    case 'call_indirect': case 'elem_table': case 'table_table': return [...uleb(smallIndex(rng)), ...uleb(rng.chance(0.8) ? 0 : smallIndex(rng))];
    case 'label': case 'func': case 'local': case 'global': case 'table': case 'data': case 'elem': return uleb(smallIndex(rng));
  }
}

/** A whole, well-encoded instruction picked from the opcode table. */
export function randomTableInstruction(rng: Prng): number[] {
  const info = rng.pick(OPCODES);
  const opcode = info.op >= 0xfc00 ? [0xfc, ...uleb(info.op & 0xff)] : [info.op];
  return [...opcode, ...randomImmediates(info.imm, rng)];
}

function splice(bytes: Uint8Array, start: number, end: number, insert: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(bytes.length - (end - start) + insert.length);
  out.set(bytes.subarray(0, start), 0);
  out.set(insert, start);
  out.set(bytes.subarray(end), start + insert.length);
  return out;
}

/** One instruction-level edit of a body, or undefined when the body has no instructions to edit. */
export function mutateInstructions(body: Uint8Array, rng: Prng): { body: Uint8Array; what: string } | undefined {
  const { codeStart, instrs } = scanInstructions(body);
  // The final `end` stays, so that most edits reach the validator rather than the decoder.
  const editable = instrs.slice(0, -1);
  const at = editable.length > 0 ? rng.pick(editable) : undefined;
  switch (rng.int(6)) {
    case 0: {
      const pos = at?.start ?? codeStart;
      const ins = randomTableInstruction(rng);
      return { body: splice(body, pos, pos, ins), what: `insert ${describe(ins)} at ${pos}` };
    }
    case 1:
      if (at === undefined) return undefined;
      return { body: splice(body, at.start, at.end, []), what: `delete ${at.info.name} at ${at.start}` };
    case 2:
      if (at === undefined) return undefined;
      return { body: splice(body, at.end, at.end, body.subarray(at.start, at.end)), what: `duplicate ${at.info.name} at ${at.start}` };
    case 3: {
      const i = editable.length >= 2 ? rng.int(editable.length - 1) : -1;
      const a = editable[i];
      const b = editable[i + 1];
      if (a === undefined || b === undefined) return undefined;
      const swapped = [...body.subarray(b.start, b.end), ...body.subarray(a.start, a.end)];
      return { body: splice(body, a.start, b.end, swapped), what: `swap ${a.info.name} and ${b.info.name} at ${a.start}` };
    }
    case 4: {
      // Same immediates, other opcode: type confusion that still decodes.
      if (at === undefined) return undefined;
      const peers = OPCODES.filter((o) => o.imm === at.info.imm && o.op !== at.info.op);
      if (peers.length === 0) return undefined;
      const peer = rng.pick(peers);
      const opcode = peer.op >= 0xfc00 ? [0xfc, ...uleb(peer.op & 0xff)] : [peer.op];
      return { body: splice(body, at.start, at.immStart, opcode), what: `retype ${at.info.name} as ${peer.name} at ${at.start}` };
    }
    default: {
      if (at === undefined || at.info.imm === 'none') return undefined;
      const imm = randomImmediates(at.info.imm, rng);
      return { body: splice(body, at.immStart, at.end, imm), what: `immediates of ${at.info.name} at ${at.start} -> ${describe(imm)}` };
    }
  }
}

function describe(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
