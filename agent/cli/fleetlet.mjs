#!/usr/bin/env node
// The `fleetlet` executable (package.json "bin"): registers tsx's loader so Node runs the TypeScript sources directly,
// then starts agent/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
