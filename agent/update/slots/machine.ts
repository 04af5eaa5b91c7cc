// fleetlet's update state machine: runs one update of one app through the slot store, one handler per state, each
// next state found in the transition table and persisted before its handler acts; boot resumes from the recovery table.

import { createHash } from 'node:crypto';
import { decodeBundle, type Bundle } from '../bundle.ts';
import { verifyModuleBytes } from '../module-bytes.ts';
import { isRejected } from '../rejection.ts';
import type { TrustStore } from '../trust-store.ts';
import type { DeviceIdentity } from '../verify.ts';
import { CrashPoints } from './_durable.ts';
import { INITIAL_STATE, MAX_FAILED_TARGETS, type SlotName, type StateRecord } from './record.ts';
import { SlotStore } from './slot-store.ts';
import { MAX_STORES_OF_ONE_STATE, nextOutcome, nextState, RECOVERY, type OutcomeEvent, type UpdateEvent, type UpdateState } from './table.ts';

/** The verdict of the health gate on a version on probation. */
export type HealthVerdict = { readonly healthy: true } | { readonly healthy: false; readonly reason: string };

/** Judges a version on probation (the agent's health gate: traps, fuel, memory, `health` export, ticks). */
export interface HealthGate {
  judge(app: string, version: string, probationStartedAt: number): Promise<HealthVerdict>;
}

export interface UpdateMachineOptions {
  readonly dataDir: string;
  readonly trust: TrustStore;
  readonly device: DeviceIdentity;
  readonly health: HealthGate;
  /** Seconds; default the trust store's trusted time. */
  readonly clock?: () => number;
  /** Default: from the environment (`FLEETLET_CRASH_AT`), so the crash-point sweep can reach a real agent. */
  readonly crash?: CrashPoints;
  readonly kvPath?: (app: string) => string;
  readonly maxStores?: number;
  /** Called (and awaited) after each stored transition, before the next handler runs (logs, status). */
  readonly onTransition?: (from: UpdateState, event: UpdateEvent, to: UpdateState, record: StateRecord) => void | Promise<void>;
}

/** An update refused before it started: the same target failed before and the desired state has not changed. */
export class NotRetried extends Error {
  override readonly name = 'NotRetried';
}

interface Step {
  readonly event: UpdateEvent;
  readonly patch?: Partial<StateRecord>;
  readonly outcome?: OutcomeEvent;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 1000);

export class UpdateMachine {
  readonly store: SlotStore;
  private rec: StateRecord = INITIAL_STATE;
  private job: Bundle | undefined;
  private readonly clock: () => number;
  private readonly maxStores: number;

  private constructor(private readonly options: UpdateMachineOptions) {
    this.store = new SlotStore(options.dataDir, { crash: options.crash ?? CrashPoints.fromEnv(), ...(options.kvPath ? { kvPath: options.kvPath } : {}) });
    this.clock = options.clock ?? (() => options.trust.now());
    this.maxStores = options.maxStores ?? MAX_STORES_OF_ONE_STATE;
  }

  /**
   * Opens the machine on a data directory and reads its state record (nothing resumes until `boot`).
   * @throws RecordCorrupt when the state record exists but cannot be read
   */
  static async open(options: UpdateMachineOptions): Promise<UpdateMachine> {
    const m = new UpdateMachine(options);
    m.rec = await m.store.loadState();
    return m;
  }

  get record(): StateRecord {
    return this.rec;
  }

  /**
   * Resumes whatever update a crash interrupted, from the recovery table, and runs it to idle. Call before any app
   * starts: the slot store's files are then exactly the old or the new version's.
   */
  async boot(): Promise<StateRecord> {
    await this.store.removeStrayTemps();
    if (this.rec.state !== 'idle') await this.store_(RECOVERY[this.rec.state], {});
    return this.run();
  }

  /** Installs a bundle file's bytes (`fleetlet agent install`). @throws as `install` and UpdateRejected for the layout */
  async installBundle(bytes: Uint8Array): Promise<StateRecord> {
    return this.install(decodeBundle(bytes));
  }

  /**
   * Runs one update to idle: verifies the documents, writes the inactive slot, commits, probation, then good or
   * rollback. Returns the final record (its `outcome` and `reason` say how it went).
   * @throws NotRetried when this app's target failed before; Error when another update is in progress
   */
  async install(job: Bundle): Promise<StateRecord> {
    if (this.rec.state !== 'idle') throw new Error(`Cannot start an update while the state is "${this.rec.state}"`);
    const digest = sha(job.signedManifest);
    const failed = this.rec.failedTargets.find((f) => f.manifestDigest === digest);
    if (failed !== undefined) throw new NotRetried(`Cannot install "${failed.app}" again: this version failed before (${failed.reason})`);
    this.job = job;
    try {
      return await this.run();
    } finally {
      this.job = undefined;
    }
  }

