// One app's host state, shared by its host functions: grants, memory view, limits (call rate,
// publish bytes, host memory budget), key-value store, log buffers, open ports and lines, the
// abort signal of its waits, and the counters and recent events the agent reports.

import { Pending } from '../wasm/api.ts';
import { DEFAULT_HOST_LIMITS, type AppHostOptions, type HostDevice, type HostLimits } from './config.ts';
import { GuestMemory } from './guest-memory.ts';
import { Grants } from './grants.ts';
import { HostBudget } from './budget.ts';
import { isHardwareError } from './hw/errors.ts';
import type { SerialPortHandle } from './hw/serial.ts';
import type { KvStore } from './kv-store.ts';
import { cutUtf8, LineBuffer, MAX_LOG_LINE_BYTES, type LogLevel } from './log-lines.ts';
import { TokenBucket } from './rate-limit.ts';
import { STATUS, statusOfHardware, type StatusName } from './status.ts';

/** Something the agent should hear about: a refused call, a limit hit, a device failure. */
export type HostEvent =
  | { readonly kind: 'denied'; readonly fn: string; readonly detail: string; readonly atMs: number }
  | { readonly kind: 'rate-limited'; readonly fn: string; readonly detail: string; readonly atMs: number }
  | { readonly kind: 'quota'; readonly fn: string; readonly detail: string; readonly atMs: number }
  | { readonly kind: 'fault'; readonly fn: string; readonly detail: string; readonly atMs: number }
  | { readonly kind: 'hardware-error'; readonly fn: string; readonly code: string; readonly detail: string; readonly atMs: number };

/** Counters of one app's host use (all since the host was created). */
export interface HostStats {
  /** Host calls made, by function name. */
  readonly calls: Readonly<Record<string, number>>;
  readonly denied: number;
  /** Calls refused (or log lines dropped) because of the call rate or the publish byte rate. */
  readonly rateLimited: number;
  /** Calls refused by the key-value quota or the host memory budget. */
  readonly quotaRefused: number;
  readonly faults: number;
  readonly hardwareErrors: number;
  readonly logLines: number;
  readonly droppedLogLines: number;
  readonly published: number;
  readonly publishedBytes: number;
  readonly kvBytes: number;
  /** Host memory held for the app now, and the most ever held. */
  readonly hostBytes: number;
  readonly hostBytesHighWater: number;
  /** The last events, oldest first (at most `RECENT_EVENTS`). */
  readonly recent: readonly HostEvent[];
}

export const RECENT_EVENTS = 32;

