// The embedding API's value and result types: how WebAssembly values and call outcomes look to
// TypeScript code (the agent, host functions, tests). Conversions to internal slots live in exec/.

import type { ExhaustionError, Trap } from './errors.ts';
import type { FuncType } from './types.ts';

/** A reference to a WebAssembly function, as `funcref` values and exported functions appear outside. */
export interface FuncRef {
  readonly kind: 'funcref';
  /** The function's address in its store. */
  readonly addr: number;
}

/**
 * A value as TypeScript sees it:
 * - i32: a signed 32-bit integer `number`; i64: a signed `bigint` (the only place BigInt appears)
 * - f32, f64: a `number` (a NaN's payload may change: use the raw form for exact bits)
 * - funcref: `FuncRef | null`; externref: any JS value, `null` being the null reference
 */
export type Value = unknown;

/**
 * A value in raw form, exact to the bit:
 * - i32: signed `number`; i64: signed `bigint`
 * - f32: the bit pattern as a signed 32-bit `number`; f64: the bit pattern as a signed 64-bit `bigint`
 * - references as in `Value`
 */
export type RawValue = Value;

/**
 * How a call (or an instantiation, which runs the start function) ended, or that it is
 * suspended. `fuelUsed` is the fuel the call has consumed so far (over all its resumptions).
 */
export type CallResult<T> =
  | { readonly kind: 'done'; readonly value: T; readonly fuelUsed: number }
  | { readonly kind: 'trap'; readonly trap: Trap; readonly fuelUsed: number }
  | { readonly kind: 'exhausted'; readonly error: ExhaustionError; readonly fuelUsed: number }
  | { readonly kind: 'suspended'; readonly reason: SuspendReason; readonly call: SuspendedCall<T>; readonly fuelUsed: number };

/** A call stopped at an exact instruction, to be resumed later (or snapshotted). */
export interface SuspendedCall<T> {
  readonly reason: SuspendReason;
  /** For reason "wait": what the host function returned. */
  readonly pending: Pending | undefined;
  /** Fuel left for this call. */
  fuelLeft(): number;
  /** Adds fuel (after a "fuel" suspension, before resuming). */
  addFuel(units: number): void;
  /**
   * Continues the call. After a "wait", `hostResult` is the waiting host function's result
   * (a value, or an array for several); after "fuel", add fuel first.
   * @throws Error when the call is not suspended any more (each suspension resumes once)
   */
  resume(hostResult?: unknown): CallResult<T>;
  /**
   * Ends a "wait" with a failure of the host (a rejected promise, a closed port): the call
   * continues by trapping with kind "host-error" at the host call.
   */
  fail(reason: unknown): CallResult<T>;
  /**
   * The durable state of the call and its instance (memory, tables, globals, stack, frames,
   * pending host call) as bytes, restorable in another process with `Instance.restore`.
   * @throws SnapshotError when the state cannot be captured (see the error's message)
   */
  snapshot(): Uint8Array;
}

/** A host function's implementation: receives the arguments, returns the results (an array when multi-value). */
export type HostFn = (...args: Value[]) => Value | Value[] | void;

/** A host function together with its WebAssembly type. */
export interface HostFunc {
  readonly kind: 'host';
  readonly type: FuncType;
  readonly fn: HostFn;
  /** When true, arguments and results use the raw form (floats as bit patterns). */
  readonly raw: boolean;
  readonly name: string;
}

/** Declares a host function for an import object. */
export function hostFunc(type: FuncType, fn: HostFn, options: { raw?: boolean; name?: string } = {}): HostFunc {
  return { kind: 'host', type, fn, raw: options.raw ?? false, name: options.name ?? (fn.name || 'host') };
}

/**
 * Returned by a host function that must wait (for a sensor value, serial bytes, a timer): the
 * call suspends with reason "wait" and resumes with the host's results. `promise`, when given,
 * settles with those results, so a scheduler can await it; `detail` says what is awaited (data,
 * so a snapshot can record it and a restored host can re-issue the request).
 */
export class Pending {
  constructor(
    readonly promise: Promise<unknown> | undefined = undefined,
    readonly detail: unknown = undefined,
  ) {}
}

/** What a suspended call is waiting for. */
export type SuspendReason = 'fuel' | 'wait';
