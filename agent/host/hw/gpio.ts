// The GPIO backend interface: named lines configured as input or output, read, written, waited
// on for an edge, released. Implemented by device-sim (scenario-driven pins) and linux/ (gpiod).

export type GpioValue = 0 | 1;
export type GpioDirection = 'input' | 'output';
/** Which edges `waitEdge` returns. */
export type GpioEdge = 'rising' | 'falling' | 'both';
export type GpioBias = 'as-is' | 'pull-up' | 'pull-down' | 'disabled';

export type GpioLineConfig =
  | { readonly direction: 'input'; readonly bias?: GpioBias }
  | { readonly direction: 'output'; readonly initial: GpioValue };

/** One line a backend offers. */
export interface GpioLineInfo {
  /** The name a module and the device config use. */
  readonly name: string;
  /** Where it is (a chip and offset, a simulated pin), for logs. */
  readonly source: string;
}

/** An edge seen on an input line while `waitEdge` waited. */
export interface GpioEdgeEvent {
  readonly line: string;
  readonly edge: 'rising' | 'falling';
  /** Clock time (the backend's injected clock, ms) when the backend saw it. */
  readonly at: number;
}

export interface GpioWaitOptions {
  /** How long to wait before resolving with null; required, finite, >= 0. */
  readonly timeoutMs: number;
  /** Aborting rejects with a HardwareError "aborted" and stops the wait. */
  readonly signal?: AbortSignal;
}

/**
 * A set of GPIO lines. A line is requested by `configure` and held until `release` or `close`;
 * an edge wait only sees edges that happen while it waits (no queue: see DESIGN.md).
 */
export interface GpioBackend {
  readonly kind: string;
  /** The lines there are, sorted by name. @throws HardwareError "closed" */
  lines(): Promise<readonly GpioLineInfo[]>;
  /**
   * Requests a line as input or output (an output is driven to `initial` at once).
   * @throws HardwareError "unknown-line", "busy" (already configured here, or held by another
   *   process), "invalid-argument", "io", "closed"
   */
  configure(line: string, config: GpioLineConfig): Promise<void>;
  /**
   * The line's value: an input's level, an output's driven value.
   * @throws HardwareError "unknown-line", "not-configured", "io", "closed"
   */
  read(line: string): Promise<GpioValue>;
  /**
   * Drives an output line.
   * @throws HardwareError "unknown-line", "not-configured", "wrong-direction", "invalid-argument",
   *   "io", "closed"
   */
  write(line: string, value: GpioValue): Promise<void>;
  /**
   * Waits for an edge on an input line: resolves with the first matching edge, or null when
   * `timeoutMs` passes first. One wait per line at a time.
   * @throws HardwareError "unknown-line", "not-configured", "wrong-direction", "busy" (a wait
   *   on this line is running), "invalid-argument", "aborted", "io", "closed"
   */
  waitEdge(line: string, edge: GpioEdge, options: GpioWaitOptions): Promise<GpioEdgeEvent | null>;
  /**
   * Gives a line back (a running wait on it rejects with "closed"); releasing a line that is not
   * configured does nothing. @throws HardwareError "unknown-line", "closed"
   */
  release(line: string): Promise<void>;
  /** Releases every line; later calls fail with "closed". */
  close(): Promise<void>;
}

/** Whether an edge from `from` to `to` matches the wanted edge kind. */
export function edgeMatches(wanted: GpioEdge, seen: 'rising' | 'falling'): boolean {
  return wanted === 'both' || wanted === seen;
}
