// fleetlet's device agent: turns the verified desired state into running modules and never leaves the device running
// nothing. It boots the update machine (finishing whatever a crash interrupted) before any app starts, starts every
// installed app, then follows the desired-state, trust and command topics: each new state is verified (signature,
// device, expiry, floor) before a manifest is fetched, its manifests before a module byte is fetched, and carried out
// one module at a time through the update machine, whose health gate watches the new version and rolls it back.

import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCbor, encodeCbor } from '../schemas/cbor/index.ts';
import { decodeCommand, encodeCommandResult, type Command, type CommandResult } from '../schemas/messages/command.ts';
import { desiredStateMessage, type DesiredState } from '../schemas/messages/desired-state.ts';
import type { DeviceEvent } from '../schemas/messages/event.ts';
import type { LogBatch, LogEntry } from '../schemas/messages/log.ts';
import type { ModuleState, ModuleStatus, Status } from '../schemas/messages/status.ts';
import type { Telemetry, TelemetryPoint } from '../schemas/messages/telemetry.ts';
import { SUPPORTED_VERSIONS } from '../schemas/messages/registry.ts';
import { appTopic, topicFor } from '../schemas/topics.ts';
import type { HostDevice } from './host/config.ts';
import type { LogLine } from './host/log-lines.ts';
import type { AppReport } from './host/app-report.ts';
import { planReconcile, type InstalledModule, type PlanStep, type WantedModule } from './reconcile/plan.ts';
import { ProbationGate, type ProbationPolicy } from './runtime/probation.ts';
import { ModuleSupervisor } from './runtime/supervisor.ts';
import type { MessageBus } from './session/bus.ts';
import { readFileIfExists, writeFileAtomic } from './update/atomic-file.ts';
import { decodeSign1 } from './update/cose.ts';
import { isRejected } from './update/rejection.ts';
import { NotRetried, UpdateMachine } from './update/slots/machine.ts';
import type { StateRecord } from './update/slots/record.ts';
import type { TrustStore } from './update/trust-store.ts';
import type { DeviceIdentity, VerifiedManifest } from './update/verify.ts';
import { manifestDigest } from './update/verify.ts';
import { APPS_DIR } from './update/slots/slot-store.ts';
import { kvFile } from './host/kv-store.ts';

/** Where module and manifest bytes come from (the chunk client over MQTT; a directory in tools). */
export interface ModuleFetcher {
  /** A signed manifest by the SHA-256 of its bytes (checked by the fetcher). */
  fetchManifest(digest: Uint8Array): Promise<Uint8Array>;
  /** A module by its SHA-256 and signed size (checked by the fetcher; never more than `size` bytes accepted). */
  fetchModule(digest: Uint8Array, size: number): Promise<Uint8Array>;
}

/** Where the agent's reports go (the session: status retained latest-only, events through the persisted outbox). */
export interface Reporter {
  status(s: Status): void;
  event(e: DeviceEvent): void;
  telemetry(t: Telemetry): void;
  logs(b: LogBatch): void;
}

export type AgentLogLevel = 'debug' | 'info' | 'warn' | 'error';
/** The agent's own structured log (the CLI prints one JSON object per line). */
export type AgentLog = (level: AgentLogLevel, msg: string, fields?: Readonly<Record<string, unknown>>) => void;

export interface AgentOptions {
  readonly dataDir: string;
  readonly identity: DeviceIdentity;
  readonly agentVersion: string;
  readonly trust: TrustStore;
  readonly bus: MessageBus;
  readonly reporter: Reporter;
  readonly fetcher: ModuleFetcher;
  /** The hardware (sensors, GPIO, serial) and clock the apps use; the agent adds dataDir, logs and publisher. */
  readonly hardware: Omit<HostDevice, 'dataDir' | 'logs' | 'publisher'>;
  /** The device policy: capabilities granted (undefined grants what manifests declare). */
  readonly grants?: readonly string[];
  readonly probation?: Partial<ProbationPolicy>;
  /** Wall clock, ms (default Date.now). */
  readonly now?: () => number;
  readonly statusIntervalMs?: number;
  readonly telemetryIntervalMs?: number;
  readonly logFlushMs?: number;
  /** Delay before a failed desired state is tried again (grows to 5 minutes). */
  readonly retryMs?: number;
  readonly log?: AgentLog;
}

/** What the agent shows of one module (status and tests read it). */
export interface ModuleView {
  name: string;
  version: string;
  sequence: number;
  manifestDigest: string;
  state: ModuleState;
  errorCode?: string;
  detail?: string;
}

