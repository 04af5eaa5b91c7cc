// How the fleet simulator starts its workers: worker.ts bundled once per process by esbuild into one ES module that
// plain node runs (fast start, no TypeScript loader in memory), or, when esbuild is not installed, the TypeScript
// source under tsx's loader.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

let built: Promise<{ file: string; execArgv: string[] }> | undefined;

export function workerEntry(): Promise<{ file: string; execArgv: string[] }> {
  built ??= (async () => {
    const source = join(import.meta.dirname, 'worker.ts');
    try {
      const { build } = await import('esbuild');
      // inside fleetlet's own node_modules, so the bundle's package imports resolve whatever the caller's folder
      const outDir = join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'fleetlet-fleet-sim');
      await mkdir(outDir, { recursive: true });
      const file = join(outDir, `worker-${process.pid}.mjs`);
      await build({ entryPoints: [source], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: file, logLevel: 'error' });
      return { file, execArgv: [] };
    } catch {
      return { file: source, execArgv: ['--import', 'tsx'] };
    }
  })();
  return built;
}
