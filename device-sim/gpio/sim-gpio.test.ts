// Tests of the simulated pins beyond the GPIO conformance suite: scenario edges at their times,
// no queue of edges between waits, the scenario's wiring enforced, output log and close.

import { describe, expect, it } from 'vitest';
import { HardwareError } from '../../agent/host/hw/errors.ts';
import { ManualTime } from '../../agent/host/hw/manual-time.ts';
import { SimGpio } from './sim-gpio.ts';

const pins = {
  button: { kind: 'input', initial: 1, edges: [{ atMs: 100, value: 0 }, { atMs: 250, value: 1 }, { atMs: 250, value: 0 }] },
  led: { kind: 'output' },
} as const;

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  const e = typeof p === 'function' ? (() => { try { p(); } catch (x) { return x; } return undefined; })() : await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(HardwareError);
  return (e as HardwareError).code;
}

describe('SimGpio', () => {
  it('scenario edges happen at their times relative to the start, in order', async () => {
    const time = new ManualTime(10_000);
    const gpio = new SimGpio(pins, { time });
    await gpio.configure('button', { direction: 'input' });
    expect(await gpio.read('button')).toBe(1);
    const fall = gpio.waitEdge('button', 'falling', { timeoutMs: 1000 });
    await time.advance(100);
    expect(await fall).toEqual({ line: 'button', edge: 'falling', at: 10_100 });
    // Two edges at the same time: a wait for "both" sees the first.
    const both = gpio.waitEdge('button', 'both', { timeoutMs: 1000 });
    await time.advance(150);
    expect(await both).toEqual({ line: 'button', edge: 'rising', at: 10_250 });
    expect(await gpio.read('button')).toBe(0);
  });

  it('an edge that happened before a wait began is not seen by it', async () => {
    const time = new ManualTime();
    const gpio = new SimGpio(pins, { time });
    await gpio.configure('button', { direction: 'input' });
    await time.advance(120); // the falling edge at 100 passed with nobody waiting
    const p = gpio.waitEdge('button', 'falling', { timeoutMs: 100 });
    await time.advance(100);
    expect(await p).toBeNull();
  });

  it('pins are used only as the scenario wires them', async () => {
    const gpio = new SimGpio(pins, { time: new ManualTime() });
    expect(await codeOf(gpio.configure('button', { direction: 'output', initial: 1 }))).toBe('wrong-direction');
    expect(await codeOf(gpio.configure('led', { direction: 'input' }))).toBe('wrong-direction');
    expect(await codeOf(() => gpio.setInput('led', 1))).toBe('wrong-direction');
    expect(await codeOf(() => gpio.setInput('nope', 1))).toBe('unknown-line');
  });

  it('the output log records changes only, with clock times, and releases as null', async () => {
    const time = new ManualTime(5);
    const seen: string[] = [];
    const gpio = new SimGpio(pins, { time, onOutput: (c) => seen.push(`${c.value}@${c.at}`) });
    await gpio.configure('led', { direction: 'output', initial: 0 });
    await time.advance(10);
    await gpio.write('led', 0);
    await gpio.write('led', 1);
    await time.advance(10);
    await gpio.release('led');
    expect(seen).toEqual(['0@5', '1@15', 'null@25']);
    expect(gpio.outputLog.map((c) => c.line)).toEqual(['led', 'led', 'led']);
  });

  it('close cancels the scenario timers', async () => {
    const time = new ManualTime();
    const gpio = new SimGpio(pins, { time });
    expect(time.pendingTimers).toBe(3);
    await gpio.close();
    expect(time.pendingTimers).toBe(0);
  });
});
