// Tests for the "name" custom section: module, function and local names, and tolerance of malformed ones.
import { describe, expect, it } from 'vitest';
import { decodeModule } from './decode.ts';
import { decodeNames } from './names.ts';
import { mod, name, section, uleb, vec } from './_testing.ts';

function sub(id: number, content: readonly number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

const MODULE_NAME = sub(0, name('demo'));
const FUNC_NAMES = sub(1, vec([[0x00, ...name('main')], [0x02, ...name('h\u00e9lper')]]));
const LOCAL_NAMES = sub(2, vec([
  [0x00, ...vec([[0x00, ...name('x')], [0x01, ...name('y')]])],
  [0x02, ...vec([])],
]));

function names(payload: readonly number[]) {
  return decodeNames(new Uint8Array(payload));
}

describe('name section', () => {
  it('reads module, function and local names', () => {
    const n = names([...MODULE_NAME, ...FUNC_NAMES, ...LOCAL_NAMES]);
    expect(n.module).toBe('demo');
    expect([...n.funcs]).toEqual([[0, 'main'], [2, 'h\u00e9lper']]);
    expect([...n.locals.keys()]).toEqual([0, 2]);
    expect([...(n.locals.get(0) ?? [])]).toEqual([[0, 'x'], [1, 'y']]);
    expect(n.locals.get(2)?.size).toBe(0);
  });

  it('accepts any subset of subsections and skips ids from later proposals', () => {
    expect(names([...FUNC_NAMES]).module).toBeUndefined();
    const n = names([...MODULE_NAME, ...sub(3, [0x01, 0x02, 0x03]), ...sub(7, [])]);
    expect(n.module).toBe('demo');
    expect(n.funcs.size).toBe(0);
    expect(names([]).module).toBeUndefined();
  });

  it.each([
    ['a truncated subsection', [...MODULE_NAME.slice(0, -1)]],
    ['a subsection size past the end', [0x00, 0x09, ...name('demo')]],
    ['content shorter than the subsection size', [0x00, 0x06, ...name('demo'), 0x00]],
    ['subsections out of order', [...FUNC_NAMES, ...MODULE_NAME]],
    ['a repeated subsection', [...MODULE_NAME, ...MODULE_NAME]],
    ['names that are not UTF-8', sub(1, vec([[0x00, 0x01, 0xff]]))],
    ['function indices not increasing', sub(1, vec([[0x01, ...name('a')], [0x01, ...name('b')]]))],
    ['local indices not increasing', sub(2, vec([[0x00, ...vec([[0x01, ...name('a')], [0x00, ...name('b')]])]]))],
    ['a count larger than the subsection', sub(1, [0x05, 0x00, ...name('a')])],
  ])('ignores the whole section for %s', (_what, payload) => {
    const n = names([...payload]);
    expect(n.module).toBeUndefined();
    expect(n.funcs.size).toBe(0);
    expect(n.locals.size).toBe(0);
  });
});

describe('name section in a module', () => {
  it('fills ModuleAst.names and is kept among the custom sections', () => {
    const payload = [...MODULE_NAME, ...FUNC_NAMES];
    const m = decodeModule(mod(section(0, [...name('name'), ...payload])));
    expect(m.names.module).toBe('demo');
    expect(m.names.funcs.get(2)).toBe('h\u00e9lper');
    expect(m.customs.map((c) => [c.name, [...c.bytes]])).toEqual([['name', payload]]);
  });

  it('never fails a module for a malformed name section', () => {
    const m = decodeModule(mod(section(0, [...name('name'), 0x01, 0x7f])));
    expect(m.names.funcs.size).toBe(0);
    expect(m.customs.length).toBe(1);
  });

  it('uses the first name section when there are several', () => {
    const m = decodeModule(mod(
      section(0, [...name('name'), ...MODULE_NAME]),
      section(0, [...name('name'), ...sub(0, name('other'))]),
    ));
    expect(m.names.module).toBe('demo');
  });
});
