// Tests of the cooperative scheduler: round-robin fuel slices, fairness among busy instances,
// sleepers parked on an injected clock, promise and external waits, exits and stops.

import { describe, expect, it } from 'vitest';
import { wat } from '../../test/fuzz/wat.ts';
import { Pending } from '../wasm/api.ts';
import { hostFunc, Instance, Module, Store, type Imports } from '../wasm/index.ts';
import { ValType } from '../wasm/types.ts';
import { Scheduler, type Clock, type Task } from './scheduler.ts';

const I32 = ValType.I32;

class TestClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
}

const modules = new Map<string, Module>();
function instance(text: string, env: Imports[string] = {}, fuelPerCall = 200): Instance {
  let m = modules.get(text);
  if (m === undefined) {
    m = Module.compile(wat(text));
    modules.set(text, m);
  }
  const r = Instance.instantiate(new Store(), m, { env }, { limits: { fuelPerCall }, metering: true });
  if (r.kind !== 'done') throw new Error(`Instantiation ended as "${r.kind}"`);
  return r.value;
}

/** Busy modules: infinite loops with cheap, arithmetic and call-heavy bodies. */
const BUSY = [
  '(module (func (export "run") (loop $l (br $l))))',
  `(module (func (export "run") (local $i i32)
     (loop $l (local.set $i (i32.add (i32.mul (local.get $i) (i32.const 3)) (i32.const 1))) (br $l))))`,
  `(module (global $g (mut i64) (i64.const 0))
     (func $tick (param $x i64) (result i64) (i64.add (i64.rotl (local.get $x) (i64.const 7)) (i64.const 11)))
     (func (export "run") (loop $l (global.set $g (call $tick (global.get $g))) (br $l))))`,
];

/** A sleeper: forever { sleep(ms); count the wake-up; a little work (well under one slice) }. */
const SLEEPER = `(module (import "env" "sleep" (func $sleep (param i32)))
  (global $wakes (export "wakes") (mut i32) (i32.const 0))
  (global $acc (mut i32) (i32.const 0))
  (func (export "run") (param $ms i32) (local $i i32)
    (loop $forever
      (call $sleep (local.get $ms))
      (global.set $wakes (i32.add (global.get $wakes) (i32.const 1)))
      (local.set $i (i32.const 10))
      (loop $work
        (global.set $acc (i32.add (global.get $acc) (local.get $i)))
        (br_if $work (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
      (br $forever))))`;

/** `sleep(ms)` for one sleeper: asks to sleep until now + ms and records when it was called. */
function sleepHost(clock: Clock, calls: number[]) {
  return hostFunc({ params: [I32], results: [] }, (ms) => {
    calls.push(clock.now());
    return new Pending(undefined, { sleepUntil: clock.now() + (ms as number) });
  }, { name: 'sleep' });
}

function ratio(xs: readonly number[]): number {
  return Math.max(...xs) / Math.min(...xs);
}

