// `fleetlet run`: runs an app locally, on the device simulator (a scenario, on virtual or
// accelerated time) or on this machine's Linux hardware, with its descriptor's capabilities and
// limits; prints its log, publishes, GPIO changes and host refusals as they happen, then a
// summary (ticks, fuel per tick, memory high-water, traps). The engine, host and simulator load
// only when the command runs, so `fleetlet --help` stays fast.

import type { Command } from 'commander';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Scenario } from '../../device-sim/scenario.ts';
import type { AppReport, AppSpec, HostEvent } from '../host/index.ts';
import type { GpioBackend, GpioValue } from '../host/hw/gpio.ts';
import type { LinuxHardwareConfig } from '../host/hw/linux/linux-hardware.ts';
import type { TimeSource } from '../host/hw/time.ts';
import { parseCount } from './_args.ts';
import { CliError, EXIT } from './errors.ts';
import type { CliIo } from './main.ts';
import { formatPayload, formatReport, printHostEvents, refusals, stamp } from './_run-print.ts';

/** Simulated CPU speed in virtual time: fuel a module burns per simulated millisecond. */
export const VIRTUAL_FUEL_PER_MS = 100_000;
/** Ticks a reactor runs when neither --ticks nor --duration is given. */
export const DEFAULT_TICKS = 10;

/** The device config of `--hardware linux` (`--device FILE`): the Linux backends' config and the pin map. */
export interface DeviceFile extends LinuxHardwareConfig {
  /** GPIO line names by the pin numbers capabilities use: { "17": "relay" }. */
  readonly pins?: Readonly<Record<string, string>>;
}

/** Where a local run gets its hardware. */
export type LocalHardware = { readonly kind: 'sim'; readonly scenario: Scenario } | { readonly kind: 'linux'; readonly config: LinuxHardwareConfig };

/** When a local run stops: after the first app's Nth tick, after a time on the device clock, or when every app has ended. */
export type StopRule = { readonly ticks: number } | { readonly durationMs: number } | { readonly untilEnded: true };

export interface LocalRunPlan {
  /** The apps; the first is the one `ticks` counts. */
  readonly apps: readonly AppSpec[];
  readonly hardware: LocalHardware;
  /** GPIO line names by pin number. */
  readonly pins?: Readonly<Record<number, string>>;
  /** "max": virtual time, as fast as the CPU allows; a number: real time times this factor. */
  readonly speed: number | 'max';
  readonly stop: StopRule;
  /** Key-value store folder (default: a temporary folder removed afterwards). */
  readonly dataDir?: string;
  readonly signal?: AbortSignal;
}

export interface LocalRunResult {
  /** One per app, taken when the run stopped (before the apps were closed). */
  readonly reports: readonly AppReport[];
  /** Device clock time the run took (ms). */
  readonly elapsedMs: number;
  readonly aborted: boolean;
}

/** A clock running `speed` times faster than real time, with timers that agree. */
function scaledTime(speed: number): TimeSource {
  const origin = performance.now();
  return {
    now: () => (performance.now() - origin) * speed,
    setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms) / speed),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}

/** Passes GPIO calls on, telling `onChange` each time an output's level changes or it is released. */
function watchGpio(inner: GpioBackend, onChange: (line: string, value: GpioValue | null) => void): GpioBackend {
  const level = new Map<string, GpioValue>();
  const note = (line: string, v: GpioValue): void => {
    if (level.get(line) === v) return;
    level.set(line, v);
    onChange(line, v);
  };
  return {
    kind: inner.kind,
    lines: () => inner.lines(),
    configure: async (line, config) => {
      await inner.configure(line, config);
      if (config.direction === 'output') note(line, config.initial);
      else level.delete(line);
    },
    read: (line) => inner.read(line),
    write: async (line, value) => {
      await inner.write(line, value);
      note(line, value);
    },
    waitEdge: (line, edge, options) => inner.waitEdge(line, edge, options),
    release: async (line) => {
      await inner.release(line);
      if (level.delete(line)) onChange(line, null);
    },
    close: () => inner.close(),
  };
}

