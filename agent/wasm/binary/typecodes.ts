// Decoders for the binary encodings of types: value, reference and block types, function
// types, limits, and table, memory and global types.

import { ValType } from '../types.ts';
import type { FuncType, GlobalType, MemType, RefType, SizeBounds, TableType } from '../types.ts';
import type { Reader } from './reader.ts';

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/**
 * Whether `b` encodes a value type fleetlet runs. v128 (0x7b) is not one: SIMD is outside
 * fleetlet's WebAssembly 2.0 subset, so a module that mentions it is malformed for us.
 */
export function isValTypeByte(b: number): boolean {
  return (b >= ValType.F64 && b <= ValType.I32) || b === ValType.FuncRef || b === ValType.ExternRef;
}

/** @throws DecodeError when the byte is not a value type */
export function readValType(r: Reader): ValType {
  const at = r.pos;
  const b = r.u8();
  if (!isValTypeByte(b)) r.fail(b === ValType.V128 ? 'Malformed value type "0x7b": v128 (SIMD) is not supported' : `Malformed value type "${hex(b)}"`, at);
  return b as ValType;
}

/** @throws DecodeError when the byte is not funcref or externref */
export function readRefType(r: Reader): RefType {
  const at = r.pos;
  const b = r.u8();
  if (b !== ValType.FuncRef && b !== ValType.ExternRef) r.fail(`Malformed reference type "${hex(b)}"`, at);
  return b;
}

/**
 * A block type as `Instr.a` holds it: -64 for the empty type, the negative single-byte s33 of a
 * value type (-1 i32 ... -16 funcref, -17 externref), or a type index >= 0.
 * @throws DecodeError for any other negative s33, or a negative one written in several bytes
 */
export function readBlockType(r: Reader): number {
  const at = r.pos;
  const v = r.s33();
  if (v >= 0) return v;
  if (r.bytesRead !== 1 || (v !== -64 && !isValTypeByte(v + 128))) {
    r.fail(v === ValType.V128 - 128 ? 'Malformed block type: v128 (SIMD) is not supported' : `Malformed block type "${v}"`, at);
  }
  return v;
}

/** @throws DecodeError when the form byte is not 0x60 or a type is malformed */
export function readFuncType(r: Reader): FuncType {
  const at = r.pos;
  const form = r.u8();
  if (form !== 0x60) r.fail(`Malformed function type: form "${hex(form)}" is not 0x60`, at);
  const params = readValTypes(r, 'parameter');
  const results = readValTypes(r, 'result');
  return { params, results };
}

function readValTypes(r: Reader, what: string): ValType[] {
  const n = r.count(what);
  const out: ValType[] = new Array<ValType>(n);
  for (let i = 0; i < n; i++) out[i] = readValType(r);
  return out;
}

/** @throws DecodeError when the flags byte is neither 0x00 nor 0x01 */
export function readLimits(r: Reader): SizeBounds {
  const at = r.pos;
  const flags = r.u8();
  if (flags > 1) r.fail(`Malformed limits flags "${hex(flags)}": only 0x00 and 0x01 exist`, at);
  const min = r.u32();
  const max = flags === 1 ? r.u32() : undefined;
  return { min, max };
}

export function readTableType(r: Reader): TableType {
  const elem = readRefType(r);
  return { elem, bounds: readLimits(r) };
}

export function readMemType(r: Reader): MemType {
  return { bounds: readLimits(r) };
}

/** @throws DecodeError when the mutability byte is neither 0 nor 1 */
export function readGlobalType(r: Reader): GlobalType {
  const type = readValType(r);
  const at = r.pos;
  const m = r.u8();
  if (m > 1) r.fail(`Malformed mutability "${hex(m)}"`, at);
  return { type, mutable: m === 1 };
}
