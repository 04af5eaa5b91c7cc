// The part of Node's JavaScript WebAssembly API (V8) that fleetlet's fuzz and bench harnesses use,
// typed by hand because the project compiles without the DOM library.

export interface V8Module { readonly __brand?: 'V8Module' }
export interface V8Memory { readonly buffer: ArrayBuffer }
export type V8Export = ((...args: never[]) => unknown) | V8Memory | object;
export interface V8Instance { readonly exports: Readonly<Record<string, V8Export>> }
export type V8Imports = Record<string, Record<string, unknown>>;

export interface V8WebAssembly {
  Module: new (bytes: Uint8Array) => V8Module;
  Instance: new (module: V8Module, imports?: V8Imports) => V8Instance;
  validate(bytes: Uint8Array): boolean;
  RuntimeError: new (message?: string) => Error;
  CompileError: new (message?: string) => Error;
  LinkError: new (message?: string) => Error;
}

export const V8 = (globalThis as unknown as { WebAssembly: V8WebAssembly }).WebAssembly;

/** Calls a V8 exported function with arbitrary arguments. */
export function callExport(f: V8Export, args: readonly unknown[]): unknown {
  if (typeof f !== 'function') throw new TypeError('Export is not a function');
  return (f as (...a: unknown[]) => unknown)(...args);
}
