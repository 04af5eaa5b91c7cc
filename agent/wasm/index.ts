// fleetlet's WebAssembly engine: the public surface (re-exports only).
export { DecodeError, ValidationError, LinkError, Trap, ExhaustionError, EngineBug } from './errors.ts';
export type { TrapKind, ExhaustionKind, LinkErrorCode, Frame } from './errors.ts';
export type { FuncType, ValType, ModuleAst, GlobalType, TableType, MemType } from './types.ts';
export { hostFunc } from './api.ts';
export type { Value, RawValue, CallResult, HostFunc, HostFn, FuncRef } from './api.ts';
export { Module } from './module.ts';
export { Store, Instance, Func, Memory, Table, Global } from './instance.ts';
export type { Imports, Extern, InstantiateResult } from './instance.ts';
export { SnapshotError } from "./errors.ts";
export type { SnapshotErrorCode } from "./errors.ts";
export { Pending } from "./api.ts";
export type { SuspendedCall, SuspendReason } from "./api.ts";
export type { Limits } from "./runtime/limits.ts";
export { DEFAULT_LIMITS, UNLIMITED_FUEL } from "./runtime/limits.ts";
export type { InstantiateOptions } from "./instance.ts";
export { DEFAULT_FUEL_COSTS } from "./exec/fuel.ts";
export type { FuelCosts } from "./exec/fuel.ts";
