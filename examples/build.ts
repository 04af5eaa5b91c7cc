// Builds fleetlet's example apps: every folder below examples/ holding a fleetlet.app.json and an
// app.ts (AssemblyScript) compiles, with the binding library lib/fleetlet.ts, to the module file
// its descriptor names (examples/build/NAME.wasm); one holding an app.c compiles with clang and
// wasi-libc when they are installed (its module is committed). `npm run examples:build [-- NAME...]`.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_DESCRIPTOR_FILE, modulePath, readAppDescriptor, type AppDescriptor } from '../schemas/app-descriptor.ts';

/** This folder. */
export const EXAMPLES_DIR = import.meta.dirname;
/** Where the examples' modules go (git-ignored). */
export const BUILD_DIR = join(EXAMPLES_DIR, 'build');
/** The AssemblyScript entry file of an app folder. */
export const APP_SOURCE = 'app.ts';
/** The C source of an app folder. */
export const C_SOURCE = 'app.c';

/**
 * How C examples build: wasm32-wasi with Debian's wasi-libc (its headers and libraries live
 * below /usr), optimised, stripped (names cost a quarter of the size); clang's output for one
 * version is byte-for-byte repeatable.
 */
export const CLANG_OPTIONS: readonly string[] = ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-Wl,--strip-all'];

/**
 * The compiler options every example is built with: optimised, the incremental GC runtime, the
 * start function exported as `_initialize` (the host hands the module its memory only after
 * instantiation, so top-level code must run after it: see agent/host/DESIGN.md), and the binding
 * library's abort handler instead of an `env.abort` import the host does not offer.
 */
export const ASC_OPTIONS: readonly string[] = [
  '--optimizeLevel', '3',
  '--shrinkLevel', '1',
  '--runtime', 'incremental',
  '--exportStart', '_initialize',
  '--use', 'abort=lib/fleetlet/fleetletAbort',
  '--noColors',
];

export interface ExampleApp {
  /** The descriptor's app name. */
  readonly name: string;
  readonly dir: string;
  readonly descriptorFile: string;
  readonly descriptor: AppDescriptor;
  readonly language: 'assemblyscript' | 'c';
  /** The AssemblyScript entry file or the C source. */
  readonly source: string;
  /** The module file the descriptor names. */
  readonly output: string;
}

/** A compilation that failed, with the compiler's diagnostics. */
export class BuildError extends Error {
  override readonly name = 'BuildError';
  constructor(
    readonly app: string,
    readonly diagnostics: string,
  ) {
    super(`Cannot build example "${app}": ${diagnostics.trim().split('\n')[0] ?? 'the compiler failed'}`);
  }
}

const SKIP = new Set(['build', 'lib', 'node_modules']);

/**
 * The example apps below `root`, sorted by name.
 * @throws AppDescriptorError for a descriptor that does not parse
 */
