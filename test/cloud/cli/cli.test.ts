// Tests of the operator's `fleetlet devices|release|rollout|logs` commands against the real HTTP API server over an
// in-memory FleetOps: arguments parsed into the right API calls, what is printed, one-line errors with their exit
// statuses, tokens from flags, files and the environment, and rollout watches that end when the rollout settles.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../agent/cli/main.ts';
import { startHttpApi, type HttpApi } from '../../../cloud/http/index.ts';
import { CloudClient, createRequest, printLogs } from '../../../cloud/cli/index.ts';
import type { CloudCliIo } from '../../../cloud/cli/index.ts';
import { overlap } from '../../../cloud/cli/logs.ts';
import { MemoryOps } from '../http/memory-ops.ts';

const TOKEN = 'cli-operator-token-0123';
let ops: MemoryOps;
let api: HttpApi;
let dir: string;

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
  readonly raw: string;
}

async function fleetlet(args: readonly string[], o: { env?: Record<string, string>; tty?: boolean; cloud?: boolean } = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  let raw = '';
  const io: CloudCliIo = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: o.tty ?? false, write: (s) => (raw += s), env: o.env ?? {} };
  const withCloud = o.cloud === false ? [...args] : [...args, '--cloud', api.url];
  const code = await main(withCloud, io);
  return { code, out, err, raw };
}

function expectOneLineError(r: Run, code: number, pattern: RegExp): void {
  expect(r.code, r.err.join('\n')).toBe(code);
  expect(r.err).toHaveLength(1);
  expect(r.err[0]).toMatch(/^fleetlet: /);
  expect(r.err[0]).toMatch(pattern);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlet-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  ops = new MemoryOps(5);
  api = await startHttpApi(ops, { operators: [{ name: 'carol', token: TOKEN }], log: () => {} });
});

afterEach(async () => {
  await api.close();
});

