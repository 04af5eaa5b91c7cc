// The conformance suite every GpioBackend must pass: outputs driven and read back, inputs read,
// edge waits (matching, timeout, abort, release), and typed errors for misuse and use after close.

import { describe, expect, it } from 'vitest';
import { HardwareError, type HardwareErrorCode } from './errors.ts';
import type { GpioBackend, GpioValue } from './gpio.ts';

export interface GpioHarness {
  readonly backend: GpioBackend;
  /** A line the world drives (a button), and one the backend drives (a relay). */
  readonly input: string;
  readonly output: string;
  /** Drives the input line from the world's side. */
  drive(value: GpioValue): Promise<void>;
  /** What the output line shows the world: the driven level, or null when nobody drives it. */
  observe(): GpioValue | null;
  /** Resolves once a waitEdge just called on the input watches the line. */
  edgeWaitStarted(): Promise<void>;
  /** Moves the backend's time forward by `ms`. */
  advance(ms: number): Promise<void>;
  /** Awaits an operation that may need the backend's time to pass (a tool's settle time). */
  settle<T>(p: Promise<T>): Promise<T>;
  /** The backend's clock now. */
  now(): number;
  cleanup(): Promise<void>;
}

async function rejectsWith(p: Promise<unknown>, code: HardwareErrorCode, device?: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, `expected a HardwareError "${code}"`).toBeInstanceOf(HardwareError);
  expect((e as HardwareError).code).toBe(code);
  if (device !== undefined) expect((e as HardwareError).device).toBe(device);
}

/** Whether `p` is still pending after pending callbacks ran. */
async function pending(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return !done;
}

