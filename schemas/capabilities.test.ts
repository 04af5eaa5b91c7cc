// Tests of the capability grammar, `covers`, and the host import table with
// `requiredCapabilities` on modules compiled by fleetlet's own engine.

import { describe, expect, it } from 'vitest';
import { Module } from '../agent/wasm/index.ts';
import { wat } from '../test/fuzz/wat.ts';
import { CAPABILITY_KINDS, CapabilityError, covers, filterCovers, parseCapability, uncovered, type CapabilityErrorCode } from './capabilities.ts';
import { findHostImport, HOST_IMPORTS, HOST_MODULE, missingCapabilityKinds, requiredCapabilities, signature, WASI_MODULE, type ImportLike } from './host-imports.ts';

function parseError(text: string, grant = false): CapabilityError {
  try {
    parseCapability(text, { grant });
  } catch (e) {
    if (e instanceof CapabilityError) return e;
    throw e;
  }
  throw new Error(`parsed "${text}"`);
}

describe('parseCapability', () => {
  it.each<[string, string, (string | number)[]]>([
    ['sensor:temperature:read', 'sensor', ['temperature', 'read']],
    ['gpio:17:out', 'gpio', [17, 'out']],
    ['gpio:0:in', 'gpio', [0, 'in']],
    ['serial:/dev/ttyUSB0:9600', 'serial', ['/dev/ttyUSB0', 9600]],
    ['publish:alerts/#', 'publish', ['alerts/#']],
    ['publish:readings/+/raw', 'publish', ['readings/+/raw']],
    ['kv:64KiB', 'kv', [65536]],
    ['kv:1MiB', 'kv', [1048576]],
    ['kv:512', 'kv', [512]],
    ['kv:100B', 'kv', [100]],
    ['clock', 'clock', []],
    ['random', 'random', []],
  ])('parses "%s"', (text, kind, args) => {
    expect(parseCapability(text)).toEqual({ kind, args, text });
  });

  it.each<[string, CapabilityErrorCode]>([
    ['network:any', 'unknown-kind'],
    ['', 'unknown-kind'],
    ['__proto__:x', 'unknown-kind'],
    ['sensor:temperature', 'wrong-arity'],
    ['clock:wall', 'wrong-arity'],
    ['sensor:Temperature:read', 'bad-argument'],
    ['sensor:temperature:write', 'bad-argument'],
    ['gpio:1024:out', 'bad-argument'],
    ['gpio:017:out', 'bad-argument'],
    ['gpio:17:inout', 'bad-argument'],
    ['serial:/dev/../etc/passwd:9600', 'bad-argument'],
    ['serial:/tmp/tty:9600', 'bad-argument'],
    ['serial:/dev/ttyS0:9601', 'bad-argument'],
    ['publish:alerts/#/x', 'bad-argument'],
    ['publish:/alerts', 'bad-argument'],
    ['publish:al+erts', 'bad-argument'],
    ['publish:$SYS/x', 'bad-argument'],
    ['kv:0', 'bad-argument'],
    ['kv:17MiB', 'bad-argument'],
    ['kv:64kb', 'bad-argument'],
    ['kv:*', 'bad-argument'],
    ['gpio:17:*', 'bad-argument'],
    ['sensor:*:read', 'wildcard-not-allowed'],
    ['gpio:*:out', 'wildcard-not-allowed'],
  ])('refuses "%s" with "%s"', (text, code) => {
    expect(parseError(text).code).toBe(code);
  });

  it('lets a device grant use "*" where the argument type allows it', () => {
    expect(parseCapability('sensor:*:read', { grant: true }).args).toEqual(['*', 'read']);
    expect(parseCapability('serial:*:*', { grant: true }).args).toEqual(['*', '*']);
    expect(parseError('kv:*', true).code).toBe('bad-argument');
  });

  it('names the expected syntax on a wrong arity', () => {
    expect(parseError('gpio:17').message).toBe('Invalid capability "gpio:17": expected gpio:<pin>:<direction>');
  });
});

describe('covers', () => {
  const g = (t: string) => parseCapability(t, { grant: true });
  const r = (t: string) => parseCapability(t);
  it.each<[string, string, boolean]>([
    ['sensor:temperature:read', 'sensor:temperature:read', true],
    ['sensor:*:read', 'sensor:humidity:read', true],
    ['sensor:temperature:read', 'sensor:humidity:read', false],
    ['gpio:17:out', 'gpio:17:out', true],
    ['gpio:17:out', 'gpio:17:in', false],
    ['gpio:*:in', 'gpio:4:in', true],
    ['gpio:17:out', 'gpio:18:out', false],
    ['serial:/dev/ttyUSB0:9600', 'serial:/dev/ttyUSB0:115200', false],
    ['serial:/dev/ttyUSB0:*', 'serial:/dev/ttyUSB0:115200', true],
    ['kv:64KiB', 'kv:65536', true],
    ['kv:64KiB', 'kv:65537', false],
    ['kv:1MiB', 'kv:64KiB', true],
    ['publish:alerts/#', 'publish:alerts/high', true],
    ['publish:alerts/#', 'publish:alerts/#', true],
    ['publish:alerts/#', 'publish:alerts', true],
    ['publish:alerts/+', 'publish:alerts/high', true],
    ['publish:alerts/+', 'publish:alerts/#', false],
    ['publish:alerts/+', 'publish:alerts/+', true],
    ['publish:alerts/high', 'publish:alerts/+', false],
    ['publish:alerts/high', 'publish:alerts/high/x', false],
    ['publish:#', 'publish:anything/at/all', true],
    ['clock', 'clock', true],
    ['clock', 'random', false],
  ])('grant "%s" covers request "%s": %s', (granted, requested, expected) => {
    expect(covers(g(granted), r(requested))).toBe(expected);
  });

  it('filterCovers follows MQTT matching: "#" also matches the parent level', () => {
    expect(filterCovers('a/#', 'a')).toBe(true);
    expect(filterCovers('a/+', 'a')).toBe(false);
    expect(filterCovers('+/b', 'x/b')).toBe(true);
  });

  it('uncovered lists the requests that no grant covers', () => {
    const grants = ['sensor:*:read', 'kv:64KiB'].map(g);
    const requests = ['sensor:temperature:read', 'kv:1MiB', 'clock'].map(r);
    expect(uncovered(grants, requests).map((c) => c.text)).toEqual(['kv:1MiB', 'clock']);
  });

  it('has a grammar row for every kind the table needs', () => {
    const needed = new Set(HOST_IMPORTS.map((h) => h.capability).filter((k) => k !== null));
    for (const k of needed) expect(Object.keys(CAPABILITY_KINDS)).toContain(k);
  });
});

