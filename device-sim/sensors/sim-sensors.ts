// The simulated SensorBackend: the scenario's sensors, each read through its model at the
// injected clock's time since the simulation started, failing with "io" inside a fault span.

import { abortError, HardwareError } from '../../agent/host/hw/errors.ts';
import type { SensorBackend, SensorInfo, SensorReading, SensorReadOptions } from '../../agent/host/hw/sensor.ts';
import type { Clock } from '../../agent/host/hw/time.ts';
import type { SensorSpec } from '../scenario.ts';
import { createModel, type SensorModel } from './models.ts';

interface SimSensor {
  readonly info: SensorInfo;
  readonly spec: SensorSpec;
  readonly model: SensorModel;
}

export interface SimSensorOptions {
  readonly clock: Clock;
  readonly seed: number;
  /** Clock time of the simulation's start (default: the clock's time at construction). */
  readonly startedAt?: number;
}

export class SimSensorBackend implements SensorBackend {
  readonly kind = 'sim';
  private readonly sensors = new Map<string, SimSensor>();
  private readonly clock: Clock;
  private readonly startedAt: number;
  private closed = false;

  constructor(specs: Readonly<Record<string, SensorSpec>>, options: SimSensorOptions) {
    this.clock = options.clock;
    this.startedAt = options.startedAt ?? options.clock.now();
    for (const name of Object.keys(specs).sort()) {
      const spec = specs[name]!;
      this.sensors.set(name, {
        info: { name, unit: spec.unit, source: `sim:${spec.model}` },
        spec,
        model: createModel(spec, options.seed, name),
      });
    }
  }

  async list(): Promise<readonly SensorInfo[]> {
    this.checkOpen();
    return [...this.sensors.values()].map((s) => s.info);
  }

  async read(name: string, options: SensorReadOptions = {}): Promise<SensorReading> {
    this.checkOpen();
    if (options.signal?.aborted) throw abortError(options.signal, name);
    const s = this.sensors.get(name);
    if (s === undefined) throw new HardwareError('unknown-sensor', name, `Cannot read sensor "${name}": no such sensor`);
    const at = this.clock.now();
    const t = at - this.startedAt;
    if (s.spec.faults.some((f) => t >= f.fromMs && t < f.toMs)) {
      throw new HardwareError('io', name, `Cannot read sensor "${name}": simulated fault at ${t} ms`);
    }
    return { name, value: s.model(t), unit: s.info.unit, at };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new HardwareError('closed', undefined, 'Cannot use the simulated sensors: the backend is closed');
  }
}