const ended = (r: AppReport): boolean => r.state !== 'starting' && r.state !== 'running';

/**
 * Runs apps on simulated or Linux hardware, printing what they do through `io` (a command's
 * stdout lines on `io.out`, everything else on `io.err`), then one summary per app.
 * @throws LinkError, DecodeError, ValidationError, CapabilityError, KvError when an app cannot be
 *   added; CliError when the simulation cannot start (socat missing)
 */
export async function runLocal(plan: LocalRunPlan, io: CliIo): Promise<LocalRunResult> {
  const [{ AppRunner, hostDevice }, { ManualTime }, { linuxHardware }, sim, { uniform }] = await Promise.all([
    import('../host/index.ts'),
    import('../host/hw/manual-time.ts'),
    import('../host/hw/linux/linux-hardware.ts'),
    import('../../device-sim/simulation.ts'),
    import('../../device-sim/rng.ts'),
  ]);
  const manual = plan.speed === 'max' ? new ManualTime(0) : undefined;
  const time: TimeSource = manual ?? scaledTime(plan.speed as number);
  const t0 = time.now();
  const at = (): string => stamp(time.now() - t0);
  let hw;
  if (plan.hardware.kind === 'sim') {
    try {
      hw = sim.simulatedHardware(await sim.startSimulation(plan.hardware.scenario, { time }), time);
    } catch (e) {
      throw new CliError(`Cannot start the simulator: ${(e as Error).message}`);
    }
  } else hw = linuxHardware(plan.hardware.config, { time });
  const tempDir = plan.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'fleetlet-run-')) : undefined;
  const pins = plan.pins ?? {};
  const pinOf = new Map(Object.entries(pins).map(([pin, line]) => [line, pin]));
  const seed = plan.hardware.kind === 'sim' ? plan.hardware.scenario.seed : 0;
  let drawn = 0;
  const wallStart = Date.now();
  const gpio = watchGpio(hw.gpio, (line, v) => {
    const pin = pinOf.get(line) ?? (/^[0-9]+$/.test(line) ? line : undefined);
    io.err(`${at()} gpio ${line}${pin !== undefined && pin !== line ? ` (pin ${pin})` : ''} -> ${v === null ? 'released' : v}`);
  });
  const device = hostDevice({ ...hw, gpio }, {
    clock: time,
    wallClock: () => wallStart + (time.now() - t0),
    pins,
    dataDir: plan.dataDir ?? tempDir!,
    logs: {
      write: (l) => {
        if (l.source === 'stdout') io.out(l.text);
        else io.err(`${at()} ${l.app} ${l.source === 'stderr' ? 'stderr' : l.level}: ${l.text}`);
      },
    },
    publisher: { publish: (m) => io.err(`${at()} ${m.app} publish ${m.subtopic} ${formatPayload(m.payload)}`) },
    ...(plan.hardware.kind === 'sim' ? { random: (into: Uint8Array) => into.forEach((_, i) => (into[i] = Math.floor(uniform(seed, 0x72616e64, drawn++) * 256))) } : {}),
  });
  let closing = false;
  const runner = new AppRunner({
    device,
    ...(manual !== undefined ? { virtual: { time: manual, fuelPerMs: VIRTUAL_FUEL_PER_MS } } : { timers: time }),
    onEnd: (r) => {
      if (closing) return; // the run's own stop, not the app's doing
      const why = r.lastError === undefined ? '' : `: ${r.lastError.reason}${r.lastError.kind === undefined ? '' : ` "${r.lastError.kind}"`} in ${r.lastError.phase}: ${r.lastError.message}`;
      io.err(`${at()} ${r.name} ${r.state === 'exited' ? `exited with code ${r.exitCode}` : r.state}${why}`);
    },
  });
  const seen = new Map<string, Map<HostEvent['kind'], number>>();
  const printEvents = (): void => {
    for (const app of plan.apps) {
      const r = runner.report(app.name);
      printHostEvents(io, t0, app.name, r, seen.get(app.name) ?? new Map());
      seen.set(app.name, refusals(r));
    }
  };
  let aborted = false;
  try {
    for (const app of plan.apps) await runner.add(app);
    const main = plan.apps[0]!;
    const stop = plan.stop;
    const period = main.limits.tickPeriodMs;
    // Host events print after each slice: a slice of the shortest tick period keeps them near their time.
    const slice = Math.max(1, Math.min(1000, ...plan.apps.map((a) => a.limits.tickPeriodMs)));
    const deadline = 'durationMs' in stop ? t0 + stop.durationMs : 'ticks' in stop ? t0 + stop.ticks * period + period / 2 : Infinity;
    for (;;) {
      if (plan.signal?.aborted === true) {
        aborted = true;
        break;
      }
      const reports = plan.apps.map((a) => runner.report(a.name));
      if (reports.every(ended)) break;
      if ('ticks' in stop) {
        if (reports[0]!.ticks >= stop.ticks || ended(reports[0]!)) break;
      } else if (time.now() >= deadline) break;
      // Up to the tick deadline first, then a period at a time for ticks that came late.
      const end = 'ticks' in stop && time.now() >= deadline ? time.now() + period : Math.min(deadline, time.now() + slice);
      await runner.runToCompletion(end - time.now(), plan.signal);
      printEvents();
    }
    const reports = plan.apps.map((a) => runner.report(a.name));
    const elapsedMs = time.now() - t0;
    closing = true;
    await runner.close();
    printEvents();
    for (const r of reports) for (const line of formatReport(r, elapsedMs, t0)) io.err(line);
    return { reports, elapsedMs, aborted };
  } finally {
    await runner.close().catch(() => undefined);
    await hw.close().catch(() => undefined);
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  }
}

