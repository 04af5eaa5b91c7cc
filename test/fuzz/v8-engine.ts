// Node's built-in WebAssembly (V8) as a reference engine for fleetlet's differential fuzzer. Values
// never cross the JavaScript boundary as floats: small wrapper modules pass float bit patterns as
// integers, so NaN payloads survive (a JS number round-trip may change them).

import { F32, F64, I32, I64, loggingImports, type Engine, type LoadResult, type LogEntry, type Outcome, type Raw, type Session } from './engine-types.ts';
import { funcBody, funcType, moduleBytes, name, section, sleb, uleb, vec } from './wasm-encode.ts';
import type { ModuleSummary, Signature } from './wasm-reader.ts';
import { V8, callExport, type V8Export, type V8Instance, type V8Memory, type V8Module } from './v8-api.ts';

/** The integer type that carries a numeric type's bits across the boundary. */
function carrier(t: number): number {
  return t === F32 ? I32 : t === F64 ? I64 : t;
}

/** Instructions that push a zero of type t. */
function zeroCode(t: number): number[] {
  switch (t) {
    case I32: return [0x41, 0];
    case I64: return [0x42, 0];
    case F32: return [0x43, 0, 0, 0, 0];
    case F64: return [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
    default: throw new Error(`Cannot make a zero of type "0x${t.toString(16)}"`);
  }
}

/** After `local.get` of a parameter of type t: instructions that turn it into its i64 bit pattern. */
function toI64Bits(t: number): number[] {
  switch (t) {
    case I32: return [0xac]; // i64.extend_i32_s
    case I64: return [];
    case F32: return [0xbc, 0xac]; // i32.reinterpret_f32, i64.extend_i32_s
    case F64: return [0xbd]; // i64.reinterpret_f64
    default: throw new Error(`Cannot log a value of type "0x${t.toString(16)}"`);
  }
}

function fromI64Bits(t: number, bits: bigint): Raw {
  return t === I32 || t === F32 ? Number(BigInt.asIntN(32, bits)) : BigInt.asIntN(64, bits);
}

/**
 * A module exporting `f<i>` for each logging import i, with the import's exact type; each one
 * passes its arguments' bits to the host functions `h.put(i64)` and then `h.end(i32 import index)`.
 */
function loggerModule(sigs: readonly Signature[]): Uint8Array {
  const types = [funcType([I64], []), funcType([I32], []), ...sigs.map((s) => funcType(s.params, s.results))];
  const imports = vec([
    [...name('h'), ...name('put'), 0x00, ...uleb(0)],
    [...name('h'), ...name('end'), 0x00, ...uleb(1)],
  ]);
  const funcs = vec(sigs.map((_, i) => uleb(i + 2)));
  const exports = vec(sigs.map((_, i) => [...name(`f${i}`), 0x00, ...uleb(i + 2)]));
  const bodies = sigs.map((s, i) => {
    const code: number[] = [];
    s.params.forEach((t, p) => code.push(0x20, ...uleb(p), ...toI64Bits(t), 0x10, 0));
    code.push(0x41, ...sleb(i), 0x10, 1);
    for (const t of s.results) code.push(...zeroCode(t));
    return funcBody([], code);
  });
  return moduleBytes([section(1, vec(types)), section(2, imports), section(3, funcs), section(7, exports), section(10, vec(bodies))]);
}

const storeOp: Record<number, number> = { [I32]: 0x36, [I64]: 0x37, [F32]: 0x38, [F64]: 0x39 };
const storeAlign: Record<number, number> = { [I32]: 2, [I64]: 3, [F32]: 2, [F64]: 3 };

/**
 * A module importing `m.f` of the given signature and exporting `call`, which takes the
 * arguments' bit patterns, calls f, and stores each result at 8 * its index in the exported `mem`.
 */
function callerModule(sig: Signature): Uint8Array {
  const carriers = sig.params.map(carrier);
  const types = vec([funcType(sig.params, sig.results), funcType(carriers, [])]);
  const imports = vec([[...name('m'), ...name('f'), 0x00, 0]]);
  const code: number[] = [];
  sig.params.forEach((t, p) => {
    code.push(0x20, ...uleb(p));
    if (t === F32) code.push(0xbe); // f32.reinterpret_i32
    if (t === F64) code.push(0xbf); // f64.reinterpret_i64
  });
  code.push(0x10, 0);
  const firstResultLocal = sig.params.length;
  for (let k = sig.results.length - 1; k >= 0; k--) code.push(0x21, ...uleb(firstResultLocal + k));
  sig.results.forEach((t, k) => {
    code.push(0x41, ...sleb(8 * k), 0x20, ...uleb(firstResultLocal + k), storeOp[t] as number, storeAlign[t] as number, 0);
  });
  const body = funcBody(sig.results.map((t) => [1, t] as const), code);
  return moduleBytes([
    section(1, types),
    section(2, imports),
    section(3, vec([uleb(1)])),
    section(5, vec([[0x00, ...uleb(1)]])),
    section(7, vec([[...name('call'), 0x00, 1], [...name('mem'), 0x02, 0]])),
    section(10, vec([body])),
  ]);
}

const callerCache = new Map<string, V8Module>();

function callerFor(sig: Signature): V8Module {
  const key = `${sig.params.join(',')}->${sig.results.join(',')}`;
  let m = callerCache.get(key);
  if (m === undefined) {
    m = new V8.Module(callerModule(sig));
    callerCache.set(key, m);
  }
  return m;
}

/** The fleetlet trap kinds a V8 trap message can stand for; undefined for messages not listed. */
export function trapKindsOfV8Message(message: string): readonly string[] | undefined {
  const table: [RegExp, string[]][] = [
    [/^unreachable/, ['unreachable']],
    [/memory access out of bounds/, ['memory-out-of-bounds']],
    [/(divide|remainder) by zero/, ['integer-divide-by-zero']],
    [/divide result unrepresentable/, ['integer-overflow']],
    [/float unrepresentable in integer range/, ['invalid-conversion-to-integer', 'integer-overflow']],
    [/table index is out of bounds|table access out of bounds/, ['undefined-element', 'table-out-of-bounds']],
    [/null function or function signature mismatch/, ['uninitialized-element', 'indirect-call-type-mismatch']],
  ];
  for (const [re, kinds] of table) if (re.test(message)) return kinds;
  return undefined;
}

function failure(e: unknown): Exclude<Outcome, { kind: 'done' }> {
  if (e instanceof V8.RuntimeError) return { kind: 'trap', kinds: trapKindsOfV8Message(e.message), message: e.message };
  if (e instanceof RangeError && /call stack/i.test(e.message)) return { kind: 'exhausted', message: e.message };
  return { kind: 'error', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

class V8Session implements Session {
  constructor(private readonly instance: V8Instance, private readonly memoryName: string | undefined) {}

  call(exportName: string, sig: Signature, args: readonly Raw[]): Outcome {
    const f = this.instance.exports[exportName];
    if (typeof f !== 'function') return { kind: 'error', message: `Export "${exportName}" is not a function` };
    const caller = new V8.Instance(callerFor(sig), { m: { f } });
    try {
      callExport(caller.exports['call'] as V8Export, args);
    } catch (e) {
      return failure(e);
    }
    const view = new DataView((caller.exports['mem'] as V8Memory).buffer);
    const values = sig.results.map((t, k) =>
      t === I32 || t === F32 ? view.getInt32(8 * k, true) : view.getBigInt64(8 * k, true),
    );
    return { kind: 'done', values };
  }

  memory(): Uint8Array | undefined {
    if (this.memoryName === undefined) return undefined;
    return new Uint8Array((this.instance.exports[this.memoryName] as V8Memory).buffer).slice();
  }
}

export const v8Engine: Engine = {
  name: 'v8',
  load(bytes: Uint8Array, summary: ModuleSummary, log: (entry: LogEntry) => void): LoadResult {
    let module: V8Module;
    try {
      module = new V8.Module(bytes);
    } catch (e) {
      return { kind: 'rejected', message: e instanceof Error ? e.message : String(e) };
    }
    const logs = loggingImports(summary);
    const sigs = logs.map((i) => i.sig as Signature);
    let pending: bigint[] = [];
    const logger = new V8.Instance(new V8.Module(loggerModule(sigs)), {
      h: {
        put: (bits: bigint) => { pending.push(bits); },
        end: (index: number) => {
          const imp = logs[index];
          const sig = sigs[index];
          if (imp === undefined || sig === undefined) throw new Error(`Unknown logging import "${index}"`);
          const args = pending.map((b, k) => fromI64Bits(sig.params[k] as number, b));
          pending = [];
          log({ name: imp.name, sig, args });
        },
      },
    });
    const fields: Record<string, unknown> = {};
    logs.forEach((imp, i) => { fields[imp.name] = logger.exports[`f${i}`]; });
    let instance: V8Instance;
    try {
      instance = new V8.Instance(module, { 'fuzzing-support': fields });
    } catch (e) {
      return failure(e);
    }
    const memoryName = summary.exports.find((e) => e.kind === 2)?.name;
    return { kind: 'ready', session: new V8Session(instance, memoryName) };
  },
};
