// The Linux GpioBackend over the GPIO character device through the gpiod command-line tools
// (libgpiod v1 or v2, detected): gpioget reads, a gpioset process holds each output, a gpiomon
// process waits for each edge. Lines come from the device config (name -> chip and offset).

import { HardwareError } from '../errors.ts';
import {
  type GpioBackend,
  type GpioBias,
  type GpioEdge,
  type GpioEdgeEvent,
  type GpioLineConfig,
  type GpioLineInfo,
  type GpioValue,
  type GpioWaitOptions,
} from '../gpio.ts';
import { systemTime, type TimeSource } from '../time.ts';
import { checkTimeout, waitFor } from '../_wait.ts';
import {
  detectGpiodVersion,
  GPIOD_DIALECTS,
  parseValue,
  toolError,
  type GpiodDialect,
  type GpiodVersion,
  type LineAddress,
} from './gpiod-tools.ts';
import { checkStarted, nodeProcessRunner, runTool, type ExitStatus, type ProcessRunner, type RunningProcess } from './process.ts';

export interface GpiodGpioOptions {
  /** The lines modules may use, by name. */
  readonly lines: Readonly<Record<string, LineAddress>>;
  readonly runner?: ProcessRunner;
  readonly time?: TimeSource;
  /** The tools' major version; detected with `gpioset --version` when not given. */
  readonly version?: GpiodVersion;
  /** How long gpioget, a holder's start or stop may take (default 5000 ms). */
  readonly toolTimeoutMs?: number;
  /**
   * v1 gpioset prints nothing once it holds a line: it counts as holding when it is still
   * running this long after it started (default 50 ms). v2 says so with --banner.
   */
  readonly holdSettleMs?: number;
}

interface LineState {
  readonly name: string;
  readonly addr: LineAddress;
  config: GpioLineConfig | undefined;
  /** The value an output drives. */
  value: GpioValue;
  /** The gpioset process holding an output. */
  holder: RunningProcess | undefined;
  /** Why the holder died on its own, if it did (reported by the next call). */
  holderFailure: HardwareError | undefined;
  /** The gpiomon process of a running wait, and how to end that wait. */
  monitor: { proc: RunningProcess; end: (e: HardwareError) => void } | undefined;
  /** Operations on a line run one after another. */
  queue: Promise<unknown>;
  /** An edge wait was accepted and has not ended (set at once, before the queue runs it). */
  waiting: boolean;
}

export class GpiodGpio implements GpioBackend {
  readonly kind = 'linux-gpiod';
  private readonly states = new Map<string, LineState>();
  private readonly runner: ProcessRunner;
  private readonly time: TimeSource;
  private readonly toolTimeoutMs: number;
  private readonly holdSettleMs: number;
  private dialectP: Promise<GpiodDialect> | undefined;
  private closed = false;

  constructor(options: GpiodGpioOptions) {
    this.runner = options.runner ?? nodeProcessRunner();
    this.time = options.time ?? systemTime;
    this.toolTimeoutMs = options.toolTimeoutMs ?? 5000;
    this.holdSettleMs = options.holdSettleMs ?? 50;
    if (options.version !== undefined) this.dialectP = Promise.resolve(GPIOD_DIALECTS[options.version]);
    for (const name of Object.keys(options.lines).sort()) {
      const addr = options.lines[name]!;
      if (!(Number.isInteger(addr.offset) && addr.offset >= 0)) {
        throw new HardwareError('invalid-argument', name, `Cannot use line "${name}": offset ${addr.offset} is not a line number`);
      }
      this.states.set(name, { name, addr, config: undefined, value: 0, holder: undefined, holderFailure: undefined, monitor: undefined, queue: Promise.resolve(), waiting: false });
    }
  }

  /** The tools version in use (detecting it on first use). */
  async version(): Promise<GpiodVersion> {
    return (await this.dialect()).version;
  }

  async lines(): Promise<readonly GpioLineInfo[]> {
    this.checkOpen();
    return [...this.states.values()].map((s) => ({ name: s.name, source: `${s.addr.chip}:${s.addr.offset}` }));
  }

  configure(line: string, config: GpioLineConfig): Promise<void> {
    return this.op(line, async (st, d) => {
      if (st.config !== undefined) throw new HardwareError('busy', line, `Cannot configure line "${line}": it is already configured`);
      if (config.direction === 'output') {
        checkValue(line, config.initial);
        await this.startHolder(st, d, config.initial);
        st.value = config.initial;
      } else {
        // Reading once proves the line exists and no other process holds it.
        await this.get(st, d, config.bias ?? 'as-is');
      }
      st.config = config;
    });
  }

