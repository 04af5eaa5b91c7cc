// Builders of small ModuleAst values for the validator's unit tests (no decoder or external tool needed).

import { expect } from 'vitest';
import { ValidationError } from '../errors.ts';
import { Op } from '../opcodes.ts';
import type { FuncBody, FuncType, Instr, LocalRun, ModuleAst, ValType } from '../types.ts';

/** Instructions of function bodies get `pos = CODE_POS + index`, so tests can name the failing one. */
export const CODE_POS = 1000;

/** One instruction; its position is set by `body`. */
export function ins(op: number, a = 0, b = 0, labels?: readonly number[]): Instr {
  return { op, pos: -1, a, b, labels: labels === undefined ? undefined : Uint32Array.from(labels) };
}

/** A body whose instruction k sits at byte CODE_POS + k. The code must include the final `end`. */
export function body(code: readonly Instr[], locals: readonly LocalRun[] = []): FuncBody {
  let localCount = 0;
  for (const r of locals) localCount += r.count;
  return {
    locals,
    localCount,
    code: code.map((c, k) => ({ ...c, pos: CODE_POS + k })),
    pos: CODE_POS - 1,
  };
}

export function ft(params: readonly ValType[], results: readonly ValType[]): FuncType {
  return { params, results };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A module with every section empty, overridden by `parts`. */
export function mod(parts: Partial<Mutable<ModuleAst>>): ModuleAst {
  return {
    types: [],
    imports: [],
    funcs: [],
    tables: [],
    mems: [],
    globals: [],
    exports: [],
    start: undefined,
    elems: [],
    datas: [],
    dataCount: undefined,
    codes: [],
    customs: [],
    names: { module: undefined, funcs: new Map(), locals: new Map() },
    ...parts,
  };
}

/**
 * A module with one function of type `type` whose code is `code` followed by `end`,
 * plus `extra` sections (types are appended after the function's type, which is type 0).
 */
export function oneFunc(type: FuncType, code: readonly Instr[], extra: Partial<Mutable<ModuleAst>> = {}, locals: readonly LocalRun[] = []): ModuleAst {
  return mod({
    ...extra,
    types: [type, ...(extra.types ?? [])],
    funcs: [0],
    codes: [body([...code, ins(Op.End)], locals)],
  });
}

export interface ExpectedError {
  what: RegExp;
  offset?: number;
  funcIndex?: number | undefined;
  expected?: string;
  actual?: string | undefined;
}

/** Runs `f`, which must throw a ValidationError matching `e` field by field. */
export function expectValidationError(f: () => unknown, e: ExpectedError): ValidationError {
  let caught: unknown;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  const v = caught as ValidationError;
  expect(v.what).toMatch(e.what);
  if ('offset' in e) expect(v.offset).toBe(e.offset);
  if ('funcIndex' in e) expect(v.funcIndex).toBe(e.funcIndex);
  if ('expected' in e) expect(v.expected).toBe(e.expected);
  if ('actual' in e) expect(v.actual).toBe(e.actual);
  return v;
}
