// `npm run spec`: runs the official core spec scripts on fleetlet's engine (or on V8, to prove
// the runner) and prints one line per script and a total; exit status 1 when anything failed.

import type { SpecEngine } from './adapter.ts';
import { fleetletEngine } from './fleetlet-adapter.ts';
import { failureLine, runFiles, scriptLine, summaryLine } from './runner.ts';
import { defaultSpecDir, listScripts, scriptsFolder } from './script.ts';
import { v8Engine } from './v8-adapter.ts';

const USAGE = `usage: npm run spec -- [--engine fleetlet|v8] [--dir PATH] [--fail-details] [SCRIPT ...]
  --engine        engine to test (default fleetlet)
  --dir PATH      folder of spec scripts, or the wasm-spec folder holding core/
                  (default: $WASM_SPEC_DIR, same meaning, else ../shared/wasm-spec/core beside the repository)
  --fail-details  print each failure (script, line, command, what happened)
  SCRIPT          a script name in that folder (i32, i32.json) or a path; default: every script`;

const ENGINES: Readonly<Record<string, SpecEngine>> = { fleetlet: fleetletEngine, v8: v8Engine };

interface Options {
  readonly engine: SpecEngine;
  readonly dir: string;
  readonly failDetails: boolean;
  readonly selectors: readonly string[];
}

/** @throws Error with a usage message on a bad argument */
function parseArgs(argv: readonly string[]): Options | 'help' {
  let engine = fleetletEngine;
  let dir = defaultSpecDir();
  let failDetails = false;
  const selectors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`Option "${flag}" needs a value`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--engine': {
        const name = value();
        const e = ENGINES[name];
        if (e === undefined) throw new Error(`Unknown engine "${name}": use ${Object.keys(ENGINES).map((n) => `"${n}"`).join(' or ')}`);
        engine = e;
        break;
      }
      case '--dir':
        dir = scriptsFolder(value());
        break;
      case '--fail-details':
        failDetails = true;
        break;
      default:
        if (flag.startsWith('-')) throw new Error(`Unknown option "${flag}"`);
        selectors.push(arg);
    }
  }
  return { engine, dir, failDetails, selectors };
}

function main(): number {
  let options: Options | 'help';
  let files: string[];
  try {
    options = parseArgs(process.argv.slice(2));
    if (options === 'help') {
      console.log(USAGE);
      return 0;
    }
    files = listScripts(options.dir, options.selectors);
  } catch (e) {
    console.error(`spec: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  const { engine, failDetails } = options;
  const started = Date.now();
  const summary = runFiles(engine, files, (r) => {
    console.log(scriptLine(r));
    if (failDetails) for (const f of r.failures) console.log(`  ${failureLine(f)}`);
  });
  console.error(`engine ${engine.name}, ${files.length} scripts, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(summaryLine(summary));
  return summary.failed > 0 ? 1 : 0;
}

process.exitCode = main();