describe('Scheduler fairness and sleepers', () => {
  it('serves 60 busy instances evenly over 1,000 rounds while 60 sleepers wake exactly on time', () => {
    const clock = new TestClock();
    const sched = new Scheduler({ clock });
    const busy: Task[] = [];
    for (let i = 0; i < 60; i++) busy.push(sched.spawn(instance(BUSY[i % BUSY.length]!), 'run', [], `busy${i}`));
    const sleepers: { task: Task; inst: Instance; ms: number; calls: number[] }[] = [];
    for (let i = 0; i < 60; i++) {
      const calls: number[] = [];
      const ms = 1 + (i % 13);
      const inst = instance(SLEEPER, { sleep: sleepHost(clock, calls) });
      sleepers.push({ task: sched.spawn(inst, 'run', [ms], `sleeper${i}`), inst, ms, calls });
    }
    const ROUNDS = 1_000;
    for (let t = 1; t <= ROUNDS; t++) {
      clock.t = t;
      sched.round();
    }

    for (const b of busy) expect(b.turns).toBe(ROUNDS);
    const fuel = busy.map((b) => b.fuelUsed);
    expect(ratio(fuel)).toBeLessThanOrEqual(1.25);
    expect(ratio(busy.map((b) => b.turns))).toBeLessThanOrEqual(1.25);
    // Each turn gave exactly one slice: no busy task used more than that.
    for (const b of busy) expect(b.fuelUsed).toBeLessThanOrEqual(ROUNDS * 200);

    for (const s of sleepers) {
      // First sleep at t = 1, then every ms ticks: wake-ups at 1 + j * ms <= ROUNDS.
      const expected = Math.floor((ROUNDS - 1) / s.ms);
      expect({ name: s.task.name, wakeups: s.task.wakeups }).toEqual({ name: s.task.name, wakeups: expected });
      expect(s.inst.global('wakes').get()).toBe(expected);
      // Never early, never late: each sleep call came exactly ms after the previous one.
      expect(s.calls.slice(1).every((t, j) => t - s.calls[j]! === s.ms)).toBe(true);
      expect(s.task.state).toBe('sleeping');
    }
  });

  it('driven turn by turn with a coarse clock, no sleeper wakes early and busy tasks stay within one turn', () => {
    const clock = new TestClock();
    const sched = new Scheduler({ clock });
    const busy: Task[] = [];
    for (let i = 0; i < 30; i++) busy.push(sched.spawn(instance(BUSY[i % BUSY.length]!, {}, 50), 'run', [], `busy${i}`));
    const sleepers: { task: Task; ms: number; calls: number[] }[] = [];
    for (let i = 0; i < 20; i++) {
      const calls: number[] = [];
      const ms = 2 + (i % 5);
      sleepers.push({ task: sched.spawn(instance(SLEEPER, { sleep: sleepHost(clock, calls) }, 200), 'run', [ms]), ms, calls });
    }
    for (let n = 1; n <= 40_000; n++) {
      if (n % 37 === 0) clock.t++;
      sched.step();
    }
    const turns = busy.map((b) => b.turns);
    expect(Math.max(...turns) - Math.min(...turns)).toBeLessThanOrEqual(1);
    expect(ratio(busy.map((b) => b.fuelUsed))).toBeLessThanOrEqual(1.25);
    for (const s of sleepers) {
      const gaps = s.calls.slice(1).map((t, j) => t - s.calls[j]!);
      expect(gaps.length).toBeGreaterThan(10);
      // At most 50 runnable tasks ahead of a woken sleeper: one tick of 37 steps, two at worst.
      for (const g of gaps) expect(g).toBeGreaterThanOrEqual(s.ms);
      for (const g of gaps) expect(g).toBeLessThanOrEqual(s.ms + 2);
    }
  });

  it('takes turns in round-robin order, a newcomer joining at the back', () => {
    const sched = new Scheduler({ clock: new TestClock() });
    const names = ['a', 'b', 'c'];
    for (const n of names) sched.spawn(instance(BUSY[0]!), 'run', [], n);
    const order: string[] = [];
    for (let i = 0; i < 6; i++) order.push(sched.step()!.name);
    sched.spawn(instance(BUSY[0]!), 'run', [], 'd');
    for (let i = 0; i < 4; i++) order.push(sched.step()!.name);
    expect(order).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c', 'd']);
  });

  it('gives a task at most one slice per turn even after it slept with fuel left', () => {
    const clock = new TestClock();
    const sched = new Scheduler({ clock });
    // Sleeps 0 ms three times with almost all of its slice unused, then spins.
    const text = `(module (import "env" "sleep" (func $sleep (param i32)))
      (func (export "run") (call $sleep (i32.const 0)) (call $sleep (i32.const 0)) (call $sleep (i32.const 0)) (loop $l (br $l))))`;
    const t = sched.spawn(instance(text, { sleep: sleepHost(clock, []) }, 100), 'run');
    let before = 0;
    for (let i = 0; i < 10; i++) {
      expect(sched.step()).toBe(t);
      expect(t.fuelUsed - before).toBeLessThanOrEqual(100);
      before = t.fuelUsed;
    }
    expect(t.wakeups).toBe(3);
    expect(t.turns).toBe(10);
  });
});

