// `npm run wasm -- FILE.wasm EXPORT [ARGS...]`: runs one exported function of a module on
// fleetlet's engine and prints its results (or the trap, with its Wasm backtrace).

import { readFileSync } from 'node:fs';
import { DecodeError, ValidationError, LinkError } from './errors.ts';
import { Instance, Module, Store } from './index.ts';
import { ValType, valTypeName } from './types.ts';

function usage(): never {
  console.error('Usage: npm run wasm -- FILE.wasm EXPORT [ARGS...]\n\nRuns EXPORT of FILE.wasm (a module with no imports) and prints its results.');
  process.exit(2);
}

function parseArg(text: string, t: ValType, i: number): unknown {
  const bad = (): never => {
    console.error(`Argument ${i + 1} "${text}" is not a valid ${valTypeName(t)}`);
    process.exit(2);
  };
  switch (t) {
    case ValType.I32: {
      if (!/^-?\d+$/.test(text)) bad();
      return Number(text) | 0;
    }
    case ValType.I64:
      if (!/^-?\d+$/.test(text)) bad();
      return BigInt(text);
    case ValType.F32: case ValType.F64: {
      const n = Number(text);
      if (text.trim() === '' || (Number.isNaN(n) && text !== 'NaN')) bad();
      return n;
    }
    default:
      return bad();
  }
}

function main(argv: string[]): number {
  const [file, name, ...rest] = argv;
  if (file === undefined || name === undefined || file === '--help' || file === '-h') usage();
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    console.error(`Cannot read "${file}": ${(e as Error).message}`);
    return 2;
  }
  let module: Module;
  try {
    module = Module.compile(bytes);
  } catch (e) {
    if (e instanceof DecodeError || e instanceof ValidationError) {
      console.error(`Cannot load "${file}": ${e.message}`);
      return 1;
    }
    throw e;
  }
  const store = new Store();
  let r;
  try {
    r = Instance.instantiate(store, module, {});
  } catch (e) {
    if (e instanceof LinkError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  if (r.kind !== 'done') {
    console.error(r.kind === 'trap' ? `Start function trapped: ${r.trap.describe()}` : r.kind === 'exhausted' ? r.error.message : 'Start function suspended');
    return 1;
  }
  const exp = r.value.exports.get(name);
  if (exp === undefined || !('call' in exp)) {
    console.error(`"${file}" exports no function "${name}"`);
    return 2;
  }
  const params = exp.type.params;
  if (rest.length !== params.length) {
    console.error(`"${name}" takes ${params.length} argument(s) (${params.map(valTypeName).join(', ')}), got ${rest.length}`);
    return 2;
  }
  const args = rest.map((a, i) => parseArg(a, params[i]!, i));
  const t0 = performance.now();
  const out = exp.call(...args);
  const ms = performance.now() - t0;
  if (out.kind === 'trap') {
    console.error(`Trap: ${out.trap.describe()}`);
    return 1;
  }
  if (out.kind === 'exhausted') {
    console.error(`Exhausted: ${out.error.message}`);
    return 1;
  }
  if (out.kind === 'suspended') {
    console.error(`Suspended (${out.reason}): this command runs modules that need no host functions`);
    return 1;
  }
  console.log(out.value.map(String).join(' '));
  console.error(`(${ms.toFixed(1)} ms)`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
