// Mutation fuzzing of fleetlet's decoder and validator: the mutators, WABT's documented spec
// deviations (each one still present in WABT, absent from V8 and fleetlet), the V8 difference
// classes, WABT's verdict cache, and then the main run: at least 20,000 hostile binaries, each
// accepted or rejected with a typed error, never a crash or a hang, always agreeing with WABT.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Module } from '../../agent/wasm/index.ts';
import { loadCorpus, makeMutant, MUTATION_KINDS } from './mutate.ts';
import { formatMutateSummary, runMutants } from './mutate-run.ts';
import { suiteSize } from './profile.ts';
import { V8 } from './v8-api.ts';
import { explainV8Difference } from './v8-differences.ts';
import { wabtVerdicts } from './wabt.ts';
import { explainWabtDifference, withoutCustomSections, type WabtDifference } from './wabt-differences.ts';
import { funcBody, funcType, moduleBytes, name, section, uleb, vec } from './wasm-encode.ts';
import { readSections } from './wasm-reader.ts';
import { wat } from './wat.ts';

const corpus = loadCorpus();

describe('makeMutant', () => {
  it('makeMutant rebuilds the same mutant from the same seed and index', () => {
    const a = makeMutant(corpus, 5, 123);
    const b = makeMutant(corpus, 5, 123);
    expect(b).toEqual(a);
    expect(makeMutant(corpus, 6, 123).bytes).not.toEqual(a.bytes);
  });

  it('makeMutant uses every mutation kind within 3,000 mutants and always changes the bytes', () => {
    const seen = new Set<string>();
    let unchanged = 0;
    for (let i = 0; i < 3000; i++) {
      const m = makeMutant(corpus, 9, i);
      m.kinds.forEach((k) => seen.add(k));
      const base = corpus.find((c) => c.name === m.base);
      if (base !== undefined && Buffer.from(base.bytes).equals(Buffer.from(m.bytes))) unchanged++;
    }
    expect([...seen].sort()).toEqual([...MUTATION_KINDS].sort());
    // A mutation can undo itself (a byte set to its own value); that must stay rare.
    expect(unchanged).toBeLessThan(60);
  });

  it('function-body mutations keep the section framing readable and fix the sizes up', () => {
    let checked = 0;
    for (let i = 0; i < 2000 && checked < 200; i++) {
      const m = makeMutant(corpus, 11, i);
      if (m.kinds.length !== 1 || !['instruction', 'body-edit', 'huge-locals'].includes(m.kinds[0] as string)) continue;
      expect(readSections(m.bytes), `${m.base} ${m.ops.join('; ')}`).toBeDefined();
      checked++;
    }
    expect(checked).toBe(200);
  });
});

/** A hand-made binary for each documented WABT deviation, with the verdict the spec requires. */
const typeVoid = section(1, vec([funcType([], [])]));
const oneFunc = section(3, vec([uleb(0)]));
const mem = section(5, vec([[0x00, 1]]));
const deviations: { id: WabtDifference; specValid: boolean; bytes: Uint8Array }[] = [
  { id: 'empty-segment-offset', specValid: false, bytes: moduleBytes([mem, section(11, vec([[0x00, 0x0b, 0]]))]) },
  { id: 'data-segment-flags', specValid: false, bytes: moduleBytes([mem, section(11, vec([[0x04, 0x41, 0, 0x0b, 1, 0x61]]))]) },
  { id: 'body-ends-inside-block', specValid: false, bytes: moduleBytes([typeVoid, oneFunc, section(10, vec([[4, 0, 0x02, 0x40, 0x0b]]))]) },
  { id: 'global-init-without-end', specValid: false, bytes: moduleBytes([section(6, vec([[0x7f, 0, 0x41, 0]]))]) },
  { id: 'data-count-without-data', specValid: false, bytes: moduleBytes([section(12, uleb(3))]) },
  { id: 'table-ref-type-0x6b', specValid: false, bytes: moduleBytes([section(4, vec([[0x6b, 0, 1]]))]) },
  { id: 'custom-section', specValid: true, bytes: moduleBytes([typeVoid, section(0, [...name('name'), 1, 5, 0xff])]) },
  { id: 'fleetlet-locals-limit', specValid: true, bytes: moduleBytes([typeVoid, oneFunc, section(10, vec([funcBody([[60_000, 0x7f]], [])]))]) },
];

