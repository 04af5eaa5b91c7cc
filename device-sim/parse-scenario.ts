// Parsing a scenario file (JSON) into a Scenario, checking every field; errors name the field.
// The format is described in README.md.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Fields, fail, type Json } from './_fields.ts';
import type { FaultSpan, GpioPinSpec, Scenario, SensorSpec, SerialDeviceSpec } from './scenario.ts';
import { ScenarioError } from './scenario.ts';
import { parseTrace, TraceError } from './sensors/csv-trace.ts';

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ScenarioError };

export interface ParseOptions {
  /** Folder that relative `csvFile` paths start from (default: the current directory). */
  readonly baseDir?: string;
}

/** Parses a scenario from JSON text or an already parsed value. */
export function parseScenario(input: string | Json, options: ParseOptions = {}): ParseResult<Scenario> {
  try {
    let v: Json = input;
    if (typeof input === 'string') {
      try {
        v = JSON.parse(input);
      } catch (e) {
        fail('', `not JSON (${(e as Error).message})`);
      }
    }
    return { ok: true, value: readScenario(v, options.baseDir ?? process.cwd()) };
  } catch (e) {
    if (e instanceof ScenarioError) return { ok: false, error: e };
    throw e;
  }
}

/**
 * Reads and parses a scenario file; relative CSV paths start from the file's folder.
 * @throws ScenarioError (field "" when the file cannot be read)
 */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScenarioError('', `cannot read "${path}" (${(e as Error).message})`);
  }
  const r = parseScenario(text, { baseDir: dirname(resolve(path)) });
  if (!r.ok) throw r.error;
  return r.value;
}

function readScenario(v: Json, baseDir: string): Scenario {
  const f = new Fields(v, '');
  const version = f.num('version', { int: true });
  if (version !== 1) fail('version', `only version 1 is known, found ${version}`);
  const scenario: Scenario = {
    version: 1,
    seed: f.num('seed', { int: true, min: 0, max: 0xffffffff }, 0),
    sensors: f.map('sensors', (s, path) => readSensor(s, path, baseDir)),
    gpio: f.map('gpio', readPin),
    serial: f.map('serial', readSerial),
  };
  f.raw('description'); // free text for people
  f.done();
  return scenario;
}

function readSpan(v: Json, path: string): FaultSpan {
  const f = new Fields(v, path);
  const fromMs = f.num('fromMs', { min: 0 });
  const toMs = f.num('toMs', { min: 0 });
  if (toMs < fromMs) fail(f.at('toMs'), `must be >= fromMs (${fromMs}), found ${toMs}`);
  f.done();
  return { fromMs, toMs };
}

function readSensor(v: Json, path: string, baseDir: string): SensorSpec {
  const f = new Fields(v, path);
  const model = f.oneOf('model', ['constant', 'sine', 'random-walk', 'steps', 'replay'] as const);
  const common = { unit: f.str('unit'), faults: f.list('faults', readSpan) };
  let spec: SensorSpec;
  switch (model) {
    case 'constant':
      spec = { model, value: f.num('value'), ...common };
      break;
    case 'sine':
      spec = {
        model,
        mean: f.num('mean'),
        amplitude: f.num('amplitude'),
        periodMs: f.num('periodMs', { gt: 0 }),
        phaseMs: f.num('phaseMs', {}, 0),
        noise: f.num('noise', { min: 0 }, 0),
        ...common,
      };
      break;
    case 'random-walk': {
      const start = f.num('start');
      const min = f.has('min') ? f.num('min') : -Infinity;
      const max = f.has('max') ? f.num('max') : Infinity;
      if (min > max) fail(f.at('max'), `must be >= min (${min}), found ${max}`);
      if (start < min || start > max) fail(f.at('start'), `must lie within [min, max], found ${start}`);
      spec = { model, start, stepMs: f.num('stepMs', { gt: 0 }), stepStdDev: f.num('stepStdDev', { min: 0 }), min, max, ...common };
      break;
    }
    case 'steps': {
      const steps = f.list(
        'steps',
        (s, p) => {
          const g = new Fields(s, p);
          const step = { atMs: g.num('atMs', { min: 0 }), value: g.num('value') };
          g.done();
          return step;
        },
        true,
      );
      if (steps.length === 0) fail(f.at('steps'), 'needs at least one step');
      steps.forEach((s, i) => {
        if (i > 0 && s.atMs <= steps[i - 1]!.atMs) fail(`${f.at('steps')}[${i}].atMs`, `must be after the previous step (${steps[i - 1]!.atMs}), found ${s.atMs}`);
      });
      spec = { model, steps, ...common };
      break;
    }
    case 'replay': {
      const hasFile = f.has('csvFile');
      if (hasFile === f.has('csv')) fail(path, 'give exactly one of "csvFile" and "csv"');
      const key = hasFile ? 'csvFile' : 'csv';
      const column = f.has('column') ? f.str('column') : undefined;
      let text: string;
      if (hasFile) {
        const file = resolve(baseDir, f.str('csvFile'));
        try {
          text = readFileSync(file, 'utf8');
        } catch (e) {
          fail(f.at(key), `cannot read "${file}" (${(e as Error).message})`);
        }
      } else {
        text = f.str('csv');
      }
      let samples;
      try {
        samples = parseTrace(text, column);
      } catch (e) {
        if (e instanceof TraceError) fail(f.at(key), e.message);
        throw e;
      }
      spec = {
        model,
        samples,
        interpolate: f.oneOf('interpolate', ['step', 'linear'] as const, 'step'),
        loop: f.bool('loop', false),
        ...common,
      };
      break;
    }
  }
  f.done();
  return spec;
}

