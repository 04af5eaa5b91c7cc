// `fleetlet sim`: refuses bad options with one line naming the option, and runs simulated devices against a fleet's
// broker, printing the fleet once a second until it stops.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../agent/cli/main.ts';
import { e2eFleet, type E2eFleet } from '../agent/e2e-kit.ts';

let fleet: E2eFleet;
let trustFile: string;

function io(): { out: string[]; err: string[]; io: { out(l: string): void; err(l: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

beforeAll(async () => {
  fleet = await e2eFleet('aedes');
  trustFile = join(fleet.dir, 'fleet.trust');
  await writeFile(trustFile, fleet.keys.trust);
}, 30_000);

afterAll(async () => {
  await fleet?.close();
});

describe('fleetlet sim', () => {
  it('refuses a fraction out of range, naming the option, with the usage status', async () => {
    const r = io();
    expect(await main(['sim', '--devices', '3', '--broker', fleet.cloud.url, '--trust', trustFile, '--offline', '1.5'], r.io)).toBe(2);
    expect(r.err).toEqual(['fleetlet: Invalid --offline "1.5": need a number in 0..1']);
  });

  it('refuses a file that is not a trust update', async () => {
    const r = io();
    const bad = join(fleet.dir, 'not-trust');
    await writeFile(bad, 'hello');
    expect(await main(['sim', '--devices', '3', '--broker', fleet.cloud.url, '--trust', bad], r.io)).toBe(1);
    expect(r.err[0]).toMatch(/^fleetlet: Cannot read the trust update ".*not-trust": /);
  });

  it('enrolls the devices with the fleet named by the trust file and prints the fleet each second', async () => {
    const r = io();
    const data = join(fleet.dir, 'cli-sim');
    expect(await main(['sim', '--devices', '3', '--broker', fleet.cloud.url, '--trust', trustFile, '--data', data, '--processes', '1', '--duration', '8'], r.io)).toBe(0);
    expect(r.out.at(-1)).toBe('stopped');
    expect(r.out.some((l) => /^\d+s online 3\/3 enrolled 3 running nothing$/.test(l))).toBe(true);
  }, 30_000);
});
