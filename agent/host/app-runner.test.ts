// Tests of the app runner with WebAssembly text apps on the simulator: reactors keep their tick
// schedule on the injected clock, commands sleep without holding others, and misbehaving apps
// (trap at start, spin, grow memory, wrong pin, publish flood) are contained and reported with
// their reason while a well-behaved app beside them keeps its schedule.

import { describe, expect, it } from 'vitest';
import { DEFAULT_APP_LIMITS } from '../../schemas/app-descriptor.ts';
import type { ManifestLimits } from '../../schemas/messages/manifest.ts';
import { LinkError } from '../wasm/errors.ts';
import { AppRunner, type AppSpec } from './app-runner.ts';
import { systemTime } from './hw/time.ts';
import type { LogLine } from './log-lines.ts';
import { HOST, testDevice, watModule } from './_test-kit.ts';

const imp = (name: string, sig: string): string => `(import "${HOST}" "${name}" (func $${name} ${sig}))`;

/** Reads the temperature, publishes it, counts ticks; health returns the count. */
const GOOD = `(module
  ${imp('sensor_read', '(param i32 i32 i32) (result i32)')}
  ${imp('publish', '(param i32 i32 i32 i32) (result i32)')}
  (memory (export "memory") 1)
  (data (i32.const 0) "temperature")
  (data (i32.const 16) "telemetry/temp")
  (global $ticks (mut i32) (i32.const 0))
  (func (export "init"))
  (func (export "tick")
    (drop (call $sensor_read (i32.const 0) (i32.const 11) (i32.const 64)))
    (drop (call $publish (i32.const 16) (i32.const 14) (i32.const 64) (i32.const 8)))
    (global.set $ticks (i32.add (global.get $ticks) (i32.const 1))))
  (func (export "health") (result i32) (global.get $ticks)))`;
const GOOD_CAPS = ['sensor:temperature:read', 'publish:telemetry/#'];

const TRAP_AT_START = '(module (func (export "init") unreachable) (func (export "tick")))';
const SPIN = '(module (func (export "tick") (loop $l (br $l))))';
const GROW = `(module (memory 1)
  (func (export "tick") (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))))`;
const WRONG_PIN = `(module
  ${imp('gpio_config', '(param i32 i32) (result i32)')}
  ${imp('gpio_write', '(param i32 i32) (result i32)')}
  (global $last (export "last") (mut i32) (i32.const 0))
  (func (export "init") (drop (call $gpio_config (i32.const 17) (i32.const 1))))
  (func (export "tick") (global.set $last (call $gpio_write (i32.const 18) (i32.const 1)))))`;
const FLOOD = `(module
  ${imp('publish', '(param i32 i32 i32 i32) (result i32)')}
  (memory 1) (data (i32.const 0) "spam")
  (func (export "tick") (local $i i32)
    (loop $l
      (drop (call $publish (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 64)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 1000))))))`;

/** A command: n times { sleep(ms); log(tag) }. */
const sleeper = (tag: string, ms: number, n: number): string => `(module
  ${imp('sleep', '(param i32) (result i32)')}
  ${imp('log', '(param i32 i32 i32)')}
  (memory 1) (data (i32.const 0) "${tag}")
  (func (export "_start") (local $i i32)
    (loop $l
      (drop (call $sleep (i32.const ${ms})))
      (call $log (i32.const 1) (i32.const 0) (i32.const ${tag.length}))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const ${n}))))))`;

const limits = (over: Partial<ManifestLimits> = {}): ManifestLimits => ({ ...DEFAULT_APP_LIMITS, tickPeriodMs: 100, fuelPerTick: 1_000_000, ...over });

function spec(name: string, text: string, over: Partial<AppSpec> = {}): AppSpec {
  return { name, kind: 'reactor', module: watModule(text), capabilities: [], limits: limits(), ...over };
}

function setup() {
  const dev = testDevice();
  const ended: string[] = [];
  const runner = new AppRunner({ device: dev.device, virtual: { time: dev.time, fuelPerMs: 100_000 }, onEnd: (r) => ended.push(`${r.name}:${r.state}`) });
  return { dev, runner, ended };
}

