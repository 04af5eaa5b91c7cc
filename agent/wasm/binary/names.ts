// Decodes the "name" custom section (module, function and local names) for backtraces and tools;
// a malformed name section is ignored as a whole, as the spec allows, and never fails a module.

import { DecodeError } from '../errors.ts';
import type { NameMap } from '../types.ts';
import { Reader } from './reader.ts';

/** The names of a module without a (well-formed) name section. */
export function emptyNames(): NameMap {
  return { module: undefined, funcs: new Map(), locals: new Map() };
}

/** Reads a name map: indices in strictly increasing order, each with a UTF-8 name. */
function readNameMap(r: Reader): Map<number, string> {
  const out = new Map<number, string>();
  const n = r.count('name map entry');
  let last = -1;
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const index = r.u32();
    if (index <= last) r.fail('Name map indices must increase', at);
    last = index;
    out.set(index, r.name());
  }
  return out;
}

/**
 * Decodes the payload of a "name" custom section.
 * @returns the names, or empty names when the section is malformed in any way
 */
export function decodeNames(payload: Uint8Array): NameMap {
  try {
    return readNames(new Reader(payload));
  } catch (e) {
    if (e instanceof DecodeError) return emptyNames();
    throw e;
  }
}

function readNames(r: Reader): NameMap {
  let module: string | undefined;
  let funcs = new Map<number, string>();
  const locals = new Map<number, ReadonlyMap<number, string>>();
  let lastId = -1;
  while (!r.atEnd()) {
    const at = r.pos;
    const id = r.u8();
    if (id <= lastId) r.fail('Name subsections must appear once each, in increasing id order', at);
    lastId = id;
    const size = r.u32();
    if (size > r.remaining()) r.fail('Name subsection size out of bounds', at);
    const end = r.pos + size;
    r.end = end;
    switch (id) {
      case 0:
        module = r.name();
        break;
      case 1:
        funcs = readNameMap(r);
        break;
      case 2: {
        const n = r.count('local name map');
        let last = -1;
        for (let i = 0; i < n; i++) {
          const fat = r.pos;
          const func = r.u32();
          if (func <= last) r.fail('Local name map function indices must increase', fat);
          last = func;
          locals.set(func, readNameMap(r));
        }
        break;
      }
      default:
        // Subsections from later proposals (labels, types, ...): not ours to read.
        r.pos = end;
    }
    if (r.pos !== end) r.fail('Name subsection size mismatch', r.pos);
    r.end = r.bytes.length;
  }
  return { module, funcs, locals };
}
