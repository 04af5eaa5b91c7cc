// The README's first command, `npm run demo`, at a smaller size: fresh keys and signed thermostat bundles, the cloud
// on its embedded broker and database, a simulated fleet of real agents in two processes, enrollment accepted by the
// operator, 1.0.0 installed everywhere, 1.1.0 rolled out in waves, and 1.2.0 (a build that traps at start) halted
// in its first wave and rolled back to 1.1.0 before any later wave got it.
import { rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../cloud/demo/demo.ts';

describe('npm run demo', () => {
  it('rolls a good version out in waves, then halts a bad one in its first wave and rolls it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleetlet-demo-test-'));
    const lines: string[] = [];
    try {
      const r = await runDemo({ devices: 12, processes: 2, port: 0, exit: true, dir, print: (l) => lines.push(l) });
      expect(r.good.state).toBe('completed');
      expect(r.good.waves.length).toBeGreaterThan(1);
      expect(r.good.counts.good).toBe(12);
      expect(r.bad.state).toBe('rolled-back');
      const halt = r.bad.decisions.find((d) => d.code === 'halted');
      expect(halt?.reason).toMatch(/wave 1: .*failed/);
      // only the first wave ever got 1.2.0; every device runs 1.1.0 at the end
      expect(r.sawBad).toBeLessThanOrEqual(r.bad.waves[0]!.size);
      expect(r.bad.waves.slice(1).every((w) => w.counts.waiting === w.size)).toBe(true);
      expect(r.versions).toEqual({ '1.1.0': 12 });
      expect(lines.some((l) => l.includes('dashboard: http://127.0.0.1:'))).toBe(true);
      expect(lines.join('\n')).toMatch(/halted: wave 1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
