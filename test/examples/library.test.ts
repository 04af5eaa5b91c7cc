// The AssemblyScript binding library and the built examples against the host's own tables: every
// import the library declares has the type schemas/host-imports.ts gives it, the library covers
// every fleetlet:host/v1 function, its statuses are the host's, and each example module passes
// the checks `fleetlet sign` makes (known imports of the right type, capabilities declared,
// the exports its kind needs) and imports only what it uses; and the library's own self-checks
// (examples/checks/lib-check) all pass when run by the host.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkModule } from '../../agent/cli/sign.ts';
import { STATUS } from '../../agent/host/status.ts';
import { Module } from '../../agent/wasm/index.ts';
import { EXAMPLES_DIR, findExamples } from '../../examples/build.ts';
import { HOST_IMPORTS, HOST_MODULE, findHostImport } from '../../schemas/host-imports.ts';
import { BUILD_TIMEOUT_MS, buildExamples, built, example, fleetlet } from './_kit.ts';

const LIB = readFileSync(`${EXAMPLES_DIR}/lib/fleetlet.ts`, 'utf8');

/** AssemblyScript's types as WebAssembly value types (wasm32: pointers and sizes are i32). */
const WASM_TYPE: Readonly<Record<string, string>> = { i32: 'i32', u32: 'i32', usize: 'i32', bool: 'i32', i64: 'i64', u64: 'i64', f32: 'f32', f64: 'f64' };

interface Declared {
  module: string;
  name: string;
  params: string[];
  results: string[];
}

function declaredImports(text: string): Declared[] {
  const re = /@external\("([^"]+)", "([^"]+)"\)\s*declare function \w+\(([^)]*)\): (\w+);/g;
  return [...text.matchAll(re)].map((m) => ({
    module: m[1]!,
    name: m[2]!,
    params: m[3]!.trim() === '' ? [] : m[3]!.split(',').map((p) => WASM_TYPE[p.split(':')[1]!.trim()] ?? `unknown ${p}`),
    results: m[4] === 'void' ? [] : [WASM_TYPE[m[4]!] ?? `unknown ${m[4]}`],
  }));
}

describe('the binding library lib/fleetlet.ts', () => {
  const declared = declaredImports(LIB);

  it('declares each import with the type of the host import table', () => {
    expect(declared.length).toBe((LIB.match(/@external\(/g) ?? []).length); // every declaration was read
    for (const d of declared) {
      const row = findHostImport(d.module, d.name);
      expect(row, `${d.module} ${d.name}`).toBeDefined();
      expect({ params: d.params, results: d.results }, d.name).toEqual({ params: row!.params, results: row!.results });
    }
  });

  it('binds every function of fleetlet:host/v1', () => {
    const bound = new Set(declared.filter((d) => d.module === HOST_MODULE).map((d) => d.name));
    expect(HOST_IMPORTS.filter((h) => h.module === HOST_MODULE && !bound.has(h.name)).map((h) => h.name)).toEqual([]);
  });

  it('has the host\'s statuses, values and names', () => {
    const consts = Object.fromEntries([...LIB.matchAll(/export const STATUS_(\w+): i32 = (-?[0-9]+);/g)].map((m) => [m[1]!, Number(m[2])]));
    const names = [.../const STATUS_NAMES: string\[\] = \[([^\]]*)\]/.exec(LIB)![1]!.matchAll(/"(\w+)"/g)].map((m) => m[1]);
    const host = Object.values(STATUS).sort((a, b) => b.value - a.value);
    expect(consts).toEqual({ OK: 0, ...Object.fromEntries(host.map((s) => [s.name.slice(2), s.value])) });
    expect(names).toEqual(host.map((s) => s.name)); // statusName(-k) is names[k - 1]
  });
});

describe('the example modules', () => {
  beforeAll(buildExamples, BUILD_TIMEOUT_MS);

  it.each(findExamples().map((a) => [a.name, a] as const))('%s passes the checks of fleetlet sign', (_name, app) => {
    const bytes = new Uint8Array(readFileSync(app.output));
    expect(() => checkModule(bytes, app.descriptor, app.output)).not.toThrow();
  });

  it('import only what they use, so an app needs no capability it does not exercise', () => {
    const importsOf = (name: string): string[] => {
      const app = findExamples().find((a) => a.name === name)!;
      return Module.compile(new Uint8Array(readFileSync(app.output))).ast.imports.map((i) => i.name).sort();
    };
    expect(importsOf('thermostat')).toEqual(['environ_get', 'environ_sizes_get', 'gpio_config', 'gpio_write', 'log', 'publish', 'sensor_read']);
    expect(importsOf('spin')).toEqual(['log']);
    expect(importsOf('gps-logger').filter((n) => n.startsWith('gpio') || n.startsWith('sensor') || n.startsWith('kv'))).toEqual([]);
  });
});

describe('the library\'s self-checks under fleetlet run', () => {
  beforeAll(buildExamples, BUILD_TIMEOUT_MS);

  it('passes every check: formatting, statuses, settings, key-value round trips, sleep, binary publish', async () => {
    const run = await fleetlet(['run', built('lib-check'), '--app', example('checks/lib-check', 'fleetlet.app.json'), '--ticks', '1']);
    expect(run.code, run.err.join('\n')).toBe(0);
    const said = run.err.flatMap((l) => /\] lib-check (?:info|error): (.*)$/.exec(l)?.[1] ?? []);
    expect(said.filter((t) => t.startsWith('FAIL'))).toEqual([]);
    expect(said.filter((t) => t.startsWith('ok ')).map((t) => t.slice(3))).toEqual([
      'formatFixed 6 digits', 'formatFixed negative', 'formatFixed rounds to zero without a sign', 'formatFixed no digits', 'formatFixed NaN',
      'statusName E_DENIED', 'statusName E_CLOSED', 'statusName count', 'statusName unknown',
      'setting with = in its value', 'setting absent', 'settingNumber', 'settingNumber not a number',
      'kvSet', 'kvGet longer than its first buffer', 'kvGet missing', 'kvDelete', 'sleep', 'publishBytes',
    ]);
    expect(said.at(-1)).toBe('all checks passed');
    expect(run.err).toContainEqual(expect.stringMatching(/\] lib-check publish bytes <4 bytes: 000102ff>$/));
  });
});