  read(line: string): Promise<GpioValue> {
    const busy = this.waitBusy(line, 'read');
    if (busy !== undefined) return Promise.reject(busy);
    return this.op(line, async (st, d) => {
      const cfg = configured(st, 'read');
      if (cfg.direction === 'output') {
        if (st.holderFailure !== undefined) throw st.holderFailure;
        return st.value;
      }
      if (st.monitor !== undefined) throw new HardwareError('busy', line, `Cannot read line "${line}" while an edge wait holds it`);
      return this.get(st, d, cfg.bias ?? 'as-is');
    });
  }

  write(line: string, value: GpioValue): Promise<void> {
    return this.op(line, async (st, d) => {
      const cfg = configured(st, 'write');
      if (cfg.direction !== 'output') throw new HardwareError('wrong-direction', line, `Cannot write line "${line}": it is an input`);
      checkValue(line, value);
      if (value === st.value && st.holder !== undefined && st.holderFailure === undefined) return;
      // A gpioset process holds one value: replace it. The line keeps its last value on most
      // chips in the moment between the two (see DESIGN.md).
      await this.stopHolder(st);
      await this.startHolder(st, d, value);
      st.value = value;
    });
  }

  waitEdge(line: string, edge: GpioEdge, options: GpioWaitOptions): Promise<GpioEdgeEvent | null> {
    const busy = this.waitBusy(line, 'wait for an edge on');
    if (busy !== undefined) return Promise.reject(busy);
    const st0 = this.states.get(line);
    if (st0 !== undefined) st0.waiting = true;
    const started = this.op(line, async (st, d) => {
      const cfg = configured(st, 'wait on');
      if (cfg.direction !== 'input') throw new HardwareError('wrong-direction', line, `Cannot wait for an edge on line "${line}": it is an output`);
      if (st.monitor !== undefined) throw new HardwareError('busy', line, `Cannot wait for an edge on line "${line}": a wait is already running`);
      checkTimeout(options.timeoutMs, line);
      if (options.signal?.aborted) throw new HardwareError('aborted', line, `Wait on line "${line}" was aborted`);
      const proc = this.runner.spawn('gpiomon', d.monitorArgs(st.addr, edge, cfg.bias ?? 'as-is'));
      const wait = waitFor<GpioEdgeEvent | null>({
        timers: this.time,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        device: line,
        onTimeout: () => ({ value: null }),
        begin: (settle) => {
          st.monitor = { proc, end: (e) => settle.reject(e) };
          proc.onLine((l) => {
            const seen = d.parseEdge(l);
            if (seen !== undefined) settle.resolve({ line, edge: seen, at: this.time.now() });
          });
          void proc.exited.then((s) => {
            checkStartedOr(settle.reject, s, 'gpiomon', line);
            settle.reject(s.code === 0 ? new HardwareError('io', line, `"gpiomon" ended without reporting an edge on line "${line}"`) : toolError('gpiomon', s.stderr, s.code, line));
          });
          return () => {
            proc.kill('SIGTERM');
            st.monitor = undefined;
          };
        },
      });
      // The line is free again only once gpiomon has exited: later operations wait for that.
      st.queue = wait.then(
        () => proc.exited,
        () => proc.exited,
      );
      return { wait };
    });
    const result = started.then((r) => r.wait);
    void result.then(
      () => void (st0!.waiting = false),
      () => void (st0 !== undefined && (st0.waiting = false)),
    );
    return result;
  }

  /** The "busy" error for an input call while an edge wait runs on the line (else undefined). */
  private waitBusy(line: string, verb: string): HardwareError | undefined {
    const st = this.states.get(line);
    if (this.closed || st === undefined || !st.waiting || st.config?.direction !== 'input') return undefined;
    return new HardwareError('busy', line, `Cannot ${verb} line "${line}": an edge wait is running on it`);
  }

  async release(line: string): Promise<void> {
    this.checkOpen();
    const st = this.state(line);
    st.monitor?.end(new HardwareError('closed', line, `Wait on line "${line}" ended: the line was released`));
    await this.op(line, async (s) => {
      await this.stopHolder(s);
      s.holderFailure = undefined;
      s.config = undefined;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.states.keys()].map((l) => this.release(l).catch(() => undefined)));
    this.closed = true;
  }

