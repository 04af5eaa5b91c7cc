// Capturing and reinstating the execution state of a suspended call (value stack, frames, pcs,
// fuel, a pending host call) together with its instance's state (memories, tables, globals,
// dropped segments), as plain data for a durable snapshot (see ../snapshot.ts for the bytes).

import { createHash } from 'node:crypto';
import { Encoder } from 'cbor-x';
import { SnapshotError } from '../errors.ts';
import type { ModuleInstance } from '../runtime/instance.ts';
import type { Limits } from '../runtime/limits.ts';
import type { WasmFuncInst } from '../runtime/store.ts';
import type { CompiledFunc } from './code.ts';
import { compiledOf } from './compile-cache.ts';
import { describeOp } from './disasm.ts';
import { Executor } from './executor.ts';

/** A frame as data: function index in the instance, code index, frame pointer (words). */
export type FrameData = [func: number, pc: number, fp: number];

export interface StateData {
  readonly module: string;
  readonly metering: boolean;
  /** Store address of every function in the instance's index space (must be equal on restore). */
  readonly addrs: number[];
  readonly memories: Uint8Array[];
  readonly tables: { size: number; elements: Uint8Array }[];
  readonly globals: Uint8Array;
  readonly droppedElems: number[];
  readonly droppedDatas: number[];
  readonly stack: Uint8Array;
  /** Caller frames, outermost first, then the current one. */
  readonly frames: FrameData[];
  readonly fuel: [left: number, given: number];
  readonly reason: 'fuel' | 'wait';
  readonly pending: { func: number; fp: number; detail: unknown } | null;
  readonly raw: boolean;
  /** SHA-256 of the internal code of the functions on the stack: a restore must translate identically. */
  readonly codeDigest: string;
}

