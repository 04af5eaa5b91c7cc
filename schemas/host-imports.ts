// The table of every function fleetlet's host offers to modules (its own `fleetlet:host/v1` API and
// the WASI preview1 subset): WebAssembly type, whether it can suspend, and the capability kind it
// needs. `fleetlet sign`, the host layer and the docs all read this one table.

import { CapabilityError, type Capability, type CapabilityKindName } from './capabilities.ts';

/** The import module name of fleetlet's own host API. */
export const HOST_MODULE = 'fleetlet:host/v1';
/** The import module name of WASI preview1. */
export const WASI_MODULE = 'wasi_snapshot_preview1';

export type WasmNumType = 'i32' | 'i64' | 'f32' | 'f64';

/** One host function. */
export interface HostImport {
  readonly module: typeof HOST_MODULE | typeof WASI_MODULE;
  readonly name: string;
  readonly params: readonly WasmNumType[];
  readonly results: readonly WasmNumType[];
  /** The capability kind a module must declare (and the device grant) to import it; null: none. */
  readonly capability: CapabilityKindName | null;
  /** True when a call may wait (the engine suspends the call and the scheduler runs others). */
  readonly suspends: boolean;
  /** What it does, for the ABI docs. */
  readonly summary: string;
}

const I32 = 'i32';
const I64 = 'i64';

function host(name: string, params: WasmNumType[], results: WasmNumType[], capability: CapabilityKindName | null, suspends: boolean, summary: string): HostImport {
  return { module: HOST_MODULE, name, params, results, capability, suspends, summary };
}
function wasi(name: string, params: WasmNumType[], results: WasmNumType[], capability: CapabilityKindName | null, suspends: boolean, summary: string): HostImport {
  return { module: WASI_MODULE, name, params, results, capability, suspends, summary };
}

/**
 * Every importable function. Pointers and lengths are i32 offsets into the module's memory;
 * fleetlet functions that can fail return an i32 status (0 or a count on success, a negative
 * error code otherwise). WASI functions keep their preview1 types and errno results.
 */
export const HOST_IMPORTS: readonly HostImport[] = [
  host('log', [I32, I32, I32], [], null, false, 'log(level, ptr, len): writes a UTF-8 line to the module log (0 debug, 1 info, 2 warn, 3 error)'),
  host('clock_wall', [], [I64], 'clock', false, 'clock_wall() -> nanoseconds since the Unix epoch'),
  host('clock_mono', [], [I64], null, false, 'clock_mono() -> nanoseconds of a monotonic clock'),
  host('sleep', [I32], [I32], null, true, 'sleep(ms) -> status: waits without holding the agent'),
  host('sensor_read', [I32, I32, I32], [I32], 'sensor', true, 'sensor_read(name_ptr, name_len, out_f64_ptr) -> status: stores the reading as an f64'),
  host('gpio_config', [I32, I32], [I32], 'gpio', true, 'gpio_config(pin, direction) -> status (0 input, 1 output)'),
  host('gpio_read', [I32], [I32], 'gpio', true, 'gpio_read(pin) -> level 0 or 1, or a negative status'),
  host('gpio_write', [I32, I32], [I32], 'gpio', true, 'gpio_write(pin, level) -> status'),
  host('gpio_wait_edge', [I32, I32, I32], [I32], 'gpio', true, 'gpio_wait_edge(pin, edge, timeout_ms) -> level after the edge, or a negative status (edge 0 rising, 1 falling, 2 both)'),
  host('serial_open', [I32, I32, I32], [I32], 'serial', true, 'serial_open(path_ptr, path_len, baud) -> handle, or a negative status'),
  host('serial_read', [I32, I32, I32, I32], [I32], 'serial', true, 'serial_read(handle, buf_ptr, buf_len, timeout_ms) -> bytes read, or a negative status'),
  host('serial_write', [I32, I32, I32], [I32], 'serial', true, 'serial_write(handle, ptr, len) -> bytes written, or a negative status'),
  host('serial_close', [I32], [I32], 'serial', true, 'serial_close(handle) -> status'),
  host('publish', [I32, I32, I32, I32], [I32], 'publish', false, 'publish(topic_ptr, topic_len, payload_ptr, payload_len) -> status: topic below the app namespace'),
  host('kv_get', [I32, I32, I32, I32], [I32], 'kv', false, 'kv_get(key_ptr, key_len, buf_ptr, buf_len) -> value length, or a negative status'),
  host('kv_set', [I32, I32, I32, I32], [I32], 'kv', false, 'kv_set(key_ptr, key_len, val_ptr, val_len) -> status'),
  host('kv_delete', [I32, I32], [I32], 'kv', false, 'kv_delete(key_ptr, key_len) -> status'),
  wasi('fd_write', [I32, I32, I32, I32], [I32], null, false, 'fd_write(fd, iovs, iovs_len, nwritten_ptr) -> errno: stdout and stderr go to the module log'),
  wasi('fd_close', [I32], [I32], null, false, 'fd_close(fd) -> errno'),
  wasi('fd_seek', [I32, I64, I32, I32], [I32], null, false, 'fd_seek(fd, offset, whence, newoffset_ptr) -> errno (ESPIPE on the standard streams)'),
  wasi('fd_fdstat_get', [I32, I32], [I32], null, false, 'fd_fdstat_get(fd, stat_ptr) -> errno'),
  wasi('clock_time_get', [I32, I64, I32], [I32], 'clock', false, 'clock_time_get(clock_id, precision, time_ptr) -> errno'),
  wasi('random_get', [I32, I32], [I32], 'random', false, 'random_get(buf_ptr, buf_len) -> errno'),
  wasi('proc_exit', [I32], [], null, false, 'proc_exit(code): ends a command'),
  wasi('args_get', [I32, I32], [I32], null, false, 'args_get(argv_ptr, argv_buf_ptr) -> errno (the app name only)'),
  wasi('args_sizes_get', [I32, I32], [I32], null, false, 'args_sizes_get(argc_ptr, argv_buf_size_ptr) -> errno'),
  wasi('environ_get', [I32, I32], [I32], null, false, 'environ_get(environ_ptr, environ_buf_ptr) -> errno: the per-device settings'),
  wasi('environ_sizes_get', [I32, I32], [I32], null, false, 'environ_sizes_get(count_ptr, buf_size_ptr) -> errno'),
  wasi('poll_oneoff', [I32, I32, I32, I32], [I32], null, true, 'poll_oneoff(in_ptr, out_ptr, nsubscriptions, nevents_ptr) -> errno: clock subscriptions sleep'),
];

