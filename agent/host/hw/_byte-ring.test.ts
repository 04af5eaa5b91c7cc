// Tests of ByteRing: FIFO order across the wrap, and the oldest bytes dropped and counted when full.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteRing } from './_byte-ring.ts';

describe('ByteRing', () => {
  it('take returns bytes in the order pushed, across the wrap', () => {
    const r = new ByteRing(4);
    r.push(Uint8Array.of(1, 2, 3));
    expect([...r.take(2)]).toEqual([1, 2]);
    r.push(Uint8Array.of(4, 5, 6));
    expect(r.size).toBe(4);
    expect([...r.take(10)]).toEqual([3, 4, 5, 6]);
    expect(r.dropped).toBe(0);
  });

  it('push drops the oldest bytes when full and counts them', () => {
    const r = new ByteRing(4);
    r.push(Uint8Array.of(1, 2, 3));
    r.push(Uint8Array.of(4, 5));
    expect(r.dropped).toBe(1);
    expect([...r.take(4)]).toEqual([2, 3, 4, 5]);
    r.push(Uint8Array.of(9));
    r.push(Uint8Array.of(10, 11, 12, 13, 14, 15));
    expect(r.dropped).toBe(1 + 3);
    expect([...r.take(4)]).toEqual([12, 13, 14, 15]);
  });

  it('keeps exactly the newest capacity bytes for any sequence of pushes and takes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.integer({ min: 0, max: 12 })), { maxLength: 30 }),
        (cap, ops) => {
          const r = new ByteRing(cap);
          let model: number[] = [];
          let dropped = 0;
          for (const op of ops) {
            if (typeof op === 'number') {
              expect([...r.take(op)]).toEqual(model.slice(0, op));
              model = model.slice(op);
            } else {
              r.push(op);
              model.push(...op);
              if (model.length > cap) {
                dropped += model.length - cap;
                model = model.slice(model.length - cap);
              }
            }
            expect(r.size).toBe(model.length);
            expect(r.dropped).toBe(dropped);
          }
        },
      ),
    );
  });
});
