// EventDeduplicator: a redelivered id is counted once, per device, within its bounds.
import { describe, expect, it } from 'vitest';
import { EventDeduplicator } from './dedup.ts';

describe('EventDeduplicator', () => {
  it('accept returns true the first time an id is seen and false for a redelivery', () => {
    const d = new EventDeduplicator();
    expect(d.accept('dev-a', 'e1')).toBe(true);
    expect(d.accept('dev-a', 'e1')).toBe(false);
    expect(d.accept('dev-a', 'e2')).toBe(true);
    expect(d.stats).toEqual({ accepted: 2, duplicates: 1 });
  });

  it('accept keeps ids per device: the same id from two devices is two events', () => {
    const d = new EventDeduplicator();
    expect(d.accept('dev-a', 'e1')).toBe(true);
    expect(d.accept('dev-b', 'e1')).toBe(true);
  });

  it('remembers at most perDevice ids, forgetting the oldest first', () => {
    const d = new EventDeduplicator({ perDevice: 3 });
    for (const id of ['a', 'b', 'c', 'd']) d.accept('dev', id);
    expect(d.remembered('dev')).toBe(3);
    expect(d.accept('dev', 'b')).toBe(false);
    expect(d.accept('dev', 'a')).toBe(true); // forgotten: its ring slot went to "d"
  });

  it('remembers at most maxDevices devices, forgetting the least recently heard from', () => {
    const d = new EventDeduplicator({ maxDevices: 2 });
    d.accept('dev-1', 'x');
    d.accept('dev-2', 'x');
    d.accept('dev-1', 'y'); // dev-1 is now the most recent
    d.accept('dev-3', 'x'); // evicts dev-2
    expect(d.devices).toBe(2);
    expect(d.accept('dev-1', 'x')).toBe(false);
    expect(d.accept('dev-2', 'x')).toBe(true);
  });

  it('refuses bounds below 1', () => {
    expect(() => new EventDeduplicator({ perDevice: 0 })).toThrow(RangeError);
    expect(() => new EventDeduplicator({ maxDevices: 1.5 })).toThrow(RangeError);
  });
});
