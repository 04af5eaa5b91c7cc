// The misbehaving example apps: each is contained (trapped at start, out of fuel, refused
// memory, denied the pin, rate-limited) and reported with its reason, while the thermostat beside
// them on one simulated device keeps its schedule to the tick on the injected clock; and each
// alone under `fleetlet run` ends with the status and the line its failure calls for.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../../agent/cli/run.ts';
import type { AppReport, AppSpec } from '../../agent/host/index.ts';
import { loadScenarioFile } from '../../device-sim/parse-scenario.ts';
import { findExamples } from '../../examples/build.ts';
import { BUILD_TIMEOUT_MS, buildExamples, built, example, fleetlet, gpioChanges } from './_kit.ts';

const MISBEHAVING = ['trap-at-start', 'spin', 'grow-memory', 'wrong-pin', 'publish-flood'];

/** Ticks a schedule has due in a run of `durationMs`: at each period strictly before the end (the run stops at the end). */
const dueTicks = (durationMs: number, periodMs: number): number => Math.ceil(durationMs / periodMs) - 1;

function spec(name: string): AppSpec {
  const app = findExamples().find((a) => a.name === name)!;
  const d = app.descriptor;
  return { name, kind: d.kind, module: new Uint8Array(readFileSync(app.output)), capabilities: d.capabilities, limits: d.limits, settings: d.settings };
}

describe('misbehaving apps beside the thermostat on one simulated device', () => {
  beforeAll(buildExamples, BUILD_TIMEOUT_MS);

  it('each is contained and reported with its reason while the thermostat keeps its schedule', async () => {
    const err: string[] = [];
    const out: string[] = [];
    const durationMs = 20_500;
    const result = await runLocal(
      {
        apps: [spec('thermostat'), ...MISBEHAVING.map(spec)],
        hardware: { kind: 'sim', scenario: loadScenarioFile(example('thermostat', 'scenario.json')) },
        pins: { 17: 'relay' },
        speed: 'max',
        stop: { durationMs },
      },
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    const r = Object.fromEntries(result.reports.map((x) => [x.name, x])) as Record<string, AppReport>;
    expect(out).toEqual([]);

    // The well-behaved app: a tick each second of the injected clock, none missed, relay as designed.
    expect(r['thermostat']).toMatchObject({ state: 'running', ticks: dueTicks(durationMs, 1000), missedTicks: 0, traps: 0, outOfFuel: 0 });
    expect(gpioChanges(err).filter(([, , v]) => v !== 'released').map(([ms, line, v]) => [Math.floor(ms / 1000) * 1000, line, v]))
      .toEqual([[0, 'relay', '0'], [6000, 'relay', '1'], [12000, 'relay', '0'], [18000, 'relay', '1']]);

    expect(r['trap-at-start']).toMatchObject({ state: 'failed', ticks: 0, traps: 1, lastError: { reason: 'trap', phase: 'init', kind: 'unreachable' } });
    expect(err).toContainEqual(expect.stringMatching(/\] trap-at-start error: abort: no configuration: refusing to start at misbehaving\/trap-at-start\/app\.ts:[0-9]+:[0-9]+$/));
    expect(err).toContainEqual(expect.stringMatching(/\] trap-at-start failed: trap "unreachable" in init: /));

    const spin = r['spin']!;
    expect(spin).toMatchObject({ state: 'failed', ticks: 0, outOfFuel: 3, lastError: { reason: 'out-of-fuel', phase: 'tick' } });
    expect(spin.fuel.total).toBeGreaterThanOrEqual(3 * 1_000_000);
    expect(spin.fuel.total).toBeLessThanOrEqual(3 * (1_000_000 + 100_000) + 100_000); // stopped within a slice of its budget
    expect(err).toContainEqual(expect.stringMatching(/\] spin failed: out-of-fuel "fuel" in tick: /));

    const grow = r['grow-memory']!;
    expect(grow).toMatchObject({ state: 'failed', traps: 3, lastError: { reason: 'trap', phase: 'tick', kind: 'unreachable' } });
    expect(grow.memory).toEqual({ pages: 8, highWaterPages: 8, capPages: 8 }); // the descriptor's maxMemoryPages, never more
    expect(grow.ticks).toBeGreaterThanOrEqual(5); // it grew a page a tick until the cap refused one

    const pins = r['wrong-pin']!;
    expect(pins).toMatchObject({ state: 'running', ticks: dueTicks(durationMs, 100), missedTicks: 0, traps: 0 });
    expect(pins.host.denied).toBe(pins.ticks);
    expect(pins.host.calls['gpio_write']).toBeUndefined(); // refused at gpio_config, before any write
    expect(gpioChanges(err).every(([, line]) => line === 'relay')).toBe(true); // pin 18 never reached the simulated hardware
    expect(err).toContainEqual(expect.stringMatching(/\] wrong-pin denied gpio_config: pin 18 is not granted as an output( \(x[0-9]+\))?$/));

    const flood = r['publish-flood']!;
    expect(flood).toMatchObject({ state: 'running', ticks: dueTicks(durationMs, 100), missedTicks: 0, traps: 0 });
    expect(flood.host.published).toBeGreaterThan(0);
    expect(flood.host.published).toBeLessThanOrEqual(50 + 50 * (durationMs / 1000)); // one second banked, then 50 a second
    expect(flood.host.rateLimited).toBeGreaterThan(flood.ticks * 900);
    expect(err).toContainEqual(expect.stringMatching(/\] publish-flood rate-limited x[0-9]+: publish: more than 50 host calls per second/));
  });
});

describe('misbehaving apps alone under fleetlet run', () => {
  beforeAll(buildExamples, BUILD_TIMEOUT_MS);

  const cases: [string, number, string[], RegExp, RegExp][] = [
    ['trap-at-start', 1, [], /\] trap-at-start failed: trap "unreachable" in init: /, /^fleetlet: App "trap-at-start" failed: trap in init$/],
    ['spin', 1, [], /\] spin failed: out-of-fuel "fuel" in tick: The tick call used its fuelPerTick of 1000000$/, /^fleetlet: App "spin" failed: out-of-fuel in tick$/],
    ['grow-memory', 1, [], /^ {2}memory: 8 pages now, high-water 8, cap 8 \(64 KiB pages\)$/, /^fleetlet: App "grow-memory" failed: trap in tick$/],
    ['wrong-pin', 0, ['--ticks', '5'], /^ {2}refused: denied 5, rate-limited 0, /, /^ {2}published: /],
    ['publish-flood', 0, ['--ticks', '5'], /\] publish-flood rate-limited x[0-9]+: /, /^ {2}published: [0-9]+ messages/],
  ];
  it.each(cases)('%s exits with status %i', async (name, code, extra, line, last) => {
    const dir = MISBEHAVING.includes(name) ? `misbehaving/${name}` : name;
    const run = await fleetlet(['run', built(name), '--app', example(dir, 'fleetlet.app.json'), ...extra]);
    expect(run.code, run.err.join('\n')).toBe(code);
    expect(run.err).toContainEqual(expect.stringMatching(line));
    expect(run.err.at(-1)).toMatch(last);
  });
});
