// Conformance: the official WebAssembly 2.0 core spec scripts must all pass on fleetlet's engine;
// the same runner on V8 must report no failure, which shows the runner itself is sound.

import { describe, expect, it } from 'vitest';
import { fleetletEngine } from './fleetlet-adapter.ts';
import { failureLine, runFile, runFiles, type ScriptResult } from './runner.ts';
import { defaultSpecDir, listScripts } from './script.ts';
import { v8Engine } from './v8-adapter.ts';

/** Passes over the whole official core/ folder: 27,923 commands of which 567 text modules are skipped. */
const MIN_CORE_PASSED = 27_000;
/** At most this many failure lines in an assertion message. */
const SHOWN = 25;

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

describe('spec core on fleetlet', () => {
  it('finds the spec scripts', () => {
    expect(listError, `set WASM_SPEC_DIR or put the shared data beside the repository (${dir})`).toBeUndefined();
    expect(files.length).toBeGreaterThan(0);
  });

  const results: ScriptResult[] = [];
  for (const file of files) {
    const name = file.replace(/^.*\//, '');
    it(`spec core/${name} has no failures`, () => {
      const r = runFile(fleetletEngine, file);
      results.push(r);
      expect(r.failed, explain(r)).toBe(0);
    });
  }

  it(`passes at least ${MIN_CORE_PASSED} commands over all scripts`, () => {
    const passed = results.reduce((n, r) => n + r.passed, 0);
    expect(results.length).toBe(files.length);
    expect(passed).toBeGreaterThanOrEqual(MIN_CORE_PASSED);
  });
});

describe('spec runner on V8', () => {
  it('reports no failure over every core script on Node\'s WebAssembly', () => {
    const s = runFiles(v8Engine, files);
    const failing = s.scripts.filter((r) => r.failed > 0);
    expect(s.failed, failing.map(explain).join('\n')).toBe(0);
    expect(s.passed).toBeGreaterThanOrEqual(MIN_CORE_PASSED);
    expect(s.skipped).toBeGreaterThan(0);
  });
});
