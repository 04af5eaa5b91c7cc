// The `fleetlet cloud` config keys a cloud of several processes needs: blobsDir (resolved against the file's folder,
// shared by the processes) and rolloutLease.ttlS (how soon a standby takes rollouts over from a dead leader).

import { describe, expect, it } from 'vitest';
import { CloudConfigError, parseCloudConfig } from '../../../cloud/cli/cloud-config.ts';

const base = { dataDir: 'a', trust: '/t', stateKey: '/k', store: { kind: 'postgres', url: 'postgres://db/fleet' }, broker: { url: 'mqtt://b', protocolVersion: 5, shared: true } };

describe('the cloud config for several processes', () => {
  it('reads blobsDir against the file\'s folder and rolloutLease.ttlS; both are left out when not given', () => {
    const c = parseCloudConfig({ ...base, blobsDir: '../shared/blobs', rolloutLease: { ttlS: 5 } }, '/etc/fleetlet/cloud-a.json');
    expect(c.blobsDir).toBe('/etc/shared/blobs');
    expect(c.rolloutLease).toEqual({ ttlS: 5 });
    const plain = parseCloudConfig(base, '/etc/fleetlet/cloud-a.json');
    expect('blobsDir' in plain || 'rolloutLease' in plain).toBe(false);
  });

  it('refuses a lease under 2 s or an unknown lease key, naming its path', () => {
    const issues = (v: unknown): string[] => {
      try {
        parseCloudConfig(v, '/etc/fleetlet/cloud.json');
      } catch (e) {
        expect(e).toBeInstanceOf(CloudConfigError);
        return (e as CloudConfigError).issues.map((i) => `${i.field}: ${i.message}`);
      }
      return [];
    };
    expect(issues({ ...base, rolloutLease: { ttlS: 1 } })).toEqual(['rolloutLease.ttlS: expected a whole number from 2 to 3600, found 1']);
    expect(issues({ ...base, rolloutLease: { ttlMs: 500 } })).toEqual(['rolloutLease.ttlMs: unknown key (allowed here: ttlS)']);
    expect(issues({ ...base, blobsDir: '' })).toEqual(['blobsDir: expected a non-empty string, found ""']);
  });
});
