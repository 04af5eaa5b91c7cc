// The gpiod command-line tools as data: the arguments and output of libgpiod v1 (Debian 12,
// 1.6) and v2 (Debian 13) for reading a line, holding an output and waiting for one edge, and
// which of the two is installed.

import { HardwareError } from '../errors.ts';
import type { GpioBias, GpioEdge, GpioValue } from '../gpio.ts';
import type { Timers } from '../time.ts';
import { runTool, type ProcessRunner } from './process.ts';

export type GpiodVersion = 1 | 2;

/** Where a line is: a chip (name like "gpiochip0", or path) and an offset on it. */
export interface LineAddress {
  readonly chip: string;
  readonly offset: number;
  /** Active-low lines read and write inverted (the tools' --active-low). */
  readonly activeLow?: boolean;
}

/** How one tools version is spoken. */
export interface GpiodDialect {
  readonly version: GpiodVersion;
  /** gpioget arguments that print the line's value. */
  getArgs(line: LineAddress, bias: GpioBias): string[];
  /** gpioset arguments that drive the line and hold it until the process gets SIGTERM. */
  holdArgs(line: LineAddress, value: GpioValue): string[];
  /** Whether the holder says when it holds the line (a line on stdout); else wait a moment. */
  readonly holdAnnounces: boolean;
  /** gpiomon arguments that print one matching edge, then exit. */
  monitorArgs(line: LineAddress, edge: GpioEdge, bias: GpioBias): string[];
  /** Whether gpiomon prints a line once it watches the line. */
  readonly monitorAnnounces: boolean;
  /** The edge an output line of gpiomon reports, or undefined for other lines (banners). */
  parseEdge(line: string): 'rising' | 'falling' | undefined;
}

function flags(line: LineAddress, bias: GpioBias, biasNames: Record<GpioBias, string | undefined>): string[] {
  const out: string[] = [];
  if (line.activeLow === true) out.push('--active-low');
  const b = biasNames[bias];
  if (b !== undefined) out.push(`--bias=${b}`);
  return out;
}

/** libgpiod 1.6: `<chip> <offset>` positional, `gpioset --mode=signal`, gpiomon %e is 1/0. */
export const GPIOD_V1: GpiodDialect = {
  version: 1,
  getArgs: (line, bias) => [...flags(line, bias, V1_BIAS), line.chip, String(line.offset)],
  holdArgs: (line, value) => ['--mode=signal', ...flags(line, 'as-is', V1_BIAS), line.chip, `${line.offset}=${value}`],
  holdAnnounces: false,
  monitorArgs: (line, edge, bias) => [
    '--num-events=1',
    '--line-buffered',
    '--format=%e',
    ...(edge === 'rising' ? ['--rising-edge'] : edge === 'falling' ? ['--falling-edge'] : []),
    ...flags(line, bias, V1_BIAS),
    line.chip,
    String(line.offset),
  ],
  monitorAnnounces: false,
  parseEdge: (l) => (l.trim() === '1' ? 'rising' : l.trim() === '0' ? 'falling' : undefined),
};

/** libgpiod 2.x: `--chip <chip> <offset>`, gpioset holds by default, gpiomon %e is 1/2, banners. */
export const GPIOD_V2: GpiodDialect = {
  version: 2,
  getArgs: (line, bias) => ['--numeric', ...flags(line, bias, V2_BIAS), '--chip', line.chip, String(line.offset)],
  holdArgs: (line, value) => ['--banner', ...flags(line, 'as-is', V2_BIAS), '--chip', line.chip, `${line.offset}=${value}`],
  holdAnnounces: true,
  monitorArgs: (line, edge, bias) => [
    '--banner',
    '--num-events=1',
    '--format=%e',
    `--edges=${edge}`,
    ...flags(line, bias, V2_BIAS),
    '--chip',
    line.chip,
    String(line.offset),
  ],
  monitorAnnounces: true,
  parseEdge: (l) => (l.trim() === '1' ? 'rising' : l.trim() === '2' ? 'falling' : undefined),
};

const V1_BIAS: Record<GpioBias, string | undefined> = { 'as-is': undefined, 'pull-up': 'pull-up', 'pull-down': 'pull-down', 'disabled': 'disable' };
const V2_BIAS: Record<GpioBias, string | undefined> = { 'as-is': undefined, 'pull-up': 'pull-up', 'pull-down': 'pull-down', 'disabled': 'disabled' };

export const GPIOD_DIALECTS: Readonly<Record<GpiodVersion, GpiodDialect>> = { 1: GPIOD_V1, 2: GPIOD_V2 };

/** The value gpioget printed (both versions print "0" or "1" with the options above). @throws HardwareError "io" */
export function parseValue(stdout: string, device: string): GpioValue {
  const t = stdout.trim();
  if (t === '0' || t === '1') return t === '1' ? 1 : 0;
  throw new HardwareError('io', device, `Cannot read line "${device}": gpioget printed "${t.slice(0, 80)}"`);
}

/**
 * Which tools are installed, from `gpioset --version` ("gpioset (libgpiod) v1.6.3").
 * @throws HardwareError "unsupported" (no tools, or a version other than 1 or 2), "timeout"
 */
export async function detectGpiodVersion(runner: ProcessRunner, timers: Timers, timeoutMs = 5000): Promise<GpiodVersion> {
  const s = await runTool(runner, timers, 'gpioset', ['--version'], timeoutMs, undefined);
  const m = /\(libgpiod\)\s+v(\d+)\./.exec(s.stdout);
  const major = m === null ? NaN : Number(m[1]);
  if (s.code !== 0 || (major !== 1 && major !== 2)) {
    const got = (s.stdout + s.stderr).trim().split('\n')[0] ?? '';
    throw new HardwareError('unsupported', undefined, `Cannot use the gpiod tools: "gpioset --version" said "${got.slice(0, 80)}", expected libgpiod v1 or v2`);
  }
  return major;
}

/** The HardwareError for a tool that exited with an error: "busy" when the line is held, else "io". */
export function toolError(tool: string, stderr: string, code: number | null, device: string): HardwareError {
  const why = stderr.trim().split('\n').pop() ?? '';
  const busy = /busy/i.test(why);
  return new HardwareError(busy ? 'busy' : 'io', device, `"${tool}" failed on line "${device}" (exit ${code ?? 'by signal'}): ${why.slice(0, 200) || 'no message'}`);
}
