// Decoders for the element and data sections: the eight element segment encodings and the three
// data segment encodings of WebAssembly 2.0, normalised to `ElemSegment` and `DataSegment`.

import { Op } from '../opcodes.ts';
import { ValType } from '../types.ts';
import type { ConstExpr, DataSegment, ElemSegment, Instr, RefType, SegmentMode } from '../types.ts';
import { readConstExpr } from './code.ts';
import type { Reader } from './reader.ts';
import { readRefType } from './typecodes.ts';

function readElemKind(r: Reader): RefType {
  const at = r.pos;
  const k = r.u8();
  if (k !== 0x00) r.fail(`Malformed element kind "${k}": only 0x00 (funcref) exists`, at);
  return ValType.FuncRef;
}

/**
 * One element segment. Flags bits: 0 = passive or declarative (else active), 1 = explicit table
 * index (active) or declarative (otherwise), 2 = items are expressions rather than function
 * indices. Function indices become `ref.func i` expressions positioned at the index.
 * @throws DecodeError for flags above 7 or a non-zero element kind
 */
function readElemSegment(r: Reader): ElemSegment {
  const pos = r.pos;
  const flags = r.u32();
  if (flags > 7) r.fail(`Malformed elements segment kind "${flags}"`, pos);
  const passiveOrDeclarative = (flags & 1) !== 0;
  const exprs = (flags & 4) !== 0;
  let mode: SegmentMode = 'active';
  let table = 0;
  let offset: ConstExpr | undefined;
  if (passiveOrDeclarative) {
    mode = (flags & 2) !== 0 ? 'declarative' : 'passive';
  } else {
    if ((flags & 2) !== 0) table = r.u32();
    offset = readConstExpr(r);
  }
  // Flags 0 and 4 have no type byte: their items are funcref.
  let type: RefType = ValType.FuncRef;
  if ((flags & 3) !== 0) type = exprs ? readRefType(r) : readElemKind(r);
  const n = r.count('element');
  const init = new Array<ConstExpr>(n);
  for (let i = 0; i < n; i++) {
    if (exprs) {
      init[i] = readConstExpr(r);
    } else {
      const at = r.pos;
      const item: Instr = { op: Op.RefFunc, pos: at, a: r.u32(), b: 0, labels: undefined };
      init[i] = [item];
    }
  }
  return { mode, table, offset, type, init, pos };
}

export function readElemSection(r: Reader): ElemSegment[] {
  const n = r.count('element segment');
  const out = new Array<ElemSegment>(n);
  for (let i = 0; i < n; i++) out[i] = readElemSegment(r);
  return out;
}

/**
 * One data segment: flags 0 (active, memory 0), 1 (passive), 2 (active, explicit memory).
 * The bytes are copied, so the AST does not change if the caller reuses the input buffer.
 * @throws DecodeError for flags above 2
 */
function readDataSegment(r: Reader): DataSegment {
  const pos = r.pos;
  const flags = r.u32();
  if (flags > 2) r.fail(`Malformed data segment kind "${flags}"`, pos);
  if (flags === 1) return { mode: 'passive', memory: 0, offset: undefined, bytes: r.byteString('data segment'), pos };
  const memory = flags === 2 ? r.u32() : 0;
  const offset = readConstExpr(r);
  return { mode: 'active', memory, offset, bytes: r.byteString('data segment'), pos };
}

export function readDataSection(r: Reader): DataSegment[] {
  const n = r.count('data segment');
  const out = new Array<DataSegment>(n);
  for (let i = 0; i < n; i++) out[i] = readDataSegment(r);
  return out;
}