interface TargetState {
  readonly bytes: Uint8Array;
  readonly state: DesiredState;
  /** Verified manifests by module name. */
  readonly manifests: ReadonlyMap<string, VerifiedManifest>;
}

const DESIRED_FILE = 'desired.cbor';
const BOOT_FILE = 'boot.json';
const MANIFEST_CACHE = 'manifests';
const MAX_MANIFEST_BYTES = 64 * 1024;
const RECENT_LOG_LINES = 50;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 500);
// Not unref'd: the health gate's waits are work in progress (an offline install has nothing else keeping the process up).
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Agent {
  readonly machine: UpdateMachine;
  readonly supervisor: ModuleSupervisor;
  readonly gate: ProbationGate;
  private readonly views = new Map<string, ModuleView>();
  private target: TargetState | undefined;
  private appliedSequence: number | undefined;
  private pending: Uint8Array | undefined;
  private lastSeen: Uint8Array | undefined;
  private working: Promise<void> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryDelay: number;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly unsubscribe: (() => Promise<void>)[] = [];
  private readonly logBuffers = new Map<string, { entries: LogEntry[]; dropped: number; seq: number; recent: LogLine[] }>();
  private readonly seenCommands: string[] = [];
  private readonly restartTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly startedAt: number;
  private eventCounter = 0;
  private bootCount = 0;
  private reports = 0;
  private readonly bootId = randomBytes(6).toString('hex');
  private closed = false;
  private readonly now: () => number;
  private readonly log: AgentLog;
  private statusQueued = false;
  /** The installs done since start, newest last (tests and the bench read them). */
  readonly installs: { app: string; version: string; outcome: string; reason: string; atMs: number }[] = [];

  private constructor(private readonly o: AgentOptions, machine: UpdateMachine, supervisor: ModuleSupervisor, gate: ProbationGate) {
    this.machine = machine;
    this.supervisor = supervisor;
    this.gate = gate;
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => {});
    this.startedAt = this.now();
    this.retryDelay = o.retryMs ?? 5_000;
  }

  /**
   * Opens the data directory, finishes any interrupted update (`boot`), starts every installed app, then subscribes
   * to the device's desired state, trust and command topics.
   * @throws RecordCorrupt when the update state cannot be read (the agent does not guess where it was)
   */
  static async start(o: AgentOptions): Promise<Agent> {
    const now = o.now ?? Date.now;
    let agentRef: Agent | undefined;
    const device: HostDevice = {
      ...o.hardware,
      dataDir: o.dataDir,
      logs: { write: (line) => agentRef?.onLogLine(line) },
      publisher: { publish: (m) => agentRef?.onAppPublish(m.app, m.subtopic, m.payload) },
    };
    let machineRef: UpdateMachine | undefined;
    const supervisor = new ModuleSupervisor({
      slots: () => machineRef!.store,
      device,
      ...(o.grants === undefined ? {} : { grants: o.grants }),
      onEnd: (r) => agentRef?.onAppEnded(r),
    });
    const gate = new ProbationGate(
      {
        ensureRunning: async (app) => {
          if (supervisor.isRunning(app)) return undefined;
          const ok = await supervisor.start(app, agentRef?.settingsFor(app) ?? {});
          return ok ? undefined : supervisor.get(app)?.startError ?? 'it has no active slot';
        },
        report: (app) => supervisor.report(app),
        health: (app) => supervisor.runner.health(app),
        tickPeriodMs: (app) => supervisor.get(app)?.manifest.limits.tickPeriodMs ?? 1_000,
        now,
        sleep,
        closing: () => agentRef?.isClosed ?? false,
      },
      o.probation,
    );
    const machine = await UpdateMachine.open({
      dataDir: o.dataDir,
      trust: o.trust,
      device: o.identity,
      health: gate,
      clock: () => Math.floor(now() / 1000),
      kvPath: (app) => kvFile(o.dataDir, app),
      onTransition: (from, event, to, rec) => agentRef?.onTransition(from, event, to, rec),
    });
    machineRef = machine;
    const agent = new Agent(o, machine, supervisor, gate);
    agentRef = agent;
    await agent.boot();
    return agent;
  }

  private async boot(): Promise<void> {
    this.bootCount = await this.countBoot();
    const rec = await this.machine.boot();
    if (rec.reason !== '' && rec.outcome !== 'no-failures') this.log('warn', 'an interrupted update was finished at boot', { app: rec.app, outcome: rec.outcome, reason: rec.reason });
    this.target = await this.loadTarget();
    for (const name of await this.installedNames()) await this.startInstalled(name);
    this.supervisor.startLoop();
    const id = this.o.identity.deviceId;
    this.unsubscribe.push(await this.o.bus.subscribe(topicFor('desiredState', id), (p) => this.onDesiredState(p)));
    this.unsubscribe.push(await this.o.bus.subscribe(topicFor('trust', id), (p) => void this.onTrust(p)));
    this.unsubscribe.push(await this.o.bus.subscribe(topicFor('command', id), (p) => void this.onCommand(p)));
    const every = (ms: number | undefined, fn: () => void): void => {
      if (ms === undefined || ms <= 0) return;
      const t = setInterval(fn, ms);
      t.unref?.();
      this.timers.push(t);
    };
    every(this.o.statusIntervalMs ?? 60_000, () => this.publishStatus());
    every(this.o.telemetryIntervalMs ?? 30_000, () => this.publishTelemetry());
    every(this.o.logFlushMs ?? 2_000, () => this.flushLogs());
    this.o.bus.onConnectionChange((online) => {
      if (online) this.publishStatus();
    });
    this.publishStatus();
  }

  /** Counts this start in `boot.json` (one durable write per start): the high half of every status `seq`. */
  private async countBoot(): Promise<number> {
    const file = join(this.o.dataDir, BOOT_FILE);
    let n = 0;
    try {
      const bytes = await readFileIfExists(file);
      if (bytes !== undefined) n = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { boots?: unknown }).boots as number;
    } catch {
      n = 0;
    }
    n = Number.isSafeInteger(n) && n >= 0 && n < 2 ** 20 ? n + 1 : 1;
    await writeFileAtomic(file, Buffer.from(JSON.stringify({ boots: n })));
    return n;
  }

  // ---- what runs ----

  private async installedNames(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(join(this.o.dataDir, APPS_DIR));
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const n of names.sort()) {
      try {
        if ((await this.machine.store.pointer(n)).active !== null) out.push(n);
      } catch (e) {
        this.log('error', 'cannot read an app pointer', { app: n, error: message(e) });
      }
    }
    return out;
  }

  private async installed(): Promise<InstalledModule[]> {
    const out: InstalledModule[] = [];
    for (const name of await this.installedNames()) {
      const { active } = await this.machine.store.pointer(name);
      const record = await this.machine.store.slotRecord(name, active!);
      const sup = this.supervisor.get(name);
      out.push({ name, manifestDigest: record.manifestDigest, settings: this.supervisor.isRunning(name) && sup !== undefined ? sup.settings : undefined });
    }
    return out;
  }

  /** Settings for an app: from the desired state being applied, else none. */
  settingsFor(app: string): Readonly<Record<string, string>> {
    return this.target?.state.modules.find((m) => m.name === app)?.settings ?? {};
  }

  private async startInstalled(name: string): Promise<void> {
    const ok = await this.supervisor.start(name, this.settingsFor(name));
    const sup = this.supervisor.get(name);
    if (sup === undefined) return;
    const slot = await this.machine.store.slotRecord(name, (await this.machine.store.pointer(name)).active!).catch(() => undefined);
    this.setView(name, {
      version: sup.manifest.version, sequence: sup.manifest.sequence, manifestDigest: sup.manifestDigest,
      state: ok ? (slot?.status === 'good' ? 'running' : 'probation') : 'failed',
      ...(ok ? {} : { errorCode: 'start-failed', detail: sup.startError ?? '' }),
    });
  }

  private setView(name: string, v: Omit<ModuleView, 'name'>): void {
    this.views.set(name, { name, ...v });
    this.queueStatus();
  }

  private patchView(name: string, patch: { [K in keyof ModuleView]?: ModuleView[K] | undefined }): void {
    const v = this.views.get(name);
    if (v === undefined) return;
    const next = { ...v, ...patch } as ModuleView;
    if (patch.errorCode === undefined && 'errorCode' in patch) delete next.errorCode;
    if (patch.detail === undefined && 'detail' in patch) delete next.detail;
    this.views.set(name, next);
    this.queueStatus();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** What the agent shows of each module now. */
  modules(): ModuleView[] {
    return [...this.views.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private onAppEnded(r: AppReport): void {
    if (this.closed) return;
    const v = this.views.get(r.name);
    const e = r.lastError;
    const detail = e === undefined ? `the module ${r.state}` : `${e.reason}${e.kind === undefined ? '' : ` ${e.kind}`} in ${e.phase}: ${e.message}`;
    this.emit({ type: 'module.ended', severity: r.state === 'failed' ? 'error' : 'warning', module: r.name, message: detail.slice(0, 1000), attributes: { state: r.state } });
    if (v === undefined || v.state === 'probation' || this.machine.record.app === r.name) return; // the health gate judges it
    this.patchView(r.name, { state: 'failed', errorCode: 'module-failed', detail: detail.slice(0, 512) });
    this.scheduleRestart(r.name);
  }

  /** A module that fails after it was marked good is restarted with a growing delay (1 s doubling to 5 min). */
  private scheduleRestart(name: string): void {
    if (this.restartTimers.has(name) || this.closed) return;
    const restarts = this.supervisor.get(name)?.restarts ?? 0;
    const delay = Math.min(300_000, 1_000 * 2 ** Math.min(restarts, 9));
    const t = setTimeout(() => {
      this.restartTimers.delete(name);
      if (this.closed || this.machine.record.state !== 'idle') return;
      void this.startInstalled(name);
    }, delay);
    t.unref?.();
    this.restartTimers.set(name, t);
  }

  // ---- desired state ----

  private onDesiredState(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    if (this.lastSeen !== undefined && Buffer.compare(Buffer.from(this.lastSeen), Buffer.from(bytes)) === 0 && this.pending === undefined) return;
    this.lastSeen = Uint8Array.from(bytes);
    this.pending = Uint8Array.from(bytes);
    this.kick();
  }

  private kick(): void {
    if (this.working !== undefined || this.closed) return;
    this.working = (async () => {
      while (this.pending !== undefined && !this.closed) {
        const bytes = this.pending;
        this.pending = undefined;
        try {
          await this.apply(bytes);
          this.retryDelay = this.o.retryMs ?? 5_000;
        } catch (e) {
          this.log('error', 'cannot apply the desired state', { error: message(e) });
          this.emit({ type: 'state.failed', severity: 'error', code: isRejected(e) ? e.code : 'apply-failed', message: message(e), attributes: {} });
          this.retryLater(bytes);
        }
      }
    })().finally(() => {
      this.working = undefined;
    });
  }

  private retryLater(bytes: Uint8Array): void {
    if (this.closed || this.retryTimer !== undefined) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(300_000, this.retryDelay * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.pending === undefined) this.pending = bytes;
      this.kick();
    }, delay);
    this.retryTimer.unref?.();
  }

  /** Waits until every desired state received so far has been carried out (tests). */
  async idle(): Promise<void> {
    while (this.working !== undefined) await this.working;
  }

  private async apply(bytes: Uint8Array): Promise<void> {
    const id = this.o.identity;
    let opened;
    try {
      opened = this.o.trust.openDesiredState(bytes, id);
    } catch (e) {
      // Whatever these bytes are (not CBOR, not COSE, not signed by a key we trust), only another state can change the
      // answer: refused, never retried, nothing fetched.
      const code = isRejected(e) ? e.code : 'malformed';
      this.log('warn', 'desired state refused', { code, error: message(e) });
      this.emit({ type: 'state.refused', severity: 'warning', code, message: message(e), attributes: {} });
      return;
    }
    const { state } = opened;
    if (this.appliedSequence !== undefined && state.sequence === this.appliedSequence && this.target !== undefined && Buffer.compare(Buffer.from(this.target.bytes), Buffer.from(bytes)) === 0) return;
    const signed: Uint8Array[] = [];
    for (const m of state.modules) signed.push(await this.manifestBytes(m.manifestDigest));
    let verified;
    try {
      verified = this.o.trust.verifyDesiredState(bytes, signed, id);
    } catch (e) {
      if (!isRejected(e)) throw e;
      this.emit({ type: 'state.refused', severity: 'warning', code: e.code, message: e.message, attributes: {} });
      return;
    }
    for (const v of verified.manifests) await this.cacheManifest(v);
    const previous = this.target;
    const manifests = new Map(verified.manifests.map((v) => [v.manifest.name, v]));
    this.target = { bytes: verified.signed, state, manifests };
    await writeFileAtomic(join(this.o.dataDir, DESIRED_FILE), encodeCbor({ v: 1, state: verified.signed }));
    // A changed desired state for an app lets a version that failed be tried again (the machine forgets it).
    for (const m of state.modules) {
      const before = previous?.state.modules.find((p) => p.name === m.name);
      if (before === undefined || hex(before.manifestDigest) !== hex(m.manifestDigest)) await this.machine.forgetFailures(m.name);
    }
    this.log('info', 'applying desired state', { sequence: state.sequence, modules: state.modules.map((m) => m.name) });
    const wanted: WantedModule[] = state.modules.map((m) => ({ name: m.name, manifestDigest: hex(m.manifestDigest), settings: m.settings }));
    const failed = new Set(this.machine.record.failedTargets.map((f) => f.manifestDigest));
    const steps = planReconcile(wanted, await this.installed(), failed);
    for (const step of steps) {
      if (this.closed) return;
      await this.carryOut(step);
    }
    await this.o.trust.commitDesiredState(state.sequence, state.issuedAt);
    this.appliedSequence = state.sequence;
    this.emit({ type: 'state.applied', severity: 'info', message: `desired state ${state.sequence} applied`, attributes: { sequence: String(state.sequence) } });
    this.publishStatus();
  }

  private async carryOut(step: PlanStep): Promise<void> {
    const name = step.name;
    switch (step.op) {
      case 'keep':
        return;
      case 'remove': {
        await this.supervisor.forget(name);
        await this.machine.store.setPointer(name, null, null);
        await rm(this.machine.store.appDir(name), { recursive: true, force: true });
        await rm(kvFile(this.o.dataDir, name), { force: true });
        this.views.delete(name);
        this.emit({ type: 'module.removed', severity: 'info', module: name, attributes: {} });
        this.queueStatus();
        return;
      }
      case 'restart': {
        const ok = await this.supervisor.start(name, step.wanted.settings);
        const sup = this.supervisor.get(name);
        if (sup !== undefined) this.patchView(name, ok ? { state: this.views.get(name)?.state === 'probation' ? 'probation' : 'running', errorCode: undefined, detail: undefined } : { state: 'failed', errorCode: 'start-failed', detail: sup.startError ?? '' });
        this.emit({ type: 'module.settings', severity: 'info', module: name, message: 'restarted with new settings', attributes: {} });
        return;
      }
      case 'skip-failed': {
        const f = this.machine.record.failedTargets.find((t) => t.manifestDigest === step.wanted.manifestDigest);
        const v = this.target?.manifests.get(name)?.manifest;
        if (!this.views.has(name) && v !== undefined) this.setView(name, { version: v.version, sequence: v.sequence, manifestDigest: step.wanted.manifestDigest, state: 'failed' });
        this.patchView(name, { errorCode: 'not-retried', detail: `${v?.version ?? ''} failed before: ${f?.reason ?? ''}`.slice(0, 512) });
        return;
      }
      case 'install':
        return this.install(step.wanted, step.update);
    }
  }

  private async install(w: WantedModule, update: boolean): Promise<void> {
    const vm = this.target!.manifests.get(w.name)!;
    const m = vm.manifest;
    const name = w.name;
    const shown = this.views.get(name);
    if (!update || shown === undefined) this.setView(name, { version: m.version, sequence: m.sequence, manifestDigest: w.manifestDigest, state: 'downloading' });
    else this.patchView(name, { detail: `downloading ${m.version}` });
    this.emit({ type: 'update.started', severity: 'info', module: name, message: `installing ${m.version}`, attributes: { version: m.version, sequence: String(m.sequence) } });
    let module: Uint8Array;
    try {
      module = await this.o.fetcher.fetchModule(m.digest, m.size);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      const c = typeof code === 'string' && /^[a-z][a-z0-9-]{0,63}$/.test(code) ? code : 'download-failed';
      this.emit({ type: 'download.failed', severity: 'error', module: name, code: c, message: message(e), attributes: { version: m.version } });
      if (update && shown !== undefined) this.patchView(name, { errorCode: c, detail: `${m.version} not downloaded: ${message(e)}` });
      else this.patchView(name, { state: 'failed', errorCode: c, detail: message(e) });
      throw e;
    }
    await this.installModule(vm, module, w.settings);
  }

  /**
   * Installs a bundle file with no network (`fleetlet agent install`): the same verification, slot writes, commit,
   * probation and rollback as an update from the desired state. Resolves with the final view of the module.
   * @throws UpdateRejected when the bundle is malformed or its manifest is refused; NotRetried
   */
  async installBundle(bytes: Uint8Array): Promise<ModuleView | undefined> {
    const { verified, module } = await this.o.trust.verifyBundle(bytes, this.o.identity);
    const m = verified.manifest;
    if (!this.views.has(m.name)) this.setView(m.name, { version: m.version, sequence: m.sequence, manifestDigest: hex(verified.digest), state: 'starting' });
    this.emit({ type: 'update.started', severity: 'info', module: m.name, message: `installing ${m.version} from a bundle file`, attributes: { version: m.version, sequence: String(m.sequence) } });
    await this.installModule(verified, module, this.settingsFor(m.name), true);
    return this.views.get(m.name);
  }

  private async installModule(vm: VerifiedManifest, module: Uint8Array, settings: Readonly<Record<string, string>>, rethrowNotRetried = false): Promise<void> {
    const m = vm.manifest;
    const name = m.name;
    const w = { name, manifestDigest: hex(vm.digest), settings };
    let rec: StateRecord;
    try {
      rec = await this.machine.install({ signedManifest: vm.signed, module });
    } catch (e) {
      if (e instanceof NotRetried && !rethrowNotRetried) return;
      throw e;
    }
    const good = rec.outcome === 'no-failures';
    this.installs.push({ app: name, version: m.version, outcome: rec.outcome, reason: rec.reason, atMs: this.now() });
    if (good) {
      if (!this.supervisor.isRunning(name)) await this.supervisor.start(name, w.settings);
      this.setView(name, { version: m.version, sequence: m.sequence, manifestDigest: w.manifestDigest, state: 'running' });
      this.emit({ type: 'update.good', severity: 'info', module: name, message: `${m.version} marked good`, attributes: { version: m.version } });
      return;
    }
    // Rolled back or refused: the active slot (if any) is the previous version; run it again.
    const running = await this.supervisor.start(name, this.settingsOfPrevious(name));
    const sup = this.supervisor.get(name);
    const rolled = rec.outcome === 'rollback-attempted' || rec.outcome === 'rollback-failed';
    const code = rolled ? 'health-failed' : 'update-failed';
    if (running && sup !== undefined) {
      this.setView(name, { version: sup.manifest.version, sequence: sup.manifest.sequence, manifestDigest: sup.manifestDigest, state: rolled ? 'rolled-back' : 'running', errorCode: code, detail: `${m.version}: ${rec.reason}`.slice(0, 512) });
    } else {
      this.setView(name, { version: m.version, sequence: m.sequence, manifestDigest: w.manifestDigest, state: 'failed', errorCode: code, detail: rec.reason.slice(0, 512) });
    }
    this.emit({ type: rolled ? 'update.rolled-back' : 'update.failed', severity: 'error', module: name, code, message: rec.reason.slice(0, 1000), attributes: { version: m.version } });
  }

  /** The settings the previous version ran with: the supervisor remembers them from its last start. */
  private settingsOfPrevious(name: string): Readonly<Record<string, string>> {
    return this.supervisor.get(name)?.settings ?? this.settingsFor(name);
  }

  private async onTransition(from: string, event: string, to: string, rec: StateRecord): Promise<void> {
    this.log('debug', 'update step', { app: rec.app, from, event, to });
    // The app must be stopped (its key-value store written) before the commit copies that store, and before a
    // rollback restores it, so neither copy is torn by a running module.
    if (to === 'written' || to === 'rollback') await this.supervisor.stop(rec.app);
    if (rec.app === '') return;
    if ((to === 'writing' || to === 'written') && this.views.get(rec.app)?.version === rec.version) this.patchView(rec.app, { state: 'starting' });
    if (to === 'probation' || to === 'committed') {
      this.setView(rec.app, { version: rec.version, sequence: rec.sequence, manifestDigest: rec.manifestDigest, state: 'probation' });
      if (to === 'committed') this.emit({ type: 'update.committed', severity: 'info', module: rec.app, message: `${rec.version} committed, on probation`, attributes: { version: rec.version } });
    }
  }

  private async manifestBytes(digest: Uint8Array): Promise<Uint8Array> {
    const h = hex(digest);
    const cached = await readFileIfExists(join(this.o.dataDir, MANIFEST_CACHE, `${h}.cose`));
    if (cached !== undefined && hex(manifestDigest(cached)) === h) return cached;
    for (const name of await this.installedNames()) {
      for (const slot of ['a', 'b'] as const) {
        const c = await this.machine.store.readSlot(name, slot).catch(() => undefined);
        if (c !== undefined && hex(manifestDigest(c.signedManifest)) === h) return c.signedManifest;
      }
    }
    const fetched = await this.o.fetcher.fetchManifest(digest);
    if (fetched.length > MAX_MANIFEST_BYTES || hex(manifestDigest(fetched)) !== h) throw new Error(`The manifest fetched for ${h} does not match its digest`);
    return fetched;
  }

  private async cacheManifest(v: VerifiedManifest): Promise<void> {
    await writeFileAtomic(join(this.o.dataDir, MANIFEST_CACHE, `${hex(v.digest)}.cose`), v.signed).catch(() => undefined);
  }

  private async loadTarget(): Promise<TargetState | undefined> {
    const bytes = await readFileIfExists(join(this.o.dataDir, DESIRED_FILE));
    if (bytes === undefined) return undefined;
    try {
      const rec = decodeCbor(bytes) as { v: number; state: Uint8Array };
      const state = desiredStateMessage.decode(decodeSign1(rec.state).payload);
      return { bytes: rec.state, state, manifests: new Map() };
    } catch (e) {
      this.log('error', 'the saved desired state cannot be read; settings start empty until the next one', { error: message(e) });
      return undefined;
    }
  }

  // ---- trust and commands ----

  private async onTrust(bytes: Uint8Array): Promise<void> {
    if (this.closed || bytes.length === 0) return;
    const current = this.o.trust.trust?.signed;
    if (current !== undefined && Buffer.compare(Buffer.from(current), Buffer.from(bytes)) === 0) return;
    try {
      const u = await this.o.trust.applyTrustUpdate(bytes);
      this.emit({ type: 'trust.updated', severity: 'info', message: `trust update ${u.sequence} applied`, attributes: { sequence: String(u.sequence) } });
      this.publishStatus();
    } catch (e) {
      this.emit({ type: 'trust.refused', severity: 'warning', code: isRejected(e) ? e.code : 'trust-failed', message: message(e), attributes: {} });
    }
  }

  private async onCommand(bytes: Uint8Array): Promise<void> {
    if (this.closed) return;
    let c: Command;
    try {
      c = decodeCommand(bytes);
    } catch (e) {
      this.log('warn', 'malformed command ignored', { error: message(e) });
      return;
    }
    if (this.seenCommands.includes(c.id)) return;
    this.seenCommands.push(c.id);
    if (this.seenCommands.length > 256) this.seenCommands.shift();
    const result = (status: CommandResult['status'], code?: string, msg?: string): void => {
      const r: CommandResult = { v: 1, id: c.id, deviceId: this.o.identity.deviceId, timeMs: this.now(), status, ...(code === undefined ? {} : { code }), ...(msg === undefined ? {} : { message: msg.slice(0, 1000) }) };
      this.o.bus.publish(topicFor('commandResult', this.o.identity.deviceId), encodeCommandResult(r), { qos: 1 }).catch(() => undefined);
    };
    if (c.deviceId !== this.o.identity.deviceId) return result('refused', 'wrong-device', `this is ${this.o.identity.deviceId}`);
    if (c.expiresAtMs <= this.now()) return result('expired');
    const a = c.action;
    try {
      switch (a.op) {
        case 'report-status':
          this.publishStatus();
          return result('ok');
        case 'resync':
          if (this.target !== undefined) {
            this.pending = this.target.bytes;
            this.appliedSequence = undefined;
            this.kick();
          }
          return result('ok');
        case 'restart-module':
        case 'start-module': {
          if (!this.views.has(a.module)) return result('failed', 'unknown-module', `no module "${a.module}"`);
          const ok = await this.supervisor.start(a.module, this.settingsFor(a.module));
          this.patchView(a.module, ok ? { state: 'running', errorCode: undefined, detail: undefined } : { state: 'failed', errorCode: 'start-failed' });
          return ok ? result('ok') : result('failed', 'start-failed', this.supervisor.get(a.module)?.startError);
        }
        case 'stop-module':
          if (!this.views.has(a.module)) return result('failed', 'unknown-module', `no module "${a.module}"`);
          await this.supervisor.stop(a.module);
          this.patchView(a.module, { state: 'stopped', errorCode: undefined, detail: 'stopped by an operator command' });
          return result('ok');
        case 'set-log-level':
          return result('refused', 'unsupported', 'log levels are not filtered on the device yet');
      }
    } catch (e) {
      return result('failed', 'command-failed', message(e));
    }
  }

  // ---- reports ----

  /** An idempotency key unique per device: this boot's random id and a counter (a restart draws a new boot id). */
  private nextId(kind: string): string {
    return `${kind}-${this.bootId}-${(++this.eventCounter).toString(36)}`;
  }

  private emit(e: Omit<DeviceEvent, 'v' | 'deviceId' | 'id' | 'timeMs'>): void {
    const ev: DeviceEvent = { v: 1, deviceId: this.o.identity.deviceId, id: this.nextId('ev'), timeMs: this.now(), ...e };
    this.log(e.severity === 'error' ? 'error' : e.severity === 'warning' ? 'warn' : 'info', e.type, { module: e.module, code: e.code, message: e.message });
    try {
      this.o.reporter.event(ev);
    } catch (err) {
      this.log('error', 'cannot queue an event', { error: message(err) });
    }
  }

  private queueStatus(): void {
    if (this.statusQueued || this.closed) return;
    this.statusQueued = true;
    setTimeout(() => {
      this.statusQueued = false;
      this.publishStatus();
    }, 50).unref?.();
  }

  /** The status report now. */
  status(): Status {
    const modules: ModuleStatus[] = this.modules().slice(0, 32).map((v) => {
      const metrics = this.supervisor.metrics(v.name);
      return {
        name: v.name, version: v.version, sequence: v.sequence, manifestDigest: Uint8Array.from(Buffer.from(v.manifestDigest.padStart(64, '0').slice(0, 64), 'hex')), state: v.state,
        restarts: this.supervisor.get(v.name)?.restarts ?? 0,
        ...(v.errorCode === undefined ? {} : { errorCode: v.errorCode }),
        ...(v.detail === undefined ? {} : { detail: v.detail.slice(0, 512) }),
        ...(metrics === undefined ? {} : { metrics }),
      };
    });
    return {
      v: 1, deviceId: this.o.identity.deviceId, deviceClass: this.o.identity.deviceClass, timeMs: this.now(),
      seq: this.bootCount * 2 ** 32 + ++this.reports,
      agentVersion: this.o.agentVersion,
      supportedVersions: { ...SUPPORTED_VERSIONS } as Status['supportedVersions'],
      trustSequence: this.o.trust.trust?.update.sequence ?? 0,
      ...(this.appliedSequence === undefined ? {} : { desiredSequence: this.appliedSequence }),
      modules,
      uptimeS: Math.max(0, Math.floor((this.now() - this.startedAt) / 1000)),
    };
  }

  publishStatus(): void {
    if (this.closed) return;
    try {
      this.o.reporter.status(this.status());
    } catch (e) {
      this.log('error', 'cannot publish status', { error: message(e) });
    }
  }

  private publishTelemetry(): void {
    for (const v of this.views.values()) {
      const m = this.supervisor.metrics(v.name);
      if (m === undefined) continue;
      const points: TelemetryPoint[] = [
        { name: 'fuel_per_tick', value: m.fuelPerTick },
        { name: 'fuel_per_tick_max', value: m.fuelPerTickMax },
        { name: 'memory_high_water_pages', value: m.memoryHighWaterPages },
        { name: 'traps', value: m.traps },
        { name: 'ticks', value: m.ticks },
      ];
      try {
        this.o.reporter.telemetry({ v: 1, deviceId: this.o.identity.deviceId, id: this.nextId('tm'), timeMs: this.now(), module: v.name, points });
      } catch (e) {
        this.log('warn', 'cannot queue telemetry', { error: message(e) });
      }
    }
  }

  private onLogLine(line: LogLine): void {
    let b = this.logBuffers.get(line.app);
    if (b === undefined) {
      b = { entries: [], dropped: 0, seq: 0, recent: [] };
      this.logBuffers.set(line.app, b);
    }
    b.recent.push(line);
    if (b.recent.length > RECENT_LOG_LINES) b.recent.shift();
    if (b.entries.length >= 256) b.dropped++;
    else b.entries.push({ timeMs: line.timeMs, level: line.level, text: line.text });
  }

  /** The last lines a module wrote (newest last). */
  recentLogs(app: string): readonly LogLine[] {
    return this.logBuffers.get(app)?.recent ?? [];
  }

  private flushLogs(): void {
    for (const [app, b] of this.logBuffers) {
      if (b.entries.length === 0) continue;
      const batch: LogBatch = { v: 1, deviceId: this.o.identity.deviceId, module: app, seq: b.seq++, dropped: b.dropped, entries: b.entries.splice(0) };
      b.dropped = 0;
      try {
        this.o.reporter.logs(batch);
      } catch (e) {
        this.log('warn', 'cannot queue logs', { error: message(e) });
      }
    }
  }

  private onAppPublish(app: string, subtopic: string, payload: Uint8Array): void {
    const topic = appTopic(this.o.identity.deviceId, app, subtopic);
    this.o.bus.publish(topic, payload, { qos: 1 }).catch(() => undefined);
  }

  /**
   * Stops cleanly (SIGTERM): no new work is taken, every app is stopped with its key-value store written, logs are
   * flushed and a last status sent. An update in flight stays in its persisted state and resumes at the next boot.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flushLogs();
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.restartTimers.values()) clearTimeout(t);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    for (const u of this.unsubscribe.splice(0)) await u().catch(() => undefined);
    await this.supervisor.close();
  }
}
