// What every cloud command of the `fleetlet` CLI shares: the --cloud, --token, --token-file and --ca options (with
// their environment defaults), the client they make, the terminal (a redrawn line on a TTY, one line per change
// otherwise), and number and list parsing of flags.

import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CliError, EXIT } from '../../agent/cli/errors.ts';
import type { CliIo } from '../../agent/cli/main.ts';
import { CloudClient } from './client.ts';

export const DEFAULT_CLOUD = 'http://127.0.0.1:8080';

/**
 * The CLI's io, optionally saying whether stdout is a terminal and how to write without a newline (tests pass
 * `isTTY: false` to read the one-line-per-change form; without the field, process.stdout decides).
 */
export interface CloudCliIo extends CliIo {
  readonly isTTY?: boolean;
  write?(text: string): void;
  /** Environment variables (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface ConnectionOptions {
  readonly cloud?: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly ca?: string;
}

/** Adds the connection options to a command group; its subcommands read them with optsWithGlobals(). */
export function withConnection(c: Command): Command {
  return c
    // Subcommands made after this inherit the setting: `fleetlet rollout create --help` lists --cloud and --token too.
    .configureHelp({ showGlobalOptions: true })
    .option('--cloud <url>', `the cloud's HTTP API (default: $FLEETLET_CLOUD or ${DEFAULT_CLOUD})`)
    .option('--token <token>', 'operator token (default: $FLEETLET_TOKEN)')
    .option('--token-file <file>', 'read the operator token from this file')
    .option('--ca <file>', 'PEM certificate to trust for an https cloud (a self-signed one or its CA)');
}

/** The client for the options of `cmd` and its parents. @throws CliError for an unreadable token or CA file */
export function clientOf(cmd: Command, io: CliIo): CloudClient {
  const o = cmd.optsWithGlobals() as ConnectionOptions;
  const env = (io as CloudCliIo).env ?? process.env;
  const url = o.cloud ?? env['FLEETLET_CLOUD'] ?? DEFAULT_CLOUD;
  let token = o.token;
  if (token === undefined && o.tokenFile !== undefined) token = readText(o.tokenFile, 'token file').trim();
  token ??= env['FLEETLET_TOKEN'] === '' ? undefined : env['FLEETLET_TOKEN'];
  const ca = o.ca === undefined ? undefined : readText(o.ca, 'CA file');
  return new CloudClient({ url, ...(token === undefined ? {} : { token }), ...(ca === undefined ? {} : { ca }) });
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`Cannot read the ${what} "${path}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A line that changes over time: redrawn in place on a TTY, printed once per change otherwise. */
export interface StatusLine {
  /** True on a terminal (the line is redrawn in place). */
  readonly redraws: boolean;
  show(line: string): void;
  /** Ends the redrawn line (a newline on a TTY). */
  end(): void;
}

export function statusLine(io: CliIo, toErr = false): StatusLine {
  const cio = io as CloudCliIo;
  const stream = toErr ? process.stderr : process.stdout;
  const tty = cio.isTTY ?? stream.isTTY === true;
  const write = cio.write?.bind(cio) ?? ((s: string) => void stream.write(s));
  let last: string | undefined;
  let open = false;
  return {
    redraws: tty,
    show(line) {
      if (line === last) return;
      last = line;
      if (tty) {
        write(`\r\x1b[2K${line}`);
        open = true;
      } else (toErr ? io.err(line) : io.out(line));
    },
    end() {
      if (tty && open) write('\n');
      open = false;
    },
  };
}

/** A comma-separated list of numbers for a flag. @throws CliError (usage) */
export function numbers(flag: string, v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  return parts.map((p) => {
    const n = Number(p);
    if (p === '' || !Number.isFinite(n)) throw new CliError(`Invalid ${flag} "${v}": need numbers separated by commas`, EXIT.usage);
    return n;
  });
}

/** One number for a flag. @throws CliError (usage) */
export function number(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new CliError(`Invalid ${flag} "${v}": need a number`, EXIT.usage);
  return n;
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export const enc = encodeURIComponent;
