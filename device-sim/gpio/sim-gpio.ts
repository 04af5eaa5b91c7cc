// The simulated GpioBackend: the scenario's pins, inputs driven by the scenario's edges (or by
// `setInput` from a test), outputs recorded with timestamps; waits and edges follow the injected
// time source.

import { HardwareError } from '../../agent/host/hw/errors.ts';
import {
  edgeMatches,
  type GpioBackend,
  type GpioEdge,
  type GpioEdgeEvent,
  type GpioLineConfig,
  type GpioLineInfo,
  type GpioValue,
  type GpioWaitOptions,
} from '../../agent/host/hw/gpio.ts';
import type { TimeSource } from '../../agent/host/hw/time.ts';
import { checkTimeout, waitFor, type Settle } from '../../agent/host/hw/_wait.ts';
import type { GpioPinSpec } from '../scenario.ts';

/** A change of what an output pin shows the world; null: released (no longer driven). */
export interface OutputChange {
  readonly line: string;
  readonly value: GpioValue | null;
  /** Clock time of the change. */
  readonly at: number;
}

interface Waiter {
  readonly edge: GpioEdge;
  readonly settle: Settle<GpioEdgeEvent | null>;
}

interface Pin {
  readonly name: string;
  readonly spec: GpioPinSpec;
  /** The level on the wire: an input's as the world drives it, an output's as the app drives it. */
  level: GpioValue;
  config: GpioLineConfig | undefined;
  waiter: Waiter | undefined;
}

export interface SimGpioOptions {
  readonly time: TimeSource;
  /** Clock time of the simulation's start; scenario edges are relative to it (default: now). */
  readonly startedAt?: number;
  /** Called on every output change (for `fleetlet run` to print). */
  readonly onOutput?: (change: OutputChange) => void;
}

export class SimGpio implements GpioBackend {
  readonly kind = 'sim';
  /** Every output change so far, oldest first. */
  readonly outputLog: OutputChange[] = [];
  private readonly pins = new Map<string, Pin>();
  private readonly time: TimeSource;
  private readonly onOutput: ((change: OutputChange) => void) | undefined;
  private readonly timers: unknown[] = [];
  private closed = false;

  constructor(specs: Readonly<Record<string, GpioPinSpec>>, options: SimGpioOptions) {
    this.time = options.time;
    this.onOutput = options.onOutput;
    const start = options.startedAt ?? options.time.now();
    for (const name of Object.keys(specs).sort()) {
      const spec = specs[name]!;
      this.pins.set(name, { name, spec, level: spec.kind === 'input' ? spec.initial : 0, config: undefined, waiter: undefined });
      if (spec.kind === 'input') {
        for (const e of spec.edges) {
          const delay = start + e.atMs - this.time.now();
          this.timers.push(this.time.setTimeout(() => this.setInput(name, e.value), delay));
        }
      }
    }
  }

  // ---- the world's side ----

  /**
   * Drives an input pin to `value` (as a button or contact would); an edge wakes a matching wait.
   * @throws HardwareError "unknown-line", "wrong-direction" (an output pin)
   */
  setInput(line: string, value: GpioValue): void {
    const pin = this.pin(line);
    if (pin.spec.kind !== 'input') throw new HardwareError('wrong-direction', line, `Cannot drive pin "${line}": it is an output in the scenario`);
    if (pin.level === value) return;
    pin.level = value;
    const edge = value === 1 ? 'rising' : 'falling';
    const w = pin.waiter;
    if (w !== undefined && edgeMatches(w.edge, edge)) w.settle.resolve({ line, edge, at: this.time.now() });
  }

  /** What an output pin shows the world now: its driven value, or null when not driven. */
  outputLevel(line: string): GpioValue | null {
    const pin = this.pin(line);
    return pin.config?.direction === 'output' ? pin.level : null;
  }

  // ---- the app's side (GpioBackend) ----

