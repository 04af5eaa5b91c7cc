// A world for the agent's tests: a real broker (aedes), fleet keys, a provisioned device data directory, tiny reactor
// modules written in WebAssembly text (healthy, trapping, unhealthy, spinning, key-value writing), signed manifests and
// desired states, a fetcher serving blobs by digest, and a reporter that records what the agent said.

import mqtt, { type MqttClient } from 'mqtt';
import { createHash } from 'node:crypto';
import { Agent, type AgentOptions, type ModuleFetcher, type Reporter } from '../../agent/agent.ts';
import type { ProbationPolicy } from '../../agent/runtime/probation.ts';
import { busFromClient } from '../../agent/session/client-bus.ts';
import { TrustStore } from '../../agent/update/trust-store.ts';
import type { DeviceEvent } from '../../schemas/messages/event.ts';
import type { LogBatch } from '../../schemas/messages/log.ts';
import type { Manifest } from '../../schemas/messages/manifest.ts';
import type { Status } from '../../schemas/messages/status.ts';
import type { Telemetry } from '../../schemas/messages/telemetry.ts';
import { topicFor } from '../../schemas/topics.ts';
import { wat } from '../fuzz/wat.ts';
import { DEVICE, T0, desiredState, manifest, removeDir, signManifest, signState, signTrust, standardKeys, tempDir, trustUpdate, clockAt } from '../trust/fixtures.ts';
import { startAedes, type EmbeddedBroker } from '../support/brokers.ts';
import { systemTime } from '../../agent/host/hw/time.ts';

export { DEVICE, T0 };

/** What a tiny reactor does. */
export type Behaviour = 'good' | 'trap-tick' | 'unhealthy' | 'spin' | 'trap-init';

/**
 * A reactor in WebAssembly text: `tick` counts, `health` answers, and `init` writes `tag` under key "v" in the
 * key-value store (so a rollback's restore of the previous version's state can be seen).
 */
export function reactor(behaviour: Behaviour, tag: string): Uint8Array {
  const tick = behaviour === 'trap-tick' ? 'unreachable' : behaviour === 'spin' ? '(loop $l (br $l))' : 'global.get $n i32.const 1 i32.add global.set $n';
  const health = behaviour === 'unhealthy' ? 'i32.const 0' : 'i32.const 1';
  const init = behaviour === 'trap-init' ? 'unreachable' : `(drop (call $kv_set (i32.const 0) (i32.const 1) (i32.const 16) (i32.const ${Buffer.byteLength(tag)})))`;
  return wat(`(module
    (import "fleetlet:host/v1" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "v")
    (data (i32.const 16) "${tag}")
    (global $n (mut i32) (i32.const 0))
    (func (export "init") ${init})
    (func (export "tick") ${tick})
    (func (export "health") (result i32) ${health}))`);
}

export interface Release {
  readonly name: string;
  readonly version: string;
  readonly sequence: number;
  readonly module: Uint8Array;
  readonly manifest: Manifest;
  readonly signed: Uint8Array;
}

/** A fetcher over an in-memory blob map (the chunk-service suites test the real one). */
export class MapFetcher implements ModuleFetcher {
  readonly blobs = new Map<string, Uint8Array>();
  readonly fetched: string[] = [];
  put(bytes: Uint8Array): void {
    this.blobs.set(createHash('sha256').update(bytes).digest('hex'), bytes);
  }
  async fetchManifest(digest: Uint8Array): Promise<Uint8Array> {
    return this.get(digest);
  }
  async fetchModule(digest: Uint8Array, size: number): Promise<Uint8Array> {
    const b = this.get(digest);
    if (b.length !== size) throw new Error('size mismatch');
    return b;
  }
  private get(digest: Uint8Array): Uint8Array {
    const h = Buffer.from(digest).toString('hex');
    this.fetched.push(h);
    const b = this.blobs.get(h);
    if (b === undefined) throw Object.assign(new Error(`no blob ${h}`), { code: 'not-found' });
    return b;
  }
}