/** Milliseconds (with a fraction) as integer nanoseconds, exact for whole milliseconds of any size. */
export function nsOf(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

/** Thrown by WASI `proc_exit`: the engine turns it into a host-error trap whose cause is this. */
export class ProcExit extends Error {
  override readonly name = 'ProcExit';
  constructor(readonly code: number) {
    super(`the module called proc_exit(${code})`);
  }
}

/** A serial port a module opened, by handle. */
export interface OpenPort {
  readonly handle: number;
  readonly path: string;
  readonly port: SerialPortHandle;
  /** Budget bytes reserved for its receive buffer. */
  readonly reserved: number;
}

export class HostContext {
  readonly app: string;
  readonly limits: HostLimits;
  readonly grants: Grants;
  readonly memory = new GuestMemory();
  readonly budget: HostBudget;
  readonly settings: Readonly<Record<string, string>>;
  /** argv: the app name, then the arguments. */
  readonly argv: readonly string[];
  kv: KvStore | undefined = undefined;
  readonly stdout: LineBuffer;
  readonly stderr: LineBuffer;
  /** Standard streams the module closed (fd_close). */
  readonly closedFds = new Set<number>();
  readonly ports = new Map<number, OpenPort>();
  nextHandle = 1;
  /** GPIO pins this module configured, with their direction. */
  readonly lines = new Map<number, 'in' | 'out'>();
  /** Aborted by `close`: every hardware wait of the app ends. */
  readonly abort = new AbortController();
  /** Set by proc_exit. */
  exitCode: number | undefined = undefined;
  /** Set once the module may not use the host any more. */
  closed = false;
  /** Called with every event (besides keeping the recent ones). */
  onEvent: ((e: HostEvent) => void) | undefined = undefined;
  /** Instance time origin for the CPU-time clocks. */
  readonly startedAt: number;

  private readonly callBucket: TokenBucket;
  private readonly publishBucket: TokenBucket;
  private readonly counts: Record<string, number> = {};
  private readonly events: HostEvent[] = [];
  private n = { denied: 0, rateLimited: 0, quotaRefused: 0, faults: 0, hardwareErrors: 0, logLines: 0, droppedLogLines: 0, published: 0, publishedBytes: 0 };

  /** @throws CapabilityError when a capability text does not parse */
  constructor(
    readonly device: HostDevice,
    options: AppHostOptions,
  ) {
    this.app = options.app;
    this.limits = { ...DEFAULT_HOST_LIMITS, ...options.limits };
    this.grants = Grants.from(options.capabilities, options.deviceGrants);
    this.budget = new HostBudget(this.limits.hostMemoryBytes + this.grants.kvQuota());
    this.settings = options.settings ?? {};
    this.argv = [options.app, ...(options.args ?? [])];
    this.callBucket = new TokenBucket(device.clock, this.limits.hostCallsPerSecond);
    this.publishBucket = new TokenBucket(device.clock, this.limits.publishBytesPerSecond);
    this.startedAt = device.clock.now();
    // The two line buffers are held for the app's life: reserve them up front.
    this.stdout = new LineBuffer(MAX_LOG_LINE_BYTES);
    this.stderr = new LineBuffer(MAX_LOG_LINE_BYTES);
    this.budget.reserve(2 * MAX_LOG_LINE_BYTES);
  }

  /** Monotonic clock, ms. */
  now(): number {
    return this.device.clock.now();
  }

  /** Wall clock, ms since the Unix epoch. */
  wallMs(): number {
    return (this.device.wallClock ?? Date.now)();
  }

  /** Counts a call of `fn`. */
  count(fn: string): void {
    this.counts[fn] = (this.counts[fn] ?? 0) + 1;
  }

  /** Takes one call token; false (and the event recorded) when the rate is used up. */
  takeCall(fn: string): boolean {
    if (this.callBucket.take()) return true;
    this.n.rateLimited++;
    this.event({ kind: 'rate-limited', fn, detail: `more than ${this.limits.hostCallsPerSecond} host calls per second`, atMs: this.now() });
    return false;
  }

  /** Takes publish-byte tokens; false (and the event recorded) when the byte rate is used up. */
  takePublishBytes(fn: string, bytes: number): boolean {
    if (this.publishBucket.take(bytes)) return true;
    this.n.rateLimited++;
    this.event({ kind: 'rate-limited', fn, detail: `more than ${this.limits.publishBytesPerSecond} published bytes per second`, atMs: this.now() });
    return false;
  }

  /** Records a call outside the grants; returns E_DENIED. */
  deny(fn: string, detail: string): number {
    this.n.denied++;
    this.event({ kind: 'denied', fn, detail, atMs: this.now() });
    return STATUS.denied.value;
  }

  /** Records a pointer outside memory; returns E_FAULT. */
  fault(fn: string, detail: string): number {
    this.n.faults++;
    this.event({ kind: 'fault', fn, detail, atMs: this.now() });
    return STATUS.fault.value;
  }

  /** Records a quota or budget refusal; returns E_QUOTA. */
  overQuota(fn: string, detail: string): number {
    this.n.quotaRefused++;
    this.event({ kind: 'quota', fn, detail, atMs: this.now() });
    return STATUS.quota.value;
  }

  /** The status of a failed hardware operation (recorded as an event). */
  hardwareFailure(fn: string, e: unknown): number {
    this.n.hardwareErrors++;
    const code = isHardwareError(e) ? e.code : 'io';
    const detail = e instanceof Error ? e.message : String(e);
    this.event({ kind: 'hardware-error', fn, code, detail, atMs: this.now() });
    return STATUS[statusOfHardware(code)].value;
  }

  /** A status by name. */
  status(name: StatusName): number {
    return STATUS[name].value;
  }

  /**
   * Suspends the call until `work` settles: its value is the call's result, a failure becomes a
   * status (a module's wait never rejects). `detail` records what is awaited (data).
   */
  wait(fn: string, detail: Record<string, unknown>, work: () => Promise<number>): Pending {
    let p: Promise<number>;
    try {
      p = work();
    } catch (e) {
      p = Promise.reject(e);
    }
    const settled = p.then(
      (v) => (this.closed ? STATUS.closed.value : v),
      (e: unknown) => (this.closed ? STATUS.closed.value : this.hardwareFailure(fn, e)),
    );
    return new Pending(settled, { op: fn, ...detail });
  }

  /** Writes one log line to the sink (cut to the line limit). */
  emitLog(level: LogLevel, text: string, source: 'log' | 'stdout' | 'stderr'): void {
    this.n.logLines++;
    this.device.logs?.write({ app: this.app, level, text: cutUtf8(text, MAX_LOG_LINE_BYTES), timeMs: this.wallMs(), source });
  }

  /** Counts a log line dropped by the rate limit. */
  droppedLog(): void {
    this.n.droppedLogLines++;
  }

  /** Counts a publish. */
  published(bytes: number): void {
    this.n.published++;
    this.n.publishedBytes += bytes;
  }

  /** Hands out what stdout and stderr hold of unfinished lines. */
  flushStreams(): void {
    this.stdout.flush((l) => this.emitLog('info', l, 'stdout'));
    this.stderr.flush((l) => this.emitLog('warn', l, 'stderr'));
  }

  stats(): HostStats {
    return {
      calls: { ...this.counts },
      ...this.n,
      kvBytes: this.kv?.used ?? 0,
      hostBytes: this.budget.used,
      hostBytesHighWater: this.budget.highWater,
      recent: [...this.events],
    };
  }

  private event(e: HostEvent): void {
    this.events.push(e);
    if (this.events.length > RECENT_EVENTS) this.events.shift();
    this.onEvent?.(e);
  }
}