export function findExamples(root: string = EXAMPLES_DIR): ExampleApp[] {
  const found: ExampleApp[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    const names = new Set(entries.map((e) => e.name));
    const source = names.has(APP_SOURCE) ? APP_SOURCE : names.has(C_SOURCE) ? C_SOURCE : undefined;
    if (names.has(APP_DESCRIPTOR_FILE) && source !== undefined) {
      const descriptorFile = join(dir, APP_DESCRIPTOR_FILE);
      const descriptor = readAppDescriptor(descriptorFile);
      const language = source === C_SOURCE ? 'c' : 'assemblyscript';
      found.push({ name: descriptor.name, dir, descriptorFile, descriptor, language, source: join(dir, source), output: modulePath(descriptor, descriptorFile) });
    }
    for (const e of entries) if (e.isDirectory() && !SKIP.has(e.name) && !e.name.startsWith('.')) walk(join(dir, e.name));
  };
  walk(root);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** The files an app's module is built from: its folder's .ts files, the library, this script (a C app: its source). */
function sourcesOf(app: ExampleApp): string[] {
  if (app.language === 'c') return [app.source];
  const tsIn = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
  return [...tsIn(app.dir), ...tsIn(join(EXAMPLES_DIR, 'lib')), join(EXAMPLES_DIR, 'build.ts')];
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Whether the app's module is missing or older than a file it is built from. */
export function isStale(app: ExampleApp): boolean {
  let built: number;
  try {
    built = statSync(app.output).mtimeMs;
  } catch {
    return true;
  }
  return sourcesOf(app).some((f) => statSync(f).mtimeMs > built);
}

/** The clang that can build for wasm32-wasi here (`CLANG` overrides), or undefined. */
export function findClang(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'fleetlet-clang-'));
  try {
    for (const cc of [process.env['CLANG'], 'clang-14', 'clang'].filter((c): c is string => c !== undefined && c !== '')) {
      try {
        execFileSync(cc, [...CLANG_OPTIONS, '-x', 'c', '-', '-o', join(dir, 'probe.wasm')], { input: 'int main(void) { return 0; }\n', stdio: ['pipe', 'ignore', 'ignore'] });
        return cc;
      } catch {
        // not installed, or no wasi-libc for it
      }
    }
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeAtomically(file: string, bytes: Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}

function buildC(app: ExampleApp, clang: string): Uint8Array {
  const tmp = `${app.output}.${process.pid}.c.tmp`;
  try {
    execFileSync(clang, [...CLANG_OPTIONS, '-o', tmp, app.source], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new BuildError(app.name, String((e as { stderr?: Buffer }).stderr ?? (e as Error).message));
  }
  renameSync(tmp, app.output);
  return new Uint8Array(readFileSync(app.output));
}

/**
 * Compiles one app to its output file (written to a temporary name, then renamed, so a reader
 * never sees half a module and two builds at once do not clash). A C app needs `clang`.
 * @throws BuildError with the compiler's diagnostics, or saying clang is missing
 */
export async function buildExample(app: ExampleApp, clang: string | undefined = app.language === 'c' ? findClang() : undefined): Promise<Uint8Array> {
  if (app.language === 'c') {
    if (clang === undefined) throw new BuildError(app.name, 'clang with wasi-libc was not found (Debian: clang lld wasi-libc libclang-rt-14-dev-wasm32)');
    return buildC(app, clang);
  }
  const { default: asc } = await import('assemblyscript/asc');
  let binary: Uint8Array | undefined;
  let diagnostics = '';
  const stream = { write: (chunk: Uint8Array | string): void => void (diagnostics += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')) };
  const result = await asc.main([relative(EXAMPLES_DIR, app.source), '--baseDir', EXAMPLES_DIR, '--outFile', 'out.wasm', ...ASC_OPTIONS], {
    stdout: stream,
    stderr: stream,
    writeFile: (name, contents) => {
      if (name.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
    },
  });
  if (result.error !== null || binary === undefined) throw new BuildError(app.name, diagnostics || String(result.error?.message));
  writeAtomically(app.output, binary);
  return binary;
}

/** Whether a build lock was left by a process that is gone (or is older than ten minutes). */
function lockHolderGone(lock: string): boolean {
  let pid: number;
  try {
    if (Date.now() - statSync(lock).mtimeMs > 10 * 60_000) return true;
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    return false; // released meanwhile, or its holder has not written its pid yet
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A lock (a folder made atomically) held while building, so test files started together build once. */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const lock = join(BUILD_DIR, '.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (lockHolderGone(lock)) rmSync(lock, { recursive: true, force: true }); // left by a killed build
      else await delay(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds the named apps (default: all) whose module is missing or stale; returns them all. A C
 * app keeps its committed module unless clang is installed to rebuild it.
 * @throws BuildError; Error naming an app that does not exist
 */
export async function ensureBuilt(names?: readonly string[]): Promise<ExampleApp[]> {
  const all = findExamples();
  const picked = names === undefined ? all : names.map((n) => {
    const a = all.find((x) => x.name === n);
    if (a === undefined) throw new Error(`There is no example app "${n}": the examples are ${all.map((x) => `"${x.name}"`).join(', ')}`);
    return a;
  });
  const clang = picked.some((a) => a.language === 'c' && isStale(a)) ? findClang() : undefined;
  const needed = (a: ExampleApp): boolean => isStale(a) && (a.language !== 'c' || clang !== undefined || !exists(a.output));
  if (picked.some(needed)) {
    await withBuildLock(async () => {
      for (const app of picked) if (needed(app)) await buildExample(app, clang);
    });
  }
  return picked;
}

async function cli(argv: readonly string[]): Promise<number> {
  const all = findExamples();
  const names = argv.filter((a) => a !== '--');
  const picked = names.length === 0 ? all : all.filter((a) => names.includes(a.name));
  const unknown = names.filter((n) => !all.some((a) => a.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`examples:build: no example app ${unknown.map((n) => `"${n}"`).join(', ')}; the examples are ${all.map((a) => a.name).join(', ')}\n`);
    return 2;
  }
  const clang = picked.some((a) => a.language === 'c') ? findClang() : undefined;
  for (const app of picked) {
    if (app.language === 'c' && clang === undefined) {
      process.stdout.write(`skipped ${app.name}: clang with wasi-libc not found (Debian: clang lld wasi-libc libclang-rt-14-dev-wasm32); the committed ${relative(process.cwd(), app.output)} stays\n`);
      continue;
    }
    try {
      const bytes = await buildExample(app, clang);
      process.stdout.write(`built ${app.name} -> ${relative(process.cwd(), app.output)} (${bytes.length} bytes)\n`);
    } catch (e) {
      if (!(e instanceof BuildError)) throw e;
      process.stderr.write(`examples:build: ${e.message}\n${e.diagnostics}\n`);
      return 1;
    }
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await cli(process.argv.slice(2));
}
