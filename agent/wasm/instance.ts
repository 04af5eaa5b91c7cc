// `Instance`: links a module's imports, creates its entities in a store, initialises segments and
// runs the start function (the spec's instantiation), and hands out its exports.

import type { CallResult, HostFunc } from './api.ts';
import { ExhaustionError, LinkError, SnapshotError, Trap } from './errors.ts';
import { invoke, mapResult, suspendedFrom } from './exec/executor.ts';
import { decodeSnapshot, reinstate } from './exec/snapshot-state.ts';
import { Func, Global, Memory, Store, Table } from './extern.ts';
import type { Module } from './module.ts';
import { evalConst } from './runtime/const-eval.ts';
import { GlobalInst } from './runtime/global.ts';
import type { ModuleInstance } from './runtime/instance.ts';
import { resolveLimits, type Limits } from './runtime/limits.ts';
import { MemoryInst } from './runtime/memory.ts';
import { typeIdOf, type CompiledCode, type FuncInst } from './runtime/store.ts';
import { TableInst } from './runtime/table.ts';
import { valTypeName, type Import, type SizeBounds } from './types.ts';

export { Func, Global, Memory, Store, Table };

export type Extern = Func | HostFunc | Memory | Table | Global;

/** Import object: module name → field name → external value. */
export type Imports = Readonly<Record<string, Readonly<Record<string, Extern>>>>;

export type InstantiateResult = CallResult<Instance>;

export interface InstantiateOptions {
  readonly limits?: Partial<Limits>;
  /** Charge fuel per basic block (default true, as devices run). */
  readonly metering?: boolean;
}

function boundsMatch(actual: SizeBounds, wanted: SizeBounds): boolean {
  if (actual.min < wanted.min) return false;
  if (wanted.max === undefined) return true;
  return actual.max !== undefined && actual.max <= wanted.max;
}

function isHostFunc(v: unknown): v is HostFunc {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'host';
}

function exhausted(kind: 'memory' | 'table', message: string): InstantiateResult {
  return { kind: 'exhausted', error: new ExhaustionError(kind, message), fuelUsed: 0 };
}

function incompatible(imp: Import, detail: string): LinkError {
  return new LinkError('incompatible-import', imp.module, imp.name, detail);
}

export class Instance {
  private constructor(
    readonly module: Module,
    readonly rt: ModuleInstance,
    readonly exports: ReadonlyMap<string, Func | Memory | Table | Global>,
  ) {}

  /**
   * Links imports, creates the module's entities, initialises segments and runs the start
   * function. A trap in a segment or the start function is a `trap` result (writes already made
   * to imported memories and tables persist, as the spec requires).
   * @throws LinkError when an import is missing or does not match
   */
  static instantiate(store: Store, module: Module, imports: Imports = {}, options: InstantiateOptions = {}): InstantiateResult {
    const built = Instance.build(store, module, imports, options);
    if (!(built instanceof Instance)) return built;
    return built.initialize();
  }

  /**
   * Rebuilds an instance from a snapshot (see `SuspendedCall.snapshot`) and returns it with the
   * suspended call, ready to resume where it stopped. Use a fresh store and the same imports
   * and options as the original. A pending host call is issued again to its host function.
   * Nothing is returned unless everything was restored.
   * @throws SnapshotError for corrupt bytes, another module, or state that does not fit
   * @throws LinkError when an import is missing or does not match
   */
  static restore(store: Store, module: Module, snapshot: Uint8Array, imports: Imports = {}, options: InstantiateOptions = {}): { instance: Instance; call: CallResult<unknown[]> } {
    const data = decodeSnapshot(snapshot);
    if (data.module !== module.digest) {
      throw new SnapshotError('wrong-module', `Snapshot is of module ${data.module.slice(0, 16)}…, not ${module.digest.slice(0, 16)}…`);
    }
    const built = Instance.build(store, module, imports, { ...options, metering: data.metering });
    if (!(built instanceof Instance)) throw new SnapshotError('incompatible', `Cannot rebuild the instance: ${built.kind === 'exhausted' ? built.error.message : built.kind}`);
    const ex = reinstate(data, built.rt, built.rt.limits);
    return { instance: built, call: suspendedFrom(ex, data) };
  }

