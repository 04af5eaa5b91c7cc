// fleetlet's WebAssembly engine: the public surface (re-exports only).
export { DecodeError, ValidationError, LinkError, Trap, ExhaustionError, EngineBug } from './errors.ts';
export type { TrapKind, ExhaustionKind, LinkErrorCode, Frame } from './errors.ts';
export type { FuncType, ValType, ModuleAst, GlobalType, TableType, MemType } from './types.ts';
export { hostFunc } from './api.ts';
export type { Value, RawValue, CallResult, HostFunc, HostFn, FuncRef } from './api.ts';
export { Module } from './module.ts';
export { Store, Instance, Func, Memory, Table, Global } from './instance.ts';
export type { Imports, Extern, InstantiateResult } from './instance.ts';
