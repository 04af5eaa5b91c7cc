// `npm run build:agent`: the `fleetlet` command as one JavaScript file for devices (agent/build/out/fleetlet.mjs), so
// the agent starts with plain `node` and no TypeScript loader: tsx's loader and its on-the-fly transforms cost a
// device memory and start time for nothing. Everything is bundled except serialport (a native addon, installed with
// npm on the device beside the file). See DESIGN.md for the choices.

import { build, type BuildOptions } from 'esbuild';
import { join, relative } from 'node:path';

const REPO = join(import.meta.dirname, '../..');
/** Where the build goes (git-ignored by agent/build/.gitignore). */
export const AGENT_BUILD_DIR = join(import.meta.dirname, 'out');
/** The file the systemd unit runs. */
export const AGENT_BUNDLE = join(AGENT_BUILD_DIR, 'fleetlet.mjs');

/** Packages left out of the bundle: native addons, loaded from node_modules at run time. */
export const EXTERNAL = ['serialport', '@serialport/*'] as const;

/** esbuild's options for the device bundle (the bench builds with these too, so it measures what devices run). */
export function agentBuildOptions(outfile: string = AGENT_BUNDLE): BuildOptions {
  return {
    // main.ts runs main() when it is the file node was started with, which the bundle then is.
    entryPoints: [join(REPO, 'agent/cli/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    external: [...EXTERNAL],
    // Bundled CommonJS packages (mqtt's dependencies) call require() for Node's own modules.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __fleetletRequire } from 'node:module';\nconst require = __fleetletRequire(import.meta.url);" },
    // Without comments and indentation the source V8 keeps for the process's life is about a third as long, and
    // all ASCII (one byte a character: one non-ASCII character in a comment makes V8 store all of it in two).
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'error',
  };
}

/** Builds the device bundle; resolves to its size in bytes. */
export async function buildAgent(outfile: string = AGENT_BUNDLE): Promise<number> {
  const r = await build({ ...agentBuildOptions(outfile), metafile: true });
  return Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const bytes = await buildAgent();
  process.stdout.write(`${relative(process.cwd(), AGENT_BUNDLE)}: ${(bytes / 1024).toFixed(0)} KiB\n`);
}
