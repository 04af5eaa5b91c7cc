// The scenario a simulation runs: the types of a parsed scenario file (sensors and their models,
// GPIO pins and their input edges, serial devices) and the error a bad file gets. Times are
// milliseconds since the simulation started, on the injected clock.

/** A time span in which a sensor read fails with "io" (a simulated unplugged or broken sensor). */
export interface FaultSpan {
  readonly fromMs: number;
  readonly toMs: number;
}

export type SensorModelSpec =
  | { readonly model: 'constant'; readonly value: number }
  | {
      readonly model: 'sine';
      readonly mean: number;
      readonly amplitude: number;
      readonly periodMs: number;
      readonly phaseMs: number;
      /** Standard deviation of gaussian noise added per reading (0: none). */
      readonly noise: number;
    }
  | {
      readonly model: 'random-walk';
      readonly start: number;
      /** One step per stepMs; each step is gaussian with this standard deviation. */
      readonly stepMs: number;
      readonly stepStdDev: number;
      readonly min: number;
      readonly max: number;
    }
  | { readonly model: 'steps'; readonly steps: readonly { readonly atMs: number; readonly value: number }[] }
  | {
      readonly model: 'replay';
      /** Samples from the CSV trace, sorted by time. */
      readonly samples: readonly { readonly atMs: number; readonly value: number }[];
      readonly interpolate: 'step' | 'linear';
      /** Start again at the first sample after the last one (else hold the last value). */
      readonly loop: boolean;
    };

export type SensorSpec = SensorModelSpec & {
  readonly unit: string;
  readonly faults: readonly FaultSpan[];
};

export interface InputEdgeSpec {
  readonly atMs: number;
  readonly value: 0 | 1;
}

/**
 * A simulated pin. "input": the world drives it (a button, a door contact), through `initial`
 * and `edges`. "output": the app drives it (a relay, a LED) and the simulation records it.
 */
export type GpioPinSpec =
  | { readonly kind: 'input'; readonly initial: 0 | 1; readonly edges: readonly InputEdgeSpec[] }
  | { readonly kind: 'output' };

export interface GpsSpec {
  readonly device: 'nmea-gps';
  readonly periodMs: number;
  /** UTC date and time of the simulation's start (ISO 8601): the sentences' time and date. */
  readonly startUtc: string;
  readonly lat: number;
  readonly lon: number;
  readonly altitudeM: number;
  readonly speedKnots: number;
  readonly courseDeg: number;
  readonly satellites: number;
  /** Spans with no fix: GGA quality 0, RMC status V, no position. */
  readonly noFix: readonly FaultSpan[];
}

export interface ModemSpec {
  readonly device: 'at-modem';
  /** Time from the end of a command to its reply. */
  readonly latencyMs: number;
  /** Received signal strength index for AT+CSQ (0-31, 99 unknown). */
  readonly rssi: number;
  readonly operator: string;
  /** Extra commands and their reply lines (without the final OK), by upper-cased command. */
  readonly responses: Readonly<Record<string, readonly string[]>>;
}

export type SerialDeviceSpec = GpsSpec | ModemSpec;

export interface Scenario {
  readonly version: 1;
  /** Seed of every random model; the same seed and clock readings give the same values. */
  readonly seed: number;
  readonly sensors: Readonly<Record<string, SensorSpec>>;
  readonly gpio: Readonly<Record<string, GpioPinSpec>>;
  readonly serial: Readonly<Record<string, SerialDeviceSpec>>;
}

/** A scenario file that cannot be used: names the field (a dotted path) and why. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    /** Dotted path of the offending field, e.g. "sensors.temperature.periodMs"; "" for the root. */
    readonly field: string,
    readonly reason: string,
  ) {
    super(field === '' ? `Invalid scenario: ${reason}` : `Invalid scenario field "${field}": ${reason}`);
  }
}