  /** Forgets remembered failures of `app` (the desired state changed, so its target may be tried again). */
  async forgetFailures(app: string): Promise<void> {
    const kept = this.rec.failedTargets.filter((f) => f.app !== app);
    if (kept.length !== this.rec.failedTargets.length) {
      this.rec = { ...this.rec, failedTargets: kept };
      await this.store.saveState(this.rec);
    }
  }

  private async run(): Promise<StateRecord> {
    for (;;) {
      const from = this.rec.state;
      const step = await this.handle(from);
      const to = nextState(from, step.event);
      if (from === 'idle' && to === 'idle') {
        await this.options.onTransition?.(from, step.event, to, this.rec);
        return this.rec;
      }
      const outcome = step.outcome === undefined ? this.rec.outcome : nextOutcome(this.rec.outcome, step.outcome);
      await this.store_(to, { ...step.patch, outcome });
      await this.options.onTransition?.(from, step.event, this.rec.state, this.rec);
      if (this.rec.state === 'idle') {
        this.job = undefined;
        return this.rec;
      }
    }
  }

  /** Persists `state` with `patch`, counting stores of the same state; past the bound it takes the loop-detected row. */
  private async store_(state: UpdateState, patch: Partial<StateRecord>): Promise<void> {
    const storeCount = state === this.rec.state ? this.rec.storeCount + 1 : 1;
    let next: StateRecord = { ...this.rec, ...patch, state, storeCount };
    const looped = storeCount > this.maxStores;
    if (looped) {
      const escape = nextState(state, 'loop-detected');
      next = {
        ...next,
        state: escape,
        storeCount: 1,
        outcome: nextOutcome(next.outcome, 'failure'),
        reason: `State "${state}" was stored ${storeCount} times in a row: giving up on it`,
      };
    }
    await this.store.saveState(next);
    this.rec = next;
    if (looped) await this.options.onTransition?.(state, 'loop-detected', next.state, next);
  }

  private async handle(state: UpdateState): Promise<Step> {
    const r = this.rec;
    const app = r.app;
    const target = r.targetSlot;
    switch (state) {
      case 'idle':
        return this.verifyJob();
      case 'verified':
        await this.store.setSlotRecord(app, target!, { status: 'pending', sequence: r.sequence, version: r.version, manifestDigest: r.manifestDigest });
        return { event: 'slot-marked' };
      case 'slot-pending':
        try {
          await this.store.clearSlot(app, target!);
          return { event: 'slot-cleared' };
        } catch (e) {
          return { event: 'write-failed', patch: { reason: `Cannot clear slot "${target}": ${message(e)}` }, outcome: 'failure' };
        }
      case 'writing':
        try {
          await this.store.writeSlot(app, target!, this.job!);
          return { event: 'bytes-written' };
        } catch (e) {
          return { event: 'write-failed', patch: { reason: `Cannot write slot "${target}": ${message(e)}` }, outcome: 'failure' };
        }
      case 'written':
        return this.commit(app, target!);
      case 'committed':
        return { event: 'probation-started', patch: { probationStartedAt: this.clock() } };
      case 'probation': {
        const verdict = await this.options.health.judge(app, r.version, r.probationStartedAt);
        return verdict.healthy ? { event: 'healthy' } : { event: 'unhealthy', patch: { reason: verdict.reason }, outcome: 'rollback-started' };
      }
      case 'good':
        return this.markGood(app, target!);
      case 'rollback':
        return this.rollBack(app, target!, r.previousSlot);
      case 'aborted':
        await this.discardPending(app, target);
        return { event: 'discarded', patch: { reason: r.reason === '' ? 'Interrupted before the commit point: the running version was kept' : r.reason } };
      case 'failed':
        await this.discardPending(app, target);
        return { event: 'acknowledged', patch: { failedTargets: this.rememberFailure() }, outcome: 'failure' };
    }
  }

