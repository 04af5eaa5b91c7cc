// `fleetlet release`: upload a bundle that `fleetlet sign` wrote (the cloud verifies it as a device would) with the
// bytes sent shown as they go, and list the releases the cloud holds.

import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { CliError } from '../../agent/cli/errors.ts';
import type { CliIo } from '../../agent/cli/main.ts';
import type { ReleaseRecord } from '../store/types.ts';
import { clientOf, statusLine, withConnection } from './_common.ts';
import { bytes, table, time } from './format.ts';

export function releasesTable(rs: readonly ReleaseRecord[]): string[] {
  return table(['NAME', 'VERSION', 'SEQUENCE', 'SIZE', 'DIGEST', 'UPLOADED'], rs.map((r) => [r.name, r.version, String(r.sequence), bytes(r.sizeBytes), r.manifestDigest, time(r.createdAtMs)]));
}

/** Registers `fleetlet release upload|list`. */
export function registerRelease(program: Command, io: CliIo): void {
  const release = withConnection(program.command('release').description('Upload signed bundles to the cloud and list its releases'));

  release.command('upload')
    .description('Upload a bundle written by `fleetlet sign`; prints its digest (what `rollout create --release` takes) and version')
    .argument('<bundle>', 'bundle file')
    .option('--json', 'print the API\'s JSON')
    .action(async function (this: Command, file: string, o: { json?: boolean }) {
      const client = clientOf(this, io);
      let body: Uint8Array;
      try {
        body = await readFile(file);
      } catch (e) {
        throw new CliError(`Cannot read the bundle "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const progress = statusLine(io, true);
      // Redrawn at every chunk on a terminal; elsewhere a line per tenth of the bundle, so a log stays short.
      let tenth = -1;
      const show = (sent: number, total: number): void => {
        const t = Math.floor((sent / total) * 10);
        if (!progress.redraws && t === tenth) return;
        tenth = t;
        progress.show(`uploading ${file}: ${bytes(sent)} of ${bytes(total)} sent`);
      };
      let r: ReleaseRecord;
      try {
        r = await client.upload<ReleaseRecord>('/api/releases', body, show);
      } finally {
        progress.end();
      }
      if (o.json === true) return io.out(JSON.stringify(r, null, 2));
      io.out(`${r.name} ${r.version} (sequence ${r.sequence}, ${bytes(r.sizeBytes)})`);
      io.out(`digest ${r.manifestDigest}`);
    });

  release.command('list')
    .description('The releases the cloud holds (every page)')
    .option('--name <app>', 'only this app')
    .option('--json', 'print the API\'s JSON')
    .action(async function (this: Command, o: { name?: string; json?: boolean }) {
      const items = await clientOf(this, io).all<ReleaseRecord>('/api/releases', { name: o.name });
      if (o.json === true) return io.out(JSON.stringify({ items }, null, 2));
      (items.length === 0 ? ['no releases'] : releasesTable(items)).forEach((l) => io.out(l));
    });
}
