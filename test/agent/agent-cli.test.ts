// `fleetlet agent` as a device runs it: a real process with a config file, against the minimal cloud on aedes; it
// enrolls, runs what the desired state says, and on SIGTERM stops its apps with their state written, says offline and
// exits 0. `fleetlet agent install` installs a bundle with no network, and refuses while an agent holds the data dir.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../agent/update/bundle.ts';
import { kvFile } from '../../agent/host/kv-store.ts';
import { decodePresence } from '../../schemas/messages/presence.ts';
import { decodeStatus, type Status } from '../../schemas/messages/status.ts';
import { topicFor } from '../../schemas/topics.ts';
import { readFile } from 'node:fs/promises';
import { until } from './agent-kit.ts';
import { e2eFleet, release, type E2eFleet } from './e2e-kit.ts';

const REPO = join(import.meta.dirname, '../..');
const BIN = join(REPO, 'agent/cli/fleetlet.mjs');
let fleet: E2eFleet | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await fleet?.close();
  fleet = undefined;
});

interface Run {
  readonly child: ChildProcess;
  readonly out: string[];
  readonly err: string[];
  readonly exited: Promise<number | null>;
}

function fleetlet(args: readonly string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const out: string[] = [];
  const err: string[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(...d.toString().split('\n').filter((l) => l !== '')));
  child.stderr!.on('data', (d: Buffer) => err.push(...d.toString().split('\n').filter((l) => l !== '')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, err, exited };
}

async function configFor(f: E2eFleet, deviceId: string, over: Record<string, unknown> = {}): Promise<{ file: string; dataDir: string }> {
  const plan = await f.plan(deviceId);
  const file = join(f.dir, `${deviceId}.json`);
  await writeFile(file, JSON.stringify({
    dataDir: plan.dataDir,
    device: { id: deviceId, class: 'sim' },
    broker: { url: f.cloud.url, keepaliveS: 5 },
    enrollment: { roots: plan.enrollment.roots, threshold: 2 },
    probation: { windowS: 2 },
    reporting: { statusIntervalS: 1, telemetryIntervalS: 1 },
    log: { level: 'info' },
    ...over,
  }));
  return { file, dataDir: plan.dataDir };
}

describe('fleetlet agent', () => {
  it('runs as a process: enrolls, runs the desired state, and stops cleanly on SIGTERM', async () => {
    fleet = await e2eFleet('aedes');
    const f = fleet;
    const id = 'dev-cli-1';
    let status: Status | undefined;
    let presence: string | undefined;
    f.cloud.client.on('message', (topic, payload) => {
      if (payload.length === 0) return;
      if (topic === topicFor('status', id)) status = decodeStatus(new Uint8Array(payload));
      if (topic === topicFor('presence', id)) presence = decodePresence(new Uint8Array(payload)).state;
    });
    await f.cloud.client.subscribeAsync([topicFor('status', id), topicFor('presence', id)], { qos: 1 });
    const { file, dataDir } = await configFor(f, id);
    const run = fleetlet(['agent', '--config', file]);
    await until('agent running', () => run.out.some((l) => l.includes('"agent running"')) || undefined, 60_000);
    const v1 = release(f.keys, 'meter', '1.0.0', 1, 'good');
    await f.cloud.setDesired(id, [{ name: 'meter', release: v1 }]);
    await until('meter running', () => status?.modules.find((m) => m.name === 'meter' && m.state === 'running' && (m.metrics?.ticks ?? 0) > 0), 30_000);
    expect(presence).toBe('online');
    const logs = run.out.map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(logs.some((l) => l.msg === 'update.good')).toBe(true);

    // a second agent on the same data directory is refused
    const second = fleetlet(['agent', '--config', file]);
    expect(await second.exited).toBe(1);
    expect(second.err.join('\n')).toMatch(/an agent \(pid \d+\) is running on it/);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.out.some((l) => l.includes('"stopped cleanly"'))).toBe(true);
    await until('presence offline', () => presence === 'offline' || undefined);
    // the app's key-value state was written when it stopped
    expect((await readFile(kvFile(dataDir, 'meter'))).includes(Buffer.from('meter@1.0.0'))).toBe(true);
  });

  it('installs a bundle with no network, and refuses a bad one with the reason', async () => {
    fleet = await e2eFleet('aedes');
    const f = fleet;
    const id = 'dev-cli-2';
    const { file } = await configFor(f, id);
    // enroll once (the device needs its trust), then stop
    const run = fleetlet(['agent', '--config', file]);
    await until('agent running', () => run.out.some((l) => l.includes('"agent running"')) || undefined, 60_000);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    await f.cloud.close();

    const good = release(f.keys, 'meter', '1.0.0', 1, 'good');
    const goodFile = join(f.dir, 'good.bundle');
    await writeFile(goodFile, encodeBundle({ signedManifest: good.signedManifest, module: good.module }));
    const ok = fleetlet(['agent', 'install', goodFile, '--config', file]);
    expect(await ok.exited).toBe(0);
    expect(ok.out.join('\n')).toMatch(/Installed meter 1\.0\.0: it passed probation and is marked good/);

    const bad = release(f.keys, 'meter', '2.0.0', 2, 'trap-tick');
    const badFile = join(f.dir, 'bad.bundle');
    await writeFile(badFile, encodeBundle({ signedManifest: bad.signedManifest, module: bad.module }));
    const refused = fleetlet(['agent', 'install', badFile, '--config', file]);
    expect(await refused.exited).toBe(1);
    expect(refused.err.join('\n')).toMatch(/meter 1\.0\.0: rolled-back \(2\.0\.0: .*trap unreachable/);

    const tampered = encodeBundle({ signedManifest: good.signedManifest, module: bad.module });
    const tamperedFile = join(f.dir, 'tampered.bundle');
    await writeFile(tamperedFile, tampered);
    const t = fleetlet(['agent', 'install', tamperedFile, '--config', file]);
    expect(await t.exited).toBe(1);
    expect(t.err.join('\n')).toMatch(/Cannot install .*tampered\.bundle/);
  });

  it('says which field of a config file is wrong', async () => {
    fleet = await e2eFleet('aedes');
    const { file } = await configFor(fleet, 'dev-cli-3', { broker: { url: 'http://nowhere', keepaliveS: 5 }, probation: { windowS: 0 } });
    const r = fleetlet(['agent', '--config', file]);
    expect(await r.exited).toBe(2);
    const msg = r.err.join('\n');
    expect(msg).toMatch(/broker\.url: expected an mqtt:\/\//);
    expect(msg).toMatch(/probation\.windowS/);
  });
});