describe('reactors', () => {
  it('init runs once, then tick every tick period on the injected clock', async () => {
    const { dev, runner } = setup();
    await runner.add(spec('good', GOOD, { capabilities: GOOD_CAPS }));
    await runner.runUntil(1000 + 2050);
    const r = runner.report('good');
    expect(r).toMatchObject({ state: 'running', ticks: 20, missedTicks: 0, traps: 0, lastError: undefined });
    expect(dev.messages).toHaveLength(20);
    expect(new DataView(dev.messages[0]!.payload.buffer).getFloat64(0, true)).toBe(21.5);
    expect(r.fuel.lastTick).toBeGreaterThan(0);
    expect(r.fuel.maxTick).toBe(r.fuel.lastTick);
    expect(r.memory).toEqual({ pages: 1, highWaterPages: 1, capPages: 16 }); // the default maxMemoryPages
    expect(r.host.calls).toEqual({ sensor_read: 20, publish: 20 });
  });

  it('health returns what the module reports', async () => {
    const { runner } = setup();
    await runner.add(spec('good', GOOD, { capabilities: GOOD_CAPS }));
    await runner.runFor(550);
    const h = runner.health('good');
    await runner.runFor(10);
    expect(await h).toBe(5);
  });

  it('a module importing a function it has no capability for is refused at add with a LinkError', async () => {
    const { runner } = setup();
    const e = await runner.add(spec('pins', WRONG_PIN)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LinkError);
    expect((e as LinkError).code).toBe('capability-denied');
    expect((e as LinkError).message).toContain('"gpio_config"');
    expect(runner.names()).toEqual([]);
  });
});

describe('misbehaving apps are contained while a good app keeps its schedule', () => {
  it('trap at start, spin, grow memory, wrong pin and publish flood, each reported with its reason', async () => {
    const { dev, runner, ended } = setup();
    await runner.add(spec('good', GOOD, { capabilities: GOOD_CAPS }));
    await runner.add(spec('trapper', TRAP_AT_START));
    await runner.add(spec('spinner', SPIN));
    await runner.add(spec('grower', GROW, { limits: limits({ maxMemoryPages: 4 }) }));
    await runner.add(spec('pins', WRONG_PIN, { capabilities: ['gpio:17:out'] }));
    await runner.add(spec('flood', FLOOD, { capabilities: ['publish:spam'], limits: limits({ hostCallsPerSecond: 50 }) }));
    await runner.runUntil(1000 + 2050);

    expect(runner.report('good')).toMatchObject({ state: 'running', ticks: 20, missedTicks: 0, traps: 0, outOfFuel: 0 });

    expect(runner.report('trapper')).toMatchObject({
      state: 'failed', ticks: 0, traps: 1,
      lastError: { reason: 'trap', phase: 'init', kind: 'unreachable' },
    });

    const spinner = runner.report('spinner');
    expect(spinner).toMatchObject({ state: 'failed', ticks: 0, outOfFuel: 3, lastError: { reason: 'out-of-fuel', phase: 'tick' } });
    expect(spinner.fuel.total).toBeGreaterThanOrEqual(3 * 1_000_000);
    expect(spinner.fuel.total).toBeLessThanOrEqual(3 * (1_000_000 + 100_000));

    expect(runner.report('grower')).toMatchObject({
      state: 'failed', ticks: 3, traps: 3,
      memory: { pages: 4, highWaterPages: 4, capPages: 4 },
      lastError: { reason: 'trap', kind: 'unreachable', phase: 'tick' },
    });

    const pins = runner.report('pins');
    expect(pins).toMatchObject({ state: 'running', ticks: 20, host: { denied: 20 } });
    expect(pins.host.recent.at(-1)).toMatchObject({ kind: 'denied', fn: 'gpio_write', detail: 'pin 18 is not granted as an output' });
    expect(dev.gpioCalls.map((c) => [c.method, c.args[0]])).toEqual([['configure', '17']]);

    const flood = runner.report('flood');
    expect(flood.state).toBe('running');
    expect(flood.ticks).toBe(20);
    // 50 calls banked at start, then 50 a second for about 2 seconds
    expect(flood.host.published).toBeGreaterThanOrEqual(140);
    expect(flood.host.published).toBeLessThanOrEqual(155);
    expect(flood.host.rateLimited).toBe(20 * 1000 - flood.host.published);
    expect(dev.messages.filter((m) => m.app === 'flood')).toHaveLength(flood.host.published);

    expect(ended.sort()).toEqual(['grower:failed', 'spinner:failed', 'trapper:failed']);
    await runner.close();
  });

  it('a command that never yields shares the CPU by fuel slices; the good app misses no tick', async () => {
    const { runner } = setup();
    await runner.add(spec('good', GOOD, { capabilities: GOOD_CAPS }));
    await runner.add(spec('busy', '(module (func (export "_start") (loop $l (br $l))))', { kind: 'command' }));
    await runner.runUntil(1000 + 1050);
    expect(runner.report('good')).toMatchObject({ ticks: 10, missedTicks: 0 });
    const busy = runner.report('busy');
    expect(busy.state).toBe('running');
    expect(busy.fuel.total).toBeGreaterThan(50 * 100_000);
    await runner.stop('busy');
    expect(runner.report('busy').state).toBe('stopped');
  });

  it('a tick still running when the next is due counts the next as missed', async () => {
    const { runner } = setup();
    // one slice per round at 100,000 fuel per ms of virtual CPU: 150 ms of work per tick
    const slow = `(module (func (export "tick") (local $i i32)
      (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 3000000))))))`;
    await runner.add(spec('slow', slow, { limits: limits({ fuelPerTick: 100_000_000 }) }));
    await runner.runUntil(1000 + 1050);
    const r = runner.report('slow');
    // 3,000,000 iterations of 9 fuel: 270 ms of simulated CPU per tick. Ticks start at 1100,
    // 1400, 1700 and 2000 (still running at the end); the six due in between are missed.
    expect(r.fuel.lastTick).toBe(27_000_001);
    expect([r.ticks, r.missedTicks]).toEqual([3, 6]);
    expect(r.state).toBe('running');
  });
});

