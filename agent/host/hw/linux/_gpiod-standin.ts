// A stand-in for the gpiod tools, placed under the gpiod backend as its ProcessRunner: it parses
// gpioget, gpioset and gpiomon command lines strictly, as libgpiod v1 or v2 does (an argument the
// real tool would refuse fails here too), and acts on simulated chips whose inputs a test drives.
// Test-only.

import type { GpioValue } from '../gpio.ts';
import { LineSplitter, type ExitStatus, type KillSignal, type ProcessRunner, type RunningProcess } from './process.ts';
import type { GpiodVersion } from './gpiod-tools.ts';

interface StandinLine {
  /** The level the world drives on an input (a button). */
  input: GpioValue;
  /** The process holding the line, and the level it drives when it is an output holder. */
  holder: StandinProcess | undefined;
  driven: GpioValue | undefined;
  /** Running gpiomon processes watching the line. */
  monitors: Set<StandinProcess>;
}

const TOOL_VERSIONS: Record<GpiodVersion, string> = { 1: '1.6.3', 2: '2.2.1' };

/** One emulated tool run. */
class StandinProcess implements RunningProcess {
  private readonly listeners: ((line: string) => void)[] = [];
  private stdout = '';
  private stderr = '';
  private done = false;
  private resolveExit!: (s: ExitStatus) => void;
  readonly exited = new Promise<ExitStatus>((r) => (this.resolveExit = r));
  /** What to undo when it exits (release lines, stop monitoring). */
  onExit: (() => void) | undefined;
  /** Called on a signal; default: exit killed by it. */
  onSignal: ((s: KillSignal) => void) | undefined;

  constructor(readonly command: string, readonly args: readonly string[]) {}

  get running(): boolean {
    return !this.done;
  }

  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  /** Prints to stdout (delivered asynchronously, as a pipe would). */
  print(text: string): void {
    this.stdout += text;
    const lines: string[] = [];
    new LineSplitter((l) => lines.push(l)).push(text);
    setImmediate(() => lines.forEach((l) => this.listeners.forEach((f) => f(l))));
  }

  fail(message: string): void {
    this.stderr += `${this.command}: ${message}\n`;
    this.exit(1, null);
  }

  exit(code: number | null, signal: string | null): void {
    if (this.done) return;
    this.done = true;
    this.onExit?.();
    const status: ExitStatus = { code, signal, stdout: this.stdout, stderr: this.stderr };
    // After pending stdout lines, as 'close' comes after the last 'data'.
    setImmediate(() => setImmediate(() => this.resolveExit(status)));
  }

  kill(signal: KillSignal = 'SIGTERM'): void {
    if (this.done) return;
    if (this.onSignal !== undefined && signal !== 'SIGKILL') this.onSignal(signal);
    else this.exit(null, signal);
  }
}

/** Options in the getopt_long style the tools use: `--name=value`, `--name value`, `-x value`. */
interface OptSpec {
  readonly long: string;
  readonly short?: string;
  readonly arg: boolean;
}

function parseOptions(args: readonly string[], specs: readonly OptSpec[]): { opts: Map<string, string>; rest: string[] } | string {
  const opts = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      const spec = specs.find((s) => s.long === name);
      if (spec === undefined) return `unrecognized option '${a}'`;
      if (spec.arg) {
        const v = inline ?? args[++i];
        if (v === undefined) return `option '--${name}' requires an argument`;
        opts.set(name, v);
      } else {
        if (inline !== undefined) return `option '--${name}' doesn't allow an argument`;
        opts.set(name, '');
      }
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      const spec = specs.find((s) => s.short === a[1]);
      if (spec === undefined) return `invalid option -- '${a[1]}'`;
      if (spec.arg) {
        const v = a.length > 2 ? a.slice(2) : args[++i];
        if (v === undefined) return `option requires an argument -- '${a[1]}'`;
        opts.set(spec.long, v);
      } else {
        opts.set(spec.long, '');
      }
    } else {
      rest.push(a);
    }
  }
  return { opts, rest };
}

