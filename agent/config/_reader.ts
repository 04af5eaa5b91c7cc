// A small walker over parsed JSON that records every problem with its field path, so one run of `loadConfig` names
// them all. Private to agent/config.

/** One problem in a config file. */
export interface ConfigIssue {
  /** Dotted path of the field ("broker.tls.ca", "enrollment.roots[1]"); "" for the whole document. */
  readonly field: string;
  readonly message: string;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
};

export class Reader {
  readonly issues: ConfigIssue[] = [];

  fail(field: string, message: string): undefined {
    this.issues.push({ field, message });
    return undefined;
  }

  /** An object with only the allowed keys (each unknown key is an issue); undefined (with an issue) otherwise. */
  object(v: unknown, field: string, allowed: readonly string[]): Record<string, unknown> | undefined {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return this.fail(field, `expected an object, found ${show(v)}`);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) this.fail(join(field, k), `unknown field (allowed here: ${allowed.join(', ')})`);
    }
    return o;
  }

  /** An optional section: an empty object when absent. */
  section(o: Record<string, unknown>, key: string, field: string, allowed: readonly string[]): Record<string, unknown> | undefined {
    return o[key] === undefined ? {} : this.object(o[key], join(field, key), allowed);
  }

  string(o: Record<string, unknown>, key: string, field: string, options: { pattern?: RegExp; describe?: string; required?: boolean } = {}): string | undefined {
    const v = o[key];
    const f = join(field, key);
    if (v === undefined) return options.required === true ? this.fail(f, 'is required') : undefined;
    if (typeof v !== 'string' || v.length === 0) return this.fail(f, `expected a non-empty string, found ${show(v)}`);
    if (options.pattern !== undefined && !new RegExp(`^(?:${options.pattern.source})$`).test(v)) return this.fail(f, `expected ${options.describe ?? `text matching ${options.pattern.source}`}, found ${show(v)}`);
    return v;
  }

  integer(o: Record<string, unknown>, key: string, field: string, min: number, max: number, fallback: number): number;
  integer(o: Record<string, unknown>, key: string, field: string, min: number, max: number): number | undefined;
  integer(o: Record<string, unknown>, key: string, field: string, min: number, max: number, fallback?: number): number | undefined {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(join(field, key), `expected a whole number from ${min} to ${max}, found ${show(v)}`);
      return fallback;
    }
    return v;
  }

  oneOf<T extends string | number>(o: Record<string, unknown>, key: string, field: string, values: readonly T[], fallback: T): T {
    const v = o[key];
    if (v === undefined) return fallback;
    if (!values.includes(v as T)) {
      this.fail(join(field, key), `expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}, found ${show(v)}`);
      return fallback;
    }
    return v as T;
  }

  list(o: Record<string, unknown>, key: string, field: string, required: boolean): unknown[] | undefined {
    const v = o[key];
    if (v === undefined) return required ? this.fail(join(field, key), 'is required') : undefined;
    if (!Array.isArray(v)) return this.fail(join(field, key), `expected a list, found ${show(v)}`);
    return v;
  }
}

export function join(field: string, key: string): string {
  return field === '' ? key : `${field}.${key}`;
}
