// The position the HTTP API names for malformed JSON: every text JSON.parse accepts scans to its end, and for broken
// bodies the offset is the first character that cannot continue any JSON text.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, parseJsonBody } from '../../../cloud/http/_json.ts';

describe('jsonErrorOffset', () => {
  it('finds no error in any text JSON.parse accepts', () => {
    fc.assert(fc.property(fc.json(), (t) => jsonErrorOffset(t) === t.length), { numRuns: process.env['FLEETLET_PROFILE'] === 'ci' ? 200 : 1000 });
    fc.assert(fc.property(fc.json(), (t) => jsonErrorOffset(` \n${JSON.stringify(JSON.parse(t), null, 2)}\t`) === JSON.stringify(JSON.parse(t), null, 2).length + 3));
  });

  it('stops at the first character that cannot continue a JSON text, whatever V8 says', () => {
    fc.assert(fc.property(fc.json(), fc.nat(), (t, at) => {
      const cut = t.slice(0, at % (t.length + 1));
      let ok = true;
      try {
        JSON.parse(cut);
      } catch {
        ok = false;
      }
      // A prefix of a JSON text is either JSON itself or ends too early: the error is at its end.
      return ok ? jsonErrorOffset(cut) === cut.length : jsonErrorOffset(cut) === cut.length;
    }));
  });

  it.each([
    ['{"a":}', 5],
    ['{"a":1,}', 7],
    ['[1 2]', 3],
    ['{"a":tru}', 8],
    ['"tab\there"', 4],
    ['01', 1],
    ['{} x', 3],
    ['"\\x"', 2],
    ['-', 1],
    ['1.e5', 2],
  ])('%j fails at offset %i', (text, at) => {
    expect(jsonErrorOffset(text)).toBe(at);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('parseJsonBody names line and column', () => {
    expect(() => parseJsonBody('{\n  "a": 1,\n  "b": ]\n}')).toThrow(/unexpected "]" at line 3 column 8 \(offset 19\)/);
  });
});
