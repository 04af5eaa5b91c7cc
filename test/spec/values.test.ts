// Unit tests of the spec runner's value model: parsing script values and matching results bit for bit.

import { describe, expect, it } from 'vitest';
import { f32MatchesNan, f64MatchesNan, HostRefs, mismatch, parseArg, parseExpected, UnsupportedValue, type Expected, type SpecValue } from './values.ts';

const refs = new HostRefs();
const exp = (type: string, value?: string): Expected => parseExpected(value === undefined ? { type } : { type, value }, refs);

describe('parseExpected', () => {
  it('reads integers as unsigned bit patterns', () => {
    expect(exp('i32', '4294967295')).toEqual({ kind: 'value', value: { type: 'i32', bits: 0xffff_ffff } });
    expect(exp('i64', '18446744073709551615')).toEqual({ kind: 'value', value: { type: 'i64', bits: 0xffff_ffff_ffff_ffffn } });
  });

  it('reads floats as bit patterns and NaN patterns by name', () => {
    expect(exp('f32', '1065353216')).toEqual({ kind: 'value', value: { type: 'f32', bits: 0x3f80_0000 } });
    expect(exp('f64', '9221120237041090560')).toEqual({ kind: 'value', value: { type: 'f64', bits: 0x7ff8_0000_0000_0000n } });
    expect(exp('f32', 'nan:canonical')).toEqual({ kind: 'nan', type: 'f32', nan: 'canonical' });
    expect(exp('f64', 'nan:arithmetic')).toEqual({ kind: 'nan', type: 'f64', nan: 'arithmetic' });
  });

  it('reads a type without a value as a type-only expectation', () => {
    expect(exp('externref')).toEqual({ kind: 'type', type: 'externref' });
  });

  it('gives one distinct host object per externref number', () => {
    const a = parseArg({ type: 'externref', value: '1' }, refs);
    const b = parseArg({ type: 'externref', value: '1' }, refs);
    const c = parseArg({ type: 'externref', value: '2' }, refs);
    expect('ref' in a && 'ref' in b && a.ref === b.ref).toBe(true);
    expect('ref' in a && 'ref' in c && a.ref !== c.ref).toBe(true);
    expect(parseArg({ type: 'externref', value: 'null' }, refs)).toEqual({ type: 'externref', ref: null });
  });

  it('rejects v128 and argument types without a value', () => {
    expect(() => exp('v128', '0')).toThrow(UnsupportedValue);
    expect(() => parseArg({ type: 'i32' }, refs)).toThrow(UnsupportedValue);
  });
});

describe('NaN patterns', () => {
  it('f32 canonical NaN is only the quiet bit, either sign', () => {
    expect(f32MatchesNan(0x7fc0_0000, 'canonical')).toBe(true);
    expect(f32MatchesNan(0xffc0_0000, 'canonical')).toBe(true);
    expect(f32MatchesNan(0x7fc0_0001, 'canonical')).toBe(false);
    expect(f32MatchesNan(0x7f80_0000, 'canonical')).toBe(false);
  });

  it('f32 arithmetic NaN needs the quiet bit, any payload', () => {
    expect(f32MatchesNan(0x7fc0_0001, 'arithmetic')).toBe(true);
    expect(f32MatchesNan(0xfff0_0000, 'arithmetic')).toBe(true);
    expect(f32MatchesNan(0x7fa0_0000, 'arithmetic')).toBe(false);
    expect(f32MatchesNan(0x7f80_0000, 'arithmetic')).toBe(false);
    expect(f32MatchesNan(0x3fc0_0000, 'arithmetic')).toBe(false);
  });

  it('f64 patterns follow the same rules', () => {
    expect(f64MatchesNan(0x7ff8_0000_0000_0000n, 'canonical')).toBe(true);
    expect(f64MatchesNan(0xfff8_0000_0000_0000n, 'canonical')).toBe(true);
    expect(f64MatchesNan(0x7ff8_0000_0000_0001n, 'canonical')).toBe(false);
    expect(f64MatchesNan(0x7ff8_0000_0000_0001n, 'arithmetic')).toBe(true);
    expect(f64MatchesNan(0x7ff4_0000_0000_0000n, 'arithmetic')).toBe(false);
    expect(f64MatchesNan(0x7ff0_0000_0000_0000n, 'arithmetic')).toBe(false);
  });
});

describe('mismatch', () => {
  const f32 = (bits: number): SpecValue => ({ type: 'f32', bits });

  it('compares floats bit for bit: 0 differs from -0 and NaN payloads count', () => {
    expect(mismatch(exp('f32', '0'), f32(0x8000_0000), refs)).toContain('want f32 0x00000000');
    expect(mismatch(exp('f32', String(0x7fa0_0000)), f32(0x7fe0_0000), refs)).toBeDefined();
    expect(mismatch(exp('f32', String(0x7fa0_0000)), f32(0x7fa0_0000), refs)).toBeUndefined();
  });

  it('checks the type before the value', () => {
    expect(mismatch(exp('i32', '1'), { type: 'f32', bits: 1 }, refs)).toContain('want a i32');
    expect(mismatch(exp('i64', '1'), { type: 'i64', bits: 1n }, refs)).toBeUndefined();
  });

  it('matches NaN patterns and rejects numbers for them', () => {
    expect(mismatch(exp('f32', 'nan:canonical'), f32(0xffc0_0000), refs)).toBeUndefined();
    expect(mismatch(exp('f32', 'nan:canonical'), f32(0x3f80_0000), refs)).toContain('nan:canonical');
    expect(mismatch(exp('f64', 'nan:arithmetic'), { type: 'f64', bits: 0x7ffc_0000_0000_0000n }, refs)).toBeUndefined();
  });

  it('compares references by identity and null-ness', () => {
    const one = parseArg({ type: 'externref', value: '1' }, refs);
    expect(mismatch(exp('externref', '1'), one, refs)).toBeUndefined();
    expect(mismatch(exp('externref', '2'), one, refs)).toBe('got externref 1, want externref 2');
    expect(mismatch(exp('externref', '1'), { type: 'externref', ref: { ref: 1 } }, refs)).toContain('foreign');
    expect(mismatch(exp('funcref', 'null'), { type: 'funcref', ref: () => 0 }, refs)).toBe('got a non-null funcref, want funcref null');
    expect(mismatch(exp('funcref'), { type: 'funcref', ref: () => 0 }, refs)).toBeUndefined();
  });
});