function bytesOf(a: Int32Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

function wordsOf(b: Uint8Array, what: string): Int32Array {
  if (b.byteLength % 4 !== 0) throw new SnapshotError('corrupt', `Snapshot ${what} is not whole 32-bit words`);
  const copy = new Uint8Array(b);
  return new Int32Array(copy.buffer, 0, copy.byteLength / 4);
}

function codeDigest(funcs: readonly WasmFuncInst[]): string {
  const h = createHash('sha256');
  for (const f of funcs) {
    const c = compiledOf(f);
    h.update(String(f.index));
    h.update(new Uint8Array(c.code.buffer, c.code.byteOffset, c.code.byteLength));
  }
  return h.digest('hex');
}

/**
 * The state of the suspended call on `ex` as data.
 * @throws SnapshotError when the call spans several instances or holds host references
 */
export function captureState(ex: Executor, reason: 'fuel' | 'wait', raw: boolean): StateData {
  const cur = ex.cur;
  const wasmFrames: WasmFuncInst[] = [];
  for (let d = 0; d < ex.depth; d++) wasmFrames.push(ex.fFunc[d]!);
  let inst: ModuleInstance;
  let top: number;
  const frames: FrameData[] = [];
  for (let d = 0; d < ex.depth; d++) frames.push([ex.fFunc[d]!.index, ex.fPc[d]!, ex.fFp[d]!]);
  if (cur !== undefined) {
    wasmFrames.push(cur);
    inst = cur.instance;
    frames.push([cur.index, ex.pc, ex.fp]);
    top = ex.fp + compiledOf(cur).frameWords;
  } else {
    throw new SnapshotError('unsupported', 'Cannot snapshot a call with no WebAssembly frame (a host function called directly)');
  }
  for (const f of wasmFrames) {
    if (f.instance !== inst) throw new SnapshotError('unsupported', 'Cannot snapshot a call that spans several instances');
  }
  for (const t of inst.tables) {
    if (t.type.elem === 0x6f && t.elements.subarray(0, t.size).some((r) => r !== 0)) {
      throw new SnapshotError('unsupported', 'Cannot snapshot a table holding host (extern) references');
    }
  }
  const globals = new Int32Array(inst.globals.length * 2);
  inst.globals.forEach((g, i) => {
    if (g.type.type === 0x6f && g.v[0] !== 0) throw new SnapshotError('unsupported', `Cannot snapshot global ${i}: it holds a host (extern) reference`);
    globals[2 * i] = g.v[0]!;
    globals[2 * i + 1] = g.v[1]!;
  });
  let pending: StateData['pending'] = null;
  if (reason === 'wait') {
    const p = ex.pending!;
    const func = inst.funcs.indexOf(p.callee);
    if (func < 0) throw new SnapshotError('unsupported', 'Cannot snapshot a wait on a host function the instance does not import');
    pending = { func, fp: p.fp, detail: p.wait.detail ?? null };
  }
  return {
    module: inst.moduleDigest,
    metering: inst.metering,
    addrs: inst.funcs.map((f) => f.addr),
    memories: inst.mems.map((m) => new Uint8Array(m.buffer.slice(0))),
    tables: inst.tables.map((t) => ({ size: t.size, elements: bytesOf(t.elements.subarray(0, t.size)) })),
    globals: bytesOf(globals),
    droppedElems: inst.elems.flatMap((e, i) => (e.length === 0 && inst.ast.elems[i]!.init.length !== 0 ? [i] : [])),
    droppedDatas: inst.datas.flatMap((d, i) => (d.length === 0 && inst.ast.datas[i]!.bytes.length !== 0 ? [i] : [])),
    stack: bytesOf(ex.S.subarray(0, top)),
    frames,
    fuel: [ex.fuel, ex.fuelGiven],
    reason,
    pending,
    raw,
    codeDigest: codeDigest(wasmFrames),
  };
}

/** Code indexes where an instruction starts. */
function instructionStarts(c: CompiledFunc): Set<number> {
  const starts = new Set<number>();
  for (let pc = 0; pc < c.code.length;) {
    starts.add(pc);
    const op = c.code[pc]!;
    const n = op === 0x07 /* BrTable */ ? 2 + c.code[pc + 2]! + 1 : describeOp(op)[1];
    pc += 1 + n;
  }
  return starts;
}

/**
 * Writes the snapshot's instance state into a freshly built instance and returns an executor
 * positioned where the call stopped. Checks everything before writing anything.
 * @throws SnapshotError when the data does not fit this instance
 */
export function reinstate(s: StateData, inst: ModuleInstance, limits: Limits): Executor {
  const bad = (what: string): never => {
    throw new SnapshotError('corrupt', `Snapshot does not fit the module: ${what}`);
  };
  if (s.metering !== inst.metering) throw new SnapshotError('incompatible', `Snapshot was taken with metering ${s.metering ? 'on' : 'off'}`);
  if (s.addrs.length !== inst.funcs.length || s.addrs.some((a, i) => inst.funcs[i]!.addr !== a)) {
    throw new SnapshotError('incompatible', 'Function addresses differ: restore into a fresh store with the same imports');
  }
  if (s.memories.length !== inst.mems.length) bad('memory count');
  s.memories.forEach((m, i) => {
    const mem = inst.mems[i]!;
    if (m.byteLength % 65536 !== 0 || m.byteLength / 65536 < mem.type.bounds.min || m.byteLength / 65536 > mem.cap) bad(`memory ${i} size`);
  });
  if (s.tables.length !== inst.tables.length) bad('table count');
  const tables = s.tables.map((t, i) => {
    const words = wordsOf(t.elements, `table ${i}`);
    const tab = inst.tables[i]!;
    if (t.size !== words.length || t.size < tab.type.bounds.min || t.size > tab.cap) bad(`table ${i} size`);
    for (const r of words) if (r < 0 || (r !== 0 && (tab.type.elem === 0x6f || !inst.store.funcs[r - 1]))) bad(`table ${i} reference`);
    return words;
  });
  const globals = wordsOf(s.globals, 'globals');
  if (globals.length !== inst.globals.length * 2) bad('global count');
  for (const i of s.droppedElems) if (!Number.isInteger(i) || i < 0 || i >= inst.elems.length) bad('element segment index');
  for (const i of s.droppedDatas) if (!Number.isInteger(i) || i < 0 || i >= inst.datas.length) bad('data segment index');
  const stack = wordsOf(s.stack, 'stack');
  if (stack.length > limits.maxStackSlots * 2) bad('stack larger than the limit');
  if (s.frames.length === 0 || s.frames.length - 1 > limits.maxCallDepth) bad('frame count');
  const importCount = inst.funcs.length - inst.ast.funcs.length;
  const frameFuncs: WasmFuncInst[] = [];
  let lastFp = -1;
  s.frames.forEach(([func, pc, fp], i) => {
    const f = inst.funcs[func];
    if (f === undefined || func < importCount || f.kind !== 'wasm') return bad(`frame ${i} function`);
    const c = compiledOf(f);
    if (!Number.isInteger(pc) || !instructionStarts(c).has(pc)) bad(`frame ${i} position`);
    const isTop = i === s.frames.length - 1;
    if (!Number.isInteger(fp) || fp < lastFp || fp % 2 !== 0 || (isTop ? fp + c.frameWords !== stack.length : fp >= stack.length)) bad(`frame ${i} pointer`);
    lastFp = fp;
    frameFuncs.push(f);
  });
  if (codeDigest(frameFuncs) !== s.codeDigest) {
    throw new SnapshotError('incompatible', 'Snapshot was taken by an engine that translates this module differently');
  }
  const [left, given] = s.fuel;
  if (!(left >= 0 && given >= left)) bad('fuel');
  if (s.reason === 'wait') {
    const p = s.pending;
    if (p === null || inst.funcs[p.func]?.kind !== 'host' || !Number.isInteger(p.fp) || p.fp < 0 || p.fp >= stack.length) bad('pending host call');
  }

  // Everything checked: write the state.
  s.memories.forEach((m, i) => {
    const mem = inst.mems[i]!;
    mem.grow(m.byteLength / 65536 - mem.pages);
    mem.u8.set(m);
  });
  tables.forEach((w, i) => {
    const t = inst.tables[i]!;
    if (w.length > t.size) t.grow(w.length - t.size, 0);
    t.elements.set(w);
  });
  inst.globals.forEach((g, i) => {
    g.v[0] = globals[2 * i]!;
    g.v[1] = globals[2 * i + 1]!;
  });
  for (const i of s.droppedElems) inst.elems[i] = new Int32Array(0);
  for (const i of s.droppedDatas) inst.datas[i] = new Uint8Array(0);

  const ex = new Executor(limits);
  ex.store = inst.store;
  ex.ensure(stack.length);
  ex.S.set(stack);
  for (let d = 0; d < s.frames.length - 1; d++) {
    const [, pc, fp] = s.frames[d]!;
    ex.fFunc[d] = frameFuncs[d];
    ex.fPc[d] = pc;
    ex.fFp[d] = fp;
  }
  const [, pc, fp] = s.frames[s.frames.length - 1]!;
  ex.save(frameFuncs[frameFuncs.length - 1]!, pc, fp, s.frames.length - 1);
  ex.fuel = left;
  ex.fuelGiven = given;
  return ex;
}

const FORMAT = 'fleetlet-snapshot/1';
const cbor = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: true, variableMapSize: true });