describe('fleetlet devices', () => {
  it('lists the devices as an aligned table', async () => {
    const r = await fleetlet(['devices']);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^DEVICE\s+CLASS\s+STATUS\s+ENROLLMENT\s+MODULES\s+TAGS\s+LAST SEEN$/);
    expect(r.out).toHaveLength(6);
    expect(r.out[1]).toMatch(/^dev-1\s+sim\s+online\s+accepted\s+thermostat@1\.0\.0\s+site=north\s+2023-11-14 22:13:20$/);
    const col = r.out[0]!.indexOf('MODULES');
    expect(r.out.slice(1).every((l) => l.indexOf('thermostat') === col)).toBe(true);
  });

  it('passes --tag and --all, and --json prints the API\'s JSON', async () => {
    const r = await fleetlet(['devices', 'list', '--tag', 'site=north', '--all', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out.join('\n'));
    expect(j.items.map((d: any) => d.deviceId)).toEqual(['dev-1', 'dev-3', 'dev-5']);
    expect(ops.calls[0]).toEqual({ method: 'listDevices', args: [{ limit: 1000, tag: 'site=north', includeRetired: true }] });
  });

  it('follows every page of a long list', async () => {
    await api.close();
    ops = new MemoryOps(1203);
    api = await startHttpApi(ops, { operators: [{ name: 'carol', token: TOKEN }], log: () => {} });
    const r = await fleetlet(['devices', '--json']);
    expect(JSON.parse(r.out.join('\n')).items).toHaveLength(1203);
    expect(ops.calls.map((c) => c.args[0])).toEqual([{ limit: 1000 }, { limit: 1000, cursor: '1000' }]);
  });

  it('shows one device with its modules', async () => {
    const r = await fleetlet(['devices', 'show', 'dev-2']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('device     dev-2');
    expect(r.out.some((l) => /^thermostat\s+1\.0\.0\s+running\s+good\s+1200\s+2\s+0\s+/.test(l))).toBe(true);
  });

  it('an API error is one line with the field and exit 1', async () => {
    expectOneLineError(await fleetlet(['devices', 'show', 'dev-99']), 1, /^fleetlet: No device "dev-99" \(field: id\)$/);
    expectOneLineError(await fleetlet(['devices', 'show', 'bad/id']), 1, /Invalid id "bad\/id": need a device id .*\(field: id\)$/);
  });

  it('lists pending requests, and accept needs a token', async () => {
    const p = await fleetlet(['devices', 'pending']);
    expect(p.out.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['dev-new', 'dev-old']);
    expectOneLineError(await fleetlet(['devices', 'accept', 'dev-new']), 1, /needs an operator token/);
    expectOneLineError(await fleetlet(['devices', 'accept', 'dev-new', '--token', 'wrong-token-0000000000']), 1, /not known to this cloud/);
    const ok = await fleetlet(['devices', 'accept', 'dev-new', '--token', TOKEN]);
    expect(ok).toMatchObject({ code: 0, out: ['accepted dev-new (sim)'] });
    expect(ops.calls.at(-1)).toEqual({ method: 'acceptDevice', args: ['dev-new', 'carol'] });
    expectOneLineError(await fleetlet(['devices', 'accept', 'dev-new', '--token', TOKEN]), 1, /already accepted/);
  });

  it('takes the token from FLEETLET_TOKEN or --token-file, and the cloud from FLEETLET_CLOUD', async () => {
    const env = await fleetlet(['devices', 'refuse', 'dev-old', '--note', 'unknown serial'], { env: { FLEETLET_TOKEN: TOKEN } });
    expect(env.out).toEqual(['refused dev-old: unknown serial']);
    expect(ops.calls.at(-1)).toEqual({ method: 'refuseDevice', args: ['dev-old', 'carol', 'unknown serial'] });
    const file = join(dir, 'token');
    await writeFile(file, `${TOKEN}\n`);
    const viaFile = await fleetlet(['devices', 'retire', 'dev-3', '--token-file', file], { env: { FLEETLET_CLOUD: api.url }, cloud: false });
    expect(viaFile).toMatchObject({ code: 0, out: ['retired dev-3'] });
    expectOneLineError(await fleetlet(['devices', 'retire', 'dev-3', '--token-file', join(dir, 'nope')]), 1, /Cannot read the token file ".*nope": ENOENT/);
  });

  it('replaces a device\'s tags', async () => {
    const r = await fleetlet(['devices', 'tag', 'dev-1', 'site=west', 'floor=2', '--token', TOKEN]);
    expect(r.out).toEqual(['dev-1 tags: floor=2, site=west']);
    expect(ops.calls.at(-1)).toEqual({ method: 'setTags', args: ['dev-1', ['site=west', 'floor=2'], 'carol'] });
  });
});

describe('reaching the cloud', () => {
  it('connection refused names the URL', async () => {
    const port = await new Promise<number>((res) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const r = await fleetlet(['devices', '--cloud', url], { cloud: false });
    expectOneLineError(r, 1, new RegExp(`^fleetlet: Cannot reach the fleetlet cloud at ${url.replace(/\./g, '\\.')}: connection refused`));
  });

  it('every subcommand\'s --help lists the connection options', async () => {
    for (const cmd of [['devices', 'show'], ['release', 'upload'], ['rollout', 'create'], ['logs']]) {
      const r = await fleetlet([...cmd, '--help'], { cloud: false });
      expect(r.code).toBe(0);
      expect(r.out.join('\n')).toMatch(/--cloud <url>[\s\S]*--token <token>[\s\S]*--token-file <file>[\s\S]*--ca <file>/);
    }
  });

  it('a cloud URL that is not http is a usage error', async () => {
    expectOneLineError(await fleetlet(['devices', '--cloud', 'mqtt://x:1883'], { cloud: false }), 2, /need http or https/);
  });
});

describe('fleetlet release', () => {
  it('uploads a bundle, shows the bytes sent, prints version and digest', async () => {
    const file = join(dir, 'app.bundle');
    await writeFile(file, Buffer.concat([Buffer.from('FLTB'), Buffer.alloc(200_000, 1)]));
    const r = await fleetlet(['release', 'upload', file, '--token', TOKEN]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out[0]).toBe('thermostat 1.1.0 (sequence 2, 195.3 KiB)');
    expect(r.out[1]).toMatch(/^digest [0-9a-f]{64}$/);
    expect(r.err[0]).toMatch(/^uploading .*app\.bundle: 64\.0 KiB of 195\.3 KiB sent$/);
    expect(r.err.at(-1)).toMatch(/195\.3 KiB of 195\.3 KiB sent$/);
    const list = await fleetlet(['release', 'list']);
    expect(list.out[1]).toMatch(/^thermostat\s+1\.1\.0\s+2\s+195\.3 KiB\s+[0-9a-f]{64}\s+/);
  });

  it('a large upload prints a line per tenth of the bundle when not on a terminal, and redraws on one', async () => {
    const file = join(dir, 'big.bundle');
    await writeFile(file, Buffer.concat([Buffer.from('FLTB'), Buffer.alloc(3 * 1024 * 1024, 2)]));
    const r = await fleetlet(['release', 'upload', file, '--token', TOKEN]);
    expect(r.code).toBe(0);
    expect(r.err.length).toBeGreaterThanOrEqual(10);
    expect(r.err.length).toBeLessThanOrEqual(11);
    expect(r.err.at(-1)).toMatch(/3\.0 MiB of 3\.0 MiB sent$/);
    const t = await fleetlet(['release', 'upload', file, '--token', TOKEN], { tty: true });
    expect(t.err).toEqual([]);
    expect(t.raw.split('\r\x1b[2K').length).toBeGreaterThan(20);
    expect(t.raw.endsWith('3.0 MiB of 3.0 MiB sent\n')).toBe(true);
  });

  it('a bundle the cloud refuses and a missing file are one-line errors', async () => {
    const file = join(dir, 'junk.bundle');
    await writeFile(file, 'junk');
    const r = await fleetlet(['release', 'upload', file, '--token', TOKEN]);
    expect(r.code).toBe(1);
    expect(r.err.at(-1)).toMatch(/^fleetlet: Cannot read bundle: it does not start with "FLTB"$/);
    expectOneLineError(await fleetlet(['release', 'upload', join(dir, 'missing.bundle'), '--token', TOKEN]), 1, /Cannot read the bundle ".*missing\.bundle": ENOENT/);
  });
});

describe('fleetlet rollout', () => {
  async function release(): Promise<string> {
    const r = await ops.uploadBundle(Buffer.from('FLTB-release'), 'test');
    return r.manifestDigest;
  }

  it('turns flags into the API request', () => {
    expect(createRequest({ release: 'd', tag: ['site=north', 'site=south', 'hw=v2'], deviceClass: 'sim', seed: '4', exponential: '1,2,8', success: '95', errorPercent: '10', minFinished: '3', waveTimeout: '60', soak: '1.5', rollbackRelease: 'e', autoRollback: true, start: false, id: 'r-x' })).toEqual({
      id: 'r-x', release: 'd',
      target: { kind: 'selector', match: { site: ['north', 'south'], hw: 'v2' }, deviceClass: 'sim', order: { seed: 4 } },
      waves: { kind: 'exponential', initial: 1, factor: 2, max: 8 },
      policy: { successPercent: 95, errorPercent: 10, minFinished: 3, waveTimeoutMs: 60_000, soakMs: 1500 },
      rollbackRelease: 'e', autoRollback: true, start: false,
    });
    expect(createRequest({ release: 'd', devices: 'a, b,c', percent: '50,100' })).toEqual({ release: 'd', target: { kind: 'list', deviceIds: ['a', 'b', 'c'] }, waves: { kind: 'percent', cumulative: [50, 100] } });
  });

  it.each([
    [['--devices', 'dev-1', '--tag', 'site=north', '--waves', '1'], /either --devices/],
    [['--waves', '1'], /either --devices/],
    [['--devices', 'dev-1'], /exactly one of --waves/],
    [['--devices', 'dev-1', '--waves', '1', '--percent', '100'], /exactly one of --waves/],
    [['--tag', 'north', '--waves', '1'], /Invalid --tag "north": need key=value/],
    [['--devices', 'dev-1', '--waves', '1,x'], /Invalid --waves "1,x"/],
    [['--devices', 'dev-1', '--exponential', '1,2'], /INITIAL,FACTOR,MAX/],
  ])('create %j is a usage error (exit 2)', async (args, message) => {
    expectOneLineError(await fleetlet(['rollout', 'create', '--release', 'a'.repeat(64), ...args, '--token', TOKEN]), 2, message);
    expect(ops.calls).toEqual([]);
  });

  it('create with a value the API refuses prints its message and field', async () => {
    const d = await release();
    const r = await fleetlet(['rollout', 'create', '--release', d, '--devices', 'dev-1,dev-2', '--percent', '50,90', '--token', TOKEN]);
    expectOneLineError(r, 1, /^fleetlet: Invalid waves\.cumulative: the last percentage is 90, need 100 \(field: waves\.cumulative\[1\]\)$/);
    const s = await fleetlet(['rollout', 'create', '--release', d, '--devices', 'dev-1', '--waves', '1', '--success', '0', '--token', TOKEN]);
    expectOneLineError(s, 1, /\(field: policy\.successPercent\)$/);
  });

  it('create --watch prints one line per change and ends when the rollout completes', async () => {
    const d = await release();
    const r = await fleetlet(['rollout', 'create', '--release', d, '--tag', 'site=north', '--tag', 'site=south', '--waves', '2', '--id', 'r-w', '--watch', '--interval', '5', '--token', TOKEN]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out).toEqual([
      'rollout r-w: thermostat 1.1.0 to 5 devices in 3 waves (2, 2, 1); running',
      'wave 1/3 [............] 0/2 good, 0 failed',
      'wave 1/3 [######......] 1/2 good, 0 failed',
      'wave 1/3 [############] 2/2 good, 0 failed',
      'wave 2/3 [............] 0/2 good, 0 failed',
      'wave 2/3 [######......] 1/2 good, 0 failed',
      'wave 2/3 [############] 2/2 good, 0 failed',
      'wave 3/3 [............] 0/1 good, 0 failed',
      'wave 3/3 [############] 1/1 good, 0 failed (completed)',
    ]);
    expect(ops.calls.find((c) => c.method === 'createRollout')!.args[1]).toBe('carol');
  });

  it('status --watch ends with exit 1 and the reason when the rollout halts', async () => {
    const d = await release();
    ops.failing.add('dev-2');
    await ops.createRollout({ id: 'r-h', release: d, target: { kind: 'list', deviceIds: ['dev-1', 'dev-2', 'dev-3'] }, waves: { kind: 'fixed', sizes: [1, 2] } }, 'test');
    const r = await fleetlet(['rollout', 'status', 'r-h', '--watch', '--interval', '5']);
    expect(r.code).toBe(1);
    expect(r.out.slice(0, 3)).toEqual(['wave 1/2 [############] 1/1 good, 0 failed', 'wave 2/2 [............] 0/2 good, 0 failed', 'wave 2/2 [######......] 0/2 good, 1 failed']);
    expect(r.out).toContain('wave 2/2 [############] 1/2 good, 1 failed (halted)');
    expect(r.out).toContain('state    halted: wave 2: 1 failed');
    expect(r.err).toEqual(['fleetlet: rollout r-h halted: wave 2: 1 failed']);
    expectOneLineError(await fleetlet(['rollout', 'resume', 'r-h', '--token', TOKEN]), 1, /Cannot resume rollout "r-h": it is halted/);
    expect((await fleetlet(['rollout', 'roll-back', 'r-h', '--token', TOKEN])).out).toEqual(['rollout r-h: rolled-back']);
    expect(ops.calls.at(-1)).toEqual({ method: 'commandRollout', args: ['r-h', 'roll-back', 'carol'] });
    const again = await fleetlet(['rollout', 'status', 'r-h', '--watch', '--interval', '5']);
    expect(again.code).toBe(1);
    expect(again.err).toEqual(['fleetlet: rollout r-h ended rolled-back']);
  });

  it('with --json the watch shows its progress on stderr and prints only the final view on stdout', async () => {
    const d = await release();
    const r = await fleetlet(['rollout', 'create', '--release', d, '--devices', 'dev-1,dev-2', '--waves', '2', '--id', 'r-j', '--watch', '--json', '--interval', '5', '--token', TOKEN]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out.join('\n'))).toMatchObject({ id: 'r-j', state: 'completed', counts: { good: 2 } });
    expect(r.err[0]).toBe('rollout r-j: thermostat 1.1.0 to 2 devices in 1 wave (2); running');
    expect(r.err.at(-1)).toBe('wave 1/1 [############] 2/2 good, 0 failed (completed)');
  });

  it('on a TTY the watch redraws one line per wave', async () => {
    const d = await release();
    await ops.createRollout({ id: 'r-t', release: d, target: { kind: 'list', deviceIds: ['dev-1', 'dev-2'] }, waves: { kind: 'fixed', sizes: [1] } }, 'test');
    const r = await fleetlet(['rollout', 'status', 'r-t', '--watch', '--interval', '5'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.raw.split('\n').filter((l) => l !== '').map((l) => l.split('\r\x1b[2K').at(-1))).toEqual(['wave 1/2 [############] 1/1 good, 0 failed', 'wave 2/2 [############] 1/1 good, 0 failed (completed)']);
    expect(r.out[0]).toBe('rollout  r-t');
  });

  it('lists, shows and commands rollouts', async () => {
    const d = await release();
    const c = await fleetlet(['rollout', 'create', '--release', d, '--devices', 'dev-1,dev-2', '--waves', '1', '--id', 'r-c', '--no-start', '--token', TOKEN]);
    expect(c.out).toEqual(['rollout r-c: thermostat 1.1.0 to 2 devices in 2 waves (1, 1); created']);
    expect((await fleetlet(['rollout', 'start', 'r-c', '--token', TOKEN])).out).toEqual(['rollout r-c: running']);
    expect((await fleetlet(['rollout', 'pause', 'r-c', '--token', TOKEN])).out).toEqual(['rollout r-c: paused']);
    expectOneLineError(await fleetlet(['rollout', 'pause', 'r-c', '--token', TOKEN]), 1, /Cannot pause rollout "r-c": it is paused/);
    const list = await fleetlet(['rollout', 'list']);
    expect(list.out[1]).toMatch(/^r-c\s+thermostat\s+1\.1\.0\s+paused\s+1\/2\s+0\s+0\s+2\s+/);
    const s = await fleetlet(['rollout', 'status', 'r-c']);
    expect(s.out.slice(0, 3)).toEqual(['rollout  r-c', `app      thermostat 1.1.0 (sequence 2, ${d.slice(0, 12)})`, 'state    paused']);
    expect(s.out).toContain('> wave 1/2 [............] 0/1 good, 0 failed');
    expect((await fleetlet(['rollout', 'abort', 'r-c', '--token', TOKEN, '--json'])).out.join('\n')).toMatch(/"state": "aborted"/);
  });
});

describe('fleetlet logs', () => {
  it('prints recent lines of every module or one', async () => {
    expect((await fleetlet(['logs', 'dev-1'])).out).toEqual(['[thermostat] started', '[thermostat] temp 21.5', '[meter] ok']);
    expect((await fleetlet(['logs', 'dev-1', 'meter'])).out).toEqual(['ok']);
    expectOneLineError(await fleetlet(['logs', 'dev-404']), 1, /No device "dev-404"/);
  });

  it('--follow prints each new line once as the window slides', async () => {
    const out: string[] = [];
    const ac = new AbortController();
    const client = new CloudClient({ url: api.url });
    let polls = 0;
    const original = ops.logs.bind(ops);
    ops.logs = async (id, module) => {
      polls++;
      if (polls === 2) ops.logLines = [...ops.logLines.slice(1), { module: 'thermostat', line: 'temp 21.6' }];
      if (polls === 3) ops.logLines = [...ops.logLines.slice(2), { module: 'meter', line: 'ok' }, { module: 'thermostat', line: 'temp 21.7' }];
      if (polls === 4) ac.abort();
      return original(id, module);
    };
    await printLogs(client, { out: (l) => out.push(l), err: () => {} }, 'dev-1', undefined, { follow: true, intervalMs: 5, signal: ac.signal });
    expect(out).toEqual(['[thermostat] started', '[thermostat] temp 21.5', '[meter] ok', '[thermostat] temp 21.6', '[meter] ok', '[thermostat] temp 21.7']);
  });

  it('overlap finds the lines already shown', () => {
    const l = (s: string) => ({ module: 'm', line: s });
    expect(overlap([l('a'), l('b'), l('c')], [l('b'), l('c'), l('d')])).toBe(2);
    expect(overlap([l('a'), l('b')], [l('x')])).toBe(0);
    expect(overlap([l('a'), l('a')], [l('a'), l('a'), l('b')])).toBe(2);
    expect(overlap([], [l('a')])).toBe(0);
  });
});

describe('the fleetlet executable', () => {
  it('runs `fleetlet devices` as an operator would, and --help lists the cloud commands', async () => {
    const bin = resolve(import.meta.dirname, '../../../agent/cli/fleetlet.mjs');
    const run = promisify(execFile);
    const r = await run(process.execPath, [bin, 'devices', 'list', '--tag', 'site=south'], { env: { ...process.env, FLEETLET_CLOUD: api.url } });
    expect(r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split(/\s+/)[0])).toEqual(['DEVICE', 'dev-2', 'dev-4']);
    const help = await run(process.execPath, [bin, '--help']);
    for (const c of ['devices', 'release', 'rollout', 'logs']) expect(help.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });
});
