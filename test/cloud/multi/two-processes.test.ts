// Two fleetlet cloud processes side by side, as a larger fleet runs them: one PostgreSQL database (a fresh schema),
// Debian's mosquitto speaking MQTT 5 with shared subscriptions, one blobs folder, two `fleetlet cloud --config FILE`
// child processes with their HTTP APIs, and six real agents in this process. A good v2 rolls out in waves of 1, 2
// and 3, created through the leading process's HTTP API; after wave 1 succeeds the leader is SIGKILLed, the other
// process takes the 'rollouts' lease within its ttl and finishes the rollout: every device runs v2, no wave was
// started twice, and the store never took a device's report over a newer one. Then the survivor, leading a v3
// rollout beside a new standby, is frozen (SIGSTOP) after wave 1 until the standby has taken over, and thawed: it
// stands by without a step of its own, and the rollout completes with each wave started once.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { secretKeyJson } from '../../../agent/cli/key-file.ts';
import { startAgentProcess, type RunningAgent } from '../../../agent/daemon.ts';
import type { ReleaseRecord } from '../../../cloud/store/types.ts';
import { PostgresStore } from '../../../cloud/store/postgres.ts';
import type { DeviceView, RolloutView } from '../../../cloud/service/ops.ts';
import { decodeStatus } from '../../../schemas/messages/status.ts';
import { until } from '../../agent/agent-kit.ts';
import { fleetKeys, release } from '../../agent/e2e-kit.ts';
import { startMosquitto, type RunningBroker } from '../../support/brokers.ts';
import { removeDir, tempDir } from '../../trust/fixtures.ts';
import { bundleOf, devicePlan } from '../service/kit.ts';
import { dropSchemas, startPostgres, type PgServer } from '../store/pg-server.ts';

const APP = 'meter';
const DEVICES = ['dev-mp1', 'dev-mp2', 'dev-mp3', 'dev-mp4', 'dev-mp5', 'dev-mp6'];
const TOKEN = randomBytes(16).toString('hex');
const LEASE_TTL_S = 2;
const LEASE_TTL_MS = LEASE_TTL_S * 1000;
const BIN = join(import.meta.dirname, '..', '..', '..', 'agent', 'cli', 'fleetlet.mjs');
const WAIT = 20_000;

