// What the differential fuzzer needs from an engine (fleetlet's or V8): load a module with logging
// imports, call exports with raw values, read memory; plus exact, NaN-aware formatting of values.

import type { ImportInfo, ModuleSummary, Signature } from './wasm-reader.ts';

/** A value exact to the bit: i32 and f32 bits as signed numbers, i64 and f64 bits as signed bigints. */
export type Raw = number | bigint;

export type Outcome =
  | { readonly kind: 'done'; readonly values: readonly Raw[] }
  /** `kinds`: the fleetlet trap kinds the engine's report can mean; undefined when unknown. */
  | { readonly kind: 'trap'; readonly kinds: readonly string[] | undefined; readonly message: string }
  | { readonly kind: 'exhausted'; readonly message: string }
  /** An exception that is neither a trap nor exhaustion: a harness or engine bug. */
  | { readonly kind: 'error'; readonly message: string };

export interface LogEntry {
  readonly name: string;
  readonly sig: Signature;
  readonly args: readonly Raw[];
}

export type LoadResult =
  | { readonly kind: 'ready'; readonly session: Session }
  | { readonly kind: 'rejected'; readonly message: string }
  | Exclude<Outcome, { kind: 'done' }>;

export interface Session {
  call(name: string, sig: Signature, args: readonly Raw[]): Outcome;
  /** A copy of the first exported memory's bytes, if the module exports one. */
  memory(): Uint8Array | undefined;
}

export interface Engine {
  readonly name: string;
  /** Compiles and instantiates; calls to the logging imports are reported to `log`. */
  load(bytes: Uint8Array, summary: ModuleSummary, log: (entry: LogEntry) => void): LoadResult;
}

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F32 = 0x7d;
export const F64 = 0x7c;

export function isNumeric(t: number): boolean {
  return t === I32 || t === I64 || t === F32 || t === F64;
}

/** The zero of a numeric type in raw form. */
export function zeroOf(t: number): Raw {
  return t === I64 || t === F64 ? 0n : 0;
}

/** The module's logging imports: every function imported from "fuzzing-support". */
export function loggingImports(summary: ModuleSummary): ImportInfo[] {
  return summary.imports.filter((i) => i.module === 'fuzzing-support' && i.kind === 0);
}

/**
 * A value as text for comparison. NaNs print as "nan" without sign or payload: the spec lets
 * arithmetic produce any NaN, so two correct engines may differ there. A raw value of the wrong
 * JavaScript type prints as such, so it never compares equal to a correct one.
 */
export function formatRaw(t: number, v: Raw): string {
  switch (t) {
    case I32:
      return typeof v === 'number' && v === (v | 0) ? `i32:${v}` : `i32:bad(${typeof v} ${String(v)})`;
    case I64:
      return typeof v === 'bigint' && v === BigInt.asIntN(64, v) ? `i64:${v}` : `i64:bad(${typeof v} ${String(v)})`;
    case F32: {
      if (typeof v !== 'number' || v !== (v | 0)) return `f32:bad(${typeof v} ${String(v)})`;
      const isNan = (v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0;
      return isNan ? 'f32:nan' : `f32:0x${(v >>> 0).toString(16)}`;
    }
    case F64: {
      if (typeof v !== 'bigint' || v !== BigInt.asIntN(64, v)) return `f64:bad(${typeof v} ${String(v)})`;
      const u = BigInt.asUintN(64, v);
      const isNan = (u & 0x7ff0000000000000n) === 0x7ff0000000000000n && (u & 0xfffffffffffffn) !== 0n;
      return isNan ? 'f64:nan' : `f64:0x${u.toString(16)}`;
    }
    default:
      return `type${t}:${String(v)}`;
  }
}

export function formatValues(types: readonly number[], values: readonly Raw[]): string {
  if (types.length !== values.length) return `(${values.length} values for ${types.length} types: ${values.map(String).join(', ')})`;
  return `(${values.map((v, i) => formatRaw(types[i] as number, v)).join(', ')})`;
}

export function formatLog(e: LogEntry): string {
  return `${e.name}${formatValues(e.sig.params, e.args)}`;
}