function readPin(v: Json, path: string): GpioPinSpec {
  const f = new Fields(v, path);
  const kind = f.oneOf('kind', ['input', 'output'] as const);
  let pin: GpioPinSpec;
  if (kind === 'output') {
    pin = { kind };
  } else {
    const edges = f.list('edges', (e, p) => {
      const g = new Fields(e, p);
      const edge = { atMs: g.num('atMs', { min: 0 }), value: g.bit('value', 1) };
      if (!g.has('value')) fail(g.at('value'), 'is required');
      g.done();
      return edge;
    });
    edges.forEach((e, i) => {
      if (i > 0 && e.atMs < edges[i - 1]!.atMs) fail(`${f.at('edges')}[${i}].atMs`, `must not be before the previous edge (${edges[i - 1]!.atMs}), found ${e.atMs}`);
    });
    pin = { kind, initial: f.bit('initial', 0), edges };
  }
  f.done();
  return pin;
}

function readSerial(v: Json, path: string): SerialDeviceSpec {
  const f = new Fields(v, path);
  const device = f.oneOf('device', ['nmea-gps', 'at-modem'] as const);
  let spec: SerialDeviceSpec;
  if (device === 'nmea-gps') {
    const startUtc = f.str('startUtc', '2024-06-01T12:00:00Z');
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(startUtc) || Number.isNaN(Date.parse(startUtc))) {
      fail(f.at('startUtc'), `expected an ISO 8601 UTC time like "2024-06-01T12:00:00Z", found "${startUtc}"`);
    }
    spec = {
      device,
      periodMs: f.num('periodMs', { gt: 0 }, 1000),
      startUtc,
      lat: f.num('lat', { min: -90, max: 90 }),
      lon: f.num('lon', { min: -180, max: 180 }),
      altitudeM: f.num('altitudeM', {}, 0),
      speedKnots: f.num('speedKnots', { min: 0 }, 0),
      courseDeg: f.num('courseDeg', { min: 0, max: 360 }, 0),
      satellites: f.num('satellites', { int: true, min: 0, max: 99 }, 8),
      noFix: f.list('noFix', readSpan),
    };
  } else {
    const responses = f.map('responses', (r, p) => {
      if (!Array.isArray(r) || r.some((x) => typeof x !== 'string')) fail(p, 'expected an array of reply lines (strings)');
      return r as string[];
    });
    const upper: Record<string, readonly string[]> = {};
    for (const [k, lines] of Object.entries(responses)) upper[k.toUpperCase()] = lines;
    spec = {
      device,
      latencyMs: f.num('latencyMs', { min: 0 }, 20),
      rssi: f.num('rssi', { int: true, min: 0, max: 99 }, 20),
      operator: f.str('operator', 'fleetlet-sim'),
      responses: upper,
    };
  }
  f.done();
  return spec;
}