/** One `fleetlet cloud` child process: its HTTP API and every JSON line it logged. */
class CloudChild {
  readonly lines: Record<string, unknown>[] = [];
  http = '';
  #buffer = '';

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.stdout!.on('data', (d: Buffer) => {
      this.#buffer += d.toString();
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ event: 'text', text: line });
        }
      }
    });
    proc.stderr!.on('data', (d: Buffer) => this.lines.push({ event: 'stderr', text: d.toString() }));
  }

  /** Whether it said it leads rollouts (its last leadership change, or what it said at start). */
  get leading(): boolean {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i]!;
      if (l.msg === 'leading rollouts') return true;
      if (l.msg === 'standing by for rollouts') return false;
    }
    return false;
  }

  async ready(): Promise<void> {
    const r = await until(`${this.name} running`, () => this.lines.find((l) => l.msg === 'cloud running') ?? (this.proc.exitCode !== null ? { msg: 'exited' } : undefined), WAIT);
    if (r.msg !== 'cloud running') throw new Error(`${this.name} exited with ${this.proc.exitCode}: ${JSON.stringify(this.lines.slice(-5))}`);
    this.http = String(r.http);
  }

  /** Calls the HTTP API; resolves with the status and the JSON body. */
  async api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const binary = body instanceof Uint8Array;
    const res = await fetch(`${this.http}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': binary ? 'application/octet-stream' : 'application/json' }) },
      ...(body === undefined ? {} : { body: binary ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || (this.proc.signalCode !== null && this.proc.signalCode !== 'SIGSTOP')) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGCONT'); // a test that failed while it was frozen
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

let pg: Promise<PgServer> | undefined;
let schema: string | undefined;
let broker: RunningBroker | undefined;
let dir: string | undefined;
let watcher: MqttClient | undefined;
const children: CloudChild[] = [];
const agents: RunningAgent[] = [];
/** What the first test leaves for the second: the process leading now, the releases' bundles. */
let survivor: CloudChild | undefined;
let fleet: ReturnType<typeof fleetKeys> | undefined;
let pgUrlOf = '';

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
  await Promise.all(children.map((c) => c.stop()));
  await watcher?.endAsync(true);
  await broker?.close();
  const server = await pg?.catch(() => undefined);
  if (server !== undefined) {
    if (schema !== undefined) await dropSchemas(server.url, [schema]);
    await server.stop();
  }
  if (dir !== undefined) await removeDir(dir);
});

/** Starts `fleetlet cloud` with its own data folder and HTTP port, and the store, broker and blobs of the other. */
async function startChild(name: string, pgUrl: string): Promise<CloudChild> {
  const config = {
    processId: name,
    dataDir: name,
    blobsDir: 'blobs',
    trust: 'fleet.trust',
    stateKey: 'state.key',
    store: { kind: 'postgres', url: pgUrl, schema },
    broker: { url: broker!.url, protocolVersion: 5, shared: true },
    enrollment: { autoAccept: true, retryAfterS: 1 },
    http: { port: 0, operators: [{ name: 'ops', token: TOKEN }] },
    rolloutLease: { ttlS: LEASE_TTL_S },
  };
  const file = join(dir!, `${name}.json`);
  await writeFile(file, JSON.stringify(config));
  const proc = spawn(process.execPath, [BIN, 'cloud', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const child = new CloudChild(name, proc);
  children.push(child);
  return child;
}

async function rollout(c: CloudChild, id: string): Promise<RolloutView> {
  const r = await c.api<RolloutView>('GET', `/api/rollouts/${id}`);
  expect(r.status).toBe(200);
  return r.body;
}

async function settled(c: CloudChild, id: string, state: RolloutView['state']): Promise<RolloutView> {
  return until(`rollout ${id} ${state}`, async () => {
    const r = await rollout(c, id);
    return r.state === state ? r : undefined;
  }, WAIT).catch(async (e: unknown) => {
    const r = await rollout(c, id);
    throw new Error(`${(e as Error).message}: it is ${r.state}, ${JSON.stringify(r.counts)}; ${r.decisions.map((d) => d.reason).join('; ')}`);
  });
}

const runsOn = (a: RunningAgent): string | undefined => a.agent.supervisor.get(APP)?.manifest.version;

describe('two fleetlet cloud processes on one PostgreSQL and a shared MQTT 5 broker', () => {
  it('a rollout whose leading process is killed after wave 1 is finished by the other, each wave started once', async () => {
    pg = startPostgres();
    schema = `fleetlet_multi_${randomBytes(6).toString('hex')}`;
    dir = await tempDir('fleetlet-multi-');
    await mkdir(join(dir, 'blobs'));
    // a private broker: the cloud's shared subscription group must see this test's devices only
    [broker] = await Promise.all([startMosquitto(['# fleetlet two-process test']), pg]);
    const { url: pgUrl } = await pg;
    const keys = fleetKeys();
    fleet = keys;
    pgUrlOf = pgUrl;
    await writeFile(join(dir, 'fleet.trust'), keys.trust);
    const s = keys.stateSigner;
    await writeFile(join(dir, 'state.key'), secretKeyJson({ id: s.id, role: 'state-signer', publicKey: s.kp.publicKey, seed: s.kp.seed }), { mode: 0o600 });
    // both start at once on a new schema: they race on the migrations (an advisory lock) and on the lease
    const [a, b] = await Promise.all([startChild('cloud-a', pgUrl), startChild('cloud-b', pgUrl)]);
    await Promise.all([a.ready(), b.ready()]);
    await until('one process leads', () => (a.leading !== b.leading) || undefined, LEASE_TTL_MS * 3);
    const [leader, standby] = a.leading ? [a, b] : [b, a];

    // every report the devices publish, as the broker carries them: the newest sequence per device
    watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const newest = new Map<string, number>();
    watcher.on('message', (_t, p) => {
      if (p.length === 0) return;
      const s = decodeStatus(new Uint8Array(p));
      newest.set(s.deviceId, Math.max(newest.get(s.deviceId) ?? 0, s.seq));
    });
    await watcher.subscribeAsync('fleetlet/v1/dev/+/status', { qos: 1 });

    // six agents enroll (accepted at once; the requests are spread over both processes) and report
    agents.push(...(await Promise.all(DEVICES.map(async (id) => startAgentProcess(await devicePlan(keys, dir!, broker!.url, id), () => {})))));
    await until('every device reported to the store', async () => {
      const r = await standby.api<{ items: DeviceView[] }>('GET', '/api/devices?limit=100');
      return r.body.items.filter((d) => d.agentVersion !== undefined).length === DEVICES.length || undefined;
    }, WAIT);

    // bundles may be uploaded to any process (the blobs folder is shared); rollouts only start on the leader
    const uploaded: ReleaseRecord[] = [];
    for (const [version, seq] of [['1.0.0', 1], ['2.0.0', 2]] as const) {
      const r = await standby.api<ReleaseRecord>('POST', '/api/releases', bundleOf(release(keys, APP, version, seq, 'good')));
      expect(r.status).toBe(201);
      uploaded.push(r.body);
    }
    const [v1, v2] = uploaded as [ReleaseRecord, ReleaseRecord];
    const policy = { successPercent: 100, errorPercent: 50, minFinished: 1, waveTimeoutMs: WAIT };
    const target = { kind: 'list', deviceIds: DEVICES };
    const refused = await standby.api<{ error: { code: string } }>('POST', '/api/rollouts', { id: 'ro-v1', release: v1.manifestDigest, target, waves: { kind: 'fixed', sizes: [6] }, policy });
    expect([refused.status, refused.body.error.code]).toEqual([503, 'unavailable']);
    expect((await leader.api('POST', '/api/rollouts', { id: 'ro-v1', release: v1.manifestDigest, target, waves: { kind: 'fixed', sizes: [6] }, policy })).status).toBe(201);
    await settled(standby, 'ro-v1', 'completed');
    await until('every agent runs v1', () => agents.every((x) => runsOn(x) === '1.0.0') || undefined, WAIT);

    const created = await leader.api<RolloutView>('POST', '/api/rollouts', { id: 'ro-v2', release: v2.manifestDigest, target, waves: { kind: 'fixed', sizes: [1, 2, 3] }, policy });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'running', wave: 0 });
    await until('wave 1 of ro-v2 succeeded', async () => (await rollout(standby, 'ro-v2')).decisions.some((d) => d.code === 'wave-succeeded' && d.wave === 0) || undefined, WAIT);
    const before = await rollout(standby, 'ro-v2');
    expect(before.state).toBe('running'); // killed mid-rollout, not after it
    leader.proc.kill('SIGKILL');
    const killedAt = Date.now();

    await until('the other process leads', () => standby.leading || undefined, LEASE_TTL_MS * 4);
    const tookOverMs = Date.now() - killedAt;
    const done = await settled(standby, 'ro-v2', 'completed');
    expect(done.counts).toMatchObject({ good: 6, failed: 0, waiting: 0, issued: 0, installing: 0 });
    const started = done.decisions.filter((d) => d.code === 'wave-started').map((d) => d.wave);
    expect(started).toEqual([0, 1, 2]);
    expect(done.decisions.filter((d) => d.code === 'wave-succeeded').map((d) => d.wave)).toEqual([0, 1, 2]);
    await until('every agent runs v2', () => agents.every((x) => runsOn(x) === '2.0.0') || undefined, WAIT);

    // the store holds each device's newest report: its sequence and what it said (v2 running), never an older one
    const store = await PostgresStore.open({ connectionString: pgUrl, schema, maxConnections: 2 });
    try {
      await until('the store has every device\'s newest report', async () => {
        for (const id of DEVICES) if ((await store.getDevice(id))?.reportSequence !== newest.get(id)) return undefined;
        return true;
      }, WAIT);
      for (const id of DEVICES) {
        const m = (await store.listModuleStatus(id)).find((x) => x.module === APP);
        expect(m, id).toMatchObject({ version: '2.0.0', state: 'running', health: 'ok' });
      }
      const lease = await store.getLease('rollouts');
      expect(lease?.holder).toBe(standby.name);
    } finally {
      await store.close();
    }
    console.log(`two-process rollout: standby led ${tookOverMs} ms after the leader was killed (lease ttl ${LEASE_TTL_MS} ms)`);
    survivor = standby;
  }, 90_000);

  it('a leader frozen mid-rollout (SIGSTOP) until the other took over stands by when it thaws; each wave starts once', async () => {
    if (survivor === undefined || fleet === undefined) throw new Error('the first test did not leave a leading process');
    const frozen = survivor;
    const standby = await startChild('cloud-c', pgUrlOf);
    await standby.ready();
    expect([frozen.leading, standby.leading]).toEqual([true, false]);
    const v3 = await standby.api<ReleaseRecord>('POST', '/api/releases', bundleOf(release(fleet, APP, '3.0.0', 3, 'good')));
    expect(v3.status).toBe(201);
    const policy = { successPercent: 100, errorPercent: 50, minFinished: 1, waveTimeoutMs: WAIT };
    const created = await frozen.api('POST', '/api/rollouts', { id: 'ro-v3', release: v3.body.manifestDigest, target: { kind: 'list', deviceIds: DEVICES }, waves: { kind: 'fixed', sizes: [1, 2, 3] }, policy });
    expect(created.status).toBe(201);
    await until('wave 1 of ro-v3 succeeded', async () => (await rollout(standby, 'ro-v3')).decisions.some((d) => d.code === 'wave-succeeded' && d.wave === 0) || undefined, WAIT);
    frozen.proc.kill('SIGSTOP');
    try {
      await until('the standby leads', () => standby.leading || undefined, LEASE_TTL_MS * 4);
    } finally {
      frozen.proc.kill('SIGCONT');
    }
    // thawed, its timers fire late: its renewal is refused (or comes back too late) and its driver's saves are fenced
    await until('the thawed process stands by', () => !frozen.leading || undefined, LEASE_TTL_MS * 4);
    const done = await settled(standby, 'ro-v3', 'completed');
    expect(done.decisions.filter((d) => d.code === 'wave-started').map((d) => d.wave)).toEqual([0, 1, 2]);
    expect(done.counts).toMatchObject({ good: 6, failed: 0 });
    await until('every agent runs v3', () => agents.every((x) => runsOn(x) === '3.0.0') || undefined, WAIT);
    expect(frozen.proc.exitCode).toBeNull(); // alive, standing by
    expect(frozen.leading).toBe(false);
    const fenced = frozen.lines.filter((l) => String(l.error ?? '').includes('may no longer hold the rollouts lease')).length;
    console.log(`frozen leader: ${fenced} rollout saves refused by its fence after it thawed (ticks that change nothing save nothing)`);
  }, 60_000);
});
