// Differential test of the validator against V8: mutants of the core spec modules that fleetlet's
// decoder accepts must get the same valid/invalid verdict from validateModule as from
// `new WebAssembly.Module` (Node's engine, an independent implementation of the same spec).

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeModule } from '../binary/index.ts';
import { ValidationError } from '../errors.ts';
import { validateModule } from './index.ts';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const coreDir = join(process.env['WASM_SPEC_DIR'] ?? resolve(repoRoot, '../shared/wasm-spec'), 'core');

/** Node's own WebAssembly, which the compiler's ES2022 library does not declare. */
const V8 = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;

const MUTANTS = 30_000;

/** Opcodes without immediates: swapping one in keeps most bodies decodable but changes their typing. */
const PLAIN_OPS = [0x00, 0x01, 0x0f, 0x1a, 0x1b, 0xd1, ...Array.from({ length: 0xc4 - 0x45 + 1 }, (_, i) => 0x45 + i)];

/** A small deterministic generator (LCG), so failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

describe('validateModule against V8', () => {
  it(`agrees with WebAssembly.Module on ${MUTANTS} mutated spec modules`, () => {
    const sources = readdirSync(coreDir)
      .filter((f) => f.endsWith('.wasm'))
      .sort()
      .map((f) => new Uint8Array(readFileSync(join(coreDir, f))))
      .filter((b) => b.length > 12);
    const rnd = lcg(20261125);
    let decoded = 0;
    let invalid = 0;
    const disagreements: string[] = [];
    for (let k = 0; k < MUTANTS; k++) {
      const b = sources[Math.floor(rnd() * sources.length)]!.slice();
      const edits = 1 + Math.floor(rnd() * 2);
      for (let j = 0; j < edits; j++) {
        const at = 8 + Math.floor(rnd() * (b.length - 8));
        const how = rnd();
        b[at] = how < 0.4 ? PLAIN_OPS[Math.floor(rnd() * PLAIN_OPS.length)]! : how < 0.7 ? Math.floor(rnd() * 256) : b[at]! ^ (1 << Math.floor(rnd() * 8));
      }
      let ast;
      try {
        ast = decodeModule(b);
      } catch {
        continue;
      }
      decoded++;
      let ours: string | undefined;
      try {
        validateModule(ast);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        ours = e.message;
      }
      let v8: string | undefined;
      try {
        new V8.Module(b);
      } catch (e) {
        v8 = String(e);
      }
      if (ours !== undefined) invalid++;
      if ((ours === undefined) !== (v8 === undefined) && disagreements.length < 10) {
        disagreements.push(`mutant ${k} (${Buffer.from(b).toString('base64')}): fleetlet says ${ours ?? 'valid'}; V8 says ${v8 ?? 'valid'}`);
      }
    }
    console.log(`validator vs V8: ${decoded} of ${MUTANTS} mutants decoded, ${invalid} invalid, ${decoded - invalid} valid, ${disagreements.length} disagreements`);
    expect(disagreements).toEqual([]);
    // The mutants must exercise both verdicts for the agreement to mean something.
    expect(decoded).toBeGreaterThan(MUTANTS / 20);
    expect(invalid).toBeGreaterThan(decoded / 10);
    expect(decoded - invalid).toBeGreaterThan(decoded / 10);
  });
});
