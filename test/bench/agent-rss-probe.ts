// A probe that `npm run bench:agent -- memory where` preloads into the measured agent (node --import, with
// --expose-gc) to see where its memory goes: on SIGUSR2 it writes one line `fleetlet-probe {json}` to stderr with
// process.memoryUsage() before and after a full GC, V8's heap spaces and code statistics, and, when
// FLEETLET_PROBE_SNAPSHOTS names a folder, a heap snapshot there. The agent itself is not changed; the figures of a
// probed run are diagnostics, not the device's (the probe and the GC move them a little).

import { getHeapCodeStatistics, getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';

export interface ProbeReport {
  readonly before: NodeJS.MemoryUsage;
  readonly after: NodeJS.MemoryUsage;
  /** Used bytes of each V8 heap space after the GC. */
  readonly spaces: Readonly<Record<string, number>>;
  /** Bytecode and metadata, and source held by V8, after the GC. */
  readonly code: { readonly bytecodeAndMetadata: number; readonly externalScript: number; readonly codeAndMetadata: number };
  readonly snapshot?: string;
}

let n = 0;
process.on('SIGUSR2', () => {
  const before = process.memoryUsage();
  (globalThis as { gc?: () => void }).gc?.();
  const after = process.memoryUsage();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
  const c = getHeapCodeStatistics() as unknown as Record<string, number>;
  const dir = process.env['FLEETLET_PROBE_SNAPSHOTS'];
  const snapshot = dir === undefined || dir === '' ? undefined : writeHeapSnapshot(join(dir, `agent-${++n}.heapsnapshot`));
  const report: ProbeReport = {
    before,
    after,
    spaces,
    code: { bytecodeAndMetadata: c['bytecode_and_metadata_size'] ?? NaN, externalScript: c['external_script_source_size'] ?? NaN, codeAndMetadata: c['code_and_metadata_size'] ?? NaN },
    ...(snapshot === undefined ? {} : { snapshot }),
  };
  process.stderr.write(`fleetlet-probe ${JSON.stringify(report)}\n`);
});
