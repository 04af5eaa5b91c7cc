// The interface between the spec runner and a WebAssembly engine: compile, instantiate, invoke
// and read globals, with every failure reported as a kind the runner checks (never message text).

import type { SpecType, SpecValue } from './values.ts';

/**
 * How an engine operation failed:
 * - `malformed`: the bytes do not decode (fleetlet `DecodeError`)
 * - `invalid`: the module decodes but breaks a validation rule (fleetlet `ValidationError`)
 * - `rejected`: compilation failed and the engine does not say in which phase (V8's
 *   `CompileError`); it satisfies both `assert_malformed` and `assert_invalid`
 * - `unlinkable`: instantiation failed on the imports (fleetlet `LinkError`)
 * - `trap`: a trap, in a call or during instantiation (segments, start function)
 * - `exhaustion`: the call stack ran out (call depth or value stack)
 * - `error`: anything else (an unexpected exception, a missing export, a value of the wrong form)
 */
export type FailureKind = 'malformed' | 'invalid' | 'rejected' | 'unlinkable' | 'trap' | 'exhaustion' | 'error';

export interface EngineFailure {
  readonly kind: FailureKind;
  readonly message: string;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: EngineFailure };

export function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function failed<T>(kind: FailureKind, message: string): Outcome<T> {
  return { ok: false, failure: { kind, message } };
}

/** Says what an unexpected exception was, for an `error` failure. */
export function describeThrown(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `non-error value thrown: ${String(e)}`;
}

/** An engine under test. */
export interface SpecEngine {
  readonly name: string;
  /** Starts one script: a fresh store and a fresh `spectest` host module. */
  newSession(): SpecSession;
}

export interface SpecSession {
  /** Decodes and validates a binary module. */
  compile(bytes: Uint8Array): Outcome<SpecModule>;
}

export interface SpecModule {
  /**
   * Instantiates with the imports `spectest` plus every registered instance under its name; a
   * module name that is neither must make the import unlinkable.
   */
  instantiate(registered: ReadonlyMap<string, SpecInstance>): Outcome<SpecInstance>;
}

export interface SpecInstance {
  /**
   * Calls an exported function with exact values. `resultTypes` are the types the script
   * expects; an engine that knows the function's type may report what it really returned.
   */
  invoke(field: string, args: readonly SpecValue[], resultTypes: readonly SpecType[]): Outcome<SpecValue[]>;
  /** Reads an exported global; `type` is the type the script expects. */
  get(field: string, type: SpecType): Outcome<SpecValue>;
}
