// The two WASI commands of ../shared/bench/wasi, built with wasi-libc, run as fleetlet apps
// under the app runner and under Node's own `node:wasi`: their stdout must be identical (stderr
// carries a timing and is ignored); and poll_oneoff's clock events against node:wasi's.

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WASI } from 'node:wasi';
import { describe, expect, it } from 'vitest';
import { DEFAULT_APP_LIMITS } from '../../schemas/app-descriptor.ts';
import { WASI_MODULE } from '../../schemas/host-imports.ts';
import { V8, type V8Imports } from '../../test/fuzz/v8-api.ts';
import { wat } from '../../test/fuzz/wat.ts';
import type { CallResult, Value } from '../wasm/api.ts';
import { probe } from './_probe.ts';
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

describe('poll_oneoff against node:wasi', () => {
  /** Subscriptions as [userdata, clock id, timeout ns, absolute] (clock) or a bad tag. */
  type Sub = readonly [bigint, number, bigint, boolean] | 'bad-tag';
  const cases: readonly (readonly Sub[])[] = [
    [[42n, 1, 5_000_000n, false]],
    [[1n, 1, 900_000_000n, false], [2n, 1, 3_000_000n, false]],
    [[7n, 0, 2_000_000n, false], [8n, 1, 4_000_000n, false]],
    [],
    ['bad-tag'],
  ];

  function layOut(mem: Uint8Array, subs: readonly Sub[]): void {
    const dv = new DataView(mem.buffer);
    mem.fill(0, 1000, 4000);
    subs.forEach((s, i) => {
      const at = 1000 + i * 48;
      if (s === 'bad-tag') {
        mem[at + 8] = 9;
        return;
      }
      dv.setBigUint64(at, s[0], true);
      dv.setUint32(at + 16, s[1], true);
      dv.setBigUint64(at + 24, s[2], true);
      dv.setUint16(at + 40, s[3] ? 1 : 0, true);
    });
  }

  /** The errno, the events count and the event bytes. */
  const outcome = (mem: Uint8Array, errno: number, n: number): unknown[] => [errno, new DataView(mem.buffer).getUint32(3000, true), [...mem.subarray(2000, 2000 + n * 32)]];

  it('gives the same errno and the same event bytes for clock subscriptions', async () => {
    const bytes = wat(`(module (import "${WASI_MODULE}" "poll_oneoff" (func $p (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "poll_oneoff") (param i32 i32 i32 i32) (result i32) (call $p (local.get 0) (local.get 1) (local.get 2) (local.get 3))))`);
    const wasi = new WASI({ version: 'preview1', args: [], env: {}, returnOnExit: true });
    const node = new V8.Instance(new V8.Module(bytes), wasi.getImportObject() as V8Imports) as unknown as { exports: { memory: { buffer: ArrayBuffer }; poll_oneoff: (...a: number[]) => number } };
    wasi.initialize(node as object);
    const p = await probe(['poll_oneoff'], { importModule: WASI_MODULE });
    for (const subs of cases) {
      const nodeMem = new Uint8Array(node.exports.memory.buffer);
      layOut(nodeMem, subs);
      const nodeErrno = node.exports.poll_oneoff(1000, 2000, subs.length, 3000);
      layOut(p.mem(), subs);
      let r: CallResult<Value[]> = p.call('poll_oneoff', 1000, 2000, subs.length, 3000);
      if (r.kind === 'suspended') r = r.call.resume(); // the scheduler would wake it at the deadline
      expect(r.kind).toBe('done');
      const ours = r.kind === 'done' ? (r.value[0] as number) : -1;
      expect(outcome(p.mem(), ours, subs.length), JSON.stringify(subs, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toEqual(outcome(nodeMem, nodeErrno, subs.length));
    }
  });
});
