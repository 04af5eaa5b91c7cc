// Measures what 100 modules that sleep and wake on timers cost one agent process: CPU time and
// resident memory, in real time (`npx tsx agent/host/bench-sleepers.ts [apps] [seconds] [sleep-ms]`).

import { DEFAULT_APP_LIMITS } from '../../schemas/app-descriptor.ts';
import { wat } from '../../test/fuzz/wat.ts';
import { Module } from '../wasm/module.ts';
import { AppRunner } from './app-runner.ts';
import { systemTime } from './hw/time.ts';

const apps = Number(process.argv[2] ?? 100);
const seconds = Number(process.argv[3] ?? 10);
const sleepMs = Number(process.argv[4] ?? 100);

/** Forever: sleep, then a little work (a 64-step loop) and one log line every 10 wakes. */
const SLEEPER = new Uint8Array(wat(`(module
  (import "fleetlet:host/v1" "sleep" (func $sleep (param i32) (result i32)))
  (import "fleetlet:host/v1" "log" (func $log (param i32 i32 i32)))
  (memory 1) (data (i32.const 0) "woke 10 times")
  (global $wakes (mut i32) (i32.const 0))
  (func (export "_start") (param) (local $i i32) (local $acc i32)
    (loop $forever
      (drop (call $sleep (i32.const ${sleepMs})))
      (global.set $wakes (i32.add (global.get $wakes) (i32.const 1)))
      (if (i32.eqz (i32.rem_u (global.get $wakes) (i32.const 10))) (then (call $log (i32.const 0) (i32.const 0) (i32.const 13))))
      (local.set $i (i32.const 64))
      (loop $work
        (local.set $acc (i32.add (local.get $acc) (local.get $i)))
        (br_if $work (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
      (br $forever))))`));

const mib = (b: number): string => (b / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const module = Module.compile(SLEEPER);
  let lines = 0;
  const runner = new AppRunner({ device: { clock: systemTime, logs: { write: () => void lines++ } } });
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < apps; i++) {
    await runner.add({ name: `sleeper-${i}`, kind: 'command', module, capabilities: [], limits: DEFAULT_APP_LIMITS });
  }
  await runner.runFor(200); // start-up: instantiate and reach the first sleep
  globalThis.gc?.();
  const rss1 = process.memoryUsage().rss;
  const sleeps = (): number => runner.names().reduce((n, name) => n + (runner.report(name).host.calls['sleep'] ?? 0), 0);
  const wakes0 = sleeps();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runner.runFor(seconds * 1000);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rss2 = process.memoryUsage().rss;
  const wakes = sleeps() - wakes0;
  const late = runner.names().filter((n) => runner.report(n).state !== 'running');
  await runner.close();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`${apps} sleeping modules, sleep ${sleepMs} ms, ${(wall / 1000).toFixed(1)} s of real time`);
  console.log(`  wake-ups:        ${wakes} (${(wakes / (wall / 1000)).toFixed(0)} per second; ideal ${((apps * 1000) / sleepMs).toFixed(0)})`);
  console.log(`  CPU:             ${cpuMs.toFixed(0)} ms (${((100 * cpuMs) / wall).toFixed(1)}% of one core), ${((cpuMs * 1000) / wakes).toFixed(1)} µs per wake-up`);
  console.log(`  RSS:             ${mib(rss0)} MiB before, ${mib(rss1)} MiB with the modules (${((rss1 - rss0) / 1024 / apps).toFixed(0)} KiB each), ${mib(rss2)} MiB at the end`);
  console.log(`  log lines:       ${lines}`);
  if (late.length > 0) console.log(`  not running:     ${late.join(', ')}`);
}

await main();
