// Differential fuzzing of fleetlet's engine against V8: the harness's own checks (exact NaN bits,
// planted differences are caught, exhaustion is inconclusive), then a fixed set of binaryen seeds
// that must show no mismatch, then every saved regression module.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { wasmOptVersion } from './binaryen.ts';
import { setTierMode, tierMode } from '../../agent/wasm/exec/jit/tier.ts';
import { compareModule, diffModule, type DiffResult } from './diff.ts';
import { REGRESSIONS_DIR, formatSummary, runSeeds, type Tier } from './diff-run.ts';
import type { Engine, LogEntry, Outcome, Session } from './engine-types.ts';
import { engineNotReady, fleetletEngine } from './fleetlet-engine.ts';
import { suiteSize } from './profile.ts';
import { v8Engine } from './v8-engine.ts';
import { summarize } from './wasm-reader.ts';
import { wat } from './wat.ts';

const sample = wat(`(module
  (import "fuzzing-support" "log-i32" (func $log (param i32)))
  (import "fuzzing-support" "log-f32" (func $logf (param f32)))
  (import "fuzzing-support" "log-f64" (func $logd (param f64)))
  (memory (export "memory") 1)
  (global $hang (mut i32) (i32.const 0))
  (func (export "hangLimitInitializer") (global.set $hang (i32.const 5)))
  (func (export "add") (param i32 i32) (result i32)
    (call $log (local.get 0)) (i32.add (local.get 0) (local.get 1)))
  (func (export "idf") (param f32) (result f32) (call $logf (local.get 0)) (local.get 0))
  (func (export "idd") (param f64) (result f64) (call $logd (local.get 0)) (local.get 0))
  (func (export "pair") (param i64) (result i64 f64) (local.get 0) (f64.const -0))
  (func (export "store") (param i32) (i32.store (i32.const 0) (local.get 0)))
  (func (export "storeNan") (f32.store (i32.const 8) (f32.div (f32.const 0) (f32.const 0))))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))`);

const recursive = wat(`(module
  (func $r (export "a_rec") (call $r))
  (func (export "b_after") (result i32) (i32.const 1)))`);

type Lie = (name: string, out: Outcome) => Outcome;

/** V8 with a planted difference: results changed by `lie`, or memory changed by `lieMemory`. */
function lyingV8(lie: Lie, lieMemory: (m: Uint8Array) => void = () => {}, lieLog: (e: LogEntry) => LogEntry = (e) => e): Engine {
  return {
    name: 'liar',
    load(bytes, summary, log) {
      const r = v8Engine.load(bytes, summary, (e) => log(lieLog(e)));
      if (r.kind !== 'ready') return r;
      const inner = r.session;
      const session: Session = {
        call: (name, sig, args) => lie(name, inner.call(name, sig, args)),
        memory: () => {
          const m = inner.memory();
          if (m !== undefined) lieMemory(m);
          return m;
        },
      };
      return { kind: 'ready', session };
    },
  };
}

const honest: Lie = (_n, o) => o;

function status(r: DiffResult): string {
  return r.status === 'mismatch' || r.status === 'nan-only' ? `${r.status}: ${r.detail}` : r.status;
}

describe('V8 reference engine', () => {
  it('V8 engine returns and logs f32 and f64 NaN payloads bit for bit', () => {
    const logs: LogEntry[] = [];
    const r = v8Engine.load(sample, summarize(sample), (e) => logs.push(e));
    if (r.kind !== 'ready') throw new Error(`Sample module did not load: ${r.kind}`);
    const f = r.session.call('idf', { params: [0x7d], results: [0x7d] }, [0x7fa00001]);
    const d = r.session.call('idd', { params: [0x7c], results: [0x7c] }, [-0x000bffffffffffffn]);
    expect(f).toEqual({ kind: 'done', values: [0x7fa00001] });
    expect(d).toEqual({ kind: 'done', values: [-0x000bffffffffffffn] });
    expect(logs.map((e) => [e.name, e.args])).toEqual([['log-f32', [0x7fa00001]], ['log-f64', [-0x000bffffffffffffn]]]);
  });

  it('V8 engine returns multiple values and reports traps with their fleetlet kinds', () => {
    const r = v8Engine.load(sample, summarize(sample), () => {});
    if (r.kind !== 'ready') throw new Error(`Sample module did not load: ${r.kind}`);
    expect(r.session.call('pair', { params: [0x7e], results: [0x7e, 0x7c] }, [-5n])).toEqual({ kind: 'done', values: [-5n, -0x8000000000000000n] });
    const t = r.session.call('div', { params: [0x7f], results: [0x7f] }, [0]);
    expect(t.kind === 'trap' && t.kinds).toEqual(['integer-divide-by-zero']);
  });
});

