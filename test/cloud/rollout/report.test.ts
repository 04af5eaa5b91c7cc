// A status report decoded from the wire steps the engine: new release running marks the device good, the agent's
// own rollback (old version, 'rolled-back', 'health-failed') marks it failed, old version running is the baseline.
import { describe, expect, it } from 'vitest';
import { decodeStatus, encodeStatus } from '../../../schemas/messages/index.ts';
import type { ModuleStatus, Status } from '../../../schemas/messages/status.ts';
import { createRollout, reportFromStatus, step, type RolloutRecord } from '../../../cloud/rollout/index.ts';
import { NEW, OLD } from './_sim.ts';

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const metrics = { ticks: 400, fuelPerTick: 5400, fuelPerTickMax: 9100, memoryHighWaterPages: 2, traps: 0, exhaustions: 0, logLines: 3 };

function wire(deviceId: string, modules: ModuleStatus[]): Status {
  const s: Status = { v: 1, deviceId, deviceClass: 'rpi4', timeMs: 1, seq: 1, agentVersion: '0.1.0', supportedVersions: { status: [1] }, trustSequence: 1, modules };
  return decodeStatus(encodeStatus(s));
}

function started(): RolloutRecord {
  const devices = ['dev-1', 'dev-2', 'dev-3'].map((id) => ({ id, tags: {} }));
  const c = createRollout({ id: 'r', app: 'thermostat', release: NEW, previous: OLD, target: { kind: 'list', deviceIds: ['dev-1', 'dev-2', 'dev-3'] }, waves: { kind: 'fixed', sizes: [2, 1] } }, devices, 0);
  let r = c.record;
  const old = wire('dev-1', [{ name: 'thermostat', version: OLD.version, sequence: OLD.sequence, manifestDigest: bytes(OLD.manifestDigest), state: 'running', restarts: 0, metrics }]);
  const s0 = step(r, reportFromStatus(old, 'thermostat', 1));
  if (!s0.ok) throw s0.error;
  r = s0.record;
  const s1 = step(r, { type: 'start', atMs: 2 });
  if (!s1.ok) throw s1.error;
  return s1.record;
}

describe('reportFromStatus', () => {
  it('moves devices from their decoded status reports', () => {
    let r = started();
    expect(r.devices[0]!.baseline).toEqual({ version: OLD.version, ticks: 400, fuelPerTick: 5400, memoryHighWaterPages: 2, traps: 0 });
    const good = wire('dev-1', [{ name: 'thermostat', version: NEW.version, sequence: NEW.sequence, manifestDigest: bytes(NEW.manifestDigest), state: 'running', restarts: 0, metrics }]);
    const back = wire('dev-2', [
      { name: 'thermostat', version: OLD.version, sequence: OLD.sequence, manifestDigest: bytes(OLD.manifestDigest), state: 'rolled-back', restarts: 0, errorCode: 'health-failed', detail: '1.1.0: trap in tick' },
      { name: 'other', version: '9.0.0', sequence: 1, manifestDigest: new Uint8Array(32), state: 'running', restarts: 0 },
    ]);
    for (const s of [good, back]) {
      const x = step(r, reportFromStatus(s, 'thermostat', 10));
      if (!x.ok) throw x.error;
      r = x.record;
    }
    expect(r.devices.map((d) => d.phase)).toEqual(['good', 'failed', 'waiting']);
    expect(r.state).toBe('halted');
    expect(r.halt?.reason).toContain('(health-failed)');
    expect(reportFromStatus(good, 'absent', 3)).toEqual({ type: 'report', atMs: 3, deviceId: 'dev-1', module: undefined });
  });
});