describe('commands', () => {
  it('two sleeping commands interleave: each wakes on its own schedule while the other sleeps', async () => {
    const { dev, runner } = setup();
    await runner.add(spec('slow', sleeper('A', 100, 3), { kind: 'command' }));
    await runner.add(spec('fast', sleeper('B', 30, 5), { kind: 'command' }));
    await runner.runToCompletion(10_000);
    const at = (l: LogLine): string => `${l.text}@${l.timeMs - 1_700_000_001_000}`;
    expect(dev.logs.map(at)).toEqual(['B@30', 'B@60', 'B@90', 'A@100', 'B@120', 'B@150', 'A@200', 'A@300']);
    expect(runner.report('slow')).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(runner.report('fast')).toMatchObject({ state: 'exited', exitCode: 0 });
  });

  it('100 commands that sleep and wake on timers all keep their schedule in one runner', async () => {
    const { dev, runner } = setup();
    for (let i = 0; i < 100; i++) await runner.add(spec(`s${i}`, sleeper('w', 50 + (i % 5) * 10, 10), { kind: 'command' }));
    await runner.runToCompletion(60_000);
    for (let i = 0; i < 100; i++) expect(runner.report(`s${i}`)).toMatchObject({ state: 'exited', logLines: 10 });
    expect(dev.logs).toHaveLength(1000);
    // the last wake of a 90 ms sleeper is at 900 ms plus the simulated CPU time of the wakes
    // before it (well under a millisecond): nothing waited on another
    const last = Math.max(...dev.logs.map((l) => l.timeMs - 1_700_000_001_000));
    expect(last).toBeGreaterThanOrEqual(900);
    expect(last).toBeLessThan(901);
  });

  it('runs in real time too: sleeps wait on real timers without busy-waiting', async () => {
    const logs: LogLine[] = [];
    const runner = new AppRunner({ device: { clock: systemTime, logs: { write: (l) => logs.push(l) } } });
    await runner.add(spec('rt', sleeper('tick', 20, 3), { kind: 'command' }));
    const t0 = performance.now();
    await runner.runToCompletion(5_000);
    const took = performance.now() - t0;
    expect(runner.report('rt')).toMatchObject({ state: 'exited', logLines: 3 });
    expect(took).toBeGreaterThanOrEqual(55);
    expect(took).toBeLessThan(2_000);
  });
});
