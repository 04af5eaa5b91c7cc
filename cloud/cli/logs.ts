// `fleetlet logs DEVICE [MODULE] [--follow]`: a device's recent module log lines, and with --follow the new ones as
// they arrive (the API keeps a window of recent lines, so each poll prints what follows the lines already shown).

import type { Command } from 'commander';
import type { CliIo } from '../../agent/cli/main.ts';
import type { LogLineView } from '../service/ops.ts';
import type { CloudClient } from './client.ts';
import { clientOf, enc, number, sleep, withConnection } from './_common.ts';

const show = (l: LogLineView, module: string | undefined): string => (module === undefined ? `[${l.module}] ${l.line}` : l.line);

/**
 * How many lines at the start of `now` were already shown: the longest suffix of `before` that is a prefix of
 * `now` (the window slid by the lines that left it).
 */
export function overlap(before: readonly LogLineView[], now: readonly LogLineView[]): number {
  const same = (a: LogLineView, b: LogLineView): boolean => a.module === b.module && a.line === b.line;
  for (let k = Math.min(before.length, now.length); k > 0; k--) {
    let ok = true;
    for (let i = 0; i < k && ok; i++) ok = same(before[before.length - k + i]!, now[i]!);
    if (ok) return k;
  }
  return 0;
}

/** Prints the lines, then (with `follow`) new lines every `intervalMs` until `signal` aborts. */
export async function printLogs(client: CloudClient, io: CliIo, deviceId: string, module: string | undefined, o: { follow?: boolean; intervalMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const read = async (): Promise<readonly LogLineView[]> => (await client.get<{ items: LogLineView[] }>(`/api/devices/${enc(deviceId)}/logs`, { module })).items;
  let seen = await read();
  seen.forEach((l) => io.out(show(l, module)));
  const stopped = (): boolean => o.signal?.aborted === true;
  while (o.follow === true && !stopped()) {
    await sleep(o.intervalMs ?? 1000, o.signal);
    if (stopped()) break;
    const now = await read();
    now.slice(overlap(seen, now)).forEach((l) => io.out(show(l, module)));
    seen = now;
  }
}

/** Registers `fleetlet logs`. */
export function registerLogs(program: Command, io: CliIo): void {
  withConnection(program.command('logs'))
    .description('Print a device\'s recent module log lines; --follow keeps printing new ones until Ctrl-C')
    .argument('<device>', 'device id')
    .argument('[module]', 'only this module')
    .option('-f, --follow', 'keep printing new lines')
    .option('--interval <ms>', 'how often --follow asks, in milliseconds', '1000')
    .action(async function (this: Command, device: string, module: string | undefined, o: { follow?: boolean; interval: string }) {
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once('SIGINT', stop);
      try {
        await printLogs(clientOf(this, io), io, device, module, { follow: o.follow === true, intervalMs: number('--interval', o.interval), signal: ac.signal });
      } finally {
        process.off('SIGINT', stop);
      }
    });
}