const COMMON: OptSpec[] = [
  { long: 'help', short: 'h', arg: false },
  { long: 'version', short: 'v', arg: false },
  { long: 'active-low', short: 'l', arg: false },
];
const V1_SPECS: Record<string, OptSpec[]> = {
  gpioget: [...COMMON, { long: 'bias', short: 'B', arg: true }],
  gpioset: [...COMMON, { long: 'bias', short: 'B', arg: true }, { long: 'drive', short: 'D', arg: true }, { long: 'mode', short: 'm', arg: true }, { long: 'sec', short: 's', arg: true }, { long: 'usec', short: 'u', arg: true }, { long: 'background', short: 'b', arg: false }],
  gpiomon: [...COMMON, { long: 'bias', short: 'B', arg: true }, { long: 'num-events', short: 'n', arg: true }, { long: 'silent', short: 's', arg: false }, { long: 'rising-edge', short: 'r', arg: false }, { long: 'falling-edge', short: 'f', arg: false }, { long: 'line-buffered', short: 'b', arg: false }, { long: 'format', short: 'F', arg: true }],
};
const V2_COMMON: OptSpec[] = [...COMMON, { long: 'bias', short: 'b', arg: true }, { long: 'chip', short: 'c', arg: true }, { long: 'consumer', short: 'C', arg: true }, { long: 'strict', short: 's', arg: false }, { long: 'by-name', arg: false }, { long: 'unquoted', arg: false }];
const V2_SPECS: Record<string, OptSpec[]> = {
  gpioget: [...V2_COMMON, { long: 'as-is', short: 'a', arg: false }, { long: 'numeric', arg: false }, { long: 'hold-period', short: 'p', arg: true }],
  gpioset: [...V2_COMMON, { long: 'banner', arg: false }, { long: 'drive', short: 'd', arg: true }, { long: 'hold-period', short: 'p', arg: true }, { long: 'toggle', short: 't', arg: true }, { long: 'daemonize', short: 'z', arg: false }],
  gpiomon: [...V2_COMMON, { long: 'banner', arg: false }, { long: 'edges', short: 'e', arg: true }, { long: 'format', short: 'F', arg: true }, { long: 'num-events', short: 'n', arg: true }, { long: 'quiet', short: 'q', arg: false }, { long: 'debounce-period', short: 'p', arg: true }, { long: 'idle-timeout', arg: true }],
};
const BIAS: Record<GpiodVersion, string[]> = { 1: ['as-is', 'disable', 'pull-down', 'pull-up'], 2: ['pull-down', 'pull-up', 'disabled', 'as-is'] };

export interface GpiodStandinOptions {
  readonly version: GpiodVersion;
  /** Chip names and their number of lines (default: gpiochip0 with 32 lines). */
  readonly chips?: Readonly<Record<string, number>>;
}

/** Simulated chips plus the runner that the gpiod backend is given. */
export class GpiodStandin {
  readonly version: GpiodVersion;
  /** Every command run, as "tool arg arg ...". */
  readonly commands: string[] = [];
  private readonly chips: Map<string, StandinLine[]>;

  constructor(options: GpiodStandinOptions) {
    this.version = options.version;
    this.chips = new Map(
      Object.entries(options.chips ?? { gpiochip0: 32 }).map(([name, n]) => [
        name,
        Array.from({ length: n }, () => ({ input: 0 as GpioValue, holder: undefined, driven: undefined, monitors: new Set<StandinProcess>() })),
      ]),
    );
  }

  readonly runner: ProcessRunner = {
    spawn: (command, args) => {
      this.commands.push([command, ...args].join(' '));
      const p = new StandinProcess(command, args);
      // Start "asynchronously", as a process does.
      queueMicrotask(() => this.start(p));
      return p;
    },
  };

  // ---- the world's side ----

  /** Drives an input line; running gpiomon processes report the edge. */
  setInput(chip: string, offset: number, value: GpioValue): void {
    const l = this.line(chip, offset)!;
    if (l.input === value) return;
    l.input = value;
    for (const m of [...l.monitors]) this.report(m, value === 1 ? 'rising' : 'falling');
  }

  /** The level an output holder drives on the line, or undefined when no gpioset holds it. */
  driven(chip: string, offset: number): GpioValue | undefined {
    return this.line(chip, offset)!.driven;
  }

  /** Whether a process (gpioset or gpiomon) holds the line now. */
  held(chip: string, offset: number): boolean {
    const l = this.line(chip, offset)!;
    return l.holder !== undefined || l.monitors.size > 0;
  }

  /** Whether a gpiomon process watches the line now. */
  monitoring(chip: string, offset: number): boolean {
    return this.line(chip, offset)!.monitors.size > 0;
  }

  /** Makes the gpioset holding a line die on its own (as if killed by someone else). */
  crashHolder(chip: string, offset: number): void {
    const h = this.line(chip, offset)!.holder;
    h?.fail('killed by a stand-in crash');
  }

  /** Holds a line as another program would (so the backend finds it busy); returns the release. */
  holdElsewhere(chip: string, offset: number): () => void {
    const p = new StandinProcess('other', []);
    const l = this.line(chip, offset)!;
    l.holder = p;
    return () => {
      if (l.holder === p) l.holder = undefined;
    };
  }

  // ---- the tools ----

  private line(chip: string, offset: number): StandinLine | undefined {
    return this.chips.get(chip)?.[offset];
  }

