// One waiting operation with a timeout and an AbortSignal, settled exactly once, with its timer,
// its abort listener and its own cleanup undone whichever way it ends. Private to hw/.

import { abortError, HardwareError } from './errors.ts';
import type { Timers } from './time.ts';

export interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

export interface WaitParams<T> {
  readonly timers: Timers;
  /** undefined: no timeout. */
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly device: string | undefined;
  /** What a timeout settles with: a value to resolve with, or an error to reject with. */
  readonly onTimeout: () => { value: T } | { error: unknown };
  /** Starts the operation; returns what to undo once it is settled (any way). */
  readonly begin: (settle: Settle<T>) => (() => void) | void;
}

/** Runs one wait; see WaitParams. An already aborted signal rejects before `begin` runs. */
export function waitFor<T>(p: WaitParams<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (p.signal?.aborted) {
      reject(abortError(p.signal, p.device));
      return;
    }
    let done = false;
    let timer: unknown;
    let cleanup: (() => void) | void = undefined;
    const onAbort = (): void => finish(() => reject(abortError(p.signal!, p.device)));
    const finish = (act: () => void): void => {
      if (done) return;
      done = true;
      if (timer !== undefined) p.timers.clearTimeout(timer);
      p.signal?.removeEventListener('abort', onAbort);
      try {
        cleanup?.();
      } finally {
        act();
      }
    };
    const settle: Settle<T> = {
      resolve: (v) => finish(() => resolve(v)),
      reject: (e) => finish(() => reject(e)),
    };
    p.signal?.addEventListener('abort', onAbort, { once: true });
    if (p.timeoutMs !== undefined) {
      timer = p.timers.setTimeout(() => {
        const r = p.onTimeout();
        if ('value' in r) settle.resolve(r.value);
        else settle.reject(r.error);
      }, p.timeoutMs);
    }
    try {
      cleanup = p.begin(settle);
    } catch (e) {
      settle.reject(e);
    }
    // begin may have settled synchronously before cleanup was assigned
    if (done && cleanup) cleanup();
  });
}

/** Checks a timeout argument: finite and >= 0. @throws HardwareError "invalid-argument" */
export function checkTimeout(ms: number, device: string | undefined): void {
  if (!(Number.isFinite(ms) && ms >= 0)) {
    throw new HardwareError('invalid-argument', device, `Cannot wait ${String(ms)} ms: give a finite timeout >= 0`);
  }
}