describe('Scheduler waits, exits and errors', () => {
  const READ = `(module (import "env" "read" (func $read (result i32)))
    (func (export "run") (result i32) (i32.add (call $read) (i32.const 1))))`;

  it('parks a task on a Pending promise and resumes it with the resolved value', async () => {
    let resolve!: (v: number) => void;
    const promise = new Promise<number>((r) => { resolve = r; });
    const read = hostFunc({ params: [], results: [I32] }, () => new Pending(promise, { port: 'uart0' }), { name: 'read' });
    let runnableCalls = 0;
    const exits: Task[] = [];
    const sched = new Scheduler({ clock: new TestClock(), onExit: (t) => exits.push(t), onRunnable: () => runnableCalls++ });
    const waiter = sched.spawn(instance(READ, { read }), 'run', [], 'waiter');
    const spinner = sched.spawn(instance(BUSY[0]!), 'run', [], 'spinner');
    expect(sched.step()).toBe(waiter);
    expect(waiter.state).toBe('waiting');
    expect(waiter.pending?.detail).toEqual({ port: 'uart0' });
    for (let i = 0; i < 5; i++) expect(sched.step()).toBe(spinner);
    resolve(41);
    await promise;
    await Promise.resolve();
    expect(runnableCalls).toBe(1);
    expect(waiter.state).toBe('runnable');
    expect(sched.step()).toBe(spinner);
    expect(sched.step()).toBe(waiter);
    expect(waiter.outcome).toMatchObject({ kind: 'done', value: [42] });
    expect(exits).toEqual([waiter]);
    expect(sched.tasks()).toEqual([spinner]);
  });

  it('abandons a task whose awaited promise is rejected', async () => {
    const promise = Promise.reject(new Error('port closed'));
    promise.catch(() => undefined);
    const read = hostFunc({ params: [], results: [I32] }, () => new Pending(promise), { name: 'read' });
    const sched = new Scheduler({ clock: new TestClock() });
    const t = sched.spawn(instance(READ, { read }), 'run');
    sched.step();
    await promise.catch(() => undefined);
    await Promise.resolve();
    expect(t.state).toBe('exited');
    expect(t.outcome).toMatchObject({ kind: 'abandoned', reason: 'the awaited promise was rejected' });
  });

  it('keeps a task waiting on a Pending with nothing to wait on until wake() gives the result', () => {
    const read = hostFunc({ params: [], results: [I32] }, () => new Pending(undefined, 'a button press'), { name: 'read' });
    const clock = new TestClock();
    const sched = new Scheduler({ clock });
    const t = sched.spawn(instance(READ, { read }), 'run');
    sched.step();
    clock.t = 1e9;
    expect(sched.step()).toBeUndefined();
    expect(t.state).toBe('waiting');
    sched.wake(t, 6);
    expect(sched.step()).toBe(t);
    expect(t.outcome).toMatchObject({ kind: 'done', value: [7] });
    expect(() => sched.wake(t, 1)).toThrow(/is exited, not parked/);
  });

  it('reports when the earliest sleeper is due and runs nothing before then', () => {
    const clock = new TestClock();
    const sched = new Scheduler({ clock });
    const t = sched.spawn(instance(SLEEPER, { sleep: sleepHost(clock, []) }), 'run', [25]);
    expect(sched.step()).toBe(t);
    expect(t.wakeAt).toBe(25);
    expect(sched.nextWakeAt()).toBe(25);
    clock.t = 24;
    expect(sched.step()).toBeUndefined();
    clock.t = 25;
    expect(sched.step()).toBe(t);
    expect(t.wakeAt).toBe(50);
  });

  it('a trapping task exits with its trap and the others go on', () => {
    const sched = new Scheduler({ clock: new TestClock() });
    const bad = sched.spawn(instance('(module (func (export "run") (loop $l (br_if $l (i32.const 0))) unreachable))'), 'run', [], 'bad');
    const good = sched.spawn(instance(BUSY[1]!), 'run', [], 'good');
    for (let i = 0; i < 5; i++) sched.step();
    expect(bad.state).toBe('exited');
    expect(bad.outcome?.kind).toBe('trap');
    expect(good.turns).toBe(4);
    expect(sched.tasks()).toEqual([good]);
  });

  it('stop() removes a runnable or sleeping task and records it as abandoned', () => {
    const clock = new TestClock();
    const sched = new Scheduler({ clock });
    const spinner = sched.spawn(instance(BUSY[0]!), 'run');
    const sleeper = sched.spawn(instance(SLEEPER, { sleep: sleepHost(clock, []) }), 'run', [5]);
    sched.round();
    sched.stop(spinner);
    sched.stop(sleeper, 'uninstalled');
    clock.t = 100;
    expect(sched.step()).toBeUndefined();
    expect(spinner.outcome).toMatchObject({ kind: 'abandoned', reason: 'stopped' });
    expect(sleeper.outcome).toMatchObject({ kind: 'abandoned', reason: 'uninstalled' });
    expect(sched.nextWakeAt()).toBeUndefined();
  });

  it('schedules an instantiation whose start function spins and sleeps, ending with the instance', () => {
    const clock = new TestClock();
    const sched = new Scheduler({ clock });
    const text = `(module (import "env" "sleep" (func $sleep (param i32)))
      (global $ready (export "ready") (mut i32) (i32.const 0))
      (func $init (local $i i32)
        (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100))))
        (call $sleep (i32.const 3))
        (global.set $ready (i32.const 1)))
      (start $init))`;
    const module = Module.compile(wat(text));
    const t = sched.spawnCall('install', 50, () =>
      Instance.instantiate(new Store(), module, { env: { sleep: sleepHost(clock, []) } }, { limits: { fuelPerCall: 50 } }));
    while (t.state === 'runnable') sched.step();
    expect(t.turns).toBeGreaterThan(2);
    expect(t.state).toBe('sleeping');
    clock.t = 3;
    sched.step();
    expect(t.outcome?.kind).toBe('done');
    if (t.outcome?.kind === 'done') expect((t.outcome.value as Instance).global('ready').get()).toBe(1);
  });

  it('abandons a task whose call the engine refuses (wrong argument count), keeping the others', () => {
    const sched = new Scheduler({ clock: new TestClock() });
    const bad = sched.spawn(instance(SLEEPER, { sleep: sleepHost(new TestClock(), []) }), 'run', [], 'no-args');
    const good = sched.spawn(instance(BUSY[0]!), 'run');
    sched.round();
    expect(bad.outcome).toMatchObject({ kind: 'abandoned', reason: 'the engine threw' });
    expect(bad.outcome?.kind === 'abandoned' && bad.outcome.error).toBeInstanceOf(TypeError);
    expect(good.state).toBe('runnable');
  });

  it('refuses an instance with unlimited fuel, and turns run from inside a turn', () => {
    const sched = new Scheduler({ clock: new TestClock() });
    const r = Instance.instantiate(new Store(), Module.compile(wat(BUSY[0]!)), {});
    if (r.kind !== 'done') throw new Error('instantiation failed');
    expect(() => sched.spawn(r.value, 'run')).toThrow(RangeError);
    let inner: unknown;
    const reenter = hostFunc({ params: [], results: [] }, () => {
      try { sched.step(); } catch (e) { inner = e; }
    }, { name: 'reenter' });
    sched.spawn(instance('(module (import "env" "reenter" (func $r)) (func (export "run") (call $r)))', { reenter }), 'run');
    sched.step();
    expect(String(inner)).toContain('Cannot run a scheduler turn from inside a turn');
  });
});
