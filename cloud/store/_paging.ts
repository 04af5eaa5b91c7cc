// Private to cloud/store: limits and opaque cursors for paged lists. A cursor is the sort key of the last item
// returned, as base64url JSON, so a page never depends on rows added or removed since the previous one.
import { StoreError } from './errors.ts';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** @throws StoreError 'bad-limit' */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new StoreError('bad-limit', `Cannot list with limit ${limit}: need an integer from 1 to ${MAX_LIMIT}`);
  return limit;
}

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** @throws StoreError 'bad-cursor' when the cursor is not one this store handed out for a list of this shape */
export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((v, i) => typeof v !== shape[i])) {
    throw new StoreError('bad-cursor', `Cannot continue from cursor "${cursor.slice(0, 40)}": it was not made by this list`);
  }
  return key as (string | number)[];
}

/** Cuts the `limit + 1` rows fetched to a page, with a cursor when more remain. */
export function toPage<R, T>(rows: readonly R[], limit: number, map: (r: R) => T, key: (r: R) => readonly (string | number)[]): { items: T[]; next?: string } {
  const items = rows.slice(0, limit).map(map);
  if (rows.length <= limit) return { items };
  return { items, next: encodeCursor(key(rows[limit - 1] as R)) };
}