  /** Links imports and creates the module's entities, without initialising segments or starting. */
  private static build(store: Store, module: Module, imports: Imports, options: InstantiateOptions): Instance | InstantiateResult {
    const ast = module.ast;
    const limits = resolveLimits(options.limits);
    const funcs: FuncInst[] = [];
    const tables: TableInst[] = [];
    const mems: MemoryInst[] = [];
    const globals: GlobalInst[] = [];

    for (const imp of ast.imports) {
      const v = imports[imp.module]?.[imp.name];
      if (v === undefined) throw new LinkError('unknown-import', imp.module, imp.name, 'no such import was provided');
      const d = imp.desc;
      switch (d.kind) {
        case 'func': {
          const want = ast.types[d.typeIndex]!;
          let f: FuncInst;
          if (v instanceof Func) f = v.inst;
          else if (isHostFunc(v)) f = store.data.hostFunc(v);
          else throw incompatible(imp, 'expected a function');
          if (f.typeId !== typeIdOf(want)) throw incompatible(imp, 'function type does not match');
          funcs.push(f);
          break;
        }
        case 'table': {
          if (!(v instanceof Table)) throw incompatible(imp, 'expected a table');
          const t = v.inst;
          if (t.type.elem !== d.type.elem) throw incompatible(imp, `expected a table of ${valTypeName(d.type.elem)}`);
          if (!boundsMatch({ min: t.size, max: t.type.bounds.max }, d.type.bounds)) throw incompatible(imp, 'table limits do not match');
          tables.push(t);
          break;
        }
        case 'memory': {
          if (!(v instanceof Memory)) throw incompatible(imp, 'expected a memory');
          const m = v.inst;
          if (!boundsMatch({ min: m.pages, max: m.type.bounds.max }, d.type.bounds)) throw incompatible(imp, 'memory limits do not match');
          mems.push(m);
          break;
        }
        case 'global': {
          if (!(v instanceof Global)) throw incompatible(imp, 'expected a global');
          const g = v.inst;
          if (g.type.type !== d.type.type || g.type.mutable !== d.type.mutable) throw incompatible(imp, 'global type does not match');
          globals.push(g);
          break;
        }
      }
    }

    const rt: ModuleInstance = {
      store: store.data, ast, moduleDigest: module.digest, limits, funcs, tables, mems, globals,
      typeIds: Int32Array.from(ast.types, typeIdOf),
      elems: [], datas: [],
      metering: options.metering ?? true,
      codeCache: (options.metering ?? true ? module.codeCache.metered : module.codeCache.unmetered) as (CompiledCode | undefined)[],
    };
    // The instance's own limits apply to what it creates (imports were sized by their creator).
    for (const t of ast.tables) {
      if (t.bounds.min > limits.maxTableElements) {
        return exhausted('table', `Cannot instantiate: table minimum ${t.bounds.min} elements exceeds the limit of ${limits.maxTableElements}`);
      }
    }
    for (const m of ast.mems) {
      if (m.bounds.min > limits.maxMemoryPages) {
        return exhausted('memory', `Cannot instantiate: memory minimum ${m.bounds.min} pages exceeds the limit of ${limits.maxMemoryPages}`);
      }
    }
    const importedFuncs = funcs.length;
    ast.funcs.forEach((ti, i) => funcs.push(store.data.addWasmFunc(ast.types[ti]!, rt, importedFuncs + i)));
    for (const t of ast.tables) tables.push(new TableInst(t, limits.maxTableElements));
    for (const m of ast.mems) mems.push(new MemoryInst(m, limits.maxMemoryPages));
    const word = new Int32Array(2);
    for (const g of ast.globals) {
      const gi = new GlobalInst(g.type);
      evalConst(g.init, globals, funcs, gi.v);
      globals.push(gi);
    }
    for (const e of ast.elems) {
      const refs = new Int32Array(e.init.length);
      e.init.forEach((expr, i) => {
        evalConst(expr, globals, funcs, word);
        refs[i] = word[0]!;
      });
      rt.elems.push(refs);
    }
    for (const d of ast.datas) rt.datas.push(d.bytes);

    const exports = new Map<string, Func | Memory | Table | Global>();
    for (const e of ast.exports) {
      switch (e.kind) {
        case 'func': exports.set(e.name, store.funcAt(funcs[e.index]!.addr)); break;
        case 'table': exports.set(e.name, new Table(store, tables[e.index]!)); break;
        case 'memory': exports.set(e.name, new Memory(mems[e.index]!)); break;
        case 'global': exports.set(e.name, new Global(store, globals[e.index]!)); break;
      }
    }
    return new Instance(module, rt, exports);
  }

