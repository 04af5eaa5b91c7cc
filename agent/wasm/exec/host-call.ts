// Calls from WebAssembly into host functions written in TypeScript: arguments are read from
// the value stack, results written back; a host failure becomes a `host-error` trap, and a
// `Pending` result suspends the call until the host supplies the results.

import { Pending } from '../api.ts';
import { ExhaustionError, Trap } from '../errors.ts';
import type { HostFuncInst } from '../runtime/store.ts';
import type { Executor } from './executor.ts';
import { readValue, writeValue } from './values.ts';

/**
 * Runs host function `f` with its arguments at word `fp` of the executor's stack; results land
 * there. Returns true when the host asked to wait (recorded in `ex.pending`).
 */
export function callHost(ex: Executor, f: HostFuncInst, fp: number): boolean {
  return callHostDirect(ex, f, fp);
}

export function callHostDirect(ex: Executor, f: HostFuncInst, fp: number): boolean {
  const store = ex.store!;
  const params = f.type.params;
  const raw = f.host.raw;
  const args: unknown[] = new Array(params.length);
  for (let i = 0; i < params.length; i++) args[i] = readValue(ex.S, fp + i * 2, params[i]!, raw, store, store.funcRefFactory);
  let out: unknown;
  try {
    out = f.host.fn(...args);
  } catch (e) {
    if (e instanceof Trap || e instanceof ExhaustionError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new Trap('host-error', `"${f.host.name}": ${msg}`, { cause: e });
  }
  if (out instanceof Pending) {
    ex.pending = { callee: f, fp, wait: out };
    return true;
  }
  writeHostResults(ex, f, fp, out);
  return false;
}

/** Writes a host function's results at word `fp`; a result of the wrong shape is a host-error trap. */
export function writeHostResults(ex: Executor, f: HostFuncInst, fp: number, out: unknown): void {
  const results = f.type.results;
  if (results.length === 0) return;
  const store = ex.store!;
  const raw = f.host.raw;
  ex.ensure(fp + results.length * 2);
  try {
    if (results.length === 1) {
      writeValue(ex.S, fp, results[0]!, Array.isArray(out) ? out[0] : out, raw, store);
      return;
    }
    if (!Array.isArray(out) || out.length !== results.length) {
      throw new TypeError(`it must return ${results.length} values`);
    }
    for (let i = 0; i < results.length; i++) writeValue(ex.S, fp + i * 2, results[i]!, out[i], raw, store);
  } catch (e) {
    // A host function that returns the wrong shape is the host's bug, reported as a trap.
    throw new Trap('host-error', `"${f.host.name}" returned an unusable result: ${(e as Error).message}`, { cause: e });
  }
}
