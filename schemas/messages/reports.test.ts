// Tests of every message through the registry (round trips, version checks) and of the
// unsigned ones' particular rules (floats in telemetry, unions in commands and chunk responses).

import { describe, expect, it } from 'vitest';
import { CborError, encodeCbor } from '../cbor/index.ts';
import { SchemaError } from '../schema/index.ts';
import { SAMPLES, sampleChunkResponse, sampleCommand, sampleStatus, sampleTelemetry } from './_fixtures.ts';
import { decodeChunkResponse, encodeChunkResponse } from './chunk.ts';
import { decodeCommand } from './command.ts';
import { MESSAGES, SUPPORTED_VERSIONS, type MessageName } from './registry.ts';
import { decodeStatus, encodeStatus } from './status.ts';
import { decodeTelemetry, encodeTelemetry } from './telemetry.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function refusal(decode: (b: Uint8Array) => unknown, bytes: Uint8Array): CborError | SchemaError {
  try {
    decode(bytes);
  } catch (e) {
    if (e instanceof CborError || e instanceof SchemaError) return e;
    throw e;
  }
  throw new Error('decoder accepted the input');
}

const names = Object.keys(MESSAGES) as MessageName[];

describe('every message', () => {
  it('has a sample for each registered message', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...names].sort());
  });

  it.each(names)('%s round-trips its sample', (name) => {
    const m = MESSAGES[name];
    const bytes = m.encode(SAMPLES[name] as never);
    expect(m.decode(bytes)).toEqual(SAMPLES[name]);
  });

  it.each(names)('%s refuses schema version 2 with "unsupported-version"', (name) => {
    const e = refusal((b) => MESSAGES[name].decode(b), encodeCbor({ ...SAMPLES[name], v: 2 }, { floats: name === 'telemetry' }));
    expect(e).toBeInstanceOf(SchemaError);
    expect({ code: (e as SchemaError).code, path: (e as SchemaError).path }).toEqual({ code: 'unsupported-version', path: `${name}.v` });
  });

  it.each(names)('%s refuses an unknown field', (name) => {
    const e = refusal((b) => MESSAGES[name].decode(b), encodeCbor({ ...SAMPLES[name], zz: 0 }, { floats: name === 'telemetry' }));
    expect({ code: (e as SchemaError).code, path: (e as SchemaError).path }).toEqual({ code: 'unknown-field', path: `${name}.zz` });
  });

  it.each(names)('%s refuses a top-level array', (name) => {
    const e = refusal((b) => MESSAGES[name].decode(b), hex('8101'));
    expect({ code: (e as SchemaError).code, path: (e as SchemaError).path }).toEqual({ code: 'wrong-type', path: name });
  });

  it('lists version 1 of every message as supported', () => {
    expect(SUPPORTED_VERSIONS).toEqual(Object.fromEntries(names.map((n) => [n, [1]])));
  });

  it('signs exactly the manifest, desired state and trust update', () => {
    expect(names.filter((n) => MESSAGES[n].signed).sort()).toEqual(['desiredState', 'manifest', 'trustUpdate']);
  });
});

describe('unsigned messages', () => {
  it('accept keys out of canonical order, but never a duplicate key', () => {
    // {"v": 1, "id": "a"} written with "v" first (canonical order puts "id" first) decodes as far as the schema
    const e = refusal(decodeCommand, hex('a2 6176 01 626964 6161'));
    expect({ code: (e as SchemaError).code, path: (e as SchemaError).path }).toEqual({ code: 'missing-field', path: 'command.deviceId' });
    const dup = refusal(decodeCommand, hex('a2 6176 01 6176 01'));
    expect((dup as CborError).code).toBe('duplicate-key');
  });

  it('status carries SUPPORTED_VERSIONS as a map of version lists', () => {
    const report = { ...sampleStatus, supportedVersions: SUPPORTED_VERSIONS };
    expect(decodeStatus(encodeStatus(report)).supportedVersions).toEqual(SUPPORTED_VERSIONS);
  });

  it('status refuses two entries for one module', () => {
    const e = refusal(decodeStatus, encodeCbor({ ...sampleStatus, modules: [sampleStatus.modules[0], sampleStatus.modules[0]] }));
    expect({ code: (e as SchemaError).code, path: (e as SchemaError).path }).toEqual({ code: 'invalid-value', path: 'status.modules[1].name' });
  });

  it('telemetry encodes readings as the shortest exact float', () => {
    const bytes = encodeTelemetry({ ...sampleTelemetry, points: [{ name: 't', value: 21.375 }] });
    // 21.375 = 0x4155 in half precision
    expect(toHex(bytes)).toContain('6576616c7565f94d58');
    expect(decodeTelemetry(bytes).points[0].value).toBe(21.375);
  });

  it('telemetry refuses NaN and infinities as CBOR errors', () => {
    const base = toHex(encodeTelemetry({ ...sampleTelemetry, points: [{ name: 't', value: 1.5 }] }));
    const nan = hex(base.replace('6576616c7565f93e00', '6576616c7565f97e00'));
    expect((refusal(decodeTelemetry, nan) as CborError).code).toBe('non-finite-float');
  });

  it('command refuses an action it does not know, naming the discriminant', () => {
    const e = refusal(decodeCommand, encodeCbor({ ...sampleCommand, action: { op: 'install', url: 'http://x' } }));
    expect({ code: (e as SchemaError).code, path: (e as SchemaError).path }).toEqual({ code: 'unknown-variant', path: 'command.action.op' });
  });

  it('command refuses an expiry before its issue', () => {
    const e = refusal(decodeCommand, encodeCbor({ ...sampleCommand, expiresAtMs: sampleCommand.issuedAtMs }));
    expect({ code: (e as SchemaError).code, path: (e as SchemaError).path }).toEqual({ code: 'invalid-value', path: 'command.expiresAtMs' });
  });

  it('chunk response carries an error variant without data', () => {
    const r = { ...sampleChunkResponse, result: { status: 'error', code: 'not-found' } } as const;
    expect(decodeChunkResponse(encodeChunkResponse(r))).toEqual(r);
  });

  it('chunk response refuses data above 64 KiB', () => {
    const big = { ...sampleChunkResponse, result: { status: 'ok', totalSize: 100_000, data: new Uint8Array(65537) } };
    const e = refusal(decodeChunkResponse, encodeCbor(big));
    expect((e as CborError).code).toBe('string-too-long');
  });
});
