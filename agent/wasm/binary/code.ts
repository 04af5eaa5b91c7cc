// Decodes instruction sequences (function bodies and constant expressions) into `Instr` lists,
// reading immediates as the opcode table says and checking the binary grammar's nesting.

import { opInfo, prefixedOpInfo } from '../opcodes.ts';
import type { FuncBody, Instr, LocalRun } from '../types.ts';
import type { Reader } from './reader.ts';
import { readBlockType, readRefType, readValType } from './typecodes.ts';

/**
 * fleetlet's cap on the declared locals of one function (V8 has the same): a body may declare
 * up to 2^32-1, but every local costs a slot in every frame, so more is refused at decode time.
 */
export const MAX_LOCALS = 50_000;

/** What instruction decoding records for the module-level checks made once all sections are read. */
export interface CodeContext {
  /**
   * Byte offset of the first memory.init or data.drop, or -1. Those need a data count section
   * (the binary format's rule), which the module decoder checks at the end.
   */
  firstDataUse: number;
}

// Kinds of open constructs on the nesting stack.
const BLOCK = 0;
const IF = 1;
const IF_ELSE = 2;

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/**
 * Decodes instructions up to and including the `end` that closes the sequence, appending them to
 * `out`. The grammar is checked here: `else` only directly inside an `if` (once), every block
 * closed by its own `end`.
 * @throws DecodeError for illegal opcodes, malformed immediates, misplaced `else`, or no final `end`
 * before the reader's limit
 */
export function readInstrs(r: Reader, ctx: CodeContext, out: Instr[]): void {
  const open: number[] = [];
  for (;;) {
    const pos = r.pos;
    const byte = r.u8();
    let op = byte;
    let info = opInfo(byte);
    if (byte === 0xfc) {
      const sub = r.u32();
      info = prefixedOpInfo(sub);
      if (info === undefined) r.fail(`Illegal opcode "0xfc ${sub}"`, pos);
      op = info.op;
    } else if (info === undefined) {
      r.fail(byte === 0xfd ? 'Illegal opcode "0xfd": SIMD is not supported' : `Illegal opcode "${hex(byte)}"`, pos);
    }
    let a = 0;
    let b = 0;
    let labels: Uint32Array | undefined;
    switch (info.imm) {
      case 'none':
        if (op === 0x0b) {
          if (open.length === 0) {
            out.push({ op, pos, a, b, labels });
            return;
          }
          open.pop();
        } else if (op === 0x05) {
          if (open.length === 0 || open[open.length - 1] !== IF) r.fail('Misplaced ELSE opcode: else must follow an if, once', pos);
          open[open.length - 1] = IF_ELSE;
        }
        break;
      case 'block':
        a = readBlockType(r);
        open.push(op === 0x04 ? IF : BLOCK);
        break;
      case 'label': case 'func': case 'local': case 'global': case 'table': case 'elem':
        a = r.u32();
        break;
      case 'data':
        if (ctx.firstDataUse < 0) ctx.firstDataUse = pos;
        a = r.u32();
        break;
      case 'br_table': {
        const n = r.count('br_table label');
        labels = new Uint32Array(n);
        for (let i = 0; i < n; i++) labels[i] = r.u32();
        a = r.u32();
        break;
      }
      case 'call_indirect': case 'elem_table': case 'table_table':
        a = r.u32();
        b = r.u32();
        break;
      case 'memarg':
        a = r.u32();
        b = r.u32();
        break;
      case 'i32':
        a = r.s32();
        break;
      case 'i64':
        a = r.s64();
        b = r.hi;
        break;
      case 'f32':
        a = r.fixed32();
        break;
      case 'f64':
        a = r.fixed64();
        b = r.hi;
        break;
      case 'select_t': {
        // The binary allows a vector of types; only length 1 is valid, which the validator
        // checks on `b` (the length), so `a` is the first type or 0 when there is none.
        const n = r.count('select type');
        for (let i = 0; i < n; i++) {
          const t = readValType(r);
          if (i === 0) a = t;
        }
        b = n;
        break;
      }
      case 'reftype':
        a = readRefType(r);
        break;
      case 'memory':
        zeroByte(r);
        break;
      case 'memory_memory':
        zeroByte(r);
        zeroByte(r);
        break;
      case 'data_memory':
        if (ctx.firstDataUse < 0) ctx.firstDataUse = pos;
        a = r.u32();
        zeroByte(r);
        break;
    }
    out.push({ op, pos, a, b, labels });
  }
}

/** The reserved memory index byte of memory instructions: WebAssembly 2.0 allows only 0x00. */
function zeroByte(r: Reader): void {
  const at = r.pos;
  const z = r.u8();
  if (z !== 0) r.fail(`Zero byte expected, found "${hex(z)}"`, at);
}

/**
 * Decodes a constant expression (instructions up to `end`); the result excludes the `end`.
 * Which instructions are constant is the validator's question, not the decoder's; so is a
 * memory.init here, which the data count rule (about function bodies) does not cover.
 */
export function readConstExpr(r: Reader): Instr[] {
  const out: Instr[] = [];
  readInstrs(r, { firstDataUse: -1 }, out);
  out.pop();
  return out;
}

/**
 * Decodes one entry of the code section: size, locals, instructions; the final `end` must be
 * the body's last byte.
 * @throws DecodeError when malformed, or when locals exceed 2^32-1 or fleetlet's MAX_LOCALS
 */
export function readFuncBody(r: Reader, ctx: CodeContext): FuncBody {
  const pos = r.pos;
  const size = r.u32();
  if (size > r.remaining()) r.fail(`Length out of bounds: function body size "${size}" exceeds the ${r.remaining()} bytes left`, pos);
  const bodyEnd = r.pos + size;
  const outerEnd = r.end;
  r.end = bodyEnd;

  const runs = r.count('local declaration');
  const locals: LocalRun[] = new Array<LocalRun>(runs);
  let total = 0;
  for (let i = 0; i < runs; i++) {
    const at = r.pos;
    const count = r.u32();
    const type = readValType(r);
    total += count;
    if (total > 0xffffffff) r.fail('Too many locals: more than 2^32-1 declared', at);
    locals[i] = { count, type };
  }
  if (total > MAX_LOCALS) r.fail(`Too many locals: "${total}" declared, fleetlet's limit is ${MAX_LOCALS}`, pos);

  const code: Instr[] = [];
  readInstrs(r, ctx, code);
  if (r.pos !== bodyEnd) r.fail(`Section size mismatch: function body ends before its declared size`, r.pos);
  r.end = outerEnd;
  return { locals, localCount: total, code, pos };
}
