// Tests of linking: every table row has an implementation (and only those), imports whose
// capability kind is missing fail with a LinkError "capability-denied" naming the import and the
// capability (not declared, or declared but refused by the device policy), and unknown or
// mistyped imports fail before anything runs.

import { describe, expect, it } from 'vitest';
import { HOST_IMPORTS, WASI_MODULE } from '../../schemas/host-imports.ts';
import { LinkError } from '../wasm/errors.ts';
import { Instance, Store } from '../wasm/instance.ts';
import { AppHost } from './app-host.ts';
import { HOST_DEFS } from './link.ts';
import { HOST, reexportModule, testDevice, watModule } from './_test-kit.ts';

async function host(capabilities: string[], deviceGrants?: string[]): Promise<AppHost> {
  const dev = testDevice();
  return AppHost.create(dev.device, { app: 'probe', capabilities, ...(deviceGrants === undefined ? {} : { deviceGrants }) });
}

function linkError(f: () => unknown): LinkError {
  try {
    f();
  } catch (e) {
    if (e instanceof LinkError) return e;
    throw e;
  }
  throw new Error('Expected a LinkError');
}

describe('the implementation and the host import table', () => {
  it('implement exactly the same functions', () => {
    const rows = HOST_IMPORTS.map((r) => `${r.module} ${r.name}`).sort();
    const defs = HOST_DEFS.map((d) => `${d.module} ${d.name}`).sort();
    expect(defs).toEqual(rows);
  });

  it('suspend exactly where the table says', () => {
    // gpio_config/read/write and serial_open/close suspend too: their backends answer
    // asynchronously (the gpiod tools run a process, serialport opens a file).
    for (const row of HOST_IMPORTS) {
      const d = HOST_DEFS.find((x) => x.module === row.module && x.name === row.name)!;
      expect([row.name, d.suspends]).toEqual([row.name, row.suspends]);
    }
  });
});

describe('linkHost', () => {
  it('links a module whose imports are all covered by its grants', async () => {
    const h = await host(['gpio:17:out', 'sensor:temperature:read']);
    const m = reexportModule(['log', 'gpio_write', 'sensor_read', 'sleep']);
    expect(Instance.instantiate(new Store(), m, h.imports(m)).kind).toBe('done');
  });

  it('refuses an import whose capability the manifest does not declare, naming both', async () => {
    const h = await host(['sensor:temperature:read']);
    const e = linkError(() => h.imports(reexportModule(['sensor_read', 'gpio_write'])));
    expect(e.code).toBe('capability-denied');
    expect([e.module, e.field]).toEqual([HOST, 'gpio_write']);
    expect(e.message).toBe('Cannot link import "fleetlet:host/v1" "gpio_write": it needs a "gpio:<pin>:<direction>" capability, which the manifest does not declare');
  });

  it('refuses an import whose declared capability the device policy does not cover', async () => {
    const h = await host(['gpio:17:out', 'sensor:temperature:read'], ['sensor:*:read', 'gpio:18:out']);
    const e = linkError(() => h.imports(reexportModule(['gpio_write'])));
    expect(e.code).toBe('capability-denied');
    expect(e.message).toBe('Cannot link import "fleetlet:host/v1" "gpio_write": it needs a "gpio:<pin>:<direction>" capability, which the device policy does not grant (declared: "gpio:17:out")');
    expect(() => h.imports(reexportModule(['sensor_read']))).not.toThrow();
  });

  it('needs "clock" for the wall clock and WASI clock_time_get, nothing for the monotonic clock', async () => {
    const h = await host([]);
    expect(() => h.imports(reexportModule(['clock_mono']))).not.toThrow();
    expect(linkError(() => h.imports(reexportModule(['clock_wall']))).code).toBe('capability-denied');
    expect(linkError(() => h.imports(reexportModule(['clock_time_get'], WASI_MODULE))).message).toContain('"clock" capability');
    expect(linkError(() => h.imports(reexportModule(['random_get'], WASI_MODULE))).message).toContain('"random" capability');
  });

  it('refuses functions the host does not offer, and memory imports, as unknown-import', async () => {
    const h = await host([]);
    const e = linkError(() => h.imports(watModule(`(module (import "${HOST}" "reboot" (func)))`)));
    expect([e.code, e.field]).toEqual(['unknown-import', 'reboot']);
    const e2 = linkError(() => h.imports(watModule('(module (import "env" "memory" (memory 1)))')));
    expect(e2.code).toBe('unknown-import');
    expect(e2.message).toContain('no memory imports');
  });

  it('refuses a known function imported with another type as incompatible-import', async () => {
    const h = await host([]);
    const e = linkError(() => h.imports(watModule(`(module (import "${HOST}" "sleep" (func (param i64) (result i32))))`)));
    expect(e.code).toBe('incompatible-import');
    expect(e.message).toContain('(i32) -> i32');
  });

  it('every capability-free function links with no capabilities at all', async () => {
    const h = await host([]);
    for (const row of HOST_IMPORTS.filter((r) => r.capability === null)) {
      expect(() => h.imports(reexportModule([row.name], row.module))).not.toThrow();
    }
  });
});
