// The module supervisor: runs each app from its active slot under one AppRunner (started only after the update
// machine's boot, so a resumed rollback restores key-value state before anything can write it), with the manifest's
// limits and capabilities, the device policy's grants and the desired state's settings; stops, restarts and removes
// apps for the reconciler and the update machine; and says what each app is doing for status and the health gate.

import type { AppReport } from '../host/app-report.ts';
import { AppRunner, type RunnerOptions } from '../host/app-runner.ts';
import type { HostDevice } from '../host/config.ts';
import type { Manifest } from '../../schemas/messages/manifest.ts';
import type { ModuleMetrics } from '../../schemas/messages/status.ts';
import type { SlotStore } from '../update/slots/slot-store.ts';

/** One app the supervisor knows about: what it runs and how it has gone. */
export interface SupervisedApp {
  readonly name: string;
  readonly manifest: Manifest;
  readonly manifestDigest: string;
  readonly settings: Readonly<Record<string, string>>;
  /** Starts since the app's current version was installed. */
  restarts: number;
  /** Why the last start failed (link error, damaged slot), if it did. */
  startError: string | undefined;
}

export interface SupervisorOptions {
  /** The slot store to read active slots from (a function: the update machine that owns it is made after the supervisor). */
  readonly slots: () => SlotStore;
  readonly device: HostDevice;
  /** The device policy: capabilities the device grants (undefined grants whatever a manifest declares). */
  readonly grants?: readonly string[];
  readonly runner?: Omit<RunnerOptions, 'device'>;
  /** Called when an app ends by itself (failed or exited), with its report. */
  readonly onEnd?: (report: AppReport) => void;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 500);

export class ModuleSupervisor {
  readonly runner: AppRunner;
  private readonly apps = new Map<string, SupervisedApp>();
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: SupervisorOptions) {
    this.runner = new AppRunner({
      ...options.runner,
      device: options.device,
      onEnd: (r) => {
        if (r.state !== 'stopped') options.onEnd?.(r);
      },
    });
  }

  /** Runs the runner's loop in the background until `close`. */
  startLoop(): void {
    this.loop ??= this.runner.runUntil(Infinity, this.controller.signal).catch(() => undefined);
  }

  /** The apps the supervisor started (running or ended). */
  list(): SupervisedApp[] {
    return [...this.apps.values()];
  }

  get(name: string): SupervisedApp | undefined {
    return this.apps.get(name);
  }

  /** The runner's report of an app, or undefined when it is not in the runner. */
  report(name: string): AppReport | undefined {
    return this.runner.names().includes(name) ? this.runner.report(name) : undefined;
  }

  /** True when the app is starting or running now. */
  isRunning(name: string): boolean {
    const r = this.report(name);
    return r !== undefined && (r.state === 'starting' || r.state === 'running');
  }

  /**
   * Starts (or restarts) an app from its active slot with these settings; stops whatever of it ran before. Returns
   * false (and records why) when the slot cannot be read or the module cannot be linked; nothing is thrown, so one bad
   * app never stops the others from starting. Returns false with no error when the app has no active slot.
   */
  async start(name: string, settings: Readonly<Record<string, string>> = {}): Promise<boolean> {
    await this.runner.remove(name);
    let active;
    try {
      active = await this.options.slots().activeModule(name);
    } catch (e) {
      this.remember(name, undefined, settings, `Cannot read the active slot: ${message(e)}`);
      return false;
    }
    if (active === undefined) {
      this.apps.delete(name);
      return false;
    }
    const prior = this.apps.get(name);
    const restarts = prior !== undefined && prior.manifestDigest === active.record.manifestDigest ? prior.restarts + 1 : 0;
    const app: SupervisedApp = { name, manifest: active.manifest, manifestDigest: active.record.manifestDigest, settings: { ...settings }, restarts, startError: undefined };
    this.apps.set(name, app);
    try {
      await this.runner.add({
        name,
        kind: active.manifest.kind,
        module: active.module,
        capabilities: active.manifest.capabilities,
        ...(this.options.grants === undefined ? {} : { deviceGrants: this.options.grants }),
        limits: active.manifest.limits,
        settings,
      });
    } catch (e) {
      app.startError = message(e);
      await this.runner.remove(name);
      return false;
    }
    this.startLoop();
    return true;
  }

  private remember(name: string, manifest: Manifest | undefined, settings: Readonly<Record<string, string>>, error: string): void {
    const prior = this.apps.get(name);
    if (prior !== undefined) {
      prior.startError = error;
      return;
    }
    if (manifest !== undefined) this.apps.set(name, { name, manifest, manifestDigest: '', settings, restarts: 0, startError: error });
  }

  /** Stops an app and waits until its host is closed (its key-value store written); keeps what is known of it. */
  async stop(name: string): Promise<void> {
    await this.runner.remove(name);
  }

  /** Stops an app and forgets it (the desired state dropped it). */
  async forget(name: string): Promise<void> {
    await this.runner.remove(name);
    this.apps.delete(name);
  }

  /** The metrics of an app for the status report, or undefined when it never ran. */
  metrics(name: string): ModuleMetrics | undefined {
    const r = this.report(name);
    if (r === undefined) return undefined;
    const e = r.lastError;
    return {
      ticks: r.ticks,
      fuelPerTick: Math.round(r.fuel.meanTick),
      fuelPerTickMax: r.fuel.maxTick,
      memoryHighWaterPages: r.memory.highWaterPages,
      traps: r.traps,
      exhaustions: r.outOfFuel + r.exhausted,
      logLines: r.logLines,
      ...(e === undefined ? {} : { lastError: `${e.reason}${e.kind === undefined ? '' : `: ${e.kind}`} in ${e.phase}: ${e.message}`.slice(0, 512) }),
    };
  }

  /** Stops every app (their key-value stores written) and the runner's loop. */
  async close(): Promise<void> {
    await this.runner.close();
    this.controller.abort();
    await this.loop;
  }
}
