// The official core spec suite as the validator's judge: every assert_invalid module must raise
// ValidationError, every module the scripts instantiate (or expect to fail only at link or
// instantiation time) must validate, with heights that agree with the opcode signatures.
// WASM_SPEC_DIR overrides the default ../shared/wasm-spec.

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeModule } from '../binary/index.ts';
import { DecodeError, ValidationError } from '../errors.ts';
import { infoOf, Op } from '../opcodes.ts';
import type { ModuleAst } from '../types.ts';
import { validateModule } from './index.ts';
import type { ModuleValidation } from './index.ts';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const specDir = process.env['WASM_SPEC_DIR'] ?? resolve(repoRoot, '../shared/wasm-spec');
const coreDir = join(specDir, 'core');

interface Cmd {
  readonly type: string;
  readonly line: number;
  readonly filename?: string;
  readonly module_type?: string;
  readonly text?: string;
}

/** Commands whose binary module must be valid (they may still fail to link or instantiate). */
const MUST_VALIDATE = new Set(['module', 'assert_unlinkable', 'assert_uninstantiable', 'assert_trap']);

interface Tally {
  valid: number;
  invalid: number;
  problems: string[];
}

function checkScript(file: string): Tally {
  const script = JSON.parse(readFileSync(join(coreDir, file), 'utf8')) as { commands: Cmd[] };
  const t: Tally = { valid: 0, invalid: 0, problems: [] };
  for (const c of script.commands) {
    if (c.filename === undefined || c.module_type === 'text') continue;
    const mustValidate = MUST_VALIDATE.has(c.type);
    if (!mustValidate && c.type !== 'assert_invalid') continue;
    const where = `${file.replace(/\.json$/, '.wast')}:${c.line} (${c.filename})`;
    let ast;
    try {
      ast = decodeModule(new Uint8Array(readFileSync(join(coreDir, c.filename))));
    } catch (e) {
      t.problems.push(`${where}: the decoder rejects a module that should ${mustValidate ? 'be valid' : 'decode and be invalid'}: ${String(e)}`);
      continue;
    }
    try {
      const v = validateModule(ast);
      if (mustValidate) {
        t.valid++;
        t.problems.push(...heightProblems(ast, v).map((p) => `${where}: ${p}`));
      }
      else t.problems.push(`${where}: accepted, expected invalid ("${c.text}")`);
    } catch (e) {
      if (!(e instanceof ValidationError) || e instanceof DecodeError) {
        t.problems.push(`${where}: crashed with ${String(e)}`);
      } else if (mustValidate) {
        t.problems.push(`${where}: rejected a valid module: ${e.message}`);
      } else {
        t.invalid++;
      }
    }
  }
  return t;
}

/**
 * Checks the heights of every function against the opcode table's fixed signatures: after a
 * live instruction with a fixed signature (or drop, local.get/set/tee) the next live height must
 * be the height before, minus its params, plus its results; no height may exceed maxHeight.
 */
function heightProblems(ast: ModuleAst, v: ModuleValidation): string[] {
  const out: string[] = [];
  v.funcs.forEach((f, k) => {
    const code = ast.codes[k]!.code;
    for (let i = 0; i < code.length; i++) {
      const h = f.heights[i]!;
      if (h < -1 || h > f.maxHeight) out.push(`function ${k} instruction ${i}: height ${h} outside -1..${f.maxHeight}`);
      if (h < 0 || i + 1 >= code.length) continue;
      const next = code[i + 1]!.op;
      if (next === Op.Else || next === Op.End) continue;
      const op = code[i]!.op;
      const sig = infoOf(op).sig;
      let delta: number | undefined;
      if (sig !== undefined) delta = sig.results.length - sig.params.length;
      else if (op === Op.Drop || op === Op.LocalSet) delta = -1;
      else if (op === Op.LocalGet) delta = 1;
      else if (op === Op.LocalTee) delta = 0;
      if (delta !== undefined && f.heights[i + 1] !== h + delta) {
        out.push(`function ${k} instruction ${i} (${infoOf(op).name}): height ${h}, next ${f.heights[i + 1]}, expected ${h + delta}`);
      }
    }
  });
  return out;
}

const files = readdirSync(coreDir).filter((f) => f.endsWith('.json')).sort();
const totals: Tally = { valid: 0, invalid: 0, problems: [] };

describe('validator on the core spec suite', () => {
  it('finds the 90 core scripts', () => {
    expect(files.length).toBe(90);
  });

  for (const file of files) {
    it(`validates core/${file} as the spec says`, () => {
      const t = checkScript(file);
      totals.valid += t.valid;
      totals.invalid += t.invalid;
      totals.problems.push(...t.problems);
      expect(t.problems).toEqual([]);
    });
  }

  it('judged every binary assert_invalid module and every module that must be valid', () => {
    // The expected counts come from the scripts alone (on the shared data: 1,242 and 1,475).
    let mustValidate = 0;
    let mustFail = 0;
    for (const file of files) {
      const script = JSON.parse(readFileSync(join(coreDir, file), 'utf8')) as { commands: Cmd[] };
      for (const c of script.commands) {
        if (c.filename === undefined || c.module_type === 'text') continue;
        if (MUST_VALIDATE.has(c.type)) mustValidate++;
        else if (c.type === 'assert_invalid') mustFail++;
      }
    }
    console.log(`validator spec suite: ${totals.valid} of ${mustValidate} modules validated, ${totals.invalid} of ${mustFail} assert_invalid rejected, ${totals.problems.length} problems`);
    expect(totals.problems).toEqual([]);
    expect(totals.valid).toBe(mustValidate);
    expect(totals.invalid).toBe(mustFail);
    expect(mustFail).toBeGreaterThan(1000);
  });
});
