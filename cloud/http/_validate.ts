// Checks of what an HTTP request carries (path parameters, query parameters, JSON body fields), each refusal an
// OpsError('bad-request', message, field) naming the offending input, so every route checks the same way.

import { OpsError } from '../service/ops.ts';
import type { PageQuery } from '../store/types.ts';

export const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const ROLLOUT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const APP_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const DIGEST = /^[0-9a-f]{64}$/;
/** A tag or a free-text filter: printable, no control characters. */
const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

export function bad(message: string, field: string): OpsError {
  return new OpsError('bad-request', message, field);
}

/** A text value checked against a pattern, or against a length and printable characters. */
export function text(v: unknown, field: string, o: { pattern?: RegExp; max?: number; what?: string } = {}): string {
  const max = o.max ?? 256;
  if (typeof v !== 'string') throw bad(`Invalid ${field}: need ${o.what ?? 'a string'}, got ${kind(v)}`, field);
  if (v.length === 0) throw bad(`Invalid ${field}: empty`, field);
  if (v.length > max) throw bad(`Invalid ${field}: ${v.length} characters, at most ${max}`, field);
  if (o.pattern !== undefined ? !o.pattern.test(v) : !PRINTABLE.test(v)) {
    throw bad(`Invalid ${field} ${JSON.stringify(v.slice(0, 80))}: need ${o.what ?? 'printable text'}`, field);
  }
  return v;
}

/** A safe integer in [min, max]. */
export function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(`Invalid ${field}: need an integer, got ${kind(v)}`, field);
  if (v < min || v > max) throw bad(`Invalid ${field} ${v}: need an integer in [${min}, ${max}]`, field);
  return v;
}

/** A finite number in the given range; `open` excludes the bound it names. */
export function num(v: unknown, field: string, min: number, max: number, open: { min?: boolean; max?: boolean } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`Invalid ${field}: need a number, got ${kind(v)}`, field);
  const low = open.min === true ? v <= min : v < min;
  const high = open.max === true ? v >= max : v > max;
  if (low || high) throw bad(`Invalid ${field} ${v}: need a number in ${open.min === true ? '(' : '['}${min}, ${max}${open.max === true ? ')' : ']'}`, field);
  return v;
}

export function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw bad(`Invalid ${field}: need true or false, got ${kind(v)}`, field);
  return v;
}

export function oneOf<T extends string>(v: unknown, field: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw bad(`Invalid ${field} ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : kind(v)}: need one of ${values.join(', ')}`, field);
  }
  return v as T;
}

/** A plain JSON object whose keys are all allowed; `field` is its path ('' for the body itself). */
export function object(v: unknown, field: string, allowed: readonly string[]): Record<string, unknown> {
  const where = field === '' ? 'the request body' : field;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(`Invalid ${where}: need a JSON object, got ${kind(v)}`, field === '' ? 'body' : field);
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) {
      const path = join(field, k);
      throw bad(`Unknown field ${JSON.stringify(k)} in ${where}${allowed.length > 0 ? ` (known: ${allowed.join(', ')})` : ' (it takes none)'}`, path);
    }
  }
  return v as Record<string, unknown>;
}

export function array(v: unknown, field: string, min: number, max: number): readonly unknown[] {
  if (!Array.isArray(v)) throw bad(`Invalid ${field}: need an array, got ${kind(v)}`, field);
  if (v.length < min || v.length > max) throw bad(`Invalid ${field}: ${v.length} entries, need ${min} to ${max}`, field);
  return v;
}

export function join(field: string, key: string | number): string {
  if (typeof key === 'number') return `${field}[${key}]`;
  return field === '' ? key : `${field}.${key}`;
}

export function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 40))}`;
  return `${typeof v} ${String(v)}`;
}

/**
 * The query string of one request, checked: only the names a route takes, each at most once. The getters return
 * undefined when a parameter is absent.
 */
export class Query {
  private readonly values = new Map<string, string>();

  /** @throws OpsError 'bad-request' for an unknown or repeated parameter */
  constructor(params: URLSearchParams, allowed: readonly string[]) {
    for (const [k, v] of params) {
      if (!allowed.includes(k)) throw bad(`Unknown query parameter ${JSON.stringify(k)}${allowed.length > 0 ? ` (known: ${allowed.join(', ')})` : ' (this route takes none)'}`, k);
      if (this.values.has(k)) throw bad(`Query parameter "${k}" is given twice`, k);
      this.values.set(k, v);
    }
  }

  text(name: string, o: { pattern?: RegExp; max?: number; what?: string } = {}): string | undefined {
    const v = this.values.get(name);
    return v === undefined ? undefined : text(v, name, o);
  }

  int(name: string, min: number, max: number): number | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    if (!/^-?[0-9]{1,16}$/.test(v)) throw bad(`Invalid ${name} ${JSON.stringify(v.slice(0, 40))}: need an integer in [${min}, ${max}]`, name);
    return int(Number(v), name, min, max);
  }

  bool(name: string): boolean | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    if (v === 'true' || v === '1' || v === '') return true;
    if (v === 'false' || v === '0') return false;
    throw bad(`Invalid ${name} ${JSON.stringify(v.slice(0, 40))}: need true or false`, name);
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.values.get(name);
    return v === undefined ? undefined : oneOf(v, name, values);
  }

  /** `limit` (1..1000) and `cursor` (opaque, at most 1024 characters), as given. */
  page(): PageQuery {
    const limit = this.int('limit', 1, 1000);
    const cursor = this.text('cursor', { max: 1024, pattern: /^[\x21-\x7e]+$/, what: 'the cursor of a previous page' });
    return { ...(limit === undefined ? {} : { limit }), ...(cursor === undefined ? {} : { cursor }) };
  }
}

/** Copies the defined entries only (the store's queries are exact optional types). */
export function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}
