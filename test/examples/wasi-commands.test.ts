// WASI commands under `fleetlet run` as a real child process: the two wasi-libc commands of
// ../shared/bench/wasi print on fleetlet's stdout exactly what node:wasi prints (their stderr,
// a timing, goes to fleetlet's stderr with the report), arguments after `--` reach argv, a
// missing capability is named, and a command's exit code becomes fleetlet's; and the C example
// (clang and wasi-libc) reads the simulator's sensor through fleetlet's host API.

import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { describe, expect, it } from 'vitest';
import { V8, type V8Imports } from '../fuzz/v8-api.ts';
import { wat } from '../fuzz/wat.ts';
import { BENCH, REPO, example, fleetlet } from './_kit.ts';

const BIN = join(REPO, 'agent/cli/fleetlet.mjs');

/** `fleetlet ARGS` as a child process: its exit status, stdout and stderr. */
function fleetletProcess(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** What node:wasi prints on stdout for the command. */
function nodeWasiStdout(file: string, args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetlet-wasi-'));
  try {
    const out = openSync(join(dir, 'out'), 'w');
    const err = openSync(join(dir, 'err'), 'w');
    const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, stdout: out, stderr: err, returnOnExit: true });
    const inst = new V8.Instance(new V8.Module(new Uint8Array(readFileSync(file))), wasi.getImportObject() as V8Imports);
    expect(wasi.start(inst as object)).toBe(0);
    closeSync(out);
    closeSync(err);
    return readFileSync(join(dir, 'out'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('WASI commands under fleetlet run', () => {
  it.each([
    ['sha256_cmd.wasm', '16', 'sha256 n=16 checksum=1554943864 (0x5cae8f78)'],
    ['matmul_f64_cmd.wasm', '50', 'matmul_f64 n=50 checksum=-1064502272 c00=89.812500 trace=1.948125e+02'],
  ])('%s %s prints on stdout exactly what node:wasi prints', async (file, arg, line) => {
    const path = join(BENCH, 'wasi', file);
    const expected = nodeWasiStdout(path, [arg]);
    expect(expected).toBe(`${line}\n`); // the bench README's line: node:wasi itself is right
    const run = await fleetletProcess(['run', path, '--capability', 'clock', '--', arg]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(expected);
    expect(run.stderr).toMatch(/ \(command\) on the simulator \(no scenario\), virtual time, no app descriptor\n/);
    expect(run.stderr).toMatch(/\] [a-z0-9_]+ stderr: /); // the timing the command writes on stderr
    expect(run.stderr).toMatch(/--- [a-z0-9_]+ \(command\): exited, exit code 0 after /);
  });

  it('names the capability a command lacks, with the way to give it', async () => {
    const run = await fleetletProcess(['run', join(BENCH, 'wasi', 'sha256_cmd.wasm'), '--', '16']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^fleetlet: Cannot run "sha256_cmd": .*"clock_time_get".*"clock".*\(declare it in the app descriptor, or pass --capability\)$/);
  });

  it('exits with the code the command passed to proc_exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetlet-exit-'));
    try {
      const file = join(dir, 'exit3.wasm');
      writeFileSync(file, wat(`(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start") (call $exit (i32.const 3))))`));
      const run = await fleetletProcess(['run', file]);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/\] exit3 exited with code 3\n/);
      expect(run.stderr.trim().split('\n').at(-1)).toBe('fleetlet: App "exit3" exited with code 3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the C example (clang and wasi-libc) under fleetlet run', () => {
  const STEPS = (JSON.parse(readFileSync(example('thermostat', 'scenario.json'), 'utf8')) as { sensors: { temperature: { steps: { atMs: number; value: number }[] } } }).sensors.temperature.steps;

  it('prints a reading a second from the scenario, sleeping through the host in virtual time', async () => {
    const run = await fleetlet(['run', example('c-sensor', 'c-sensor.wasm'), '--scenario', example('thermostat', 'scenario.json'), '--', '8']);
    expect(run.code, run.err.join('\n')).toBe(0);
    // Reading i comes right after i one-second sleeps: the step in force at i seconds.
    const expected = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `temperature ${STEPS.filter((s) => s.atMs <= i * 1000).at(-1)!.value.toFixed(2)}`);
    expect(run.out).toEqual(expected);
    expect(run.err).toContainEqual(expect.stringMatching(/^ {2}host calls: .*sensor_read 8, .*sleep 7$/));
  });

  it('gets E_DENIED for a sensor its descriptor does not declare, and exits non-zero', async () => {
    const run = await fleetlet(['run', example('c-sensor', 'c-sensor.wasm'), '--setting', 'SENSOR=humidity', '--', '2']);
    expect(run.code).toBe(1);
    expect(run.out).toEqual([]);
    expect(run.err).toContainEqual(expect.stringMatching(/\] c-sensor stderr: cannot read humidity: status -1$/));
    expect(run.err).toContainEqual(expect.stringMatching(/\] c-sensor denied sensor_read: /));
    expect(run.err.at(-1)).toBe('fleetlet: App "c-sensor" exited with code 1');
  });
});
