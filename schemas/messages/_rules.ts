// Cross-field rules that several messages share (expiry after issue, no repeated entries).

import type { ObjectRule } from '../schema/index.ts';

/** `expiresAt` must be later than `issuedAt`. */
export function expiresAfterIssue<T extends { readonly issuedAt: number; readonly expiresAt: number }>(): ObjectRule<T> {
  return (v) => (v.expiresAt > v.issuedAt ? undefined : { field: '.expiresAt', detail: `expiry "${v.expiresAt}" is not after issue "${v.issuedAt}"` });
}

/** No two entries of the array `field` may have the same key (the entry itself, or `by(entry)`). */
export function unique<T, E>(field: string, get: (v: T) => readonly E[], by: (e: E) => unknown = (e) => e, keyName = ''): ObjectRule<T> {
  return (v) => {
    const seen = new Map<unknown, number>();
    const list = get(v);
    for (let i = 0; i < list.length; i++) {
      const k = by(list[i]);
      const first = seen.get(k);
      if (first !== undefined) return { field: `.${field}[${i}]${keyName}`, detail: `repeats entry ${first} ("${String(k)}")` };
      seen.set(k, i);
    }
    return undefined;
  };
}