export class RecordingReporter implements Reporter {
  readonly statuses: Status[] = [];
  readonly events: DeviceEvent[] = [];
  readonly telemetries: Telemetry[] = [];
  readonly logBatches: LogBatch[] = [];
  status(s: Status): void {
    this.statuses.push(s);
  }
  event(e: DeviceEvent): void {
    this.events.push(e);
  }
  telemetry(t: Telemetry): void {
    this.telemetries.push(t);
  }
  logs(b: LogBatch): void {
    this.logBatches.push(b);
  }
  get lastStatus(): Status | undefined {
    return this.statuses.at(-1);
  }
  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

export interface AgentWorld {
  readonly broker: EmbeddedBroker;
  readonly keys: ReturnType<typeof standardKeys>;
  readonly dir: string;
  readonly fetcher: MapFetcher;
  /** The cloud's MQTT client (publishes desired states). */
  readonly cloud: MqttClient;
  sequence: number;
  release(name: string, version: string, sequence: number, behaviour: Behaviour, over?: Partial<Manifest>): Release;
  /** Signs and publishes (retained) a desired state with these releases and settings. */
  publishState(modules: readonly { release: Release; settings?: Record<string, string> }[]): Promise<void>;
  startAgent(over?: Partial<AgentOptions>): Promise<{ agent: Agent; reporter: RecordingReporter; client: MqttClient; trust: TrustStore }>;
  close(): Promise<void>;
}

export const FAST_PROBATION: Partial<ProbationPolicy> = { windowMs: 1_500, pollMs: 20, healthEveryMs: 100 };

export async function agentWorld(): Promise<AgentWorld> {
  const broker = await startAedes();
  const keys = standardKeys();
  const dir = await tempDir('fleetlet-agent-');
  const fetcher = new MapFetcher();
  const cloud = await mqtt.connectAsync(broker.url, { clientId: 'cloud-test' });
  const trustBytes = signTrust(trustUpdate(keys.all), keys.roots);
  const clients: MqttClient[] = [cloud];
  const agents: Agent[] = [];
  const world: AgentWorld = {
    broker, keys, dir, fetcher, cloud, sequence: 0,
    release(name, version, sequence, behaviour, over = {}) {
      const module = reactor(behaviour, `${name}@${version}`);
      const m = manifest(module, { name, version, sequence, capabilities: ['kv:4096'], limits: { maxMemoryPages: 4, maxTableElements: 100, maxCallDepth: 200, maxStackSlots: 10_000, fuelPerTick: 200_000, hostCallsPerSecond: 100, tickPeriodMs: 20 }, ...over });
      const signed = signManifest(m, keys.moduleSigner);
      fetcher.put(module);
      fetcher.put(signed);
      return { name, version, sequence, module, manifest: m, signed };
    },
    async publishState(modules) {
      world.sequence++;
      const d = desiredState(modules.map((m) => ({ name: m.release.name, signed: m.release.signed })), { sequence: world.sequence });
      const withSettings = { ...d, modules: d.modules.map((m, i) => ({ ...m, settings: modules[i]!.settings ?? {} })) };
      await cloud.publishAsync(topicFor('desiredState', DEVICE.deviceId), Buffer.from(signState(withSettings, keys.stateSigner)), { qos: 1, retain: true });
    },
    async startAgent(over = {}) {
      const trust = await TrustStore.open(dir, { clock: clockAt(T0) });
      if (trust.trust === undefined) await trust.provision(trustBytes);
      const client = await mqtt.connectAsync(broker.url, { clientId: `agent-${clients.length}` });
      clients.push(client);
      const reporter = new RecordingReporter();
      const started = Date.now();
      const agent = await Agent.start({
        dataDir: dir,
        identity: DEVICE,
        agentVersion: '0.1.0',
        trust,
        bus: busFromClient(client),
        reporter,
        fetcher,
        hardware: { clock: systemTime },
        probation: FAST_PROBATION,
        now: () => T0 * 1000 + (Date.now() - started),
        ...over,
      });
      agents.push(agent);
      return { agent, reporter, client, trust };
    },
    async close() {
      for (const a of agents) await a.close().catch(() => undefined);
      for (const c of clients) await c.endAsync(true).catch(() => undefined);
      await broker.close();
      await removeDir(dir);
    },
  };
  return world;
}

/** Polls until `check` returns a value other than undefined, or throws after `ms` with `what`. */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
