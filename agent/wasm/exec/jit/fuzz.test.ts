// Differential fuzzing of the fast tier: binaryen's random modules run with every function
// compiled to JavaScript at its first call must behave as on V8 (results, traps, logged values,
// final memory), and exactly as interpreted (test/fuzz/diff.test.ts runs the interpreter alone).

import { describe, expect, it } from 'vitest';
import { generateModule } from '../../../../test/fuzz/binaryen.ts';
import { compareModule } from '../../../../test/fuzz/diff.ts';
import { formatSummary, runSeeds } from '../../../../test/fuzz/diff-run.ts';
import type { Engine } from '../../../../test/fuzz/engine-types.ts';
import { engineNotReady, fleetletEngine } from '../../../../test/fuzz/fleetlet-engine.ts';
import { suiteSize } from '../../../../test/fuzz/profile.ts';
import { setTierMode, tierStats, type TierMode } from './tier.ts';

setTierMode('jit'); // this file runs in its own process; seeds run in it (no worker processes)

/**
 * fleetlet's engine with its functions translated under `tier`: functions are translated at
 * their first call, so the mode is set before loading and before every call.
 */
function tiered(tier: TierMode): Engine {
  return {
    name: `fleetlet-${tier}`,
    load(bytes, summary, log) {
      setTierMode(tier);
      const r = fleetletEngine.load(bytes, summary, log);
      if (r.kind !== 'ready') return r;
      const inner = r.session;
      return {
        kind: 'ready',
        session: {
          call: (name, sig, args) => {
            setTierMode(tier);
            return inner.call(name, sig, args);
          },
          memory: () => inner.memory(),
        },
      };
    },
  };
}

describe('fast tier against V8 and the interpreter', () => {
  const notReady = engineNotReady();
  const seeds = suiteSize('FUZZ_JIT_SEEDS', 200);

  it.skipIf(notReady !== undefined)(`fleetlet with every function compiled matches V8 on ${seeds} binaryen seeds`, async () => {
    setTierMode('jit');
    const before = tierStats().compiled;
    const s = await runSeeds(Array.from({ length: seeds }, (_, i) => i + 1), { subject: 'fleetlet', workers: 0 });
    console.log(`fuzz:diff (jit) ${formatSummary(s)}`);
    expect(s.mismatches).toEqual([]);
    expect(s.matched + s.nanOnly.length).toBeGreaterThan(seeds * 0.95);
    expect(tierStats().compiled - before).toBeGreaterThan(seeds);
    expect(tierStats().lastError).toBeUndefined();
  });

  it.skipIf(notReady !== undefined)(`compiled and interpreted fleetlet agree on results, logs and memory bytes on ${seeds} binaryen seeds`, () => {
    const bad: string[] = [];
    let compared = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const g = generateModule(seed);
      if (!g.ok) continue;
      const r = compareModule(g.bytes, tiered('jit'), tiered('interp'), { argSeed: seed });
      if (r.status === 'mismatch') bad.push(`seed ${seed}: ${r.detail}`);
      if (r.status !== 'skipped') compared += r.compared;
    }
    setTierMode('jit');
    expect(bad).toEqual([]);
    expect(compared).toBeGreaterThan(seeds * 5);
    expect(tierStats().lastError).toBeUndefined();
  });
});
