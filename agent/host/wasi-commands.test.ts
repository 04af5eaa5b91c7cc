// The two WASI commands of ../shared/bench/wasi, built with wasi-libc, run as fleetlet apps
// under the app runner and under Node's own `node:wasi`: their stdout must be identical (stderr
// carries a timing and is ignored).

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WASI } from 'node:wasi';
import { describe, expect, it } from 'vitest';
import { V8, type V8Imports } from '../../test/fuzz/v8-api.ts';
import { DEFAULT_APP_LIMITS } from '../../schemas/app-descriptor.ts';
import { AppRunner } from './app-runner.ts';
import { systemTime } from './hw/time.ts';
import type { LogLine } from './log-lines.ts';

const BENCH = resolve(process.env['FLEETLET_BENCH'] ?? join(import.meta.dirname, '../../../shared/bench'));

/** Runs a WASI command under node:wasi; its stdout and exit code. */
function nodeWasi(bytes: Uint8Array, args: string[]): { stdout: string; code: number } {
  const dir = mkdtempSync(join(tmpdir(), 'fleetlet-wasi-'));
  try {
    const out = openSync(join(dir, 'out'), 'w');
    const err = openSync(join(dir, 'err'), 'w');
    const wasi = new WASI({ version: 'preview1', args, env: {}, stdout: out, stderr: err, returnOnExit: true });
    const inst = new V8.Instance(new V8.Module(bytes), wasi.getImportObject() as V8Imports);
    const code = wasi.start(inst as object);
    closeSync(out);
    closeSync(err);
    return { stdout: readFileSync(join(dir, 'out'), 'utf8'), code };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a WASI command as a fleetlet app in real time; its stdout (lines joined) and exit code. */
async function fleetlet(bytes: Uint8Array, name: string, args: string[]): Promise<{ stdout: string; code: number | undefined; state: string }> {
  const lines: LogLine[] = [];
  const runner = new AppRunner({ device: { clock: systemTime, logs: { write: (l) => lines.push(l) } } });
  await runner.add({ name, kind: 'command', module: bytes, capabilities: ['clock'], limits: DEFAULT_APP_LIMITS, args });
  await runner.runToCompletion(300_000);
  const r = runner.report(name);
  const stdout = lines.filter((l) => l.source === 'stdout').map((l) => `${l.text}\n`).join('');
  return { stdout, code: r.exitCode, state: r.state };
}

describe('WASI commands from ../shared/bench/wasi', () => {
  for (const [file, arg, line] of [
    ['sha256_cmd.wasm', '16', 'sha256 n=16 checksum=1554943864 (0x5cae8f78)'],
    ['matmul_f64_cmd.wasm', '50', 'matmul_f64 n=50 checksum=-1064502272 c00=89.812500 trace=1.948125e+02'],
  ] as const) {
    it(`${file} ${arg} prints on stdout exactly what node:wasi prints`, async () => {
      const bytes = new Uint8Array(readFileSync(join(BENCH, 'wasi', file)));
      const node = nodeWasi(bytes, [file, arg]);
      const ours = await fleetlet(bytes, file.replace('_cmd.wasm', '').replace('_', '-'), [arg]);
      expect(node.stdout).toBe(`${line}\n`); // the README's line: node:wasi itself is right
      expect(ours.stdout).toBe(node.stdout);
      expect([ours.state, ours.code]).toEqual(['exited', node.code]);
    });
  }
});
