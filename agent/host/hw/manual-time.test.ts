// Tests of ManualTime: timers fire in due order at their due time, cleared timers never fire,
// and promise callbacks run between timers.

import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

describe('ManualTime', () => {
  it('advance fires due timers in order with the clock at each due time', async () => {
    const time = new ManualTime(100);
    const seen: string[] = [];
    time.setTimeout(() => seen.push(`b@${time.now()}`), 20);
    time.setTimeout(() => seen.push(`a@${time.now()}`), 10);
    time.setTimeout(() => seen.push(`c@${time.now()}`), 20);
    time.setTimeout(() => seen.push(`late@${time.now()}`), 31);
    await time.advance(30);
    expect(seen).toEqual(['a@110', 'b@120', 'c@120']);
    expect(time.now()).toBe(130);
    expect(time.pendingTimers).toBe(1);
    expect(time.nextDue()).toBe(131);
  });

  it('clearTimeout stops a timer from firing', async () => {
    const time = new ManualTime();
    let fired = false;
    const h = time.setTimeout(() => (fired = true), 5);
    time.clearTimeout(h);
    await time.advance(10);
    expect(fired).toBe(false);
  });

  it('timers set by a firing timer fire in the same advance when due', async () => {
    const time = new ManualTime();
    const at: number[] = [];
    time.setTimeout(() => {
      at.push(time.now());
      time.setTimeout(() => at.push(time.now()), 5);
    }, 5);
    await time.advance(10);
    expect(at).toEqual([5, 10]);
  });

  it('advance lets promise callbacks run between timers', async () => {
    const time = new ManualTime();
    const order: string[] = [];
    const p = new Promise<void>((resolve) => time.setTimeout(resolve, 1));
    void p.then(() => order.push(`resolved@${time.now()}`));
    time.setTimeout(() => order.push(`second@${time.now()}`), 2);
    await time.advance(2);
    expect(order).toEqual(['resolved@1', 'second@2']);
  });

  it('advance refuses to move time backwards', async () => {
    await expect(new ManualTime().advance(-1)).rejects.toThrow(RangeError);
  });
});
