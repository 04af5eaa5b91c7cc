// Tests of the hardware-free host functions through the engine: log lines and their bad
// pointers, the injected clocks, sleep's suspension, publish with its topic grants, payload and
// byte-rate limits, and the per-second host call limit on the injected clock.

import { describe, expect, it } from 'vitest';
import { Pending } from '../wasm/api.ts';
import { Trap } from '../wasm/errors.ts';
import { probe } from './_probe.ts';
import { STATUS } from './status.ts';

describe('log', () => {
  it('writes a line with its level, app name and wall-clock time to the log sink', async () => {
    const p = await probe(['log']);
    const [ptr, len] = p.str('boiler at 21.5 °C');
    await p.run('log', 2, ptr, len);
    expect(p.dev.logs).toEqual([{ app: 'probe', level: 'warn', text: 'boiler at 21.5 °C', timeMs: 1_700_000_001_000, source: 'log' }]);
  });

  it('cuts a line longer than 4096 bytes and shows an unknown level as info', async () => {
    const p = await probe(['log']);
    const [ptr] = p.str('x'.repeat(5000));
    await p.run('log', 9, ptr, 5000);
    expect(p.dev.logs[0]!.text).toBe('x'.repeat(4096));
    expect(p.dev.logs[0]!.level).toBe('info');
  });

  it('traps with memory-out-of-bounds when the text lies outside memory', async () => {
    const p = await probe(['log']);
    const r = p.call('log', 1, 65530, 10);
    expect(r.kind).toBe('trap');
    if (r.kind === 'trap') {
      expect(r.trap).toBeInstanceOf(Trap);
      expect(r.trap.kind).toBe('memory-out-of-bounds');
    }
    expect(p.dev.logs).toEqual([]);
  });

  it('drops lines past the call rate and counts them, without failing the module', async () => {
    const p = await probe(['log'], { limits: { hostCallsPerSecond: 3 } });
    const [ptr, len] = p.str('tick');
    for (let i = 0; i < 5; i++) await p.run('log', 1, ptr, len);
    expect(p.dev.logs).toHaveLength(3);
    expect(p.host.stats()).toMatchObject({ logLines: 3, droppedLogLines: 2, rateLimited: 2 });
    await p.dev.time.advance(1000);
    await p.run('log', 1, ptr, len);
    expect(p.dev.logs).toHaveLength(4);
  });
});

describe('clocks and sleep', () => {
  it('clock_wall and clock_mono give the injected clocks in nanoseconds', async () => {
    const p = await probe(['clock_wall', 'clock_mono'], { capabilities: ['clock'] });
    await p.dev.time.advance(250);
    expect(await p.run('clock_mono')).toBe(1_250_000_000n);
    expect(await p.run('clock_wall')).toBe(1_700_000_001_250n * 1_000_000n);
  });

  it('sleep suspends the call until now + ms on the scheduler clock and resumes with 0', async () => {
    const p = await probe(['sleep']);
    const r = p.call('sleep', 300);
    expect(r.kind).toBe('suspended');
    if (r.kind !== 'suspended') return;
    expect(r.call.pending).toBeInstanceOf(Pending);
    expect(r.call.pending?.detail).toEqual({ op: 'sleep', sleepUntil: 1300 });
    expect(r.call.resume()).toMatchObject({ kind: 'done', value: [0] });
  });

  it('sleep with a negative duration returns E_INVALID without suspending', async () => {
    const p = await probe(['sleep']);
    expect(p.call('sleep', -5)).toMatchObject({ kind: 'done', value: [STATUS.invalid.value] });
  });
});

