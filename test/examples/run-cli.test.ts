// `fleetlet run` itself: the template's key-value store across runs with --data-dir, the Linux
// backends on a directory laid out like sysfs, accelerated real time, descriptor discovery, and
// one-line usage errors.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT_MS, buildExamples, built, example, fleetlet, gpioChanges, published } from './_kit.ts';

const tmp = mkdtempSync(join(tmpdir(), 'fleetlet-run-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fleetlet run', () => {
  beforeAll(buildExamples, BUILD_TIMEOUT_MS);

  it('keeps the template\'s key-value store between runs in --data-dir, and in a fresh folder otherwise', async () => {
    const dataDir = join(tmp, 'data');
    const args = ['run', built('template'), '--app', example('template', 'fleetlet.app.json'), '--scenario', example('template', 'scenario.json'), '--ticks', '3'];
    const first = await fleetlet([...args, '--data-dir', dataDir]);
    const second = await fleetlet([...args, '--data-dir', dataDir, '--setting', 'LABEL=greenhouse']);
    const fresh = await fleetlet(args);
    expect(first.code, first.err.join('\n')).toBe(0);
    expect(first.err).toContainEqual(expect.stringMatching(/\] template info: template started \(start 1\)$/));
    expect(second.err).toContainEqual(expect.stringMatching(/\] template info: greenhouse started \(start 2\)$/));
    expect(fresh.err).toContainEqual(expect.stringMatching(/\] template info: template started \(start 1\)$/));
    // The scenario's sine: 20 + 3 sin(2 pi t / 60 s), noise 0.1; one reading a second.
    const readings = published(second.err, 'template', 'reading').map((m) => JSON.parse(m.payload) as { label: string; temperature: number });
    expect(readings).toHaveLength(3);
    readings.forEach((r, i) => {
      expect(r.label).toBe('greenhouse');
      expect(Math.abs(r.temperature - (20 + 3 * Math.sin((2 * Math.PI * (i + 1)) / 60)))).toBeLessThan(0.5);
    });
  });

  it('reads sensors through the Linux backends from a directory laid out like sysfs', async () => {
    const root = join(tmp, 'sysroot');
    mkdirSync(join(root, 'sys/class/thermal/thermal_zone0'), { recursive: true });
    writeFileSync(join(root, 'sys/class/thermal/thermal_zone0/type'), 'cpu-thermal\n');
    writeFileSync(join(root, 'sys/class/thermal/thermal_zone0/temp'), '19500\n');
    const device = join(tmp, 'device.json');
    writeFileSync(device, JSON.stringify({ sensors: { root, aliases: { temperature: 'thermal/cpu-thermal' } }, pins: { 17: 'relay' } }));
    const run = await fleetlet(['run', built('thermostat'), '--app', example('thermostat', 'fleetlet.app.json'), '--hardware', 'linux', '--device', device, '--ticks', '2']);
    expect(run.code, run.err.join('\n')).toBe(0);
    expect(run.err[0]).toBe('fleetlet run: thermostat 1.0.0 (reactor) on this machine\'s hardware, real time');
    // No GPIO line is configured on this machine: the relay cannot be driven, and the app says so and goes on.
    expect(run.err).toContainEqual(expect.stringMatching(/\] thermostat error: cannot drive the relay on pin 17: E_NOT_FOUND$/));
    expect(run.err).toContainEqual(expect.stringMatching(/\] thermostat hardware-error gpio_config: No GPIO line "relay" in the device config \(unknown-line\)/));
    expect(published(run.err, 'thermostat', 'telemetry').map((m) => JSON.parse(m.payload))).toEqual([
      { temperature: 19.5, setpoint: 21, relay: false },
      { temperature: 19.5, setpoint: 21, relay: false },
    ]);
  });

  it('runs a scenario on accelerated real time with --speed', async () => {
    const started = performance.now();
    const run = await fleetlet(['run', built('thermostat'), '--app', example('thermostat', 'fleetlet.app.json'), '--scenario', example('thermostat', 'scenario.json'), '--pin', '17=relay', '--ticks', '8', '--speed', '10']);
    expect(run.code, run.err.join('\n')).toBe(0);
    expect(run.err[0]).toMatch(/, 10x real time$/);
    expect(performance.now() - started).toBeLessThan(8000); // 8.5 s of device time at 10x
    const changes = gpioChanges(run.err).filter(([, , v]) => v !== 'released');
    expect(changes.map(([, line, v]) => [line, v])).toEqual([['relay', '0'], ['relay', '1']]);
    // The temperature drops below 20.5 at 6 s and rises at 9 s: the tick that sees it comes in between
    // (on time at 6 s; a loaded machine may delay it, and at 10x a delay counts ten times).
    expect(changes[1]![0]).toBeGreaterThanOrEqual(6000);
    expect(changes[1]![0]).toBeLessThan(9000);
  });

  it('finds the descriptor in the current folder when it names the module', async () => {
    const cwd = process.cwd();
    process.chdir(example('thermostat'));
    try {
      const run = await fleetlet(['run', relative(example('thermostat'), built('thermostat')), '--ticks', '1']);
      expect(run.code, run.err.join('\n')).toBe(0);
      expect(run.err[0]).toMatch(/^fleetlet run: thermostat 1\.0\.0 \(reactor\) on the simulator \(no scenario\), virtual time$/);
      expect(run.err).toContainEqual(expect.stringMatching(/\] thermostat warn: cannot read the temperature: E_NOT_FOUND$/));
    } finally {
      process.chdir(cwd);
    }
  });

  it.each([
    [['--ticks', '2', '--duration', '100'], 'Cannot use --ticks and --duration together: pick one'],
    [['--speed', 'fast'], 'Invalid --speed "fast": expected a positive factor such as 10, or "max"'],
    [['--hardware', 'arduino'], 'Invalid --hardware "arduino": expected "sim" or "linux"'],
    [['--hardware', 'linux', '--scenario', 'x.json'], 'Cannot use --scenario with --hardware linux: it is for the simulator'],
    [['--pin', 'relay'], 'Invalid --pin "relay": expected a pin number, "=" and a line name, e.g. 17=relay'],
    [['--ticks', '0'], 'Invalid --ticks "0": expected an integer of at least 1'],
  ])('refuses %j with one line and status 2', async (extra, message) => {
    const run = await fleetlet(['run', built('thermostat'), '--app', example('thermostat', 'fleetlet.app.json'), ...extra]);
    expect(run.code).toBe(2);
    expect(run.err).toEqual([`fleetlet: ${message}`]);
  });

  it('refuses a file that is not a module, and a scenario with a wrong field, with status 1', async () => {
    const notWasm = join(tmp, 'not.wasm');
    writeFileSync(notWasm, 'hello');
    const bad = await fleetlet(['run', notWasm]);
    expect(bad.code).toBe(1);
    expect(bad.err.at(-1)).toMatch(/^fleetlet: Cannot run ".*not\.wasm": fleetlet's engine refuses the module: /);
    const scenario = join(tmp, 'scenario.json');
    writeFileSync(scenario, JSON.stringify({ version: 1, sensors: { t: { model: 'constant', unit: 'degC', value: 1, colour: 'red' } } }));
    const run = await fleetlet(['run', built('thermostat'), '--app', example('thermostat', 'fleetlet.app.json'), '--scenario', scenario]);
    expect(run.code).toBe(1);
    expect(run.err.at(-1)).toMatch(/^fleetlet: Cannot load scenario ".*scenario\.json": .*sensors\.t\.colour/);
  });
});
