// Tests of the scenario parser: the example file parses with its defaults filled in, and each
// kind of mistake is refused with an error naming the field.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, parseScenario } from './parse-scenario.ts';
import { ScenarioError } from './scenario.ts';

function fieldOf(input: unknown): string {
  const r = parseScenario(input);
  expect(r.ok).toBe(false);
  if (r.ok) return '';
  expect(r.error).toBeInstanceOf(ScenarioError);
  return r.error.field;
}

const minimal = (extra: object) => ({ version: 1, ...extra });

describe('parseScenario', () => {
  it('loads the greenhouse example with its CSV trace and defaults', () => {
    const s = loadScenarioFile(join(import.meta.dirname, 'scenarios/greenhouse.json'));
    expect(s.seed).toBe(42);
    expect(Object.keys(s.sensors)).toEqual(['humidity', 'soil', 'supply', 'temperature']);
    const soil = s.sensors['soil']!;
    expect(soil.model).toBe('replay');
    if (soil.model === 'replay') {
      expect(soil.samples).toEqual([
        { atMs: 0, value: 41.0 },
        { atMs: 600000, value: 40.6 },
        { atMs: 1200000, value: 40.1 },
        { atMs: 1800000, value: 39.9 },
      ]);
      expect(soil.loop).toBe(true);
    }
    expect(s.gpio['door']).toEqual({ kind: 'input', initial: 0, edges: [{ atMs: 5000, value: 1 }, { atMs: 65000, value: 0 }] });
    expect(s.serial['modem']).toEqual({ device: 'at-modem', latencyMs: 50, rssi: 21, operator: 'Fleetlet Mobile', responses: { 'AT+CGSN': ['356938035643809'] } });
    const gps = s.serial['gps']!;
    expect(gps.device === 'nmea-gps' && gps.noFix).toEqual([]);
  });

  it('fills defaults: seed 0, no faults, sine without noise, input initially 0', () => {
    const r = parseScenario(minimal({
      sensors: { t: { model: 'sine', unit: 'degC', mean: 1, amplitude: 2, periodMs: 3 } },
      gpio: { b: { kind: 'input' } },
    }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.seed).toBe(0);
    expect(r.value.sensors['t']).toEqual({ model: 'sine', unit: 'degC', mean: 1, amplitude: 2, periodMs: 3, phaseMs: 0, noise: 0, faults: [] });
    expect(r.value.gpio['b']).toEqual({ kind: 'input', initial: 0, edges: [] });
    expect(r.value.serial).toEqual({});
  });

  it('names the field of each mistake', () => {
    expect(fieldOf('{')).toBe('');
    expect(fieldOf({ version: 2 })).toBe('version');
    expect(fieldOf(minimal({ sead: 1 }))).toBe('sead');
    expect(fieldOf(minimal({ sensors: { t: { model: 'cosine', unit: 'x' } } }))).toBe('sensors.t.model');
    expect(fieldOf(minimal({ sensors: { t: { model: 'constant', value: 1 } } }))).toBe('sensors.t.unit');
    expect(fieldOf(minimal({ sensors: { t: { model: 'sine', unit: 'x', mean: 0, amplitude: 1, periodMs: 0 } } }))).toBe('sensors.t.periodMs');
    expect(fieldOf(minimal({ sensors: { t: { model: 'constant', unit: 'x', value: '3' } } }))).toBe('sensors.t.value');
    expect(fieldOf(minimal({ sensors: { t: { model: 'constant', unit: 'x', value: 3, faults: [{ fromMs: 5, toMs: 1 }] } } }))).toBe('sensors.t.faults[0].toMs');
    expect(fieldOf(minimal({ sensors: { t: { model: 'steps', unit: 'x', steps: [{ atMs: 5, value: 1 }, { atMs: 5, value: 2 }] } } }))).toBe('sensors.t.steps[1].atMs');
    expect(fieldOf(minimal({ sensors: { t: { model: 'random-walk', unit: 'x', start: 9, stepMs: 1, stepStdDev: 1, min: 0, max: 5 } } }))).toBe('sensors.t.start');
    expect(fieldOf(minimal({ sensors: { t: { model: 'replay', unit: 'x', csv: 't,v\n0,1\n', csvFile: 'a.csv' } } }))).toBe('sensors.t');
    expect(fieldOf(minimal({ sensors: { t: { model: 'replay', unit: 'x', csv: 't,v\n5,1\n2,1\n' } } }))).toBe('sensors.t.csv');
    expect(fieldOf(minimal({ sensors: { t: { model: 'replay', unit: 'x', csvFile: 'no-such-file.csv' } } }))).toBe('sensors.t.csvFile');
    expect(fieldOf(minimal({ gpio: { b: { kind: 'input', edges: [{ atMs: 1 }] } } }))).toBe('gpio.b.edges[0].value');
    expect(fieldOf(minimal({ gpio: { b: { kind: 'input', edges: [{ atMs: 1, value: 2 }] } } }))).toBe('gpio.b.edges[0].value');
    expect(fieldOf(minimal({ gpio: { b: { kind: 'input', edges: [{ atMs: 9, value: 1 }, { atMs: 1, value: 0 }] } } }))).toBe('gpio.b.edges[1].atMs');
    expect(fieldOf(minimal({ gpio: { b: { kind: 'output', initial: 1 } } }))).toBe('gpio.b.initial');
    expect(fieldOf(minimal({ serial: { g: { device: 'nmea-gps', lat: 91, lon: 0 } } }))).toBe('serial.g.lat');
    expect(fieldOf(minimal({ serial: { g: { device: 'nmea-gps', lat: 1, lon: 0, startUtc: 'noon' } } }))).toBe('serial.g.startUtc');
    expect(fieldOf(minimal({ serial: { m: { device: 'at-modem', responses: { AT: 'OK' } } } }))).toBe('serial.m.responses.AT');
  });

  it('error messages quote the field and say why', () => {
    const r = parseScenario(minimal({ sensors: { t: { model: 'constant', unit: 'x', value: 'hot' } } }));
    expect(!r.ok && r.error.message).toBe('Invalid scenario field "sensors.t.value": expected a number, found "hot"');
  });
});