describe('publish', () => {
  const caps = ['publish:telemetry/#', 'publish:alerts/door'];

  it('hands a granted subtopic and a copy of the payload to the publisher', async () => {
    const p = await probe(['publish'], { capabilities: caps });
    const [t, tl] = p.str('telemetry/boiler');
    const [b, bl] = p.str('{"t":21.5}');
    expect(await p.run('publish', t, tl, b, bl)).toBe(0);
    p.mem().fill(0, b, b + bl);
    expect(p.dev.messages).toHaveLength(1);
    const m = p.dev.messages[0]!;
    expect([m.app, m.subtopic, Buffer.from(m.payload).toString()]).toEqual(['probe', 'telemetry/boiler', '{"t":21.5}']);
    expect(p.host.stats()).toMatchObject({ published: 1, publishedBytes: 10 });
  });

  it('returns E_DENIED for a topic no publish filter matches, and nothing is published', async () => {
    const p = await probe(['publish'], { capabilities: caps });
    const [t, tl] = p.str('alerts/window');
    const [b, bl] = p.str('open');
    expect(await p.run('publish', t, tl, b, bl)).toBe(STATUS.denied.value);
    expect(p.dev.messages).toEqual([]);
    expect(p.host.stats().recent.at(-1)).toMatchObject({ kind: 'denied', fn: 'publish', detail: 'no publish capability matches topic "alerts/window"' });
  });

  it('returns E_INVALID for wildcards and empty levels, E_TOO_BIG past the payload limit', async () => {
    const p = await probe(['publish'], { capabilities: caps, limits: { maxPublishBytes: 8 } });
    const [b, bl] = p.str('12345678');
    for (const bad of ['telemetry/+', 'telemetry//x', '#', '']) {
      const [t, tl] = p.str(bad);
      expect(await p.run('publish', t, tl, b, bl)).toBe(STATUS.invalid.value);
    }
    const [t, tl] = p.str('telemetry/x');
    expect(await p.run('publish', t, tl, b, 9)).toBe(STATUS.tooBig.value);
    expect(await p.run('publish', t, tl, b, 8)).toBe(0);
  });

  it('limits published bytes per second on the injected clock', async () => {
    const p = await probe(['publish'], { capabilities: caps, limits: { publishBytesPerSecond: 100 } });
    const [t, tl] = p.str('telemetry/x');
    const [b] = p.str('y'.repeat(40));
    expect(await p.run('publish', t, tl, b, 40)).toBe(0);
    expect(await p.run('publish', t, tl, b, 40)).toBe(0);
    expect(await p.run('publish', t, tl, b, 40)).toBe(STATUS.rateLimited.value);
    await p.dev.time.advance(500); // 50 bytes come back
    expect(await p.run('publish', t, tl, b, 40)).toBe(0);
    expect(p.dev.messages).toHaveLength(3);
  });

  it('returns E_FAULT when the payload lies outside memory', async () => {
    const p = await probe(['publish'], { capabilities: caps });
    const [t, tl] = p.str('telemetry/x');
    expect(await p.run('publish', t, tl, 65_000, 1000)).toBe(STATUS.fault.value);
    expect(await p.run('publish', -1, 3, 0, 0)).toBe(STATUS.fault.value);
  });
});

describe('host call rate', () => {
  it('refuses counted calls past hostCallsPerSecond with E_RATE_LIMITED until the clock refills them', async () => {
    const p = await probe(['publish'], { capabilities: ['publish:t'], limits: { hostCallsPerSecond: 4 } });
    const [t, tl] = p.str('t');
    const results: number[] = [];
    for (let i = 0; i < 6; i++) results.push((await p.run('publish', t, tl, 0, 0)) as number);
    expect(results).toEqual([0, 0, 0, 0, STATUS.rateLimited.value, STATUS.rateLimited.value]);
    await p.dev.time.advance(250); // one call's worth at 4 per second
    expect(await p.run('publish', t, tl, 0, 0)).toBe(0);
    expect(await p.run('publish', t, tl, 0, 0)).toBe(STATUS.rateLimited.value);
    expect(p.dev.messages).toHaveLength(5);
    expect(p.host.stats()).toMatchObject({ rateLimited: 3, calls: { publish: 8 } });
  });

  it('does not count clocks and sleeps', async () => {
    const p = await probe(['clock_mono', 'publish'], { capabilities: ['publish:t'], limits: { hostCallsPerSecond: 1 } });
    for (let i = 0; i < 10; i++) await p.run('clock_mono');
    const [t, tl] = p.str('t');
    expect(await p.run('publish', t, tl, 0, 0)).toBe(0);
  });
});
