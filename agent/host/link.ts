// Linking a module to the host: every import is checked against the host import table
// (schemas/host-imports.ts) and the app's grants before anything runs, and the import object
// holds only what the module imports, each function wrapped with its call counting and rate limit.

import { findHostImport, signature, WASI_MODULE, type HostImport, type WasmNumType } from '../../schemas/host-imports.ts';
import { hostFunc, type HostFn } from '../wasm/api.ts';
import { LinkError } from '../wasm/errors.ts';
import type { Imports } from '../wasm/instance.ts';
import type { Module } from '../wasm/module.ts';
import { ValType, type FuncType } from '../wasm/types.ts';
import { CORE_DEFS } from './fns-core.ts';
import { GPIO_DEFS } from './fns-gpio.ts';
import { KV_DEFS } from './fns-kv.ts';
import { SENSOR_DEFS } from './fns-sensor.ts';
import { SERIAL_DEFS } from './fns-serial.ts';
import { Grants } from './grants.ts';
import type { HostDef } from './host-def.ts';
import type { HostContext } from './host-context.ts';
import { ERRNO, STATUS } from './status.ts';
import { POLL_DEFS } from './wasi-poll.ts';
import { WASI_DEFS } from './wasi.ts';

/** Every function fleetlet implements, one per row of the host import table. */
export const HOST_DEFS: readonly HostDef[] = [...CORE_DEFS, ...SENSOR_DEFS, ...GPIO_DEFS, ...SERIAL_DEFS, ...KV_DEFS, ...WASI_DEFS, ...POLL_DEFS];

const key = (module: string, name: string): string => `${module}\u0000${name}`;
const DEFS = new Map(HOST_DEFS.map((d) => [key(d.module, d.name), d]));

/** The implementation facts of an import, or undefined. */
export function findHostDef(module: string, name: string): HostDef | undefined {
  return DEFS.get(key(module, name));
}

const CODE: Readonly<Record<WasmNumType, ValType>> = { i32: ValType.I32, i64: ValType.I64, f32: ValType.F32, f64: ValType.F64 };

/** A table row's WebAssembly type. */
export function funcTypeOf(row: HostImport): FuncType {
  return { params: row.params.map((t) => CODE[t]), results: row.results.map((t) => CODE[t]) };
}

function sameType(a: FuncType, b: FuncType): boolean {
  const eq = (x: readonly number[], y: readonly number[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.params, b.params) && eq(a.results, b.results);
}

/** Wraps an implementation with call counting and, for "refuse" functions, the call rate limit. */
function wrap(def: HostDef, ctx: HostContext): HostFn {
  const impl = def.make(ctx);
  const name = def.name;
  if (def.rate !== 'refuse') {
    return (...args) => {
      ctx.count(name);
      return impl(...args);
    };
  }
  const limited = def.module === WASI_MODULE ? ERRNO.again : STATUS.rateLimited.value;
  return (...args) => {
    ctx.count(name);
    if (!ctx.takeCall(name)) return limited;
    return impl(...args);
  };
}

/**
 * The import object for `module`, built from the app's host context.
 * @throws LinkError "unknown-import" for an import the host does not offer (any non-function
 *   import too), "incompatible-import" for a known function of another type,
 *   "capability-denied" for a function whose capability kind the app was not granted (the
 *   message names the import and the capability)
 */
export function linkHost(module: Module, ctx: HostContext): Imports {
  const out: Record<string, Record<string, ReturnType<typeof hostFunc>>> = {};
  for (const imp of module.ast.imports) {
    if (imp.desc.kind !== 'func') throw new LinkError('unknown-import', imp.module, imp.name, `the host offers no ${imp.desc.kind} imports`);
    const row = findHostImport(imp.module, imp.name);
    const def = findHostDef(imp.module, imp.name);
    if (row === undefined || def === undefined) throw new LinkError('unknown-import', imp.module, imp.name, 'the host offers no such function');
    const type = funcTypeOf(row);
    if (!sameType(type, module.ast.types[imp.desc.typeIndex]!)) {
      throw new LinkError('incompatible-import', imp.module, imp.name, `the host function has type ${signature(row)}`);
    }
    if (row.capability !== null) {
      const why = ctx.grants.missing(row.capability);
      if (why !== undefined) {
        const cap = `"${Grants.syntax(row.capability)}"`;
        throw new LinkError(
          'capability-denied',
          imp.module,
          imp.name,
          why === 'not-declared'
            ? `it needs a ${cap} capability, which the manifest does not declare`
            : `it needs a ${cap} capability, which the device policy does not grant (declared: ${ctx.grants.refused.filter((c) => c.kind === row.capability).map((c) => `"${c.text}"`).join(', ')})`,
        );
      }
    }
    (out[imp.module] ??= {})[imp.name] = hostFunc(type, wrap(def, ctx), { name: imp.name });
  }
  return out;
}
