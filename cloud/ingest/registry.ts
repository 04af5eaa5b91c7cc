// The cloud's fleet registry ingest: takes every device's status, presence, events, telemetry and logs off the broker,
// decodes them, and writes what they say into the cloud's store, one device's messages in the order they arrived.
// It does not decide anything (rollouts read the store), and it never throws on what a device sends.

import type { MessageBus } from '../../agent/session/bus.ts';
import { decodeEvent, type DeviceEvent } from '../../schemas/messages/event.ts';
import { decodeLogBatch, type LogBatch, type LogEntry } from '../../schemas/messages/log.ts';
import { decodePresence, type Presence } from '../../schemas/messages/presence.ts';
import { decodeStatus, type ModuleStatus, type Status } from '../../schemas/messages/status.ts';
import { decodeTelemetry, type Telemetry } from '../../schemas/messages/telemetry.ts';
import { parseTopic, TOPIC_ROOT, TOPICS } from '../../schemas/topics.ts';
import { StoreError } from '../store/errors.ts';
import type { CloudStore } from '../store/store.ts';
import type { ModuleStatusRecord } from '../store/types.ts';
import { EventDeduplicator } from './dedup.ts';

/** The per-device topics ingest reads. */
export const INGESTED_TOPICS = ['status', 'presence', 'events', 'telemetry', 'logs'] as const;
export type IngestedTopic = (typeof INGESTED_TOPICS)[number];

export interface RegistryIngestOptions {
  /** The cloud's clock (ms since the epoch): when a report was received; default Date.now. */
  readonly now?: () => number;
  /** Log lines kept per device and module (newest last); default 50. */
  readonly logLinesPerModule?: number;
  /** Devices whose log rings are kept (least recently heard from is forgotten first); default 10,000. */
  readonly maxLogDevices?: number;
  /** Told of every message dropped as malformed or mismatched and every store failure; default: nothing. */
  readonly onProblem?: (problem: RegistryIngestError) => void;
}

/** Stable reasons a message was dropped (tests match on them; never rename one). */
export type RegistryIngestErrorCode = 'bad-topic' | 'malformed' | 'device-mismatch' | 'store-failed';

