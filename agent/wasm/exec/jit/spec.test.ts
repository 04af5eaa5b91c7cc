// Conformance of the fast tier: the official core spec scripts run with every function compiled
// to JavaScript at its first call (FLEETLET_TIER=jit) must all pass, as they do interpreted.

import { describe, expect, it } from 'vitest';
import { fleetletEngine } from '../../../../test/spec/fleetlet-adapter.ts';
import { failureLine, runFile, type ScriptResult } from '../../../../test/spec/runner.ts';
import { defaultSpecDir, listScripts } from '../../../../test/spec/script.ts';
import { setTierMode, tierStats } from './tier.ts';

/** Commands that pass on the interpreter (test/spec/spec.test.ts counts the same). */
const CORE_PASSED = 27_356;
const SHOWN = 25;

setTierMode('jit'); // this file runs in its own process: every module below is compiled

const dir = defaultSpecDir();
let files: string[] = [];
let listError: unknown;
try {
  files = listScripts(dir);
} catch (e) {
  listError = e;
}

function explain(r: ScriptResult): string {
  const lines = r.failures.slice(0, SHOWN).map(failureLine);
  if (r.failures.length > SHOWN) lines.push(`... and ${r.failures.length - SHOWN} more`);
  return `${r.name}: ${r.failed} failed\n${lines.join('\n')}`;
}

describe('spec core on the fast tier', () => {
  it('finds the spec scripts', () => {
    expect(listError, `set WASM_SPEC_DIR or put the shared data beside the repository (${dir})`).toBeUndefined();
    expect(files.length).toBeGreaterThan(0);
  });

  const results: ScriptResult[] = [];
  for (const file of files) {
    const name = file.replace(/^.*\//, '');
    it(`spec core/${name} has no failures with every function compiled`, () => {
      const r = runFile(fleetletEngine, file);
      results.push(r);
      expect(r.failed, explain(r)).toBe(0);
    });
  }

  it(`passes all ${CORE_PASSED} commands with thousands of functions compiled`, () => {
    const passed = results.reduce((n, r) => n + r.passed, 0);
    expect(results.length).toBe(files.length);
    expect(passed).toBe(CORE_PASSED);
    const s = tierStats();
    expect(s.compiled).toBeGreaterThan(3_000);
    expect(s.refused).toBeLessThan(5);
    expect(s.lastError).toBeUndefined();
    expect(s.failed).toBe(0);
  });
});
