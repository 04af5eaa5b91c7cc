// Small WebAssembly modules that the V8 adapter builds to move exact values across V8's JS
// boundary: floats travel as integer bit patterns (a JS number may change a NaN's payload), and
// host functions get a real function type so that a wrongly typed import fails to link.

import type { SpecType } from './values.ts';

const TYPE_CODE: Readonly<Record<SpecType, number>> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, funcref: 0x70, externref: 0x6f };

/** The type a value crosses the JS boundary as: floats become integers of the same width. */
export function boundaryType(t: SpecType): SpecType {
  return t === 'f32' ? 'i32' : t === 'f64' ? 'i64' : t;
}

// Instructions used here (numbers from the spec's binary format chapter).
const END = 0x0b, CALL = 0x10, LOCAL_GET = 0x20, LOCAL_SET = 0x21, GLOBAL_GET = 0x23;
/** Converting into the boundary form (result side) and back out of it (argument side). */
const TO_BITS: Partial<Record<SpecType, number>> = { f32: 0xbc /* i32.reinterpret_f32 */, f64: 0xbd /* i64.reinterpret_f64 */ };
const FROM_BITS: Partial<Record<SpecType, number>> = { f32: 0xbe /* f32.reinterpret_i32 */, f64: 0xbf /* f64.reinterpret_i64 */ };

function u32(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>>= 7;
    if (n === 0) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...u32(bytes.length), ...bytes];
}

function vector(items: readonly (readonly number[])[]): number[] {
  return [...u32(items.length), ...items.flat()];
}

function section(id: number, items: readonly (readonly number[])[]): number[] {
  const body = vector(items);
  return [id, ...u32(body.length), ...body];
}

function funcType(params: readonly SpecType[], results: readonly SpecType[]): number[] {
  return [0x60, ...vector(params.map((t) => [TYPE_CODE[t]])), ...vector(results.map((t) => [TYPE_CODE[t]]))];
}

function moduleBytes(sections: readonly (readonly number[])[]): Uint8Array {
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);
}

/** A code section entry: locals (one run per type) and the instructions. */
function body(locals: readonly SpecType[], code: readonly number[]): number[] {
  const entry = [...vector(locals.map((t) => [1, TYPE_CODE[t]])), ...code, END];
  return [...u32(entry.length), ...entry];
}

/** Instructions that turn the results on the stack (last on top) into their boundary form. */
function resultsToBits(results: readonly SpecType[], firstLocal: number): number[] {
  if (!results.some((t) => TO_BITS[t] !== undefined)) return [];
  const code: number[] = [];
  for (let i = results.length - 1; i >= 0; i--) code.push(LOCAL_SET, ...u32(firstLocal + i));
  results.forEach((t, i) => {
    code.push(LOCAL_GET, ...u32(firstLocal + i));
    const conv = TO_BITS[t];
    if (conv !== undefined) code.push(conv);
  });
  return code;
}

/**
 * A module importing `t.f` of type `params -> results` and exporting `run`, which takes and
 * returns the same values in boundary form.
 */
export function callWrapper(params: readonly SpecType[], results: readonly SpecType[]): Uint8Array {
  const code: number[] = [];
  params.forEach((t, i) => {
    code.push(LOCAL_GET, ...u32(i));
    const conv = FROM_BITS[t];
    if (conv !== undefined) code.push(conv);
  });
  code.push(CALL, 0);
  code.push(...resultsToBits(results, params.length));
  return moduleBytes([
    section(1, [funcType(params, results), funcType(params.map(boundaryType), results.map(boundaryType))]),
    section(2, [[...name('t'), ...name('f'), 0x00, 0]]),
    section(3, [[1]]),
    section(7, [[...name('run'), 0x00, 1]]),
    section(10, [body(results, code)]),
  ]);
}

/** A module importing global `t.g` and exporting `run`, which returns its value in boundary form. */
export function globalWrapper(type: SpecType, mutable: boolean): Uint8Array {
  const code = [GLOBAL_GET, 0, ...resultsToBits([type], 0)];
  return moduleBytes([
    section(1, [funcType([], [boundaryType(type)])]),
    section(2, [[...name('t'), ...name('g'), 0x03, TYPE_CODE[type], mutable ? 1 : 0]]),
    section(3, [[0]]),
    section(7, [[...name('run'), 0x00, 0]]),
    section(10, [body([type], code)]),
  ]);
}

/**
 * A module importing each `host.NAME` with its function type and exporting it again as `NAME`:
 * the exports are WebAssembly functions, so importing one with another type fails to link.
 */
export function typedHostFuncs(funcs: readonly { readonly name: string; readonly params: readonly SpecType[] }[]): Uint8Array {
  return moduleBytes([
    section(1, funcs.map((f) => funcType(f.params, []))),
    section(2, funcs.map((f, i) => [...name('host'), ...name(f.name), 0x00, ...u32(i)])),
    section(7, funcs.map((f, i) => [...name(f.name), 0x00, ...u32(i)])),
  ]);
}
