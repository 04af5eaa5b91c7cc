// Tests for the type, import, function, table, memory, global, export and start sections.
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.ts';
import { decodeModule } from './decode.ts';
import { mod, name, section, sleb, uleb, vec } from './_testing.ts';

function failure(bytes: Uint8Array): DecodeError {
  try {
    decodeModule(bytes);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error('expected a DecodeError');
}

describe('type section', () => {
  it('reads parameter and result types of each function type', () => {
    const m = decodeModule(mod(section(1, vec([
      [0x60, ...vec([[0x7f], [0x7e]]), ...vec([[0x7d]])],
      [0x60, ...vec([]), ...vec([[0x70], [0x6f], [0x7c]])],
    ]))));
    expect(m.types).toEqual([
      { params: [0x7f, 0x7e], results: [0x7d] },
      { params: [], results: [0x70, 0x6f, 0x7c] },
    ]);
  });

  it('rejects a form other than 0x60 and malformed value types', () => {
    expect(failure(mod(section(1, vec([[0x61, 0x00, 0x00]])))).what).toMatch(/^Malformed function type/);
    expect(failure(mod(section(1, vec([[0x60, 0x01, 0x40, 0x00]])))).what).toMatch(/^Malformed value type "0x40"/);
    expect(failure(mod(section(1, vec([[0x60, 0x00, 0x01, 0x7b]])))).what).toMatch(/SIMD/);
  });
});

describe('import section', () => {
  it('reads each import kind with names, descriptor and position', () => {
    const entries = [
      [...name('env'), ...name('f'), 0x00, ...uleb(3)],
      [...name('env'), ...name('t'), 0x01, 0x70, 0x01, 0x02, 0x0a],
      [...name('env'), ...name('m'), 0x02, 0x00, 0x01],
      [...name('\u00e9'), ...name('g'), 0x03, 0x7e, 0x01],
    ];
    const m = decodeModule(mod(section(2, vec(entries))));
    // Header (8) + section id and size (2) + count (1): the first entry starts at byte 11.
    const starts = [11];
    for (const e of entries.slice(0, -1)) starts.push(starts[starts.length - 1] + e.length);
    expect(m.imports).toEqual([
      { module: 'env', name: 'f', desc: { kind: 'func', typeIndex: 3 }, pos: starts[0] },
      { module: 'env', name: 't', desc: { kind: 'table', type: { elem: 0x70, bounds: { min: 2, max: 10 } } }, pos: starts[1] },
      { module: 'env', name: 'm', desc: { kind: 'memory', type: { bounds: { min: 1, max: undefined } } }, pos: starts[2] },
      { module: '\u00e9', name: 'g', desc: { kind: 'global', type: { type: 0x7e, mutable: true } }, pos: starts[3] },
    ]);
  });

  it.each([
    ['an unknown import kind', [...name('a'), ...name('b'), 0x04, 0x00], /^Malformed import kind "0x04"/],
    ['a module name that is not UTF-8', [0x01, 0xff, ...name('b'), 0x00, 0x00], /^Malformed UTF-8/],
    ['a field name that is not UTF-8', [...name('a'), 0x02, 0xc0, 0x80, 0x00, 0x00], /^Malformed UTF-8/],
    ['a global mutability of 2', [...name('a'), ...name('b'), 0x03, 0x7f, 0x02], /^Malformed mutability/],
    ['a table of i32', [...name('a'), ...name('b'), 0x01, 0x7f, 0x00, 0x00], /^Malformed reference type/],
    ['shared memory limits flags', [...name('a'), ...name('b'), 0x02, 0x03, 0x01, 0x02], /^Malformed limits flags "0x03"/],
    ['limits flags 0x02', [...name('a'), ...name('b'), 0x02, 0x02, 0x01], /^Malformed limits flags "0x02"/],
  ])('rejects %s', (_what, entry, message) => {
    expect(failure(mod(section(2, vec([entry])))).what).toMatch(message);
  });
});

describe('function, table and memory sections', () => {
  it('reads the type index of each function', () => {
    const m = decodeModule(mod(
      section(3, vec([[0x00], [0x80, 0x01], [0x02]])),
      section(10, vec([[0x02, 0x00, 0x0b], [0x02, 0x00, 0x0b], [0x02, 0x00, 0x0b]])),
    ));
    expect(m.funcs).toEqual([0, 128, 2]);
  });

  it('reads table types with and without a maximum', () => {
    const m = decodeModule(mod(section(4, vec([[0x70, 0x01, 0x01, 0x0a], [0x6f, 0x00, ...uleb(0xffffffff)]]))));
    expect(m.tables).toEqual([
      { elem: 0x70, bounds: { min: 1, max: 10 } },
      { elem: 0x6f, bounds: { min: 0xffffffff, max: undefined } },
    ]);
  });

  it('reads memory types, leaving page limits to the validator', () => {
    const m = decodeModule(mod(section(5, vec([[0x01, 0x00, ...uleb(65537)], [0x00, 0x02]]))));
    expect(m.mems).toEqual([{ bounds: { min: 0, max: 65537 } }, { bounds: { min: 2, max: undefined } }]);
  });

  it('rejects limits bounds that do not fit in a u32', () => {
    expect(failure(mod(section(5, vec([[0x00, 0x80, 0x80, 0x80, 0x80, 0x10]])))).what).toMatch(/^Integer too large/);
  });
});

describe('global section', () => {
  it('reads type, mutability and the initialiser without its end', () => {
    const m = decodeModule(mod(section(6, vec([
      [0x7f, 0x00, 0x41, ...sleb(-7), 0x0b],
      [0x70, 0x01, 0xd0, 0x70, 0x0b],
    ]))));
    expect(m.globals).toEqual([
      { type: { type: 0x7f, mutable: false }, init: [{ op: 0x41, pos: 13, a: -7, b: 0, labels: undefined }], pos: 11 },
      { type: { type: 0x70, mutable: true }, init: [{ op: 0xd0, pos: 18, a: 0x70, b: 0, labels: undefined }], pos: 16 },
    ]);
  });

  it('decodes any instruction in an initialiser: constness is the validator\'s question', () => {
    const m = decodeModule(mod(section(6, vec([[0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x01, 0x0b]]))));
    expect(m.globals[0].init.map((i) => i.op)).toEqual([0x41, 0x41, 0x6a, 0x01]);
  });

  it('rejects an initialiser without end', () => {
    expect(failure(mod(section(6, vec([[0x7f, 0x00, 0x41, 0x01]])))).what).toMatch(/^Unexpected end of section/);
  });
});

describe('export and start sections', () => {
  it('reads each export kind, index and position', () => {
    const m = decodeModule(mod(section(7, vec([
      [...name('f'), 0x00, 0x01],
      [...name('t'), 0x01, 0x00],
      [...name('m'), 0x02, 0x00],
      [...name('g'), 0x03, 0x80, 0x01],
    ]))));
    expect(m.exports).toEqual([
      { name: 'f', kind: 'func', index: 1, pos: 11 },
      { name: 't', kind: 'table', index: 0, pos: 15 },
      { name: 'm', kind: 'memory', index: 0, pos: 19 },
      { name: 'g', kind: 'global', index: 128, pos: 23 },
    ]);
  });

  it('rejects an unknown export kind', () => {
    expect(failure(mod(section(7, vec([[...name('x'), 0x04, 0x00]])))).what).toMatch(/^Malformed export kind "0x04"/);
  });

  it('reads the start function index, absent when there is no start section', () => {
    expect(decodeModule(mod(section(8, uleb(300)))).start).toBe(300);
    expect(decodeModule(mod()).start).toBeUndefined();
  });
});