  /** Initialises segments and runs the start function (the end of instantiation). */
  private initialize(): InstantiateResult {
    const { ast, tables, mems, globals, funcs, limits } = this.rt;
    const rt = this.rt;
    const store = rt.store;
    const instance = this;
    const word = new Int32Array(2);
    // Segment initialisation, in order; a failure traps, keeping the writes made before it.
    const empty32 = new Int32Array(0);
    for (let i = 0; i < ast.elems.length; i++) {
      const e = ast.elems[i]!;
      if (e.mode === 'active') {
        evalConst(e.offset!, globals, funcs, word);
        const refs = rt.elems[i]!;
        if (!tables[e.table]!.init(word[0]! >>> 0, refs, 0, refs.length)) {
          return { kind: 'trap', trap: new Trap('table-out-of-bounds', `element segment ${i} does not fit its table`), fuelUsed: 0 };
        }
      }
      if (e.mode !== 'passive') rt.elems[i] = empty32;
    }
    const empty8 = new Uint8Array(0);
    for (let i = 0; i < ast.datas.length; i++) {
      const d = ast.datas[i]!;
      if (d.mode !== 'active') continue;
      evalConst(d.offset!, globals, funcs, word);
      if (!mems[d.memory]!.init(word[0]! >>> 0, d.bytes, 0, d.bytes.length)) {
        return { kind: 'trap', trap: new Trap('memory-out-of-bounds', `data segment ${i} does not fit memory`), fuelUsed: 0 };
      }
      rt.datas[i] = empty8;
    }

    if (ast.start !== undefined) {
      // The start function is metered like any call and may suspend; resuming it finishes instantiation.
      return mapResult(invoke(store, funcs[ast.start]!, [], true, limits), () => instance);
    }
    return { kind: 'done', value: instance, fuelUsed: 0 };
  }

  private get(name: string): Func | Memory | Table | Global {
    const e = this.exports.get(name);
    if (e === undefined) throw new TypeError(`The instance has no export "${name}"`);
    return e;
  }

  /** @throws TypeError when there is no such function export */
  func(name: string): Func {
    const e = this.get(name);
    if (!(e instanceof Func)) throw new TypeError(`Export "${name}" is not a function`);
    return e;
  }

  memory(name: string): Memory {
    const e = this.get(name);
    if (!(e instanceof Memory)) throw new TypeError(`Export "${name}" is not a memory`);
    return e;
  }

  table(name: string): Table {
    const e = this.get(name);
    if (!(e instanceof Table)) throw new TypeError(`Export "${name}" is not a table`);
    return e;
  }

  global(name: string): Global {
    const e = this.get(name);
    if (!(e instanceof Global)) throw new TypeError(`Export "${name}" is not a global`);
    return e;
  }
}
