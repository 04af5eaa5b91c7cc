// Tests of the slot store's persisted records: hand-written JSON read back, round trips, and refusal of unknown
// schema versions and damaged fields.

import { describe, expect, it } from 'vitest';
import {
  decodePointerRecord, decodeSlotRecord, decodeStateRecord, encodeStateRecord, INITIAL_STATE, MAX_FAILED_TARGETS, RecordCorrupt,
  type StateRecord,
} from './record.ts';

const json = (v: unknown): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(v)));
const D = 'ab'.repeat(32);

// Written by hand, as an agent of this schema version persists it: the field names are a wire format.
const HAND = {
  schemaVersion: 1, state: 'probation', storeCount: 3, outcome: 'no-failures', app: 'thermostat', targetSlot: 'b', previousSlot: 'a',
  sequence: 7, version: '1.2.0', manifestDigest: D, probationStartedAt: 1_800_000_000, reason: '',
  failedTargets: [{ app: 'pump', manifestDigest: D, reason: 'it trapped' }],
};

describe('state record', () => {
  it('reads a hand-written record', () => {
    const r = decodeStateRecord(json(HAND));
    expect(r).toEqual(HAND);
  });

  it('round-trips the initial record and a full one', () => {
    expect(decodeStateRecord(encodeStateRecord(INITIAL_STATE))).toEqual(INITIAL_STATE);
    expect(decodeStateRecord(encodeStateRecord(HAND as StateRecord))).toEqual(HAND);
  });

  it.each([
    ['an unknown schema version', { ...HAND, schemaVersion: 2 }, 'schema version "2" is not supported (supported: 1)'],
    ['no schema version', { ...HAND, schemaVersion: undefined }, 'schema version "undefined"'],
    ['an unknown state', { ...HAND, state: 'installing' }, 'field "state"'],
    ['an unknown outcome', { ...HAND, outcome: 'fine' }, 'field "outcome"'],
    ['a slot name other than a or b', { ...HAND, targetSlot: 'c' }, 'field "targetSlot"'],
    ['a negative store count', { ...HAND, storeCount: -1 }, 'field "storeCount"'],
    ['a digest that is not 64 hex digits', { ...HAND, manifestDigest: 'AB' }, 'field "manifestDigest"'],
    ['too many failed targets', { ...HAND, failedTargets: Array.from({ length: MAX_FAILED_TARGETS + 1 }, () => HAND.failedTargets[0]) }, 'failed targets'],
  ])('refuses %s', (_name, v, message) => {
    expect(() => decodeStateRecord(json(v))).toThrow(RecordCorrupt);
    expect(() => decodeStateRecord(json(v))).toThrow(message);
  });

  it('refuses a torn file and a non-object', () => {
    const whole = encodeStateRecord(HAND as StateRecord);
    expect(() => decodeStateRecord(whole.subarray(0, whole.length >> 1))).toThrow('it is not JSON');
    expect(() => decodeStateRecord(json([1]))).toThrow('it is not an object');
  });
});

describe('slot record and pointer', () => {
  it('read hand-written records', () => {
    expect(decodeSlotRecord(json({ schemaVersion: 1, status: 'pending', sequence: 2, version: '2.0.0', manifestDigest: D }))).toMatchObject({ status: 'pending', sequence: 2 });
    expect(decodePointerRecord(json({ schemaVersion: 1, active: 'b', previous: null }))).toEqual({ schemaVersion: 1, active: 'b', previous: null });
  });

  it('refuse unknown versions and values', () => {
    expect(() => decodeSlotRecord(json({ schemaVersion: 9, status: 'good', sequence: 1, version: '', manifestDigest: '' }))).toThrow(RecordCorrupt);
    expect(() => decodeSlotRecord(json({ schemaVersion: 1, status: 'half', sequence: 1, version: '', manifestDigest: '' }))).toThrow('field "status"');
    expect(() => decodePointerRecord(json({ schemaVersion: 1, active: 'x', previous: null }))).toThrow('field "active"');
    expect(() => decodePointerRecord(json({ schemaVersion: 0, active: 'a', previous: null }))).toThrow(RecordCorrupt);
  });
});