/** A message ingest dropped, and why; `topic` says where it came from. */
export class RegistryIngestError extends Error {
  override readonly name = 'RegistryIngestError';
  constructor(
    readonly code: RegistryIngestErrorCode,
    readonly topic: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Dropped the message on "${topic}": ${detail}`, options);
  }
}

/** Counters since start; every message received ends in exactly one outcome counter once `processed` counts it. */
export interface RegistryIngestStats {
  received: number;
  processed: number;
  /** Topic not a device's ingested topic (a stray publish under the namespace). */
  badTopic: number;
  /** Payload that does not decode as its topic's message. */
  malformed: number;
  /** Payload naming another device than its topic (a device may only speak for itself). */
  deviceMismatch: number;
  /** Empty retained payloads (a cleared status or presence): nothing to store. */
  cleared: number;
  statuses: number;
  /** Status older than or equal to one already accepted (acceptReport false). */
  statusesStale: number;
  presences: number;
  /** Offline wills of a session other than the one the device last said online with, and outdated onlines. */
  presencesIgnored: number;
  /** Presence of a device the store does not know yet: applied after its first status. */
  presencesDeferred: number;
  events: number;
  eventsDuplicate: number;
  telemetryReports: number;
  telemetryDuplicate: number;
  logBatches: number;
  /** Reports of a retired device (the store refuses them). */
  retired: number;
  /** Store calls that failed (a database problem): the message is lost, the next one is tried. */
  storeFailures: number;
}

const zeroStats = (): RegistryIngestStats => ({
  received: 0, processed: 0, badTopic: 0, malformed: 0, deviceMismatch: 0, cleared: 0, statuses: 0, statusesStale: 0,
  presences: 0, presencesIgnored: 0, presencesDeferred: 0, events: 0, eventsDuplicate: 0, telemetryReports: 0,
  telemetryDuplicate: 0, logBatches: 0, retired: 0, storeFailures: 0,
});

/** Telemetry points of the agent itself (a report without `module`) are stored under this module name. */
export const AGENT_MODULE = '';

type Decoded =
  | { readonly kind: 'status'; readonly m: Status }
  | { readonly kind: 'presence'; readonly m: Presence }
  | { readonly kind: 'events'; readonly m: DeviceEvent }
  | { readonly kind: 'telemetry'; readonly m: Telemetry }
  | { readonly kind: 'logs'; readonly m: LogBatch };

const DECODERS: Record<IngestedTopic, (b: Uint8Array) => Decoded> = {
  status: (b) => ({ kind: 'status', m: decodeStatus(b) }),
  presence: (b) => ({ kind: 'presence', m: decodePresence(b) }),
  events: (b) => ({ kind: 'events', m: decodeEvent(b) }),
  telemetry: (b) => ({ kind: 'telemetry', m: decodeTelemetry(b) }),
  logs: (b) => ({ kind: 'logs', m: decodeLogBatch(b) }),
};

const isIngested = (name: string): name is IngestedTopic => (INGESTED_TOPICS as readonly string[]).includes(name);

/** What the module's health is, from the state the agent reports (the status message has no separate health). */
function healthOf(m: ModuleStatus): string {
  if (m.errorCode !== undefined) return m.errorCode;
  if (m.state === 'running') return 'ok';
  if (m.state === 'probation') return 'probation';
  if (m.state === 'failed') return 'failed';
  return 'unknown';
}

const formatLog = (e: LogEntry): string => `${new Date(e.timeMs).toISOString()} ${e.level} ${e.text}`;

export class RegistryIngest {
  readonly #store: CloudStore;
  readonly #now: () => number;
  readonly #logLines: number;
  readonly #maxLogDevices: number;
  readonly #onProblem: (p: RegistryIngestError) => void;
  readonly #stats = zeroStats();
  /** Tail of each device's chain of writes; removed when the chain drains. */
  readonly #chains = new Map<string, Promise<void>>();
  /** The session each device last said online with. */
  readonly #sessions = new Map<string, { readonly sessionId: string; readonly sinceMs: number }>();
  /** Presence of devices the store did not know yet, applied after their first status. */
  readonly #deferred = new Map<string, boolean>();
  /** Recent log lines per device (Map order is recency), then per module. */
  readonly #logs = new Map<string, Map<string, LogEntry[]>>();
  readonly #telemetryIds = new EventDeduplicator({ perDevice: 1024, maxDevices: 100_000 });
  #unsubscribes: (() => Promise<void>)[] = [];
  #stopped = false;

  private constructor(store: CloudStore, options: RegistryIngestOptions) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#logLines = options.logLinesPerModule ?? 50;
    this.#maxLogDevices = options.maxLogDevices ?? 10_000;
    this.#onProblem = options.onProblem ?? (() => {});
    for (const [k, v] of [['logLinesPerModule', this.#logLines], ['maxLogDevices', this.#maxLogDevices]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`Invalid registry ingest option ${k} = ${v}: need an integer >= 1`);
    }
  }

  /**
   * Subscribes to every device's ingested topics (`fleetlet/v1/dev/+/<suffix>`) and starts writing to `store`.
   * @throws RangeError for a bad option; whatever `bus.subscribe` throws
   */
  static async start(bus: MessageBus, store: CloudStore, options: RegistryIngestOptions = {}): Promise<RegistryIngest> {
    const ingest = new RegistryIngest(store, options);
    try {
      for (const name of INGESTED_TOPICS) {
        ingest.#unsubscribes.push(await bus.subscribe(`${TOPIC_ROOT}/dev/+/${TOPICS[name].suffix}`, (payload, topic) => ingest.#receive(payload, topic)));
      }
    } catch (e) {
      await ingest.stop();
      throw e;
    }
    return ingest;
  }

  /** A snapshot of the counters. */
  get stats(): Readonly<RegistryIngestStats> {
    return { ...this.#stats };
  }

  /** The last log lines of one module of one device (newest last), as far as this process has heard them. */
  recentLogs(deviceId: string, module: string): readonly LogEntry[] {
    return [...(this.#logs.get(deviceId)?.get(module) ?? [])];
  }

  /** Resolves once every message received so far is written (or dropped). */
  async idle(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  /** Unsubscribes and waits for the writes under way; messages still arriving are dropped. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const subs = this.#unsubscribes;
    this.#unsubscribes = [];
    for (const u of subs) await u().catch(() => {});
    await this.idle();
  }

  #problem(code: RegistryIngestErrorCode, topic: string, detail: string, cause?: unknown): void {
    try {
      this.#onProblem(new RegistryIngestError(code, topic, detail, cause === undefined ? undefined : { cause }));
    } catch {
      // a listener's bug never stops ingest
    }
  }

  /** Decodes on the bus's callback (never throws) and queues the write behind the device's earlier ones. */
  #receive(payload: Uint8Array, topic: string): void {
    if (this.#stopped) return;
    this.#stats.received++;
    const done = (): void => { this.#stats.processed++; };
    let deviceId: string;
    let name: IngestedTopic | undefined;
    try {
      const parsed = parseTopic(topic);
      deviceId = parsed.deviceId;
      if (isIngested(parsed.name)) name = parsed.name;
    } catch (e) {
      this.#stats.badTopic++;
      this.#problem('bad-topic', topic, e instanceof Error ? e.message : String(e), e);
      return done();
    }
    if (name === undefined) {
      this.#stats.badTopic++;
      this.#problem('bad-topic', topic, 'not a topic ingest reads');
      return done();
    }
    if (payload.length === 0) {
      this.#stats.cleared++;
      return done();
    }
    let decoded: Decoded;
    try {
      // decoders read the bytes now: the bus may reuse its buffer after this callback
      decoded = DECODERS[name](payload);
    } catch (e) {
      this.#stats.malformed++;
      this.#problem('malformed', topic, e instanceof Error ? e.message : String(e), e);
      return done();
    }
    if (decoded.m.deviceId !== deviceId) {
      this.#stats.deviceMismatch++;
      this.#problem('device-mismatch', topic, `the payload names device "${decoded.m.deviceId}"`);
      return done();
    }
    const atMs = this.#now();
    const prev = this.#chains.get(deviceId) ?? Promise.resolve();
    const next = prev
      .then(() => this.#apply(deviceId, decoded, atMs))
      .catch((e: unknown) => {
        if (e instanceof StoreError && e.code === 'retired') {
          this.#stats.retired++;
          return;
        }
        this.#stats.storeFailures++;
        this.#problem('store-failed', topic, e instanceof Error ? e.message : String(e), e);
      })
      .finally(() => {
        done();
        if (this.#chains.get(deviceId) === next) this.#chains.delete(deviceId);
      });
    this.#chains.set(deviceId, next);
  }

  async #apply(deviceId: string, d: Decoded, atMs: number): Promise<void> {
    switch (d.kind) {
      case 'status': return this.#status(deviceId, d.m, atMs);
      case 'presence': return this.#presence(deviceId, d.m, atMs);
      case 'events': return this.#event(deviceId, d.m);
      case 'telemetry': return this.#telemetry(deviceId, d.m);
      case 'logs': return this.#logBatch(deviceId, d.m);
    }
  }

  async #status(deviceId: string, m: Status, atMs: number): Promise<void> {
    let accepted: boolean;
    try {
      accepted = await this.#store.acceptReport(deviceId, m.seq, atMs);
    } catch (e) {
      if (!(e instanceof StoreError && e.code === 'not-found')) throw e;
      // a device's first report: register it, then number the report
      await this.#store.upsertDevice({ deviceId, deviceClass: m.deviceClass, atMs });
      accepted = await this.#store.acceptReport(deviceId, m.seq, atMs);
    }
    if (!accepted) {
      this.#stats.statusesStale++;
      return;
    }
    const schemaVersions: Record<string, number> = {};
    for (const [msg, versions] of Object.entries(m.supportedVersions)) schemaVersions[msg] = Math.max(...versions);
    await this.#store.upsertDevice({ deviceId, deviceClass: m.deviceClass, agentVersion: m.agentVersion, schemaVersions, atMs });
    for (const mod of m.modules) await this.#store.putModuleStatus(this.#moduleRecord(deviceId, mod, atMs));
    this.#stats.statuses++;
    const deferred = this.#deferred.get(deviceId);
    if (deferred !== undefined) {
      this.#deferred.delete(deviceId);
      await this.#store.setPresence(deviceId, deferred, atMs);
    }
  }

  #moduleRecord(deviceId: string, mod: ModuleStatus, atMs: number): ModuleStatusRecord {
    return {
      deviceId,
      module: mod.name,
      version: mod.version,
      state: mod.state,
      health: healthOf(mod),
      ...(mod.metrics === undefined ? {} : { fuelPerTick: mod.metrics.fuelPerTick, memoryHighWater: mod.metrics.memoryHighWaterPages }),
      traps: mod.metrics?.traps ?? 0,
      recentLogs: (this.#logs.get(deviceId)?.get(mod.name) ?? []).map(formatLog),
      updatedAtMs: atMs,
    };
  }

  async #presence(deviceId: string, p: Presence, atMs: number): Promise<void> {
    const known = this.#sessions.get(deviceId);
    if (p.state === 'online') {
      if (known !== undefined && known.sessionId !== p.sessionId && p.sinceMs < known.sinceMs) {
        this.#stats.presencesIgnored++;
        return;
      }
      this.#sessions.set(deviceId, { sessionId: p.sessionId, sinceMs: p.sinceMs });
    } else if (known !== undefined && known.sessionId !== p.sessionId) {
      // the Last Will of an older session, published after the device came back (agent/session/DESIGN.md)
      this.#stats.presencesIgnored++;
      return;
    }
    const online = p.state === 'online';
    try {
      await this.#store.setPresence(deviceId, online, atMs);
      this.#stats.presences++;
    } catch (e) {
      if (!(e instanceof StoreError && e.code === 'not-found')) throw e;
      this.#deferred.set(deviceId, online);
      this.#stats.presencesDeferred++;
    }
  }

  async #event(deviceId: string, e: DeviceEvent): Promise<void> {
    const data = {
      severity: e.severity,
      ...(e.module === undefined ? {} : { module: e.module }),
      ...(e.code === undefined ? {} : { code: e.code }),
      ...(e.message === undefined ? {} : { message: e.message }),
      attributes: e.attributes,
    };
    const fresh = await this.#store.addEvent({ deviceId, eventId: e.id, kind: e.type, atMs: e.timeMs, data });
    if (fresh) this.#stats.events++;
    else this.#stats.eventsDuplicate++;
  }

  async #telemetry(deviceId: string, t: Telemetry): Promise<void> {
    if (!this.#telemetryIds.accept(deviceId, t.id)) {
      this.#stats.telemetryDuplicate++;
      return;
    }
    const module = t.module ?? AGENT_MODULE;
    await this.#store.addTelemetry(t.points.map((p) => ({ deviceId, module, metric: p.name, atMs: p.timeMs ?? t.timeMs, value: p.value })));
    this.#stats.telemetryReports++;
  }

  async #logBatch(deviceId: string, b: LogBatch): Promise<void> {
    let modules = this.#logs.get(deviceId);
    if (modules === undefined) {
      modules = new Map();
      if (this.#logs.size >= this.#maxLogDevices) {
        const oldest = this.#logs.keys().next().value;
        if (oldest !== undefined) this.#logs.delete(oldest);
      }
    } else {
      this.#logs.delete(deviceId);
    }
    this.#logs.set(deviceId, modules);
    const ring = [...(modules.get(b.module) ?? []), ...b.entries].slice(-this.#logLines);
    modules.set(b.module, ring);
    this.#stats.logBatches++;
    // the store keeps a module's recent lines with its status: refresh them when the module has a status row
    const rows = await this.#store.listModuleStatus(deviceId);
    const row = rows.find((r) => r.module === b.module);
    if (row !== undefined) await this.#store.putModuleStatus({ ...row, recentLogs: ring.map(formatLog) });
  }
}