  private async verifyJob(): Promise<Step> {
    const job = this.job;
    if (job === undefined) return { event: 'nothing-to-do' };
    const reset = { targetSlot: null, previousSlot: null, probationStartedAt: 0, reason: '', sequence: 0, version: '', app: '', manifestDigest: '' };
    try {
      const { manifest, digest } = this.options.trust.verifyManifest(job.signedManifest, this.options.device);
      const { active } = await this.store.pointer(manifest.name);
      const targetSlot: SlotName = active === 'a' ? 'b' : 'a';
      return {
        event: 'update-requested',
        outcome: 'reset',
        patch: { ...reset, app: manifest.name, sequence: manifest.sequence, version: manifest.version, manifestDigest: hex(digest), targetSlot, previousSlot: active },
      };
    } catch (e) {
      if (!isRejected(e)) throw e;
      return { event: 'rejected', outcome: 'reset', patch: { ...reset, reason: e.message } };
    }
  }

  /** Reads the slot back, checks it, copies the app's key-value file, then flips the pointer: the commit point. */
  private async commit(app: string, target: SlotName): Promise<Step> {
    const pointer = await this.store.pointer(app);
    if (pointer.active === target) return { event: 'commit-done' };
    try {
      const contents = await this.store.readSlot(app, target);
      if (contents === undefined) throw new Error(`slot "${target}" lost its files`);
      if (sha(contents.signedManifest) !== this.rec.manifestDigest) throw new Error(`slot "${target}" holds another manifest`);
      const { manifest } = this.options.trust.verifyManifest(contents.signedManifest, this.options.device);
      await verifyModuleBytes(manifest, contents.module);
    } catch (e) {
      return { event: 'readback-bad', patch: { reason: `Cannot commit "${app}": ${message(e)}` }, outcome: 'failure' };
    }
    await this.store.setSlotRecord(app, target, { status: 'written', sequence: this.rec.sequence, version: this.rec.version, manifestDigest: this.rec.manifestDigest });
    await this.store.copyKv(app);
    await this.store.setPointer(app, target, this.rec.previousSlot);
    return { event: 'commit-done' };
  }

  private async markGood(app: string, target: SlotName): Promise<Step> {
    const contents = await this.store.readSlot(app, target);
    const issuedAt = contents === undefined ? 0 : this.options.trust.verifyManifest(contents.signedManifest, this.options.device).manifest.issuedAt;
    await this.options.trust.commit(app, this.rec.sequence, issuedAt);
    await this.store.setSlotRecord(app, target, { status: 'good', sequence: this.rec.sequence, version: this.rec.version, manifestDigest: this.rec.manifestDigest });
    await this.store.setPointer(app, target, null);
    await this.store.dropKvCopy(app);
    return { event: 'floor-raised' };
  }

  /** Restores the key-value copy, then points back at the previous slot (no slot when this was a first install). */
  private async rollBack(app: string, target: SlotName, previous: SlotName | null): Promise<Step> {
    try {
      await this.store.restoreKv(app);
      const pointer = await this.store.pointer(app);
      if (pointer.active === target) await this.store.setPointer(app, previous, null);
      await this.store.setSlotRecord(app, target, { status: 'bad', sequence: this.rec.sequence, version: this.rec.version, manifestDigest: this.rec.manifestDigest });
      await this.store.dropKvCopy(app);
      return { event: 'rolled-back' };
    } catch (e) {
      return { event: 'rollback-failed', patch: { reason: `${this.rec.reason}; the rollback failed too: ${message(e)}` }, outcome: 'rollback-error' };
    }
  }

  /** Empties the target slot unless it is the active one (never touches what runs). */
  private async discardPending(app: string, target: SlotName | null): Promise<void> {
    if (app === '' || target === null) return;
    const pointer = await this.store.pointer(app);
    if (pointer.active === target) return;
    const slot = await this.store.slotRecord(app, target);
    if (slot.status === 'empty' || slot.status === 'bad') return;
    try {
      await this.store.clearSlot(app, target);
      await this.store.setSlotRecord(app, target, { status: 'empty', sequence: 0, version: '', manifestDigest: '' });
    } catch {
      // An inactive slot that cannot be emptied is harmless: its record still says "pending" and nothing runs from it.
    }
  }

  private rememberFailure(): StateRecord['failedTargets'] {
    const r = this.rec;
    if (r.app === '' || r.manifestDigest === '' || r.failedTargets.some((f) => f.manifestDigest === r.manifestDigest)) return r.failedTargets;
    return [...r.failedTargets, { app: r.app, manifestDigest: r.manifestDigest, reason: r.reason.slice(0, 1000) }].slice(-MAX_FAILED_TARGETS);
  }
}
