// Tests of finding spec scripts: the default folder, WASM_SPEC_DIR in both of its forms, selectors.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultSpecDir, listScripts, loadScript, REPO_ROOT } from './script.ts';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function fixture(): string {
  const root = mkdtempSync(join(tmpdir(), 'fleetlet-spec-'));
  made.push(root);
  mkdirSync(join(root, 'core'));
  for (const name of ['b', 'a']) {
    writeFileSync(join(root, 'core', `${name}.json`), JSON.stringify({ source_filename: `${name}.wast`, commands: [] }));
  }
  writeFileSync(join(root, 'core', 'a.0.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d]));
  return root;
}

describe('defaultSpecDir', () => {
  it('is ../shared/wasm-spec/core beside the repository without WASM_SPEC_DIR', () => {
    expect(defaultSpecDir({})).toBe(resolve(REPO_ROOT, '../shared/wasm-spec/core'));
  });

  it('takes WASM_SPEC_DIR as the scripts folder or as the wasm-spec folder above it', () => {
    const root = fixture();
    expect(defaultSpecDir({ WASM_SPEC_DIR: join(root, 'core') })).toBe(join(root, 'core'));
    expect(defaultSpecDir({ WASM_SPEC_DIR: root })).toBe(join(root, 'core'));
  });
});

describe('listScripts', () => {
  it('lists every script of a folder in name order, or the selected ones', () => {
    const core = join(fixture(), 'core');
    expect(listScripts(core)).toEqual([join(core, 'a.json'), join(core, 'b.json')]);
    expect(listScripts(core, ['b', 'a.json'])).toEqual([join(core, 'b.json'), join(core, 'a.json')]);
  });

  it('throws for a missing folder or script', () => {
    const core = join(fixture(), 'core');
    expect(() => listScripts(join(core, 'nope'))).toThrow('does not exist');
    expect(() => listScripts(core, ['zzz'])).toThrow('Cannot find spec script "zzz"');
  });
});

describe('loadScript', () => {
  it('names the script after its file and reads modules beside it', () => {
    const core = join(fixture(), 'core');
    const s = loadScript(join(core, 'a.json'));
    expect(s.name).toBe('a');
    expect([...s.readModule('a.0.wasm')]).toEqual([0, 0x61, 0x73, 0x6d]);
  });
});
