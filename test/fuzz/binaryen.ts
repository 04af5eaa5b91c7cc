// Random valid WebAssembly modules from binaryen's translate-to-fuzz mode (Debian wasm-opt 108),
// one per seed, cached in the OS temp folder by seed and wasm-opt version so reruns cost nothing.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng } from './prng.ts';

/** Wasm 2.0 features without reference types, which the differential fuzzer compares. */
export const FEATURE_FLAGS = [
  '--enable-sign-ext',
  '--enable-mutable-globals',
  '--enable-bulk-memory',
  '--enable-multivalue',
  '--enable-nontrapping-float-to-int',
] as const;

// Debian's binaryen 108 is the reference generator. npm scripts put node_modules/.bin first on
// the PATH, where the assemblyscript toolchain's own wasm-opt (a much slower build of another
// version) would shadow it, so the Debian binary is named by its path when it exists.
export const WASM_OPT = process.env['WASM_OPT'] ?? (existsSync('/usr/bin/wasm-opt') ? '/usr/bin/wasm-opt' : 'wasm-opt');

let versionCache: string | undefined;

/** The wasm-opt version line (e.g. "wasm-opt version 108"), or "missing" when it cannot run. */
export function wasmOptVersion(): string {
  if (versionCache === undefined) {
    const r = spawnSync(WASM_OPT, ['--version'], { encoding: 'utf8' });
    versionCache = r.status === 0 ? r.stdout.trim() : 'missing';
  }
  return versionCache;
}

/** The random input bytes for a seed: 4 to 16 KiB. */
export function randomInput(seed: number): Uint8Array {
  const rng = new Prng(seed, 0xb1a5);
  return rng.bytes(rng.range(4096, 16384));
}

export type Generated =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly reason: string };

function cacheDir(): string {
  const key = createHash('sha1').update(`${wasmOptVersion()}\n${FEATURE_FLAGS.join(' ')}\nv1`).digest('hex').slice(0, 12);
  const dir = join(process.env['FLEETLET_FUZZ_CACHE'] ?? join(tmpdir(), 'fleetlet-fuzz'), `binaryen-${key}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function runWasmOpt(args: string[]): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync(WASM_OPT, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { ok: false, reason: `Cannot run wasm-opt: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `wasm-opt exited with "${r.status}": ${(r.stderr || '').trim().split('\n')[0] ?? ''}` };
  return { ok: true };
}

function cached(path: string, make: (out: string) => Generated): Generated {
  const failPath = `${path}.fail`;
  if (existsSync(path)) return { ok: true, bytes: new Uint8Array(readFileSync(path)) };
  if (existsSync(failPath)) return { ok: false, reason: readFileSync(failPath, 'utf8') };
  const tmpOut = `${path}.${process.pid}.out.wasm`;
  const made = make(tmpOut);
  if (made.ok) renameSync(tmpOut, path);
  else {
    writeAtomic(failPath, made.reason);
    rmSync(tmpOut, { force: true });
  }
  return made;
}

/** The translate-to-fuzz module of a seed (wasm-opt -ttf with `FEATURE_FLAGS`). */
export function generateModule(seed: number): Generated {
  const dir = cacheDir();
  return cached(join(dir, `${seed}.wasm`), (out) => {
    const input = join(dir, `${seed}.${process.pid}.in.bin`);
    writeFileSync(input, randomInput(seed));
    try {
      const r = runWasmOpt([input, '-ttf', ...FEATURE_FLAGS, '-o', out]);
      return r.ok ? { ok: true, bytes: new Uint8Array(readFileSync(out)) } : r;
    } finally {
      rmSync(input, { force: true });
    }
  });
}

/**
 * The same module instrumented by binaryen's `--denan` pass (every float NaN becomes 0 at run
 * time), to tell NaN bit patterns, which the spec leaves open, apart from real differences.
 */
export function denanModule(bytes: Uint8Array): Generated {
  const dir = cacheDir();
  const key = createHash('sha1').update(bytes).digest('hex');
  return cached(join(dir, `denan-${key}.wasm`), (out) => {
    const input = join(dir, `denan-${key}.${process.pid}.in.wasm`);
    writeFileSync(input, bytes);
    try {
      const r = runWasmOpt([input, '--denan', ...FEATURE_FLAGS, '-o', out]);
      return r.ok ? { ok: true, bytes: new Uint8Array(readFileSync(out)) } : r;
    } finally {
      rmSync(input, { force: true });
    }
  });
}
