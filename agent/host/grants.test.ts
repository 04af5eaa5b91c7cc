// Tests of Grants: the device policy narrows what a manifest declares (covers from schemas), and
// the per-call questions answer only for what is both declared and granted.

import { describe, expect, it } from 'vitest';
import { CapabilityError } from '../../schemas/capabilities.ts';
import { Grants } from './grants.ts';

describe('Grants.from', () => {
  it('grants everything declared when the device gives no policy', () => {
    const g = Grants.from(['gpio:17:out', 'kv:4KiB']);
    expect(g.effective.map((c) => c.text)).toEqual(['gpio:17:out', 'kv:4KiB']);
    expect(g.refused).toEqual([]);
  });

  it('keeps the declared capabilities a grant covers (wildcards included) and refuses the rest', () => {
    const g = Grants.from(['gpio:17:out', 'gpio:18:out', 'sensor:temp:read', 'kv:64KiB', 'publish:telemetry/#'], ['gpio:17:out', 'sensor:*:read', 'kv:32KiB', 'publish:#']);
    expect(g.effective.map((c) => c.text)).toEqual(['gpio:17:out', 'sensor:temp:read', 'publish:telemetry/#']);
    expect(g.refused.map((c) => c.text)).toEqual(['gpio:18:out', 'kv:64KiB']);
    expect(g.missing('kv')).toBe('not-granted');
    expect(g.missing('serial')).toBe('not-declared');
    expect(g.missing('gpio')).toBeUndefined();
    expect(g.kvQuota()).toBe(0);
  });

  it('never grants more than declared, even under a wildcard grant', () => {
    const g = Grants.from(['gpio:17:in'], ['gpio:*:in']);
    expect(g.allowsGpio(17, 'in')).toBe(true);
    expect(g.allowsGpio(18, 'in')).toBe(false);
    expect(g.allowsGpio(17, 'out')).toBe(false);
    expect(g.allowsGpio(17, 'any')).toBe(true);
  });

  it('throws CapabilityError for a text that does not parse, and for a wildcard in a request', () => {
    expect(() => Grants.from(['gpio:x:out'])).toThrow(CapabilityError);
    expect(() => Grants.from(['gpio:*:out'])).toThrow(CapabilityError);
  });
});

describe('per-call questions', () => {
  const g = Grants.from(['sensor:temp:read', 'serial:/dev/ttyUSB0:9600', 'publish:alerts/+/door', 'kv:1KiB', 'kv:2KiB']);

  it('match sensors by name and serial ports by path and baud rate', () => {
    expect(g.allowsSensor('temp')).toBe(true);
    expect(g.allowsSensor('humidity')).toBe(false);
    expect(g.allowsSerial('/dev/ttyUSB0', 9600)).toBe(true);
    expect(g.allowsSerial('/dev/ttyUSB0', 115200)).toBe(false);
    expect(g.allowsSerial('/dev/ttyUSB1', 9600)).toBe(false);
  });

  it('match a publish subtopic against the granted filters', () => {
    expect(g.allowsPublish('alerts/kitchen/door')).toBe(true);
    expect(g.allowsPublish('alerts/kitchen/window')).toBe(false);
    expect(g.allowsPublish('alerts/door')).toBe(false);
  });

  it('give the largest kv size as the quota', () => {
    expect(g.kvQuota()).toBe(2048);
    expect(Grants.syntax('gpio')).toBe('gpio:<pin>:<direction>');
  });
});
