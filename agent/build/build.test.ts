// The device bundle builds and runs with plain node: the CLI answers, and `fleetlet agent` reads its config file and
// names a wrong field (the agent's code paths load from the one file, with no TypeScript loader).

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgent } from './build.ts';

let dir: string;
let bundle: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlet-build-'));
  // Inside the repository, as on a device: the bundle finds serialport (external, a native addon) in node_modules.
  await mkdir(join(import.meta.dirname, '../../node_modules/.cache'), { recursive: true });
  bundle = join(await mkdtemp(join(import.meta.dirname, '../../node_modules/.cache/fleetlet-build-')), 'fleetlet.mjs');
  await buildAgent(bundle);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(join(bundle, '..'), { recursive: true, force: true });
});

const run = (args: readonly string[]): Promise<{ code: number; out: string; err: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [bundle, ...args], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' } }, (e, out, err) => {
      resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : -1, out, err });
    });
  });

describe('the device bundle', () => {
  it('is one ASCII file that runs the CLI with plain node', async () => {
    const text = await readFile(bundle, 'latin1');
    expect(/[^\x00-\x7f]/.test(text)).toBe(false);
    const help = await run(['agent', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Run the device agent/);
  });

  it('runs the agent command: a wrong config file is refused with the field named', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ dataDir: join(dir, 'data'), device: { id: 'd1', class: 'sim' }, broker: { url: 'http://nowhere' }, enrollment: { roots: [], threshold: 1 } }));
    const r = await run(['agent', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/broker\.url: expected an mqtt:\/\//);
  });
});