/**
 * The bytes of a snapshot: a CBOR array of the format name, the encoded state and the state's
 * SHA-256, so that corruption anywhere is detected before anything is decoded into an instance.
 */
export function encodeSnapshot(s: StateData): Uint8Array {
  const payload = cbor.encode(s);
  const sum = createHash('sha256').update(payload).digest();
  return cbor.encode([FORMAT, payload, sum]);
}

function fail(what: string): never {
  throw new SnapshotError('corrupt', `Snapshot is corrupt: ${what}`);
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isInt);

/**
 * Decodes and checks the shape of snapshot bytes.
 * @throws SnapshotError ('corrupt') for truncated, altered or malformed bytes
 */
export function decodeSnapshot(bytes: Uint8Array): StateData {
  let outer: unknown;
  try {
    outer = cbor.decode(bytes);
  } catch (e) {
    fail(`cannot decode (${(e as Error).message})`);
  }
  if (!Array.isArray(outer) || outer.length !== 3 || outer[0] !== FORMAT || !isBytes(outer[1]) || !isBytes(outer[2])) fail('not a fleetlet snapshot');
  const [, payload, sum] = outer as [string, Uint8Array, Uint8Array];
  const want = createHash('sha256').update(payload).digest();
  if (sum.length !== want.length || !want.equals(sum)) fail('checksum mismatch');
  let s: unknown;
  try {
    s = cbor.decode(payload);
  } catch (e) {
    fail(`cannot decode the state (${(e as Error).message})`);
  }
  const o = s as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) fail('state is not a map');
  const ok =
    typeof o.module === 'string' && typeof o.metering === 'boolean' && isIntArray(o.addrs) &&
    Array.isArray(o.memories) && o.memories.every(isBytes) &&
    Array.isArray(o.tables) && o.tables.every((t: unknown) => typeof t === 'object' && t !== null && isInt((t as { size?: unknown }).size) && isBytes((t as { elements?: unknown }).elements)) &&
    isBytes(o.globals) && isIntArray(o.droppedElems) && isIntArray(o.droppedDatas) && isBytes(o.stack) &&
    Array.isArray(o.frames) && o.frames.every((f: unknown) => isIntArray(f) && f.length === 3) &&
    isIntArray(o.fuel) && o.fuel.length === 2 && (o.reason === 'fuel' || o.reason === 'wait') &&
    (o.pending === null || (typeof o.pending === 'object' && isInt((o.pending as { func?: unknown }).func) && isInt((o.pending as { fp?: unknown }).fp))) &&
    typeof o.raw === 'boolean' && typeof o.codeDigest === 'string';
  if (!ok) fail('fields are missing or of the wrong type');
  return o as unknown as StateData;
}