  private start(p: StandinProcess): void {
    const specs = (this.version === 1 ? V1_SPECS : V2_SPECS)[p.command];
    if (specs === undefined) {
      p.exit(null, null); // not a gpiod tool: the runner would not find it either
      return;
    }
    const parsed = parseOptions(p.args, specs);
    if (typeof parsed === 'string') return p.fail(parsed);
    const { opts, rest } = parsed;
    if (opts.has('version')) {
      p.print(`${p.command} (libgpiod) v${TOOL_VERSIONS[this.version]}\n`);
      return p.exit(0, null);
    }
    const bias = opts.get('bias');
    if (bias !== undefined && !BIAS[this.version].includes(bias)) return p.fail(`invalid bias: ${bias}`);
    // v1: <chip> <offset>...; v2: --chip <chip> <offset>...
    let chip: string | undefined;
    let offsets: string[];
    if (this.version === 1) {
      chip = rest[0];
      offsets = rest.slice(1);
      if (chip === undefined) return p.fail('gpiochip must be specified');
    } else {
      chip = opts.get('chip');
      offsets = rest;
      if (chip === undefined) return p.fail(`cannot find line '${offsets[0] ?? ''}'`); // a name lookup we do not emulate
    }
    if (offsets.length !== 1) return p.fail(offsets.length === 0 ? 'at least one GPIO line offset must be specified' : 'the stand-in handles one line per call');
    const spec = offsets[0]!;
    const lines = this.chips.get(chip);
    if (lines === undefined) return p.fail(`error opening gpiochip '${chip}': No such file or directory`);
    const [offText, valText] = p.command === 'gpioset' ? spec.split('=') : [spec, undefined];
    const offset = Number(offText);
    if (!/^\d+$/.test(offText ?? '') || offset >= lines.length) return p.fail(`invalid GPIO offset: ${offText}`);
    const line = lines[offset]!;
    const activeLow = opts.has('active-low');
    const busy = line.holder !== undefined || line.monitors.size > 0;
    switch (p.command) {
      case 'gpioget': {
        if (this.version === 2 && !opts.has('numeric')) return p.fail('the stand-in prints only --numeric values');
        if (busy) return p.fail('error reading GPIO values: Device or resource busy');
        p.print(`${line.input ^ (activeLow ? 1 : 0)}\n`);
        return p.exit(0, null);
      }
      case 'gpioset': {
        if (valText === undefined || !/^[01]$/.test(valText)) return p.fail(`invalid offset<->value mapping: ${spec}`);
        if (this.version === 1 && opts.get('mode') !== 'signal' && opts.get('mode') !== 'wait') {
          return p.fail('the stand-in holds lines only in --mode=signal or --mode=wait'); // exit mode releases at once
        }
        if (busy) return p.fail('error setting the GPIO line values: Device or resource busy');
        line.holder = p;
        line.driven = (Number(valText) ^ (activeLow ? 1 : 0)) as GpioValue;
        p.onExit = () => {
          if (line.holder === p) {
            line.holder = undefined;
            line.driven = undefined;
          }
        };
        if (opts.has('banner')) p.print(`Setting line '${spec.split('=')[0]}'...\n`);
        return;
      }
      case 'gpiomon': {
        if (busy && line.holder !== undefined) return p.fail('error waiting for events: Device or resource busy');
        const n = Number(opts.get('num-events') ?? '0');
        let edges = 'both';
        if (this.version === 1) {
          if (opts.has('rising-edge') && !opts.has('falling-edge')) edges = 'rising';
          if (opts.has('falling-edge') && !opts.has('rising-edge')) edges = 'falling';
        } else {
          edges = opts.get('edges') ?? 'both';
          if (!['rising', 'falling', 'both'].includes(edges)) return p.fail(`invalid edges: ${edges}`);
        }
        const state = { n, seen: 0, edges, activeLow, format: opts.get('format') };
        monitorState.set(p, state);
        line.monitors.add(p);
        p.onExit = () => line.monitors.delete(p);
        if (opts.has('banner')) p.print(`Monitoring line '${spec}'...\n`);
        return;
      }
    }
  }

  private report(p: StandinProcess, physical: 'rising' | 'falling'): void {
    const s = monitorState.get(p)!;
    const edge = s.activeLow ? (physical === 'rising' ? 'falling' : 'rising') : physical;
    if (s.edges !== 'both' && s.edges !== edge) return;
    const code = edge === 'rising' ? '1' : this.version === 1 ? '0' : '2';
    p.print(s.format === '%e' ? `${code}\n` : `event: ${edge}\n`);
    s.seen++;
    if (s.n > 0 && s.seen >= s.n) p.exit(0, null);
  }
}

const monitorState = new WeakMap<StandinProcess, { n: number; seen: number; edges: string; activeLow: boolean; format: string | undefined }>();