/** Registers the suite under `label`; `make` builds a fresh harness per test. */
export function gpioConformance(label: string, make: () => Promise<GpioHarness>): void {
  const withHarness = (fn: (h: GpioHarness) => Promise<void>) => async () => {
    const h = await make();
    try {
      await fn(h);
    } finally {
      await h.cleanup();
    }
  };
  const input = (h: GpioHarness) => h.settle(h.backend.configure(h.input, { direction: 'input' }));

  describe(`GpioBackend conformance: ${label}`, () => {
    it('lines lists the input and output lines, sorted by name', withHarness(async (h) => {
      const names = (await h.backend.lines()).map((l) => l.name);
      expect(names).toEqual([...names].sort());
      expect(names).toContain(h.input);
      expect(names).toContain(h.output);
    }));

    it('configure output drives the initial value; write changes it; read returns it', withHarness(async (h) => {
      await h.settle(h.backend.configure(h.output, { direction: 'output', initial: 1 }));
      expect(h.observe()).toBe(1);
      expect(await h.settle(h.backend.read(h.output))).toBe(1);
      await h.settle(h.backend.write(h.output, 0));
      expect(h.observe()).toBe(0);
      expect(await h.settle(h.backend.read(h.output))).toBe(0);
      await h.settle(h.backend.write(h.output, 1));
      await h.settle(h.backend.write(h.output, 1));
      expect(h.observe()).toBe(1);
    }));

    it('read of an input follows the level the world drives', withHarness(async (h) => {
      await input(h);
      await h.drive(1);
      expect(await h.settle(h.backend.read(h.input))).toBe(1);
      await h.drive(0);
      expect(await h.settle(h.backend.read(h.input))).toBe(0);
    }));

    it('waitEdge "rising" resolves with the edge, the line and the clock time', withHarness(async (h) => {
      await input(h);
      const p = h.backend.waitEdge(h.input, 'rising', { timeoutMs: 60_000 });
      await h.edgeWaitStarted();
      await h.drive(1);
      const e = await p;
      expect(e).not.toBeNull();
      expect(e!.line).toBe(h.input);
      expect(e!.edge).toBe('rising');
      expect(e!.at).toBe(h.now());
    }));

    it('waitEdge "falling" ignores a rising edge and resolves on the falling one', withHarness(async (h) => {
      await input(h);
      const p = h.backend.waitEdge(h.input, 'falling', { timeoutMs: 60_000 });
      await h.edgeWaitStarted();
      await h.drive(1);
      expect(await pending(p)).toBe(true);
      await h.drive(0);
      expect((await p)!.edge).toBe('falling');
    }));

    it('waitEdge "both" resolves on either edge', withHarness(async (h) => {
      await input(h);
      await h.drive(1);
      const p = h.backend.waitEdge(h.input, 'both', { timeoutMs: 60_000 });
      await h.edgeWaitStarted();
      await h.drive(0);
      expect((await p)!.edge).toBe('falling');
    }));

    it('waitEdge resolves with null when the timeout passes first, not before', withHarness(async (h) => {
      await input(h);
      const p = h.backend.waitEdge(h.input, 'rising', { timeoutMs: 200 });
      await h.edgeWaitStarted();
      await h.advance(150);
      expect(await pending(p)).toBe(true);
      await h.advance(60);
      expect(await p).toBeNull();
      // the line is usable again afterwards
      await h.drive(1);
      expect(await h.settle(h.backend.read(h.input))).toBe(1);
    }));

    it('waitEdge rejects with "aborted" when its signal fires, or was fired before', withHarness(async (h) => {
      await input(h);
      const ac = new AbortController();
      const p = h.backend.waitEdge(h.input, 'both', { timeoutMs: 60_000, signal: ac.signal });
      await h.edgeWaitStarted();
      ac.abort();
      await rejectsWith(p, 'aborted', h.input);
      await rejectsWith(h.backend.waitEdge(h.input, 'both', { timeoutMs: 10, signal: ac.signal }), 'aborted');
    }));

    it('a second waitEdge on a line that is being waited on fails with "busy"', withHarness(async (h) => {
      await input(h);
      const ac = new AbortController();
      const first = h.backend.waitEdge(h.input, 'both', { timeoutMs: 60_000, signal: ac.signal });
      await h.edgeWaitStarted();
      await rejectsWith(h.backend.waitEdge(h.input, 'both', { timeoutMs: 10 }), 'busy', h.input);
      ac.abort();
      await rejectsWith(first, 'aborted');
    }));

    it('release ends a running wait with "closed" and frees the line', withHarness(async (h) => {
      await input(h);
      const p = h.backend.waitEdge(h.input, 'both', { timeoutMs: 60_000 });
      await h.edgeWaitStarted();
      const ended = rejectsWith(p, 'closed', h.input);
      await h.settle(h.backend.release(h.input));
      await ended;
      await rejectsWith(h.backend.read(h.input), 'not-configured', h.input);
      await input(h);
    }));

    it('every operation on an unknown line fails with "unknown-line" naming it', withHarness(async (h) => {
      await rejectsWith(h.backend.configure('no-such-line', { direction: 'input' }), 'unknown-line', 'no-such-line');
      await rejectsWith(h.backend.read('no-such-line'), 'unknown-line', 'no-such-line');
      await rejectsWith(h.backend.write('no-such-line', 1), 'unknown-line', 'no-such-line');
      await rejectsWith(h.backend.waitEdge('no-such-line', 'both', { timeoutMs: 1 }), 'unknown-line');
      await rejectsWith(h.backend.release('no-such-line'), 'unknown-line');
    }));

    it('read, write and waitEdge before configure fail with "not-configured"', withHarness(async (h) => {
      await rejectsWith(h.backend.read(h.input), 'not-configured', h.input);
      await rejectsWith(h.backend.write(h.output, 1), 'not-configured', h.output);
      await rejectsWith(h.backend.waitEdge(h.input, 'both', { timeoutMs: 1 }), 'not-configured', h.input);
    }));

    it('configure of a configured line fails with "busy"; after release it works again', withHarness(async (h) => {
      await h.settle(h.backend.configure(h.output, { direction: 'output', initial: 0 }));
      await rejectsWith(h.settle(h.backend.configure(h.output, { direction: 'output', initial: 1 })), 'busy', h.output);
      await h.settle(h.backend.release(h.output));
      await h.settle(h.backend.configure(h.output, { direction: 'output', initial: 1 }));
      expect(h.observe()).toBe(1);
    }));

    it('write to an input and waitEdge on an output fail with "wrong-direction"', withHarness(async (h) => {
      await input(h);
      await h.settle(h.backend.configure(h.output, { direction: 'output', initial: 0 }));
      await rejectsWith(h.settle(h.backend.write(h.input, 1)), 'wrong-direction', h.input);
      await rejectsWith(h.settle(h.backend.waitEdge(h.output, 'both', { timeoutMs: 1 })), 'wrong-direction', h.output);
    }));

    it('bad values and timeouts fail with "invalid-argument"', withHarness(async (h) => {
      await input(h);
      await h.settle(h.backend.configure(h.output, { direction: 'output', initial: 0 }));
      await rejectsWith(h.settle(h.backend.write(h.output, 2 as GpioValue)), 'invalid-argument', h.output);
      await rejectsWith(h.settle(h.backend.waitEdge(h.input, 'both', { timeoutMs: -1 })), 'invalid-argument', h.input);
      await rejectsWith(h.settle(h.backend.waitEdge(h.input, 'both', { timeoutMs: Number.NaN })), 'invalid-argument', h.input);
      expect(h.observe()).toBe(0);
    }));

    it('release of an output stops driving it', withHarness(async (h) => {
      await h.settle(h.backend.configure(h.output, { direction: 'output', initial: 1 }));
      await h.settle(h.backend.release(h.output));
      expect(h.observe()).toBeNull();
      await h.settle(h.backend.release(h.output)); // releasing twice does nothing
    }));

    it('close releases every line; later calls fail with "closed"', withHarness(async (h) => {
      await h.settle(h.backend.configure(h.output, { direction: 'output', initial: 1 }));
      await input(h);
      await h.settle(h.backend.close());
      expect(h.observe()).toBeNull();
      await rejectsWith(h.backend.lines(), 'closed');
      await rejectsWith(h.backend.read(h.input), 'closed');
      await rejectsWith(h.backend.configure(h.input, { direction: 'input' }), 'closed');
    }));
  });
}
