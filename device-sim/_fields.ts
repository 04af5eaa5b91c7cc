// Reading untyped JSON into typed values with errors that name the field: the scenario parser's
// toolkit. Private to device-sim.

import { ScenarioError } from './scenario.ts';

export type Json = unknown;

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function fail(field: string, reason: string): never {
  throw new ScenarioError(field, reason);
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v}"`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** An object's fields, each read at most once; `done()` rejects fields nobody read (typos). */
export class Fields {
  private readonly seen = new Set<string>();
  private readonly obj: Record<string, Json>;

  constructor(
    v: Json,
    readonly path: string,
  ) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `expected an object, found ${describe(v)}`);
    this.obj = v as Record<string, Json>;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  raw(key: string): Json {
    this.seen.add(key);
    return this.obj[key];
  }

  at(key: string): string {
    return join(this.path, key);
  }

  num(key: string, opts: { min?: number; max?: number; int?: boolean; gt?: number } = {}, dflt?: number): number {
    const v = this.raw(key);
    const f = this.at(key);
    if (v === undefined) {
      if (dflt !== undefined) return dflt;
      fail(f, 'is required');
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(f, `expected a number, found ${describe(v)}`);
    if (opts.int === true && !Number.isInteger(v)) fail(f, `expected an integer, found ${v}`);
    if (opts.min !== undefined && v < opts.min) fail(f, `must be >= ${opts.min}, found ${v}`);
    if (opts.max !== undefined && v > opts.max) fail(f, `must be <= ${opts.max}, found ${v}`);
    if (opts.gt !== undefined && !(v > opts.gt)) fail(f, `must be > ${opts.gt}, found ${v}`);
    return v;
  }

  str(key: string, dflt?: string): string {
    const v = this.raw(key);
    if (v === undefined && dflt !== undefined) return dflt;
    if (v === undefined) fail(this.at(key), 'is required');
    if (typeof v !== 'string') fail(this.at(key), `expected a string, found ${describe(v)}`);
    return v;
  }

  bool(key: string, dflt: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') fail(this.at(key), `expected true or false, found ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[], dflt?: T): T {
    const v = this.raw(key);
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      fail(this.at(key), `expected one of ${values.map((x) => `"${x}"`).join(', ')}, found ${v === undefined ? 'nothing' : describe(v)}`);
    }
    return v as T;
  }

  bit(key: string, dflt: 0 | 1): 0 | 1 {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (v !== 0 && v !== 1) fail(this.at(key), `expected 0 or 1, found ${describe(v)}`);
    return v;
  }

  /** An array field (possibly absent: then empty), each element read by `each`. */
  list<T>(key: string, each: (v: Json, path: string) => T, required = false): T[] {
    const v = this.raw(key);
    if (v === undefined && !required) return [];
    if (!Array.isArray(v)) fail(this.at(key), `expected an array, found ${v === undefined ? 'nothing' : describe(v)}`);
    return v.map((x, i) => each(x, join(this.at(key), i)));
  }

  /** An object field used as a map (possibly absent: then empty). */
  map<T>(key: string, each: (v: Json, path: string, name: string) => T): Record<string, T> {
    const v = this.raw(key);
    if (v === undefined) return {};
    const m = new Fields(v, this.at(key));
    const out: Record<string, T> = {};
    for (const name of Object.keys(m.obj).sort()) out[name] = each(m.raw(name), m.at(name), name);
    return out;
  }

  /** @throws ScenarioError naming the first field that was not read */
  done(): void {
    for (const k of Object.keys(this.obj)) {
      if (!this.seen.has(k)) fail(this.at(k), 'is not a known field');
    }
  }
}