describe('compareModule', () => {
  const opts = { argSeed: 7 };

  it('compareModule finds V8 equal to itself and counts every call', () => {
    const r = compareModule(sample, v8Engine, v8Engine, opts);
    expect(status(r)).toBe('match');
    // 7 function exports besides hangLimitInitializer, called twice each.
    expect(r.status === 'match' && r.compared).toBe(14);
  });

  it('compareModule reports a changed result as a mismatch', () => {
    const liar = lyingV8((n, o) => (n === 'add' && o.kind === 'done' ? { kind: 'done', values: [(o.values[0] as number) + 1] } : o));
    expect(status(compareModule(sample, liar, v8Engine, opts))).toMatch(/^mismatch: Call "add"\(i32:0, i32:0\): liar returned \(i32:1\), v8 returned \(i32:0\)/);
  });

  it('compareModule reports a changed log entry as a mismatch', () => {
    const liar = lyingV8(honest, () => {}, (e) => (e.name === 'log-i32' ? { ...e, args: [42] } : e));
    expect(status(compareModule(sample, liar, v8Engine, opts))).toMatch(/log entry 0 differs: liar log-i32\(i32:42\), v8 log-i32\(i32:0\)/);
  });

  it('compareModule compares what the start function logs during instantiation', () => {
    const withStart = wat(`(module
      (import "fuzzing-support" "log-i32" (func $log (param i32)))
      (func $s (call $log (i32.const 3)))
      (start $s))`);
    expect(status(compareModule(withStart, v8Engine, v8Engine, opts))).toBe('match');
    const liar = lyingV8(honest, () => {}, (e) => ({ ...e, args: [4] }));
    expect(status(compareModule(withStart, liar, v8Engine, opts))).toBe('mismatch: Instantiation (start function): log entry 0 differs: liar log-i32(i32:4), v8 log-i32(i32:3)');
  });

  it('compareModule reports a trap where the reference returns as a mismatch', () => {
    const liar = lyingV8((n, o) => (n === 'store' ? { kind: 'trap', kinds: ['memory-out-of-bounds'], message: 'planted' } : o));
    expect(status(compareModule(sample, liar, v8Engine, opts))).toMatch(/Call "store".*liar trapped \(memory-out-of-bounds: planted\), v8 returned/);
  });

  it('compareModule reports a different trap kind as a mismatch', () => {
    const liar = lyingV8((n, o) => (n === 'div' && o.kind === 'trap' ? { ...o, kinds: ['unreachable'] } : o));
    expect(status(compareModule(sample, liar, v8Engine, opts))).toMatch(/Call "div"\(i32:0\): liar trapped \(unreachable/);
  });

  it('compareModule reports different final memory with the first differing byte', () => {
    const liar = lyingV8(honest, (m) => { m[100] = 1; });
    expect(status(compareModule(sample, liar, v8Engine, opts))).toMatch(/^mismatch: Final memory differs at byte 100 /);
  });

  it('compareModule treats NaN results with other bits as equal', () => {
    const liar = lyingV8((n, o) => (n === 'idf' && o.kind === 'done' && o.values[0] === 0x7fa00001 ? { kind: 'done', values: [0xffc00000 | 0] } : o));
    const r = compareModule(sample, liar, v8Engine, { argSeed: 1, callsPerExport: 1 });
    expect(status(r)).toBe('match');
  });

  it('compareModule counts calls after a stack exhaustion as inconclusive, not as a mismatch', () => {
    const r = compareModule(recursive, v8Engine, v8Engine, { argSeed: 1, callsPerExport: 1 });
    expect(r).toMatchObject({ status: 'match', compared: 0, inconclusive: 2 });
  });

  it('diffModule calls a difference NaN-only when the --denan build of the module matches', () => {
    const flipNanSigns = (m: Uint8Array): void => {
      const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
      for (let i = 0; i + 4 <= 64; i += 4) {
        const x = v.getUint32(i, true);
        if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) v.setUint32(i, x ^ 0x80000000, true);
      }
    };
    const liar = lyingV8(honest, flipNanSigns);
    expect(status(compareModule(sample, liar, v8Engine, opts))).toMatch(/^mismatch: Final memory differs at byte 11 /);
    expect(status(diffModule(sample, liar, v8Engine, opts))).toMatch(/^nan-only: Final memory differs at byte 11 /);
  });

  it('diffModule keeps a mismatch that the --denan build shows too', () => {
    const liar = lyingV8(honest, (m) => { m[3] ^= 1; });
    expect(status(diffModule(sample, liar, v8Engine, opts))).toMatch(/^mismatch: .*\(--denan build: Final memory differs at byte 3 /);
  });
});

describe('binaryen seeds', () => {
  it(`V8 compared with itself matches on 30 binaryen seeds (${wasmOptVersion()})`, async () => {
    const s = await runSeeds(Array.from({ length: 30 }, (_, i) => 1_000_000 + i), { subject: 'v8', workers: 0 });
    expect(s.mismatches).toEqual([]);
    expect(s.matched).toBe(30);
    expect(s.compared).toBeGreaterThan(300);
  });

  const notReady = engineNotReady();
  const seeds = suiteSize('FUZZ_DIFF_SEEDS', 2000);
  // fleetlet runs code in an interpreter and compiles hot functions to JavaScript: `auto` (the
  // default, as devices run) and `jit` (every function compiled) are both compared.
  const tiers = (process.env['FUZZ_DIFF_TIERS'] ?? 'auto,jit').split(',').filter((t) => t !== '') as Tier[];

  for (const tier of tiers) {
    it.skipIf(notReady !== undefined)(`fleetlet (${tier} tier) matches V8 on ${seeds} binaryen seeds${notReady === undefined ? '' : ` (skipped: ${notReady})`}`, async () => {
      const s = await runSeeds(Array.from({ length: seeds }, (_, i) => i + 1), { subject: 'fleetlet', tier, workers: 2 });
      console.log(`fuzz:diff tier ${tier}: ${formatSummary(s)}`);
      expect(s.mismatches).toEqual([]);
      expect(s.matched + s.nanOnly.length).toBeGreaterThan(seeds * 0.95);
    });
  }
});

describe('saved regressions', () => {
  const files = readdirSync(REGRESSIONS_DIR, { withFileTypes: true }).filter((f) => f.name.endsWith('.wasm')).map((f) => f.name).sort();
  const notReady = engineNotReady();
  for (const tier of ['interp', 'jit', 'auto'] as const) {
    it.skipIf(files.length === 0 || notReady !== undefined)(`fleetlet (${tier} tier) matches V8 on each of the ${files.length} saved regression modules`, () => {
      const before = tierMode();
      setTierMode(tier);
      try {
        const bad = files
          .map((f) => ({ f, r: diffModule(new Uint8Array(readFileSync(`${REGRESSIONS_DIR}${f}`)), fleetletEngine, v8Engine, { argSeed: Number(f.replace(/\D/g, '')) || 1 }) }))
          .filter(({ r }) => r.status === 'mismatch' || r.status === 'skipped')
          .map(({ f, r }) => `${f}: ${status(r)}`);
        expect(bad).toEqual([]);
      } finally {
        setTierMode(before);
      }
    });
  }
});
