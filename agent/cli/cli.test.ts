// Tests of the `fleetlet` executable, run as a child process the way an operator runs it: keygen, trust, sign,
// verify and inspect, and one-line errors with non-zero exits for bad arguments and bad files.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.ts';

const BIN = resolve(import.meta.dirname, 'fleetlet.mjs');
const run = promisify(execFile);

interface Result {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function fleetlet(cwd: string, ...args: string[]): Promise<Result> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, FLEETLET_DEBUG: '' } });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

/** A failure must be exactly one line on stderr, prefixed "fleetlet: ", with no stack trace. */
function expectOneLineError(r: Result, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code);
  const lines = r.err.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^fleetlet: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
}

const REACTOR_WAT = `(module
  (import "fleetlet:host/v1" "sensor_read" (func $read (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "temperature")
  (func (export "init"))
  (func (export "tick") (drop (call $read (i32.const 0) (i32.const 11) (i32.const 16)))))`;

const NO_TICK_WAT = `(module (memory (export "memory") 1) (func (export "init")))`;

const DESCRIPTOR = {
  name: 'thermostat',
  version: '1.2.0',
  kind: 'reactor',
  module: 'app.wasm',
  targets: ['rpi4', 'sim'],
  capabilities: ['sensor:temperature:read'],
  limits: { maxMemoryPages: 4 },
  tickPeriodMs: 500,
};

let dir: string;

