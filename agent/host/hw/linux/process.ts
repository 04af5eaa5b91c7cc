// Running the command-line tools a Linux backend drives (gpiod's gpioget, gpioset, gpiomon):
// an injectable ProcessRunner, Node's implementation, and a run-to-exit helper with a timeout.

import { spawn } from 'node:child_process';
import { HardwareError } from '../errors.ts';
import type { Timers } from '../time.ts';

export type KillSignal = 'SIGTERM' | 'SIGINT' | 'SIGKILL';

export interface ExitStatus {
  /** Exit code, or null when killed by a signal or never started. */
  readonly code: number | null;
  readonly signal: string | null;
  /** Standard output (at most OUTPUT_LIMIT characters are kept). */
  readonly stdout: string;
  readonly stderr: string;
  /** Why the process could not be started ("ENOENT": no such tool), if it could not. */
  readonly spawnError?: string;
}

/** A started process. */
export interface RunningProcess {
  /** Called with each complete line of standard output, in order, without the newline. */
  onLine(listener: (line: string) => void): void;
  /** Settles once: when the process has exited (or failed to start). Never rejects. */
  readonly exited: Promise<ExitStatus>;
  /** Sends a signal; does nothing once the process has exited. */
  kill(signal?: KillSignal): void;
}

/** Starts processes; injected so tests put a stand-in under the backend. */
export interface ProcessRunner {
  spawn(command: string, args: readonly string[]): RunningProcess;
}

/** Output kept per stream: the tools print a line or two; a runaway one cannot grow the agent. */
export const OUTPUT_LIMIT = 64 * 1024;

/** Splits a stream of text into lines, keeping a bounded remainder. */
export class LineSplitter {
  private rest = '';
  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: string): void {
    const parts = (this.rest + chunk).split('\n');
    this.rest = parts.pop()!.slice(-OUTPUT_LIMIT);
    for (const p of parts) this.emit(p.endsWith('\r') ? p.slice(0, -1) : p);
  }
}

export interface NodeRunnerOptions {
  /** Environment of the tools (default: the agent's); tests set PATH to their stand-ins. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs real processes with node:child_process (no shell: arguments are passed as they are). */
export function nodeProcessRunner(options: NodeRunnerOptions = {}): ProcessRunner {
  return {
    spawn(command, args) {
      const child = spawn(command, [...args], { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const listeners: ((line: string) => void)[] = [];
      let stdout = '';
      let stderr = '';
      const split = new LineSplitter((l) => listeners.forEach((f) => f(l)));
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        if (stdout.length < OUTPUT_LIMIT) stdout += d;
        split.push(d);
      });
      child.stderr.on('data', (d: string) => {
        if (stderr.length < OUTPUT_LIMIT) stderr += d;
      });
      let done = false;
      const exited = new Promise<ExitStatus>((resolve) => {
        child.on('error', (e: NodeJS.ErrnoException) => {
          if (done) return;
          done = true;
          resolve({ code: null, signal: null, stdout, stderr, spawnError: e.code ?? e.message });
        });
        // 'close' (not 'exit'): all output has been read by then.
        child.on('close', (code, signal) => {
          if (done) return;
          done = true;
          resolve({ code, signal, stdout, stderr });
        });
      });
      return {
        onLine: (f) => void listeners.push(f),
        exited,
        kill: (signal = 'SIGTERM') => {
          if (!done && child.exitCode === null && child.signalCode === null) child.kill(signal);
        },
      };
    },
  };
}

/**
 * Runs a tool to its exit; kills it (SIGKILL) when it takes longer than `timeoutMs`.
 * @throws HardwareError "unsupported" (tool not found), "timeout"
 */
export async function runTool(
  runner: ProcessRunner,
  timers: Timers,
  command: string,
  args: readonly string[],
  timeoutMs: number,
  device: string | undefined,
): Promise<ExitStatus> {
  const p = runner.spawn(command, args);
  let timedOut = false;
  const t = timers.setTimeout(() => {
    timedOut = true;
    p.kill('SIGKILL');
  }, timeoutMs);
  const status = await p.exited;
  timers.clearTimeout(t);
  if (timedOut) throw new HardwareError('timeout', device, `"${command}" did not finish within ${timeoutMs} ms`);
  checkStarted(status, command, device);
  return status;
}

/** @throws HardwareError "unsupported" when the tool could not be started */
export function checkStarted(status: ExitStatus, command: string, device: string | undefined): void {
  if (status.spawnError !== undefined) {
    throw new HardwareError('unsupported', device, `Cannot run "${command}" (${status.spawnError}): install the gpiod tools (Debian package "gpiod")`);
  }
}
