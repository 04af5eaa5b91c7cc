// Private to cloud/store: small helpers of the shared SQL store (validation, WHERE clauses, errors) and its options.
import { StoreError } from './errors.ts';
import type { Retention } from './types.ts';

export interface SqlStoreOptions {
  /** How long events and telemetry are kept (see applyRetention). */
  readonly retention?: Retention;
  /** The clock for leases. Default Date.now; processes sharing a database need clocks within a small part of a lease's ttl. */
  readonly clock?: () => number;
}

/** Rows per multi-row INSERT (well under SQLite's 32,766 and PostgreSQL's 65,535 parameters). */
export const BATCH = 200;

export const isoJson = (v: unknown): string => JSON.stringify(v ?? null);

/** @throws StoreError 'bad-value' */
export function checkMs(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new StoreError('bad-value', `Cannot store ${what} ${v}: need a whole number of milliseconds >= 0`);
}

/** @throws StoreError 'bad-value' */
export function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new StoreError('bad-value', `Cannot hold a lease for ${ttlMs} ms: need a whole number >= 1`);
}

export function whereSql(where: readonly string[]): string {
  return where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
}

export function notFound(what: string, id: string): StoreError {
  return new StoreError('not-found', `Cannot find ${what} "${id}"`);
}
