// The JSON form of a spec test script (wast2json output, described in the shared wasm-spec
// README): its command types, and finding and reading script files on disk.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonValue } from './values.ts';

export interface JsonAction {
  readonly type: 'invoke' | 'get';
  readonly module?: string;
  readonly field: string;
  readonly args?: readonly JsonValue[];
}

interface Base {
  readonly line: number;
}

export type Command =
  | (Base & { readonly type: 'module'; readonly filename: string; readonly name?: string })
  | (Base & { readonly type: 'register'; readonly as: string; readonly name?: string })
  | (Base & {
      readonly type: 'action' | 'assert_return' | 'assert_trap' | 'assert_exhaustion';
      readonly action: JsonAction;
      readonly expected?: readonly JsonValue[];
      readonly text?: string;
    })
  | (Base & {
      readonly type: 'assert_invalid' | 'assert_malformed' | 'assert_unlinkable' | 'assert_uninstantiable';
      readonly filename: string;
      readonly module_type: 'binary' | 'text';
      readonly text: string;
    });

export type CommandType = Command['type'];

export interface SpecScript {
  readonly source_filename: string;
  readonly commands: readonly Command[];
}

/** A script together with how to read the module files it names. */
export interface LoadedScript {
  /** Short name for reports, e.g. `i32`. */
  readonly name: string;
  readonly script: SpecScript;
  readonly readModule: (filename: string) => Uint8Array;
}

/** The repository root (this file lives in `test/spec/`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The folder of core scripts: `WASM_SPEC_DIR` when set, else `../shared/wasm-spec/core` beside
 * the repository. Like `--dir`, the variable may name the scripts folder itself or the wasm-spec
 * folder above it (other suites of the repository read it that way).
 */
export function defaultSpecDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['WASM_SPEC_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return scriptsFolder(fromEnv);
  return resolve(REPO_ROOT, '..', 'shared', 'wasm-spec', 'core');
}

/** `dir` itself when it holds scripts, else its `core/` subfolder when that exists. */
export function scriptsFolder(dir: string): string {
  const abs = resolve(dir);
  const core = join(abs, 'core');
  const hasScripts = exists(abs) && statSync(abs).isDirectory() && readdirSync(abs).some((f) => f.endsWith('.json'));
  return !hasScripts && exists(core) ? core : abs;
}

/**
 * The script files to run: every `*.json` of `dir` (sorted) when `selectors` is empty, else one
 * file per selector, which is a script name (`i32`, `i32.json`) looked up in `dir`, or a path to
 * a script file or to a directory of scripts.
 * @throws Error when a selector or the directory does not exist
 */
export function listScripts(dir: string, selectors: readonly string[] = []): string[] {
  if (selectors.length === 0) return scriptsIn(dir);
  const files: string[] = [];
  for (const sel of selectors) {
    const byName = join(dir, sel.endsWith('.json') ? sel : `${sel}.json`);
    const candidates = [byName, resolve(sel)];
    const found = candidates.find((p) => exists(p));
    if (found === undefined) throw new Error(`Cannot find spec script "${sel}" in "${dir}" or as a path`);
    if (statSync(found).isDirectory()) files.push(...scriptsIn(found));
    else files.push(found);
  }
  return files;
}

function scriptsIn(dir: string): string[] {
  if (!exists(dir)) throw new Error(`Cannot read spec scripts: directory "${dir}" does not exist`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a script file; module files are read on demand from the same directory.
 * @throws Error when the file cannot be read or is not a script
 */
export function loadScript(path: string): LoadedScript {
  const script = JSON.parse(readFileSync(path, 'utf8')) as SpecScript;
  if (!Array.isArray(script.commands)) throw new Error(`Spec script "${path}" has no "commands" list`);
  const dir = dirname(path);
  return {
    name: basename(path, '.json'),
    script,
    readModule: (filename) => new Uint8Array(readFileSync(join(dir, filename))),
  };
}
