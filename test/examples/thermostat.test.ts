// The thermostat example under `fleetlet run` on the simulator (virtual time): the relay on pin
// 17 toggles at exactly the ticks where the scenario's temperature crosses setpoint -/+
// hysteresis (thresholds themselves do not toggle), settings move the thresholds, telemetry
// reports every reading, and the summary shows the schedule kept.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppReport } from '../../agent/host/index.ts';
import { BUILD_TIMEOUT_MS, buildExamples, built, example, fleetlet, gpioChanges, published } from './_kit.ts';

const SCENARIO = example('thermostat', 'scenario.json');
const STEPS = (JSON.parse(readFileSync(SCENARIO, 'utf8')) as { sensors: { temperature: { steps: { atMs: number; value: number }[] } } }).sensors.temperature.steps;
const PERIOD = 1000;
const TICKS = 24;

/** The scenario's temperature at t (the last step at or before it). */
const temperatureAt = (t: number): number => STEPS.filter((s) => s.atMs <= t).at(-1)!.value;

/** What a hysteresis thermostat must do, tick by tick: [ms, level] from the initial "off" on. */
function expectedToggles(setpoint: number, hysteresis: number): [number, string][] {
  let on = false;
  const out: [number, string][] = [[0, '0']];
  for (let k = 1; k <= TICKS; k++) {
    const t = k * PERIOD;
    const v = temperatureAt(t);
    if (!on && v < setpoint - hysteresis) out.push([t, '1']);
    else if (on && v > setpoint + hysteresis) out.push([t, '0']);
    else continue;
    on = !on;
  }
  return out;
}

function runThermostat(...extra: string[]) {
  return fleetlet(['run', built('thermostat'), '--app', example('thermostat', 'fleetlet.app.json'), '--scenario', SCENARIO, '--pin', '17=relay', '--ticks', String(TICKS), ...extra]);
}

/** The relay's changes, each at the tick it happened in (virtual time may add a little CPU time), then its release. */
function toggles(err: readonly string[]): [number, string][] {
  const changes = gpioChanges(err).filter(([, line]) => line === 'relay');
  expect(changes.at(-1)?.[2]).toBe('released');
  return changes.slice(0, -1).map(([ms, , v]) => [Math.floor(ms / PERIOD) * PERIOD, v]);
}

describe('thermostat under fleetlet run', () => {
  beforeAll(buildExamples, BUILD_TIMEOUT_MS);

  it('switches the relay at the thresholds of the descriptor\'s setpoint 21 and hysteresis 0.5', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetlet-thermostat-'));
    try {
      const run = await runThermostat('--report', join(dir, 'report.json'));
      expect(run.code, run.err.join('\n')).toBe(0);
      expect(run.out).toEqual([]); // a reactor writes no stdout: everything is on stderr
      expect(toggles(run.err)).toEqual(expectedToggles(21, 0.5));
      expect(toggles(run.err)).toEqual([[0, '0'], [6000, '1'], [12000, '0'], [18000, '1'], [21000, '0']]); // the scenario as designed
      expect(run.err).toContainEqual(expect.stringMatching(/\] thermostat info: heater on at 20\.40 degC$/));

      const report = (JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { apps: AppReport[] }).apps[0]!;
      expect(report).toMatchObject({ name: 'thermostat', state: 'running', ticks: TICKS, missedTicks: 0, traps: 0, outOfFuel: 0 });
      expect(report.lastError).toBeUndefined();
      expect(report.memory.highWaterPages).toBeLessThanOrEqual(report.memory.capPages);
      expect(report.memory.capPages).toBe(4);
      expect(report.fuel.maxTick).toBeLessThan(2_000_000);
      expect(run.err).toContainEqual('  ticks: 24 (0 missed)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('publishes one telemetry message per tick with the reading and the relay state', async () => {
    const run = await runThermostat();
    const telemetry = published(run.err, 'thermostat', 'telemetry');
    expect(telemetry).toHaveLength(TICKS);
    const relay = new Map(expectedToggles(21, 0.5));
    let on = false;
    telemetry.forEach((m, i) => {
      const t = (i + 1) * PERIOD;
      on = relay.has(t) ? relay.get(t) === '1' : on;
      expect(JSON.parse(m.payload)).toEqual({ temperature: temperatureAt(t), setpoint: 21, relay: on });
    });
  });

  it.each([
    ['SETPOINT=20', 20, 0.5],
    ['HYSTERESIS=0', 21, 0],
  ])('takes its thresholds from the per-device settings (%s)', async (setting, setpoint, hysteresis) => {
    const run = await runThermostat('--setting', setting);
    expect(run.code, run.err.join('\n')).toBe(0);
    expect(toggles(run.err)).toEqual(expectedToggles(setpoint, hysteresis));
    expect(toggles(run.err)).not.toEqual(expectedToggles(21, 0.5));
  });

  it('cannot drive the relay when the device policy does not grant the pin, and says so', async () => {
    const run = await runThermostat('--grant', 'sensor:temperature:read', '--grant', 'publish:telemetry', '--ticks', '1');
    expect(run.code).toBe(1);
    expect(run.err.at(-1)).toMatch(/^fleetlet: Cannot run "thermostat": Cannot link import "fleetlet:host\/v1" "gpio_(config|write)": .*gpio.*which the device policy does not grant/);
    expect(gpioChanges(run.err)).toEqual([]);
  });
});