  async lines(): Promise<readonly GpioLineInfo[]> {
    this.checkOpen();
    return [...this.pins.values()].map((p) => ({ name: p.name, source: `sim:${p.spec.kind}` }));
  }

  async configure(line: string, config: GpioLineConfig): Promise<void> {
    this.checkOpen();
    const pin = this.pin(line);
    if (pin.config !== undefined) throw new HardwareError('busy', line, `Cannot configure line "${line}": it is already configured`);
    if (config.direction !== (pin.spec.kind === 'input' ? 'input' : 'output')) {
      throw new HardwareError('wrong-direction', line, `Cannot configure line "${line}" as ${config.direction}: the scenario wires it as an ${pin.spec.kind}`);
    }
    if (config.direction === 'output') {
      checkValue(line, config.initial);
      pin.config = config;
      this.drive(pin, config.initial, true);
    } else {
      pin.config = config;
    }
  }

  async read(line: string): Promise<GpioValue> {
    this.checkOpen();
    return this.configured(line, 'read').level;
  }

  async write(line: string, value: GpioValue): Promise<void> {
    this.checkOpen();
    const pin = this.configured(line, 'write');
    if (pin.config!.direction !== 'output') throw new HardwareError('wrong-direction', line, `Cannot write line "${line}": it is an input`);
    checkValue(line, value);
    this.drive(pin, value, false);
  }

  waitEdge(line: string, edge: GpioEdge, options: GpioWaitOptions): Promise<GpioEdgeEvent | null> {
    try {
      this.checkOpen();
      const pin = this.configured(line, 'wait on');
      if (pin.config!.direction !== 'input') throw new HardwareError('wrong-direction', line, `Cannot wait for an edge on line "${line}": it is an output`);
      if (pin.waiter !== undefined) throw new HardwareError('busy', line, `Cannot wait for an edge on line "${line}": a wait is already running`);
      checkTimeout(options.timeoutMs, line);
      return waitFor<GpioEdgeEvent | null>({
        timers: this.time,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        device: line,
        onTimeout: () => ({ value: null }),
        begin: (settle) => {
          const w: Waiter = { edge, settle };
          pin.waiter = w;
          return () => {
            if (pin.waiter === w) pin.waiter = undefined;
          };
        },
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async release(line: string): Promise<void> {
    this.checkOpen();
    this.releasePin(this.pin(line));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const pin of this.pins.values()) this.releasePin(pin);
    for (const t of this.timers) this.time.clearTimeout(t);
    this.closed = true;
  }

  private releasePin(pin: Pin): void {
    pin.waiter?.settle.reject(new HardwareError('closed', pin.name, `Wait on line "${pin.name}" ended: the line was released`));
    if (pin.config?.direction === 'output') this.record(pin.name, null);
    pin.config = undefined;
  }

  private drive(pin: Pin, value: GpioValue, first: boolean): void {
    if (!first && pin.level === value) return;
    pin.level = value;
    this.record(pin.name, value);
  }

  private record(line: string, value: GpioValue | null): void {
    const change: OutputChange = { line, value, at: this.time.now() };
    this.outputLog.push(change);
    this.onOutput?.(change);
  }

  private pin(line: string): Pin {
    const pin = this.pins.get(line);
    if (pin === undefined) throw new HardwareError('unknown-line', line, `No GPIO line "${line}" in the scenario`);
    return pin;
  }

  private configured(line: string, verb: string): Pin {
    const pin = this.pin(line);
    if (pin.config === undefined) throw new HardwareError('not-configured', line, `Cannot ${verb} line "${line}": configure it first`);
    return pin;
  }

  private checkOpen(): void {
    if (this.closed) throw new HardwareError('closed', undefined, 'Cannot use the simulated GPIO: the backend is closed');
  }
}

function checkValue(line: string, v: unknown): void {
  if (v !== 0 && v !== 1) throw new HardwareError('invalid-argument', line, `Cannot drive line "${line}" to ${String(v)}: use 0 or 1`);
}
