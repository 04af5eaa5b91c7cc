// `AppHost`: the host side of one app instance. Built from the device and the app's grants and
// limits, it links the module's imports (refusing what is not granted), gives the host functions
// the instance's memory, reports what the app did through the host, and gives back everything
// the app held (ports, lines, waits, buffered output, unsaved key-value changes) when it stops.

import type { Imports, Instance } from '../wasm/instance.ts';
import type { Module } from '../wasm/module.ts';
import type { AppHostOptions, HostDevice } from './config.ts';
import { HostContext, type HostEvent, type HostStats } from './host-context.ts';
import { kvFile, KvStore } from './kv-store.ts';
import { linkHost } from './link.ts';

export class AppHost {
  private constructor(private readonly ctx: HostContext) {}

  /**
   * The host of one app; opens its key-value store when it was granted one.
   * @throws CapabilityError when a capability or grant text does not parse
   * @throws KvError when the store file is damaged or over its quota
   * @throws Error when a `kv` capability is granted but the device has no data directory
   */
  static async create(device: HostDevice, options: AppHostOptions): Promise<AppHost> {
    const ctx = new HostContext(device, options);
    const quota = ctx.grants.kvQuota();
    if (quota > 0) {
      if (device.dataDir === undefined) throw new Error(`Cannot open the key-value store of app "${options.app}": the device has no data directory`);
      ctx.kv = await KvStore.open(kvFile(device.dataDir, options.app), quota, ctx.budget);
    }
    return new AppHost(ctx);
  }

  get app(): string {
    return this.ctx.app;
  }

  /** The capabilities the app may use (declared and covered by the device policy). */
  get grants(): HostContext['grants'] {
    return this.ctx.grants;
  }

  /**
   * The import object for the module.
   * @throws LinkError "capability-denied" naming the import and the capability it needs,
   *   "unknown-import" or "incompatible-import"
   */
  imports(module: Module): Imports {
    return linkHost(module, this.ctx);
  }

  /** Gives the host functions the instance's memory (before that, pointers are out of bounds). */
  attach(instance: Instance): void {
    const mems = instance.rt.mems;
    this.ctx.memory.attach(() => mems[0]);
  }

  /** The code the module passed to WASI proc_exit, once it did. */
  get exitCode(): number | undefined {
    return this.ctx.exitCode;
  }

  /** Called with every denial, limit hit, fault and device failure as it happens. */
  set onEvent(fn: ((e: HostEvent) => void) | undefined) {
    this.ctx.onEvent = fn;
  }

  stats(): HostStats {
    return this.ctx.stats();
  }

  /** Hands out unfinished stdout and stderr lines (a command that ended without a newline). */
  flushOutput(): void {
    this.ctx.flushStreams();
  }

  /** Resolves once key-value changes so far are on disk. @throws the last write's error */
  async flush(): Promise<void> {
    await this.ctx.kv?.flush();
  }

  /**
   * Ends the app's use of the host: running waits end, output is flushed, ports close, lines are
   * released, the key-value store is written. Stop the app's calls first: a wait still running
   * ends with E_CLOSED.
   * @throws the key-value store's write error, after everything else was given back
   */
  async close(): Promise<void> {
    const ctx = this.ctx;
    if (ctx.closed) return;
    ctx.closed = true;
    ctx.abort.abort();
    ctx.flushStreams();
    for (const p of [...ctx.ports.values()]) {
      ctx.ports.delete(p.handle);
      await p.port.close().catch(() => undefined);
      ctx.budget.release(p.reserved);
    }
    const gpio = ctx.device.gpio;
    for (const pin of [...ctx.lines.keys()]) {
      ctx.lines.delete(pin);
      await gpio?.release((ctx.device.gpioLine ?? String)(pin)).catch(() => undefined);
    }
    await ctx.kv?.flush();
  }
}
