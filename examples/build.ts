// Builds fleetlet's example apps: every folder below examples/ holding a fleetlet.app.json and an
// app.ts (AssemblyScript) compiles, with the binding library lib/fleetlet.ts, to the module file
// its descriptor names (examples/build/NAME.wasm). `npm run examples:build [-- NAME...]`.

import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  /** The AssemblyScript entry file. */
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
    if (names.has(APP_DESCRIPTOR_FILE) && names.has(APP_SOURCE)) {
      const descriptorFile = join(dir, APP_DESCRIPTOR_FILE);
      const descriptor = readAppDescriptor(descriptorFile);
      found.push({ name: descriptor.name, dir, descriptorFile, descriptor, source: join(dir, APP_SOURCE), output: modulePath(descriptor, descriptorFile) });
    }
    for (const e of entries) if (e.isDirectory() && !SKIP.has(e.name) && !e.name.startsWith('.')) walk(join(dir, e.name));
  };
  walk(root);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** The files an app's module is built from: its folder's .ts files, the library, this script. */
function sourcesOf(app: ExampleApp): string[] {
  const tsIn = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
  return [...tsIn(app.dir), ...tsIn(join(EXAMPLES_DIR, 'lib')), join(EXAMPLES_DIR, 'build.ts')];
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

/**
 * Compiles one app to its output file (written to a temporary name, then renamed, so a reader
 * never sees half a module and two builds at once do not clash).
 * @throws BuildError with the compiler's diagnostics
 */
export async function buildExample(app: ExampleApp): Promise<Uint8Array> {
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
  mkdirSync(dirname(app.output), { recursive: true });
  const tmp = `${app.output}.${process.pid}.tmp`;
  writeFileSync(tmp, binary);
  renameSync(tmp, app.output);
  return binary;
}

/** A lock (a folder made atomically) held while building, so test files started together build once. */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const lock = join(BUILD_DIR, '.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > 10 * 60_000) rmSync(lock, { recursive: true, force: true }); // left by a killed build
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
 * Builds the named apps (default: all) whose module is missing or stale; returns them all.
 * @throws BuildError; Error naming an app that does not exist
 */
export async function ensureBuilt(names?: readonly string[]): Promise<ExampleApp[]> {
  const all = findExamples();
  const picked = names === undefined ? all : names.map((n) => {
    const a = all.find((x) => x.name === n);
    if (a === undefined) throw new Error(`There is no example app "${n}": the examples are ${all.map((x) => `"${x.name}"`).join(', ')}`);
    return a;
  });
  if (picked.some(isStale)) {
    await withBuildLock(async () => {
      for (const app of picked) if (isStale(app)) await buildExample(app);
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
  for (const app of picked) {
    try {
      const bytes = await buildExample(app);
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