const BY_KEY = new Map(HOST_IMPORTS.map((h) => [`${h.module}\u0000${h.name}`, h]));

/** The table row for an import, or undefined. */
export function findHostImport(module: string, name: string): HostImport | undefined {
  return BY_KEY.get(`${module}\u0000${name}`);
}

/** An import as `Module.imports()` (agent/wasm/module.ts) lists it; `type` when the caller resolved it. */
export interface ImportLike {
  readonly module: string;
  readonly name: string;
  readonly kind: string;
  readonly type?: { readonly params: readonly number[]; readonly results: readonly number[] };
}

const VAL_TYPE_CODE: Readonly<Record<WasmNumType, number>> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c };

/**
 * The capability kinds a module's imports need, sorted and without repeats.
 * @throws CapabilityError "unknown-import" for an import that no table row names (including any
 * memory, table or global import), "signature-mismatch" when `type` is given and differs
 */
export function requiredCapabilities(imports: readonly ImportLike[]): CapabilityKindName[] {
  const kinds = new Set<CapabilityKindName>();
  for (const imp of imports) {
    const subject = `"${imp.module}" "${imp.name}"`;
    const row = imp.kind === 'func' ? findHostImport(imp.module, imp.name) : undefined;
    if (row === undefined) {
      throw new CapabilityError('unknown-import', subject, imp.kind === 'func' ? 'the host offers no such function' : `the host offers no ${imp.kind} imports`);
    }
    if (imp.type !== undefined && !sameType(row, imp.type)) {
      throw new CapabilityError('signature-mismatch', subject, `expected ${signature(row)}`);
    }
    if (row.capability !== null) kinds.add(row.capability);
  }
  return [...kinds].sort();
}

/** The kinds in `required` that no declared capability provides (empty: the declaration suffices). */
export function missingCapabilityKinds(required: readonly CapabilityKindName[], declared: readonly Capability[]): CapabilityKindName[] {
  return required.filter((k) => !declared.some((c) => c.kind === k));
}

function sameType(row: HostImport, t: NonNullable<ImportLike['type']>): boolean {
  const same = (a: readonly WasmNumType[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => VAL_TYPE_CODE[x] === b[i]);
  return same(row.params, t.params) && same(row.results, t.results);
}

/** A row's type as "(i32, i32) -> i32". */
export function signature(row: HostImport): string {
  return `(${row.params.join(', ')}) -> ${row.results.length === 0 ? '()' : row.results.join(', ')}`;
}
