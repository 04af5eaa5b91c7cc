// Tests of the host's small limiters: the token bucket on an injected clock, the host memory
// budget, the bounded line buffer, and guest memory bounds checks that never throw.

import { describe, expect, it } from 'vitest';
import { MemoryInst } from '../wasm/runtime/memory.ts';
import { HostBudget } from './budget.ts';
import { GuestMemory } from './guest-memory.ts';
import { cutUtf8, LineBuffer } from './log-lines.ts';
import { TokenBucket } from './rate-limit.ts';

describe('TokenBucket', () => {
  it('allows a burst of one second, then the rate, on the injected clock', () => {
    let t = 0;
    const b = new TokenBucket({ now: () => t }, 10);
    for (let i = 0; i < 10; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    t = 100;
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    t = 60_000;
    expect(b.available()).toBe(10);
    expect(b.take(11)).toBe(false);
    expect(b.take(10)).toBe(true);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket({ now: () => 0 }, 0)).toThrow(RangeError);
  });
});

describe('HostBudget', () => {
  it('reserves only what fits and remembers the high-water mark', () => {
    const b = new HostBudget(100);
    expect(b.reserve(60)).toBe(true);
    expect(b.reserve(50)).toBe(false);
    expect(b.used).toBe(60);
    b.release(60);
    expect(b.reserve(100)).toBe(true);
    expect(b.highWater).toBe(100);
  });
});

describe('LineBuffer', () => {
  it('emits lines at newlines, strips CR, holds the rest and flushes it', () => {
    const lines: string[] = [];
    const lb = new LineBuffer(16);
    lb.push(Buffer.from('ab\r\ncd'), (l) => lines.push(l));
    expect(lines).toEqual(['ab']);
    expect(lb.pending).toBe(2);
    lb.push(Buffer.from('e\n\n'), (l) => lines.push(l));
    expect(lines).toEqual(['ab', 'cde', '']);
    lb.push(Buffer.from('x'.repeat(40)), (l) => lines.push(l));
    expect(lines.slice(3)).toEqual(['x'.repeat(16), 'x'.repeat(16)]);
    lb.flush((l) => lines.push(l));
    expect(lines.at(-1)).toBe('x'.repeat(8));
  });

  it('cutUtf8 never splits a character', () => {
    expect(cutUtf8('aé', 2)).toBe('a');
    expect(cutUtf8('aé', 3)).toBe('aé');
  });
});

describe('GuestMemory', () => {
  it('fails every access before attach, and sees growth after it', () => {
    const g = new GuestMemory();
    expect(g.view(0, 1)).toBeUndefined();
    expect(g.writeU32(0, 1)).toBe(false);
    const m = new MemoryInst({ bounds: { min: 1, max: 2 } }, 2);
    g.attach(() => m);
    expect(g.inBounds(65_532, 4)).toBe(true);
    expect(g.inBounds(65_533, 4)).toBe(false);
    expect(g.inBounds(-1, 1)).toBe(false); // 0xffffffff unsigned
    m.grow(1);
    expect(g.writeU64(65_536 + 8, 5n)).toBe(true);
    expect(g.readU64(65_536 + 8)).toBe(5n);
  });

  it('decodes text strictly (or lossily for logs) and refuses text longer than asked', () => {
    const m = new MemoryInst({ bounds: { min: 1, max: undefined } }, 1);
    const g = new GuestMemory();
    g.attach(() => m);
    m.u8.set([0x68, 0x69, 0xff], 10);
    expect(g.text(10, 2, 8)).toEqual({ ok: true, text: 'hi' });
    expect(g.text(10, 3, 8)).toEqual({ ok: false, reason: 'invalid' });
    expect(g.text(10, 9, 8)).toEqual({ ok: false, reason: 'invalid' });
    expect(g.text(65_535, 2, 8)).toEqual({ ok: false, reason: 'fault' });
    expect(g.lossyText(10, 3)).toBe('hi\ufffd');
  });
});