describe('host import table', () => {
  it('names each function once', () => {
    const keys = HOST_IMPORTS.map((h) => `${h.module} ${h.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  // The WASI preview1 types as the witx definitions give them (pointers and sizes are i32).
  it.each<[string, string]>([
    ['fd_write', '(i32, i32, i32, i32) -> i32'],
    ['fd_close', '(i32) -> i32'],
    ['fd_seek', '(i32, i64, i32, i32) -> i32'],
    ['fd_fdstat_get', '(i32, i32) -> i32'],
    ['clock_time_get', '(i32, i64, i32) -> i32'],
    ['random_get', '(i32, i32) -> i32'],
    ['proc_exit', '(i32) -> ()'],
    ['args_get', '(i32, i32) -> i32'],
    ['args_sizes_get', '(i32, i32) -> i32'],
    ['environ_get', '(i32, i32) -> i32'],
    ['environ_sizes_get', '(i32, i32) -> i32'],
    ['poll_oneoff', '(i32, i32, i32, i32) -> i32'],
  ])('WASI %s has the preview1 type %s', (name, type) => {
    const row = findHostImport(WASI_MODULE, name);
    expect(row).toBeDefined();
    expect(signature(row!)).toBe(type);
  });

  it('marks exactly the waiting functions as suspending', () => {
    const suspending = HOST_IMPORTS.filter((h) => h.suspends).map((h) => h.name).sort();
    // Every call that reaches asynchronous hardware suspends (gpiod tools run a process, serialport
    // opens a file), as do the waits.
    expect(suspending).toEqual([
      'gpio_config', 'gpio_read', 'gpio_wait_edge', 'gpio_write', 'poll_oneoff', 'sensor_read',
      'serial_close', 'serial_open', 'serial_read', 'serial_write', 'sleep',
    ]);
  });
});

/** The imports of a compiled module, with each function import's type resolved. */
function importsOf(text: string): ImportLike[] {
  const m = Module.compile(wat(text));
  return m.imports().map((i) => (i.desc.kind === 'func' ? { ...i, type: m.ast.types[i.desc.typeIndex] } : i));
}

describe('requiredCapabilities', () => {
  it('maps the imports of a compiled module to capability kinds', () => {
    const imports = importsOf(`(module
      (import "${HOST_MODULE}" "sensor_read" (func (param i32 i32 i32) (result i32)))
      (import "${HOST_MODULE}" "gpio_write" (func (param i32 i32) (result i32)))
      (import "${HOST_MODULE}" "gpio_read" (func (param i32) (result i32)))
      (import "${HOST_MODULE}" "log" (func (param i32 i32 i32)))
      (import "${WASI_MODULE}" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "${WASI_MODULE}" "clock_time_get" (func (param i32 i64 i32) (result i32)))
      (memory (export "memory") 1))`);
    expect(requiredCapabilities(imports)).toEqual(['clock', 'gpio', 'sensor']);
  });

  it('needs nothing for a module without imports', () => {
    expect(requiredCapabilities(importsOf('(module (func (export "tick")))'))).toEqual([]);
  });

  it.each<[string, string, CapabilityErrorCode]>([
    ['an unknown function', `(import "${HOST_MODULE}" "launch_missiles" (func))`, 'unknown-import'],
    ['a function of another module', `(import "env" "log" (func (param i32 i32 i32)))`, 'unknown-import'],
    ['a memory import', `(import "${HOST_MODULE}" "memory" (memory 1))`, 'unknown-import'],
    ['a global import', `(import "${WASI_MODULE}" "fd_write" (global i32))`, 'unknown-import'],
    ['a known function with another type', `(import "${HOST_MODULE}" "gpio_write" (func (param i32) (result i32)))`, 'signature-mismatch'],
    ['a WASI function with i32 for i64', `(import "${WASI_MODULE}" "clock_time_get" (func (param i32 i32 i32) (result i32)))`, 'signature-mismatch'],
  ])('refuses %s', (_what, importText, code) => {
    let caught: unknown;
    try {
      requiredCapabilities(importsOf(`(module ${importText})`));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CapabilityError);
    expect((caught as CapabilityError).code).toBe(code);
  });

  it('missingCapabilityKinds lists the kinds a declaration lacks', () => {
    const declared = ['sensor:temperature:read', 'clock'].map((t) => parseCapability(t));
    expect(missingCapabilityKinds(['clock', 'gpio', 'sensor'], declared)).toEqual(['gpio']);
  });
});