  // ---- helpers ----

  private dialect(): Promise<GpiodDialect> {
    if (this.dialectP === undefined) {
      const p = detectGpiodVersion(this.runner, this.time, this.toolTimeoutMs).then((v) => GPIOD_DIALECTS[v]);
      this.dialectP = p;
      // A failed detection (tools not installed yet, a timeout) is tried again on the next call.
      p.catch(() => {
        if (this.dialectP === p) this.dialectP = undefined;
      });
    }
    return this.dialectP;
  }

  /** Runs `fn` on a line after the operations queued before it. */
  private op<T>(line: string, fn: (st: LineState, d: GpiodDialect) => Promise<T>): Promise<T> {
    try {
      this.checkOpen();
      const st = this.state(line);
      const run = st.queue.then(async () => {
        this.checkOpen();
        return fn(st, await this.dialect());
      });
      st.queue = run.catch(() => undefined);
      return run;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async get(st: LineState, d: GpiodDialect, bias: GpioBias): Promise<GpioValue> {
    const s = await runTool(this.runner, this.time, 'gpioget', d.getArgs(st.addr, bias), this.toolTimeoutMs, st.name);
    if (s.code !== 0) throw toolError('gpioget', s.stderr, s.code, st.name);
    return parseValue(s.stdout, st.name);
  }

  /** Starts a gpioset that holds `value`; resolves once it holds the line. */
  private async startHolder(st: LineState, d: GpiodDialect, value: GpioValue): Promise<void> {
    const proc = this.runner.spawn('gpioset', d.holdArgs(st.addr, value));
    await waitFor<void>({
      timers: this.time,
      timeoutMs: d.holdAnnounces ? this.toolTimeoutMs : this.holdSettleMs,
      signal: undefined,
      device: st.name,
      onTimeout: () =>
        d.holdAnnounces
          ? { error: new HardwareError('timeout', st.name, `"gpioset" did not take line "${st.name}" within ${this.toolTimeoutMs} ms`) }
          : { value: undefined }, // v1: still running after the settle time, so it holds the line
      begin: (settle) => {
        if (d.holdAnnounces) proc.onLine(() => settle.resolve());
        void proc.exited.then((s) => {
          checkStartedOr(settle.reject, s, 'gpioset', st.name);
          settle.reject(toolError('gpioset', s.stderr, s.code, st.name));
        });
      },
    }).catch((e: unknown) => {
      proc.kill('SIGKILL');
      throw e;
    });
    st.holder = proc;
    st.holderFailure = undefined;
    void proc.exited.then((s) => {
      if (st.holder !== proc) return; // stopped by us
      st.holder = undefined;
      st.holderFailure = toolError('gpioset', s.stderr || `exited on its own (signal ${s.signal ?? 'none'})`, s.code, st.name);
    });
  }

  /** Ends the holder (SIGTERM; SIGKILL when it does not exit in time) and waits for its exit. */
  private async stopHolder(st: LineState): Promise<void> {
    const proc = st.holder;
    if (proc === undefined) return;
    st.holder = undefined;
    proc.kill('SIGTERM');
    const t = this.time.setTimeout(() => proc.kill('SIGKILL'), this.toolTimeoutMs);
    await proc.exited;
    this.time.clearTimeout(t);
  }

  private state(line: string): LineState {
    const st = this.states.get(line);
    if (st === undefined) throw new HardwareError('unknown-line', line, `No GPIO line "${line}" in the device config`);
    return st;
  }

  private checkOpen(): void {
    if (this.closed) throw new HardwareError('closed', undefined, 'Cannot use the gpiod GPIO: the backend is closed');
  }
}

function configured(st: LineState, verb: string): GpioLineConfig {
  if (st.config === undefined) throw new HardwareError('not-configured', st.name, `Cannot ${verb} line "${st.name}": configure it first`);
  return st.config;
}

function checkValue(line: string, v: unknown): void {
  if (v !== 0 && v !== 1) throw new HardwareError('invalid-argument', line, `Cannot drive line "${line}" to ${String(v)}: use 0 or 1`);
}

function checkStartedOr(reject: (e: unknown) => void, s: ExitStatus, tool: string, line: string): void {
  try {
    checkStarted(s, tool, line);
  } catch (e) {
    reject(e);
  }
}