describe('WABT deviations from the spec', () => {
  let cacheDir = '';
  beforeAll(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'fleetlet-wabt-test-'));
    process.env['FLEETLET_FUZZ_CACHE'] = cacheDir;
  });
  afterAll(() => {
    delete process.env['FLEETLET_FUZZ_CACHE'];
    rmSync(cacheDir, { recursive: true, force: true });
  });

  for (const d of deviations) {
    it(`${d.id}: WABT still judges it against the spec, V8 and fleetlet follow the spec, and the recogniser names it`, async () => {
      const [w] = (await wabtVerdicts([d.bytes])).verdicts;
      const stripped = withoutCustomSections(d.bytes);
      const wStripped = stripped === undefined ? undefined : (await wabtVerdicts([stripped])).verdicts[0];
      const ours = Module.validate(d.bytes).ok;
      expect(w?.valid).toBe(d.id === 'fleetlet-locals-limit' ? true : !d.specValid);
      if (d.id !== 'fleetlet-locals-limit') expect(V8.validate(d.bytes)).toBe(d.specValid);
      expect(ours).toBe(d.id === 'fleetlet-locals-limit' ? false : d.specValid);
      expect(explainWabtDifference(d.bytes, ours, w as NonNullable<typeof w>, wStripped)).toBe(d.id);
    });
  }

  it('explainWabtDifference explains no agreement and no unlisted disagreement', async () => {
    const valid = moduleBytes([typeVoid, oneFunc, section(10, vec([funcBody([], [])]))]);
    const [w] = (await wabtVerdicts([valid])).verdicts;
    expect(explainWabtDifference(valid, true, w as NonNullable<typeof w>, undefined)).toBeUndefined();
    expect(explainWabtDifference(valid, false, w as NonNullable<typeof w>, undefined)).toBeUndefined();
  });

  it('wabtVerdicts answers repeated inputs from its cache', async () => {
    const valid = moduleBytes([typeVoid]);
    const invalid = moduleBytes([oneFunc]);
    const first = await wabtVerdicts([valid, invalid, valid]);
    expect(first.verdicts.map((v) => v.valid)).toEqual([true, false, true]);
    expect(first.verdicts[1]?.message).toMatch(/error/);
    const second = await wabtVerdicts([invalid, valid]);
    expect(second.ran).toBe(0);
    expect(second.verdicts.map((v) => v.valid)).toEqual([false, true]);
  });
});

describe('V8 difference classes', () => {
  it('explainV8Difference names SIMD, tail calls, exception handling, shared memories and V8 limits', () => {
    const simd = wat('(module (func (local v128)))');
    const tail = wat('(module (func $f (return_call $f)))', ['--enable-tail-call']);
    const exceptions = wat('(module (tag) (func try nop catch_all end))', ['--enable-exceptions']);
    const shared = wat('(module (memory 1 2 shared))', ['--enable-threads']);
    for (const b of [simd, tail, exceptions, shared]) expect(V8.validate(b)).toBe(true);
    expect(explainV8Difference(shared, true, '')).toBe('threads');
    expect(explainV8Difference(simd, true, '')).toBe('simd');
    expect(explainV8Difference(tail, true, '')).toBe('tail-call');
    expect(explainV8Difference(exceptions, true, '')).toBe('exceptions');
    expect(explainV8Difference(moduleBytes([]), false, 'memory count of 2 exceeds internal limit of 1')).toBe('v8-limit');
    expect(explainV8Difference(moduleBytes([]), false, 'expected 3 bytes')).toBe('unexplained');
  });
});

describe('mutation fuzzing', () => {
  const count = suiteSize('FUZZ_MUTANTS', 20_000);
  it(`fleetlet accepts or rejects each of ${count} mutants with a typed error, never hangs, and agrees with WABT`, async () => {
    const s = await runMutants({ count, seed: 1, corpus });
    console.log(`fuzz:mutate ${formatMutateSummary(s)}`);
    expect(s.crashes).toEqual([]);
    expect(s.hangs).toEqual([]);
    expect(s.wabtDisagreements).toEqual([]);
    expect(s.verdicts.valid + s.verdicts['decode-error'] + s.verdicts['validation-error']).toBe(count);
  });
});