/** Options of `fleetlet run` as commander gives them. */
export interface RunOptions {
  readonly app?: string;
  readonly scenario?: string;
  readonly hardware: string;
  readonly device?: string;
  readonly ticks?: string;
  readonly duration?: string;
  readonly speed?: string;
  readonly pin: string[];
  readonly setting: string[];
  readonly capability: string[];
  readonly grant: string[];
  readonly dataDir?: string;
  readonly report?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Adds the `run` subcommand to the `fleetlet` program, printing through `io`. */
export function registerRun(program: Command, io: CliIo): void {
  program.command('run')
    .description('Run an app locally on the simulator or this machine\'s hardware: prints its log, publishes, GPIO changes and refusals, then a summary (its stdout goes to stdout, the rest to stderr)')
    .argument('<module>', 'the app\'s module (.wasm)')
    .argument('[args...]', 'arguments of a WASI command (put them after --)')
    .option('--app <file>', 'app descriptor (default: the fleetlet.app.json beside the module or in the current folder that names this module)')
    .option('--scenario <file>', 'simulator scenario (default: an empty device)')
    .option('--hardware <kind>', 'sim or linux', 'sim')
    .option('--device <file>', 'device config for --hardware linux (JSON: sensors, gpio, serial, pins)')
    .option('--ticks <n>', `stop after the reactor's Nth tick (default ${DEFAULT_TICKS}; a command runs until it exits)`)
    .option('--duration <ms>', 'stop after this many milliseconds of device time')
    .option('--speed <x>', 'device time per real time: a factor, or "max" for virtual time as fast as the CPU allows (default: max on a simulator without serial devices, else 1)')
    .option('--pin <n=line>', 'GPIO line name for a capability pin number, e.g. 17=relay; repeatable', collect, [])
    .option('--setting <name=value>', 'per-device setting (a WASI environment variable) over the descriptor\'s; repeatable', collect, [])
    .option('--capability <cap>', 'declare one more capability (e.g. clock for a plain WASI command); repeatable', collect, [])
    .option('--grant <cap>', 'device policy: grant only these (default: everything declared); repeatable', collect, [])
    .option('--data-dir <dir>', 'key-value store folder (default: a temporary one, removed afterwards)')
    .option('--report <file>', 'also write the summary as JSON')
    .action(async (module: string, args: string[], o: RunOptions) => run(module, args, o, io));
}

function pairs(list: readonly string[], option: string, what: string): [string, string][] {
  return list.map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`Invalid ${option} "${p}": expected ${what}`, EXIT.usage);
    return [p.slice(0, i), p.slice(i + 1)];
  });
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`Cannot read ${what} "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * `fleetlet run MODULE [-- ARGS]`: one app, as its descriptor says, on the chosen hardware.
 * @throws CliError: usage, an unreadable file, an app that cannot be added, an app that failed
 *   (exit 1), a command that exited non-zero (its code), an interrupt (130)
 */
export async function run(modulePath: string, args: readonly string[], o: RunOptions, io: CliIo): Promise<void> {
  const [{ APP_DESCRIPTOR_FILE, AppDescriptorError, DEFAULT_APP_LIMITS, modulePath: descriptorModulePath, readAppDescriptor }, { Module }, { loadScenarioFile }] = await Promise.all([
    import('../../schemas/app-descriptor.ts'),
    import('../wasm/index.ts'),
    import('../../device-sim/parse-scenario.ts'),
  ]);
  if (o.hardware !== 'sim' && o.hardware !== 'linux') throw new CliError(`Invalid --hardware "${o.hardware}": expected "sim" or "linux"`, EXIT.usage);
  if (o.ticks !== undefined && o.duration !== undefined) throw new CliError('Cannot use --ticks and --duration together: pick one', EXIT.usage);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(modulePath));
  } catch (e) {
    throw new CliError(`Cannot read module "${modulePath}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const compiled = Module.validate(bytes);
  if (!compiled.ok) throw new CliError(`Cannot run "${modulePath}": fleetlet's engine refuses the module: ${compiled.error.message}`);
  const mod = compiled.module;

  let d;
  try {
    if (o.app !== undefined) d = readAppDescriptor(o.app);
    else {
      // A descriptor beside the module or in the current folder, when it names this module.
      const target = realpathSync(modulePath);
      for (const file of [join(dirname(modulePath), APP_DESCRIPTOR_FILE), APP_DESCRIPTOR_FILE]) {
        if (!existsSync(file)) continue;
        const candidate = readAppDescriptor(file);
        const named = descriptorModulePath(candidate, file);
        if (existsSync(named) && realpathSync(named) === target) {
          d = candidate;
          break;
        }
      }
    }
  } catch (e) {
    if (e instanceof AppDescriptorError) throw new CliError(`Cannot read app descriptor ${e.message}`);
    throw e;
  }
  const exported = new Set(mod.exports().filter((e) => e.kind === 'func').map((e) => e.name));
  const kind = d?.kind ?? (exported.has('_start') ? 'command' : exported.has('tick') ? 'reactor' : undefined);
  if (kind === undefined) throw new CliError(`Cannot run "${modulePath}": it exports neither "_start" (a command) nor "tick" (a reactor), and no app descriptor says which it is`);
  const name = d?.name ?? appNameOf(modulePath);

  let speed: number | 'max' | undefined;
  if (o.speed !== undefined) {
    speed = o.speed === 'max' ? 'max' : Number(o.speed);
    if (speed !== 'max' && !(speed > 0 && Number.isFinite(speed))) throw new CliError(`Invalid --speed "${o.speed}": expected a positive factor such as 10, or "max"`, EXIT.usage);
  }
  let hardware: LocalHardware;
  const pins: Record<number, string> = {};
  if (o.hardware === 'sim') {
    if (o.device !== undefined) throw new CliError('Cannot use --device with the simulator: it is for --hardware linux', EXIT.usage);
    let scenario: Scenario;
    try {
      scenario = o.scenario === undefined ? { version: 1, seed: 0, sensors: {}, gpio: {}, serial: {} } : loadScenarioFile(o.scenario);
    } catch (e) {
      throw new CliError(`Cannot load scenario "${o.scenario}": ${(e as Error).message}`);
    }
    hardware = { kind: 'sim', scenario };
    speed ??= Object.keys(scenario.serial).length === 0 ? 'max' : 1;
  } else {
    if (o.scenario !== undefined) throw new CliError('Cannot use --scenario with --hardware linux: it is for the simulator', EXIT.usage);
    if (speed !== undefined && speed !== 1) throw new CliError('Cannot change --speed on real hardware', EXIT.usage);
    speed = 1;
    const file = (o.device === undefined ? {} : readJson(o.device, 'device config')) as DeviceFile;
    if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new CliError(`Cannot read device config "${o.device}": expected a JSON object`);
    for (const [pin, line] of Object.entries(file.pins ?? {})) pins[parseCount(pin, 'device config pin')] = String(line);
    hardware = { kind: 'linux', config: file };
  }
  for (const [pin, line] of pairs(o.pin, '--pin', 'a pin number, "=" and a line name, e.g. 17=relay')) pins[parseCount(pin, '--pin')] = line;

  let stop: StopRule;
  if (o.ticks !== undefined) {
    if (kind === 'command') throw new CliError('Cannot use --ticks with a command: it has no ticks (use --duration)', EXIT.usage);
    stop = { ticks: parseCount(o.ticks, '--ticks', 1) };
  } else if (o.duration !== undefined) stop = { durationMs: parseCount(o.duration, '--duration', 1) };
  else stop = kind === 'reactor' ? { ticks: DEFAULT_TICKS } : { untilEnded: true };

  const settings = { ...d?.settings, ...Object.fromEntries(pairs(o.setting, '--setting', 'NAME=value')) };
  const spec: AppSpec = {
    name,
    kind,
    module: mod,
    capabilities: [...(d?.capabilities ?? []), ...o.capability],
    ...(o.grant.length > 0 ? { deviceGrants: o.grant } : {}),
    limits: d?.limits ?? DEFAULT_APP_LIMITS,
    settings,
    args,
  };
  const where = hardware.kind === 'sim' ? `the simulator${o.scenario === undefined ? ' (no scenario)' : ` (${o.scenario})`}` : 'this machine\'s hardware';
  const pace = speed === 'max' ? 'virtual time' : speed === 1 ? 'real time' : `${speed}x real time`;
  io.err(`fleetlet run: ${name}${d === undefined ? '' : ` ${d.version}`} (${kind}) on ${where}, ${pace}${d === undefined ? ', no app descriptor' : ''}`);
  if (speed === 'max' && hardware.kind === 'sim' && Object.keys(hardware.scenario.serial).length > 0) {
    io.err('fleetlet run: note: serial devices talk through real pseudo-terminals, so in virtual time their bytes arrive late; use --speed 1 (or a small factor) to see them on time');
  }

  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  let result: LocalRunResult;
  try {
    result = await runLocal({ apps: [spec], hardware, pins, speed, stop, signal: ac.signal, ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }) }, io);
  } catch (e) {
    const [{ LinkError }, { CapabilityError }, { KvError }] = await Promise.all([import('../wasm/errors.ts'), import('../../schemas/capabilities.ts'), import('../host/kv-store.ts')]);
    if (e instanceof LinkError) {
      const hint = e.code === 'capability-denied' && o.grant.length === 0 ? ' (declare it in the app descriptor, or pass --capability)' : '';
      throw new CliError(`Cannot run "${name}": ${e.message}${hint}`);
    }
    if (e instanceof CapabilityError || e instanceof KvError) throw new CliError(`Cannot run "${name}": ${e.message}`);
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (o.report !== undefined) writeFileSync(o.report, `${JSON.stringify({ elapsedMs: result.elapsedMs, aborted: result.aborted, apps: result.reports }, null, 2)}\n`);
  const r = result.reports[0]!;
  if (result.aborted) throw new CliError(`Stopped "${name}": interrupted`, 130);
  if (r.state === 'failed') throw new CliError(`App "${name}" failed: ${r.lastError?.reason ?? 'unknown'} in ${r.lastError?.phase ?? 'unknown'}`);
  if (r.state === 'exited' && r.exitCode !== 0) {
    const code = r.exitCode ?? 1;
    throw new CliError(`App "${name}" exited with code ${code}`, code >= 1 && code <= 255 ? code : 1);
  }
}

/** An app name from a module file name: "sha256_cmd.wasm" -> "sha256_cmd". */
function appNameOf(path: string): string {
  const n = basename(path).replace(/\.wasm$/, '').toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64);
  return n === '' ? 'app' : n;
}
