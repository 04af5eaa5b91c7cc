// Decoders for the contents of the type, import, function, table, memory, global, export and
// start sections (segments and code live in segments.ts and code.ts).

import type { Export, ExternKind, FuncType, Global, Import, ImportDesc, MemType, TableType } from '../types.ts';
import { readConstExpr } from './code.ts';
import type { Reader } from './reader.ts';
import { readFuncType, readGlobalType, readMemType, readTableType } from './typecodes.ts';

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

export function readTypeSection(r: Reader): FuncType[] {
  const n = r.count('type');
  const out = new Array<FuncType>(n);
  for (let i = 0; i < n; i++) out[i] = readFuncType(r);
  return out;
}

/** @throws DecodeError for an import kind other than 0x00..0x03 */
export function readImportSection(r: Reader): Import[] {
  const n = r.count('import');
  const out = new Array<Import>(n);
  for (let i = 0; i < n; i++) {
    const pos = r.pos;
    const module = r.name();
    const name = r.name();
    const at = r.pos;
    const kind = r.u8();
    let desc: ImportDesc;
    switch (kind) {
      case 0x00: desc = { kind: 'func', typeIndex: r.u32() }; break;
      case 0x01: desc = { kind: 'table', type: readTableType(r) }; break;
      case 0x02: desc = { kind: 'memory', type: readMemType(r) }; break;
      case 0x03: desc = { kind: 'global', type: readGlobalType(r) }; break;
      default: return r.fail(`Malformed import kind "${hex(kind)}"`, at);
    }
    out[i] = { module, name, desc, pos };
  }
  return out;
}

/** The function section: one type index per function defined in the module. */
export function readFunctionSection(r: Reader): number[] {
  const n = r.count('function');
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = r.u32();
  return out;
}

export function readTableSection(r: Reader): TableType[] {
  const n = r.count('table');
  const out = new Array<TableType>(n);
  for (let i = 0; i < n; i++) out[i] = readTableType(r);
  return out;
}

export function readMemorySection(r: Reader): MemType[] {
  const n = r.count('memory');
  const out = new Array<MemType>(n);
  for (let i = 0; i < n; i++) out[i] = readMemType(r);
  return out;
}

export function readGlobalSection(r: Reader): Global[] {
  const n = r.count('global');
  const out = new Array<Global>(n);
  for (let i = 0; i < n; i++) {
    const pos = r.pos;
    const type = readGlobalType(r);
    const init = readConstExpr(r);
    out[i] = { type, init, pos };
  }
  return out;
}

const exportKinds: readonly ExternKind[] = ['func', 'table', 'memory', 'global'];

/** @throws DecodeError for an export kind other than 0x00..0x03 */
export function readExportSection(r: Reader): Export[] {
  const n = r.count('export');
  const out = new Array<Export>(n);
  for (let i = 0; i < n; i++) {
    const pos = r.pos;
    const name = r.name();
    const at = r.pos;
    const k = r.u8();
    if (k > 3) r.fail(`Malformed export kind "${hex(k)}"`, at);
    out[i] = { name, kind: exportKinds[k], index: r.u32(), pos };
  }
  return out;
}

export function readStartSection(r: Reader): number {
  return r.u32();
}