async function wat(name: string, text: string): Promise<void> {
  await writeFile(join(dir, `${name}.wat`), text);
  execFileSync('wat2wasm', [`${name}.wat`, '-o', `${name}.wasm`], { cwd: dir });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlet-cli-'));
  await wat('app', REACTOR_WAT);
  await wat('notick', NO_TICK_WAT);
  await writeFile(join(dir, 'fleetlet.app.json'), JSON.stringify(DESCRIPTOR));
  await writeFile(join(dir, 'nocap.app.json'), JSON.stringify({ ...DESCRIPTOR, capabilities: [] }));
  await writeFile(join(dir, 'notick.app.json'), JSON.stringify({ ...DESCRIPTOR, module: 'notick.wasm', capabilities: [] }));
  await writeFile(join(dir, 'broken.app.json'), '{ "name": "thermostat", ');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fleetlet CLI', () => {
  it('keygen writes ID.key and ID.pub with mode 0600 and prints the public key of the .pub file', async () => {
    const results = await Promise.all([
      fleetlet(dir, 'keygen', '--role', 'root', '--id', 'root-1', '--out', 'keys'),
      fleetlet(dir, 'keygen', '--role', 'root', '--id', 'root-2', '--out', 'keys'),
      fleetlet(dir, 'keygen', '--role', 'module-signer', '--id', 'module-1', '--out', 'keys'),
      fleetlet(dir, 'keygen', '--role', 'state-signer', '--id', 'state-1', '--out', 'keys'),
    ]);
    for (const r of results) expect(r.code).toBe(0);
    for (const id of ['root-1', 'root-2', 'module-1', 'state-1']) {
      expect((await stat(join(dir, 'keys', `${id}.key`))).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'keys', `${id}.pub`))).mode & 0o777).toBe(0o600);
    }
    const pub = JSON.parse(await readFile(join(dir, 'keys', 'module-1.pub'), 'utf8')) as { publicKey: string; role: string };
    expect(pub.role).toBe('module-signer');
    expect(results[2]!.out).toContain(`public key  ${pub.publicKey}`);
    expect(await readFile(join(dir, 'keys', 'module-1.pub'), 'utf8')).not.toContain('seed');
  });

  it('keygen refuses to overwrite a key and refuses an unknown role', async () => {
    const [again, role] = await Promise.all([
      fleetlet(dir, 'keygen', '--role', 'root', '--id', 'root-1', '--out', 'keys'),
      fleetlet(dir, 'keygen', '--role', 'admin', '--out', 'keys'),
    ]);
    expectOneLineError(again, 1, /root-1\.key.*exists/);
    expectOneLineError(role, 2, /Invalid --role "admin"/);
  });

  it('trust init signs with one root, trust sign adds the second, inspect lists both signers and the keys', async () => {
    const init = await fleetlet(dir, 'trust', 'init', '--key', 'keys/root-1.pub', '--key', 'keys/root-2.pub', '--key', 'keys/module-1.pub',
      '--key', 'keys/state-1.pub', '--threshold', '2', '--out', 'trust.cose', '--sign', 'keys/root-1.key');
    expect(init.code).toBe(0);
    expect(init.out).toContain('signatures: root-1 (1 by its own roots, 2 needed');
    const signed = await fleetlet(dir, 'trust', 'sign', 'trust.cose', '--key', 'keys/root-2.key');
    expect(signed.code).toBe(0);
    const shown = await fleetlet(dir, 'inspect', 'trust.cose');
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('signed by "root-1", "root-2"');
    expect(shown.out).toMatch(/module-1\s+module-signer/);
    expect(shown.out).toMatch(/root threshold\s+2/);
  });

  it('trust sign refuses a non-root key and a key that already signed', async () => {
    const [notRoot, twice] = await Promise.all([
      fleetlet(dir, 'trust', 'sign', 'trust.cose', '--key', 'keys/module-1.key', '--out', 'x.cose'),
      fleetlet(dir, 'trust', 'sign', 'trust.cose', '--key', 'keys/root-1.key', '--out', 'y.cose'),
    ]);
    expectOneLineError(notRoot, 1, /module-signer key; trust updates are signed by root keys/);
    expectOneLineError(twice, 1, /already signed/);
  });

  it('sign writes a bundle that verify accepts and inspect shows with capabilities and limits', async () => {
    const s = await fleetlet(dir, 'sign', '--key', 'keys/module-1.key', '--sequence', '3');
    expect(s.code).toBe(0);
    expect(s.out).toContain('bundle written to thermostat-1.2.0.bundle');
    const [v, i] = await Promise.all([
      fleetlet(dir, 'verify', 'thermostat-1.2.0.bundle', '--trust', 'trust.cose', '--device-class', 'rpi4'),
      fleetlet(dir, 'inspect', 'thermostat-1.2.0.bundle'),
    ]);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^OK thermostat-1\.2\.0\.bundle: thermostat 1\.2\.0 \(sequence 3\), signed by "module-1"/);
    expect(i.code).toBe(0);
    expect(i.out).toContain('sensor:temperature:read');
    expect(i.out).toMatch(/memory\s+4 pages \(256 KiB\)/);
    expect(i.out).toMatch(/tick period\s+500 ms/);
    expect(i.out).toMatch(/targets\s+rpi4, sim/);
  });

  it('sign refuses a module whose imports need an undeclared capability, an invalid module and a reactor without tick', async () => {
    await writeFile(join(dir, 'junk.wasm'), 'not wasm');
    const [nocap, junk, notick, role, broken] = await Promise.all([
      fleetlet(dir, 'sign', 'nocap.app.json', '--key', 'keys/module-1.key', '--sequence', '4', '--out', 'a.bundle'),
      fleetlet(dir, 'sign', '--key', 'keys/module-1.key', '--sequence', '4', '--module', 'junk.wasm', '--out', 'b.bundle'),
      fleetlet(dir, 'sign', 'notick.app.json', '--key', 'keys/module-1.key', '--sequence', '4', '--out', 'c.bundle'),
      fleetlet(dir, 'sign', '--key', 'keys/state-1.key', '--sequence', '4', '--out', 'd.bundle'),
      fleetlet(dir, 'sign', 'broken.app.json', '--key', 'keys/module-1.key', '--sequence', '4', '--out', 'e.bundle'),
    ]);
    expectOneLineError(nocap, 1, /imports "sensor_read", which needs a "sensor" capability the descriptor does not declare/);
    expectOneLineError(junk, 1, /fleetlet's engine refuses the module/);
    expectOneLineError(notick, 1, /a reactor must export "tick"/);
    expectOneLineError(role, 1, /state-signer key; manifests are signed by module-signer keys/);
    expectOneLineError(broken, 1, /broken\.app\.json.*not valid JSON/);
    for (const f of ['a', 'b', 'c', 'd', 'e']) await expect(stat(join(dir, `${f}.bundle`))).rejects.toThrow();
  });

  it('verify rejects a flipped module bit, another device class and a truncated bundle with their codes', async () => {
    const bundle = await readFile(join(dir, 'thermostat-1.2.0.bundle'));
    const flipped = Uint8Array.from(bundle);
    flipped[flipped.length - 1]! ^= 1;
    await writeFile(join(dir, 'flipped.bundle'), flipped);
    await writeFile(join(dir, 'short.bundle'), bundle.subarray(0, 60));
    const [f, t, s] = await Promise.all([
      fleetlet(dir, 'verify', 'flipped.bundle', '--trust', 'trust.cose', '--device-class', 'rpi4'),
      fleetlet(dir, 'verify', 'thermostat-1.2.0.bundle', '--trust', 'trust.cose', '--device-class', 'esp32'),
      fleetlet(dir, 'verify', 'short.bundle', '--trust', 'trust.cose'),
    ]);
    expectOneLineError(f, 1, /\(digest-mismatch\)/);
    expectOneLineError(t, 1, /\(wrong-target\)/);
    expectOneLineError(s, 1, /\(truncated\)/);
  });

  it('verify against a device data directory: provision, then a rotation that revokes the module signer', async () => {
    expect((await fleetlet(dir, 'trust', 'provision', 'trust.cose', '--data-dir', 'dev')).code).toBe(0);
    expect((await fleetlet(dir, 'verify', 'thermostat-1.2.0.bundle', '--data-dir', 'dev', '--device-class', 'sim')).code).toBe(0);
    const rot = await fleetlet(dir, 'trust', 'rotate', '--from', 'trust.cose', '--revoke', 'module-1', '--out', 'trust2.cose',
      '--sign', 'keys/root-1.key', '--sign', 'keys/root-2.key');
    expect(rot.code).toBe(0);
    expect(rot.out).toContain('revoked: module-1');
    expect((await fleetlet(dir, 'trust', 'apply', 'trust2.cose', '--data-dir', 'dev')).code).toBe(0);
    expectOneLineError(await fleetlet(dir, 'verify', 'thermostat-1.2.0.bundle', '--data-dir', 'dev'), 1, /\(revoked-key\)/);
    expectOneLineError(await fleetlet(dir, 'trust', 'apply', 'trust2.cose', '--data-dir', 'dev'), 1, /\(rollback\)/);
  });

  it('bad arguments and bad files give one line and a non-zero exit, never a stack trace', async () => {
    const rs = await Promise.all([
      fleetlet(dir, 'frobnicate'),
      fleetlet(dir, 'keygen', '--role', 'root'),
      fleetlet(dir, 'sign', '--key', 'keys/module-1.key', '--sequence', 'seven'),
      fleetlet(dir, 'verify', 'missing.bundle', '--trust', 'trust.cose'),
      fleetlet(dir, 'verify', 'thermostat-1.2.0.bundle'),
      fleetlet(dir, 'inspect', 'app.wat'),
      fleetlet(dir, 'sign', '--key', 'app.wat', '--sequence', '1'),
      fleetlet(dir, 'trust', 'init', '--key', 'keys/root-1.pub', '--threshold', '2', '--out', 'z.cose'),
    ]);
    expectOneLineError(rs[0]!, 2, /unknown command 'frobnicate'/);
    expectOneLineError(rs[1]!, 2, /required option '--out <dir>'/);
    expectOneLineError(rs[2]!, 2, /Invalid --sequence "seven"/);
    expectOneLineError(rs[3]!, 1, /Cannot read bundle "missing\.bundle": ENOENT/);
    expectOneLineError(rs[4]!, 2, /exactly one of --trust FILE and --data-dir DIR/);
    expectOneLineError(rs[5]!, 1, /not a fleetlet bundle/);
    expectOneLineError(rs[6]!, 1, /app\.wat.*not JSON/);
    expectOneLineError(rs[7]!, 1, /threshold "2" exceeds the 1 root keys/);
  });

  it('--help prints usage and exits 0, as a process', async () => {
    const [top, signHelp] = await Promise.all([fleetlet(dir, '--help'), fleetlet(dir, 'sign', '--help')]);
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/Usage: fleetlet \[options\] \[command\][\s\S]*keygen[\s\S]*trust[\s\S]*sign[\s\S]*verify[\s\S]*inspect/);
    expect(signHelp.code).toBe(0);
    expect(signHelp.out).toContain('--sequence <n>');
  });

  it.each([[], ['keygen'], ['trust'], ['trust', 'init'], ['trust', 'sign'], ['trust', 'rotate'], ['trust', 'provision'], ['trust', 'apply'], ['sign'], ['verify'], ['inspect']])(
    'main() answers --help for "fleetlet %s" with its usage and status 0',
    async (...cmd: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main([...cmd, '--help'], { out: (l) => out.push(l), err: (l) => err.push(l) });
      expect(code).toBe(0);
      expect(err).toEqual([]);
      expect(out.join('\n')).toContain(`Usage: fleetlet${cmd.length === 0 ? '' : ` ${cmd.join(' ')}`} `);
    },
  );
});
