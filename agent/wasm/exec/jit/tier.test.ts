// The tiering policy: FLEETLET_TIER values, when `auto` compiles a function (hot loops and hot
// callees alike), what `interp` and `jit` do, and what stays interpreted.

import { describe, expect, it } from 'vitest';
import { wat } from '../../../../test/fuzz/wat.ts';
import { Instance, Module, Store } from '../../index.ts';
import type { CompiledFunc } from '../code.ts';
import { compiledOf } from '../compile-cache.ts';
import type { WasmFuncInst } from '../../runtime/store.ts';
import { HOT_STEPS, parseTierMode, prepareTier, setTierMode, tierOf, tierStats, type TierMode } from './tier.ts';
import { MAX_CODE_WORDS } from './compile.ts';

const text = `(module
  (func $leaf (export "leaf") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "loop") (param i32) (result i32) (local i32)
    (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 3)))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 1)))`;

/** A fresh instance translated under `tier`, and the compiled code of its export `name`. */
function setup(tier: TierMode): { inst: Instance; code: (name: string) => CompiledFunc } {
  setTierMode(tier);
  const r = Instance.instantiate(new Store(), Module.compile(wat(text)), {});
  if (r.kind !== 'done') throw new Error(`Instantiation ended as "${r.kind}"`);
  const inst = r.value;
  return { inst, code: (name) => compiledOf(inst.func(name).inst as WasmFuncInst) };
}

function call(inst: Instance, name: string, arg: number): unknown {
  const r = inst.func(name).call(arg);
  if (r.kind !== 'done') throw new Error(`Call ended as "${r.kind}"`);
  return r.value[0];
}

describe('FLEETLET_TIER', () => {
  it('parseTierMode reads interp, jit and auto, and defaults to auto', () => {
    expect(parseTierMode('interp')).toBe('interp');
    expect(parseTierMode('jit')).toBe('jit');
    expect(parseTierMode('auto')).toBe('auto');
    expect(parseTierMode(undefined)).toBe('auto');
    expect(parseTierMode('')).toBe('auto');
  });

  it('parseTierMode rejects any other value, naming it', () => {
    expect(() => parseTierMode('fast')).toThrow('Unknown FLEETLET_TIER "fast": use "interp", "jit" or "auto"');
  });
});

describe('tiering', () => {
  it('interp never compiles', () => {
    const { inst, code } = setup('interp');
    expect(call(inst, 'loop', 10 * HOT_STEPS)).toBe(30 * HOT_STEPS);
    expect(tierOf(code('loop'))).toBe('interp');
    setTierMode('auto');
  });

  it('jit compiles a function at its first call', () => {
    const { inst, code } = setup('jit');
    expect(call(inst, 'leaf', 41)).toBe(42);
    expect(tierOf(code('leaf'))).toBe('compiled');
    setTierMode('auto');
  });

  it('auto compiles a loop that runs HOT_STEPS instructions within its first call', () => {
    const { inst, code } = setup('auto');
    const before = tierStats().compiled;
    expect(call(inst, 'loop', 3)).toBe(9); // a few instructions: still counting
    expect(tierOf(code('loop'))).toBe('counting');
    expect(call(inst, 'loop', HOT_STEPS)).toBe(3 * HOT_STEPS);
    expect(tierOf(code('loop'))).toBe('compiled');
    expect(tierStats().compiled).toBe(before + 1);
    expect(call(inst, 'loop', 5)).toBe(15);
  });

  it('auto compiles a small function called often enough', () => {
    const { inst, code } = setup('auto');
    for (let i = 0; i < HOT_STEPS / 8; i++) expect(call(inst, 'leaf', i)).toBe(i + 1);
    expect(tierOf(code('leaf'))).toBe('counting');
    for (let i = 0; i < HOT_STEPS; i++) call(inst, 'leaf', i);
    expect(tierOf(code('leaf'))).toBe('compiled');
    expect(call(inst, 'leaf', -1)).toBe(0);
  });

  it('prepareTier leaves functions above MAX_CODE_WORDS to the interpreter in every mode', () => {
    const { code } = setup('jit');
    const big: CompiledFunc = { ...code('leaf'), code: new Int32Array(MAX_CODE_WORDS + 1), jit: undefined };
    for (const m of ['jit', 'auto'] as const) {
      setTierMode(m);
      prepareTier(big);
      expect(tierOf(big)).toBe('interp');
    }
    setTierMode('auto');
  });
});
