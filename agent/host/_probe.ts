// Test harness for agent/host (private to its tests): an app host on a test device and an
// instance that re-exports host functions, so a test calls them through the engine with
// pointers into real module memory and drives their suspensions by hand.

import type { CallResult, Value } from '../wasm/api.ts';
import { Instance, Store } from '../wasm/instance.ts';
import { AppHost } from './app-host.ts';
import type { AppHostOptions } from './config.ts';
import { reexportModule, testDevice, type FakeSerialDevice, type TestDevice } from './_test-kit.ts';

export interface Probe {
  readonly dev: TestDevice;
  readonly host: AppHost;
  readonly inst: Instance;
  /** The module memory now. */
  mem(): Uint8Array;
  /** Copies text into module memory (at increasing offsets from 1024): [ptr, len]. */
  str(text: string): [number, number];
  /** Calls a re-exported host function; the result may be suspended. */
  call(name: string, ...args: Value[]): CallResult<Value[]>;
  /** Calls and, while the call waits on a promise, awaits it and resumes; the first result. */
  run(name: string, ...args: Value[]): Promise<Value>;
}

export interface ProbeOptions extends Partial<Omit<AppHostOptions, 'app'>> {
  readonly dataDir?: string;
  readonly serialDevices?: Record<string, FakeSerialDevice>;
  readonly importModule?: string;
}

/** Finishes a call: awaits each promise it waits on and resumes with the value. */
export async function finish(r: CallResult<Value[]>): Promise<Value> {
  while (r.kind === 'suspended') {
    const p = r.call.pending?.promise;
    if (p === undefined) throw new Error(`The call waits with no promise: ${JSON.stringify(r.call.pending?.detail)}`);
    r = r.call.resume(await p);
  }
  if (r.kind !== 'done') throw new Error(`The call ended as "${r.kind}": ${r.kind === 'trap' ? r.trap.message : r.kind === 'exhausted' ? r.error.message : ''}`);
  return r.value[0];
}

/** A host for app "probe" with `capabilities`, and an instance re-exporting `names`. */
export async function probe(names: readonly string[], options: ProbeOptions = {}): Promise<Probe> {
  const dev = testDevice({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.serialDevices === undefined ? {} : { serialDevices: options.serialDevices }),
  });
  const host = await AppHost.create(dev.device, { app: 'probe', capabilities: [], ...options });
  const m = reexportModule(names, options.importModule);
  const r = Instance.instantiate(new Store(), m, host.imports(m));
  if (r.kind !== 'done') throw new Error(`Instantiation ended as "${r.kind}"`);
  const inst = r.value;
  host.attach(inst);
  let top = 1024;
  const mem = (): Uint8Array => new Uint8Array(inst.memory('memory').buffer);
  return {
    dev,
    host,
    inst,
    mem,
    str(text) {
      const b = Buffer.from(text, 'utf8');
      const p = top;
      mem().set(b, p);
      top += b.length;
      return [p, b.length];
    },
    call: (name, ...args) => inst.func(name).call(...args),
    run: (name, ...args) => finish(inst.func(name).call(...args)),
  };
}
