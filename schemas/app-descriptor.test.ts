// Tests of the app descriptor: defaults, errors naming file and field, and the manifest built
// from a descriptor.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppDescriptorError, DEFAULT_APP_LIMITS, manifestFromDescriptor, modulePath, parseAppDescriptor, readAppDescriptor } from './app-descriptor.ts';
import { decodeManifest, encodeManifest } from './messages/index.ts';
import { SchemaError } from './schema/index.ts';

const minimal = { name: 'blink', version: '0.1.0', kind: 'command', module: 'blink.wasm', targets: ['sim'] };

function descriptorError(text: string): AppDescriptorError {
  try {
    parseAppDescriptor(text, 'apps/blink/fleetlet.app.json');
  } catch (e) {
    if (e instanceof AppDescriptorError) return e;
    throw e;
  }
  throw new Error('parsed');
}

describe('parseAppDescriptor', () => {
  it('fills defaults for the optional fields', () => {
    expect(parseAppDescriptor(JSON.stringify(minimal))).toEqual({ ...minimal, capabilities: [], limits: DEFAULT_APP_LIMITS, settings: {} });
  });

  it('takes the given limits, tick period and settings over the defaults', () => {
    const d = parseAppDescriptor(
      JSON.stringify({
        ...minimal,
        kind: 'reactor',
        capabilities: ['sensor:temperature:read', 'gpio:17:out'],
        limits: { maxMemoryPages: 2, fuelPerTick: 5000 },
        tickPeriodMs: 250,
        settings: { SETPOINT: '21.5' },
      }),
    );
    expect(d.limits).toEqual({ ...DEFAULT_APP_LIMITS, maxMemoryPages: 2, fuelPerTick: 5000, tickPeriodMs: 250 });
    expect(d.settings).toEqual({ SETPOINT: '21.5' });
    expect(d.capabilities).toEqual(['sensor:temperature:read', 'gpio:17:out']);
  });

  it.each<[string, unknown, string, string]>([
    ['a missing field', { ...minimal, targets: undefined }, 'missing-field', 'targets'],
    ['an unknown field', { ...minimal, signer: 'me' }, 'unknown-field', 'signer'],
    ['a bad capability', { ...minimal, capabilities: ['clock', 'random', 'gpio:17'] }, 'pattern-mismatch', 'capabilities[2]'],
    ['a limit out of range', { ...minimal, limits: { maxMemoryPages: 70000 } }, 'out-of-range', 'limits.maxMemoryPages'],
    ['tick period inside limits', { ...minimal, limits: { tickPeriodMs: 5 } }, 'unknown-field', 'limits.tickPeriodMs'],
    ['a version that is not semver', { ...minimal, version: 'v1' }, 'pattern-mismatch', 'version'],
    ['a numeric setting', { ...minimal, settings: { SETPOINT: 21.5 } }, 'wrong-type', 'settings["SETPOINT"]'],
    ['an array at the top', [minimal], 'wrong-type', ''],
  ])('refuses %s, naming the field', (_what, doc, code, field) => {
    const e = descriptorError(JSON.stringify(doc));
    expect({ code: e.code, field: e.field, file: e.file }).toEqual({ code, field, file: 'apps/blink/fleetlet.app.json' });
  });

  it('says which file and field in its message', () => {
    expect(descriptorError(JSON.stringify({ ...minimal, kind: 'daemon' })).message).toBe(
      'apps/blink/fleetlet.app.json: invalid field "kind": expected one of "reactor", "command", found "daemon"',
    );
  });

  it('refuses text that is not JSON', () => {
    const e = descriptorError('{ name: blink }');
    expect(e.code).toBe('invalid-json');
    expect(e.message.startsWith('apps/blink/fleetlet.app.json: not valid JSON (')).toBe(true);
  });

  it('refuses a "__proto__" field as unknown', () => {
    expect(descriptorError('{"__proto__": {"name": "x"}, "name": "blink"}').code).toBe('unknown-field');
  });
});

describe('readAppDescriptor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetlet-desc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and resolves the module beside it', () => {
    const file = join(dir, 'fleetlet.app.json');
    writeFileSync(file, JSON.stringify(minimal));
    const d = readAppDescriptor(file);
    expect(modulePath(d, file)).toBe(join(dir, 'blink.wasm'));
  });

  it('reports a missing file as unreadable', () => {
    const file = join(dir, 'none.json');
    let caught: unknown;
    try {
      readAppDescriptor(file);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AppDescriptorError);
    expect((caught as AppDescriptorError).code).toBe('unreadable');
    expect((caught as AppDescriptorError).message).toBe(`${file}: cannot read the file (ENOENT)`);
  });
});

describe('manifestFromDescriptor', () => {
  const facts = { sequence: 3, digest: new Uint8Array(32).fill(9), size: 4096, issuedAt: 1000, expiresAt: 2000 };

  it('builds a manifest that encodes and decodes', () => {
    const m = manifestFromDescriptor(parseAppDescriptor(JSON.stringify({ ...minimal, capabilities: ['clock'] })), facts);
    expect(m).toEqual({ v: 1, name: 'blink', version: '0.1.0', kind: 'command', targets: ['sim'], capabilities: ['clock'], limits: DEFAULT_APP_LIMITS, ...facts });
    expect(decodeManifest(encodeManifest(m))).toEqual(m);
  });

  it('refuses facts that make an invalid manifest', () => {
    expect(() => manifestFromDescriptor(parseAppDescriptor(JSON.stringify(minimal)), { ...facts, expiresAt: 1000 })).toThrow(SchemaError);
  });
});
