// Runs the decoder over every binary module of the official core spec suite, then over truncated
// and bit-flipped copies of them, checking that DecodeError is the only way it ever fails and
// that it never rejects a mutant that V8 validates (outside features beyond WebAssembly 2.0).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.ts';
import { decodeModule } from './index.ts';

/** Node's own WebAssembly, which the compiler's ES2022 library does not declare. */
const v8 = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const specDir = process.env['WASM_SPEC_DIR'] ?? resolve(repoRoot, '../shared/wasm-spec');
const coreDir = resolve(specDir, 'core');

interface Case {
  readonly script: string;
  readonly line: number;
  readonly type: string;
  readonly file: string;
  readonly text: string | undefined;
}

function binaryCases(): Case[] {
  const out: Case[] = [];
  for (const f of readdirSync(coreDir).filter((n) => n.endsWith('.json')).sort()) {
    const script = JSON.parse(readFileSync(resolve(coreDir, f), 'utf8')) as { commands: { type: string; line: number; filename?: string; text?: string }[] };
    for (const c of script.commands) {
      if (c.filename === undefined || !c.filename.endsWith('.wasm')) continue;
      out.push({ script: f, line: c.line, type: c.type, file: c.filename, text: c.text });
    }
  }
  return out;
}

function load(file: string): Uint8Array {
  return new Uint8Array(readFileSync(resolve(coreDir, file)));
}

/** What decoding did: 'ok', 'decode-error', or the unexpected error's description. */
function outcome(bytes: Uint8Array): string {
  lastWhat = '';
  try {
    decodeModule(bytes);
    return 'ok';
  } catch (e) {
    if (e instanceof DecodeError) {
      lastWhat = e.what;
      return 'decode-error';
    }
    return `unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
}

/** The `what` of the DecodeError the last `outcome` call saw. */
let lastWhat = '';

/**
 * Features Node 20's V8 accepts that fleetlet's WebAssembly 2.0 subset does not: exception
 * handling (opcodes 0x06..0x09, 0x18, 0x19, the tag section 13), tail calls (0x12, 0x13),
 * threads (0xfe, shared memory limits flags 0x02/0x03) and SIMD. A mutant V8 validates may
 * fail to decode only for one of these.
 */
const beyondWasm2 = /^Illegal opcode "0x(06|07|08|09|12|13|18|19|fe)|SIMD|^Malformed section id "13"|limits flags "0x0[23]"/;

/** A small deterministic generator (mulberry32), so any failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.skipIf(!existsSync(coreDir))(`spec suite binary modules (${coreDir})`, () => {
  const cases = existsSync(coreDir) ? binaryCases() : [];

  it('decodes every binary module that is not assert_malformed', () => {
    const wellFormed = cases.filter((c) => c.type !== 'assert_malformed');
    const failures = wellFormed
      .map((c) => ({ c, got: outcome(load(c.file)) }))
      .filter(({ got }) => got !== 'ok')
      .map(({ c, got }) => `${c.file} (${c.script}:${c.line} ${c.type}): ${got}`);
    expect(failures).toEqual([]);
    // The suite at the pinned commit holds 1,125 module, 1,475 assert_invalid, 83 assert_unlinkable
    // and 34 assert_uninstantiable binary modules.
    expect(wellFormed.length).toBeGreaterThanOrEqual(2717);
    console.log(`decoded ${wellFormed.length} well-formed spec modules`);
  });

  it('rejects every binary assert_malformed module with DecodeError', () => {
    const malformed = cases.filter((c) => c.type === 'assert_malformed');
    const failures = malformed
      .map((c) => ({ c, got: outcome(load(c.file)) }))
      .filter(({ got }) => got !== 'decode-error')
      .map(({ c, got }) => `${c.file} (${c.script}:${c.line}, expected "${c.text}"): ${got}`);
    expect(failures).toEqual([]);
    expect(malformed.length).toBeGreaterThanOrEqual(736);
    console.log(`rejected ${malformed.length} malformed spec modules`);
  });

  it('throws only DecodeError on truncated and bit-flipped spec modules', () => {
    const next = rng(0xf1ee7);
    const files = [...new Set(cases.map((c) => c.file))].sort();
    const sample = files.filter(() => next() < 400 / files.length);
    const problems: string[] = [];
    let tried = 0;
    let v8Valid = 0;
    const check = (what: string, bytes: Uint8Array) => {
      tried++;
      const got = outcome(bytes);
      if (got !== 'ok' && got !== 'decode-error') problems.push(`${what}: ${got}`);
      // Differential check against V8: what it validates, the decoder must not call malformed.
      if (v8.validate(bytes)) {
        v8Valid++;
        if (got === 'decode-error' && !beyondWasm2.test(lastWhat)) problems.push(`${what}: V8 validates it, decoder says ${lastWhat}`);
      }
    };
    for (const file of sample) {
      const bytes = load(file);
      for (let k = 0; k < 8; k++) {
        const cut = Math.floor(next() * bytes.length);
        check(`${file} cut at ${cut}`, bytes.subarray(0, cut));
      }
      for (let k = 0; k < 24; k++) {
        const copy = bytes.slice();
        const flips = 1 + Math.floor(next() * 3);
        const where: number[] = [];
        for (let f = 0; f < flips; f++) {
          const i = 8 + Math.floor(next() * Math.max(1, copy.length - 8));
          if (i >= copy.length) continue;
          copy[i] ^= 1 << Math.floor(next() * 8);
          where.push(i);
        }
        check(`${file} flipped at ${where.join(',')}`, copy);
      }
      for (let k = 0; k < 4; k++) {
        const copy = bytes.slice();
        const i = 8 + Math.floor(next() * Math.max(1, copy.length - 8));
        if (i < copy.length) copy[i] = [0x00, 0x7f, 0x80, 0xff][k];
        check(`${file} byte ${i} set to ${copy[i]}`, copy);
      }
    }
    expect(problems).toEqual([]);
    expect(sample.length).toBeGreaterThan(200);
    console.log(`mutated ${sample.length} spec modules into ${tried} inputs, ${v8Valid} of them valid for V8`);
  });
});
