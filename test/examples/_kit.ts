// Helpers for the example-app tests (private to test/examples): paths of the examples, building
// them once, and running `fleetlet run` in process with its output captured.

import { join, resolve } from 'node:path';
import { main } from '../../agent/cli/main.ts';
import { EXAMPLES_DIR, ensureBuilt } from '../../examples/build.ts';

export const REPO = resolve(import.meta.dirname, '../..');
export const BENCH = resolve(process.env['FLEETLET_BENCH'] ?? join(REPO, '../shared/bench'));

/** The folder of an example app, relative to examples/. */
export const example = (dir: string, file = ''): string => join(EXAMPLES_DIR, dir, file);
/** The module an example app builds to. */
export const built = (name: string): string => join(EXAMPLES_DIR, 'build', `${name}.wasm`);

/** How long a test file may wait for the examples to build (asc takes minutes on a loaded 2-core machine). */
export const BUILD_TIMEOUT_MS = 600_000;

/** Builds every example whose module is missing or stale (once for all test files: a lock). */
export async function buildExamples(): Promise<void> {
  await ensureBuilt();
}

export interface CliRun {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

/** `fleetlet ARGS` in this process, its stdout and stderr lines captured. */
export async function fleetlet(args: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** A printed line's time stamp in ms ("[    6.000s] ..." -> 6000), or NaN. */
export function stampOf(line: string): number {
  const m = /^\[\s*([0-9]+\.[0-9]{3})s\] /.exec(line);
  return m === null ? NaN : Math.round(Number(m[1]) * 1000);
}

/** The GPIO lines of a run as [ms, line, value]: "[    6.000s] gpio relay (pin 17) -> 1". */
export function gpioChanges(err: readonly string[]): [number, string, string][] {
  return err.flatMap((l) => {
    const m = /\] gpio (\S+)(?: \(pin [0-9]+\))? -> (\S+)$/.exec(l);
    return m === null ? [] : [[stampOf(l), m[1]!, m[2]!] as [number, string, string]];
  });
}

/** The payloads an app published on a subtopic, in order. */
export function published(err: readonly string[], app: string, subtopic: string): { atMs: number; payload: string }[] {
  const tag = `] ${app} publish ${subtopic} `;
  return err.filter((l) => l.includes(tag)).map((l) => ({ atMs: stampOf(l), payload: l.slice(l.indexOf(tag) + tag.length) }));
}
