// Decodes a whole WebAssembly 2.0 binary into a `ModuleAst`: header, section framing and order,
// and the cross-section rules of the binary format (function/code and data count consistency).

import type {
  CustomSection, DataSegment, ElemSegment, Export, FuncBody, FuncType, Global, Import, MemType, ModuleAst, NameMap,
  TableType,
} from '../types.ts';
import type { CodeContext } from './code.ts';
import { readFuncBody } from './code.ts';
import { decodeNames, emptyNames } from './names.ts';
import { Reader } from './reader.ts';
import {
  readExportSection, readFunctionSection, readGlobalSection, readImportSection, readMemorySection, readStartSection,
  readTableSection, readTypeSection,
} from './sections.ts';
import { readDataSection, readElemSection } from './segments.ts';

/** Section ids of the binary format. */
const enum Sec {
  Custom = 0, Type = 1, Import = 2, Function = 3, Table = 4, Memory = 5, Global = 6, Export = 7, Start = 8,
  Elem = 9, Code = 10, Data = 11, DataCount = 12,
}

const sectionNames = [
  'custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data',
  'data count',
];

/** Position of each known section id in the required order (the data count section sits before code). */
const sectionRank = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10];

const MAGIC = 0x6d736100;
const VERSION = 1;

/**
 * Decodes a WebAssembly 2.0 binary (without SIMD). Structure only: types, indices and constness
 * are the validator's to check. Data segment and custom section bytes are copies, not views.
 * @throws DecodeError for every malformed input, and nothing else
 */
export function decodeModule(bytes: Uint8Array): ModuleAst {
  const r = new Reader(bytes);
  if (bytes.length < 4) r.fail('Unexpected end: no room for the magic header', bytes.length);
  if (r.fixed32() !== MAGIC) r.fail('Magic header not detected: the input does not start with "\\0asm"', 0);
  if (bytes.length < 8) r.fail('Unexpected end: no room for the binary version', bytes.length);
  const version = r.fixed32();
  if (version !== VERSION) r.fail(`Unknown binary version "${version >>> 0}"`, 4);

  let types: FuncType[] = [];
  let imports: Import[] = [];
  let funcs: number[] = [];
  let tables: TableType[] = [];
  let mems: MemType[] = [];
  let globals: Global[] = [];
  let exports: Export[] = [];
  let start: number | undefined;
  let elems: ElemSegment[] = [];
  let datas: DataSegment[] = [];
  let dataCount: number | undefined;
  let codes: FuncBody[] = [];
  let hasCode = false;
  const customs: CustomSection[] = [];
  let names: NameMap | undefined;
  const codeCtx: CodeContext = { firstDataUse: -1 };

  let lastRank = 0;
  let lastId = 0;
  while (r.pos < bytes.length) {
    const sectionPos = r.pos;
    const id = r.u8();
    if (id > Sec.DataCount) r.fail(`Malformed section id "${id}"`, sectionPos);
    const sizePos = r.pos;
    const size = r.u32();
    if (size > r.remaining()) {
      r.fail(`Length out of bounds: ${sectionNames[id]} section size "${size}" exceeds the ${r.remaining()} bytes left`, sizePos);
    }
    const end = r.pos + size;
    r.end = end;
    r.inSection = true;
    if (id !== Sec.Custom) {
      const rank = sectionRank[id];
      if (rank <= lastRank) {
        r.fail(`Unexpected content after last section: the ${sectionNames[id]} section cannot follow the ${sectionNames[lastId]} section`, sectionPos);
      }
      lastRank = rank;
      lastId = id;
    }
    switch (id) {
      case Sec.Custom: {
        const name = r.name();
        const payloadPos = r.pos;
        const payload = r.copy(payloadPos, end);
        r.pos = end;
        customs.push({ name, bytes: payload, pos: payloadPos });
        if (name === 'name' && names === undefined) names = decodeNames(payload);
        break;
      }
      case Sec.Type: types = readTypeSection(r); break;
      case Sec.Import: imports = readImportSection(r); break;
      case Sec.Function: funcs = readFunctionSection(r); break;
      case Sec.Table: tables = readTableSection(r); break;
      case Sec.Memory: mems = readMemorySection(r); break;
      case Sec.Global: globals = readGlobalSection(r); break;
      case Sec.Export: exports = readExportSection(r); break;
      case Sec.Start: start = readStartSection(r); break;
      case Sec.Elem: elems = readElemSection(r); break;
      case Sec.DataCount:
        dataCount = r.u32();
        break;
      case Sec.Code: {
        hasCode = true;
        const countPos = r.pos;
        const n = r.count('function body');
        if (n !== funcs.length) {
          r.fail(`Function and code section have inconsistent lengths: ${funcs.length} functions declared, ${n} bodies`, countPos);
        }
        codes = new Array<FuncBody>(n);
        for (let i = 0; i < n; i++) codes[i] = readFuncBody(r, codeCtx);
        break;
      }
      case Sec.Data: {
        const countPos = r.pos;
        datas = readDataSection(r);
        if (dataCount !== undefined && datas.length !== dataCount) {
          r.fail(`Data count and data section have inconsistent lengths: count ${dataCount}, ${datas.length} segments`, countPos);
        }
        break;
      }
    }
    if (r.pos !== end) {
      r.fail(`Section size mismatch: the ${sectionNames[id]} section declares ${size} bytes but its content takes ${r.pos - (end - size)}`, r.pos);
    }
    r.end = bytes.length;
    r.inSection = false;
  }

  if (!hasCode && funcs.length !== 0) {
    r.fail(`Function and code section have inconsistent lengths: ${funcs.length} functions declared, no code section`, bytes.length);
  }
  if (dataCount !== undefined && dataCount !== datas.length) {
    r.fail(`Data count and data section have inconsistent lengths: count ${dataCount}, no data section`, bytes.length);
  }
  // The rule exists so that a one-pass decoder knows the data segments before code: with no
  // segments at all every data index is unknown, which the validator reports more usefully (the
  // spec suite's memory_init tests expect that), so only a non-empty data section makes it malformed.
  if (dataCount === undefined && codeCtx.firstDataUse >= 0 && datas.length > 0) {
    r.fail('Data count section required: memory.init and data.drop need one', codeCtx.firstDataUse);
  }

  return {
    types, imports, funcs, tables, mems, globals, exports, start, elems, datas, dataCount, codes, customs,
    names: names ?? emptyNames(),
  };
}
