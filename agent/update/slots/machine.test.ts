// Tests of fleetlet's update state machine on a real data directory: install, update, health gate verdicts, rollback
// with the key-value copy, refusals, failures injected at persistence steps, the recovery table and the loop breaker;
// the last test checks that together they took every row of the transition table.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kvFile } from '../../host/kv-store.ts';
import { encodeBundle } from '../bundle.ts';
import type { TrustStore } from '../trust-store.ts';
import { DEVICE, manifest, provisionedStore, removeDir, signManifest, standardKeys, T0, wasmModule } from '../../../test/trust/fixtures.ts';
import { CrashPoints } from './_durable.ts';
import { NotRetried, UpdateMachine, type HealthGate, type HealthVerdict } from './machine.ts';
import { RecordCorrupt, type StateRecord } from './record.ts';
import { KV_COPY_FILE, STATE_FILE } from './slot-store.ts';
import { MAX_STORES_OF_ONE_STATE, TRANSITIONS, type UpdateState } from './table.ts';

const taken = new Set<string>();
const APP = 'thermostat';

/** Crash points that, once armed, fail the next persistence step with ENOSPC (a full disk) instead of killing. */
class FullDisk extends CrashPoints {
  armed = false;
  override async point(): Promise<void> {
    if (!this.armed) return;
    this.armed = false;
    throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  }
}

let dir: string;
let trust: TrustStore;
let keys: ReturnType<typeof standardKeys>;

beforeEach(async () => {
  const p = await provisionedStore();
  dir = p.dir;
  trust = p.store;
  keys = p.keys;
});
afterEach(async () => {
  await removeDir(dir);
});

const bundle = (tag: number, sequence: number, over: Parameters<typeof manifest>[1] = {}): Uint8Array => {
  const m = wasmModule(tag);
  return encodeBundle({ signedManifest: signManifest(manifest(m, { name: APP, sequence, version: `${sequence}.0.0`, ...over }), keys.moduleSigner), module: m });
};

interface Opened {
  machine: UpdateMachine;
  trail: string[];
}

async function open(gate: HealthGate | ((version: string) => Promise<HealthVerdict>), extra: { crash?: CrashPoints; onEnter?: (s: UpdateState, r: StateRecord) => Promise<void> | void } = {}): Promise<Opened> {
  const trail: string[] = [];
  const health: HealthGate = typeof gate === 'function' ? { judge: (_a, v) => gate(v) } : gate;
  const machine = await UpdateMachine.open({
    dataDir: dir,
    trust,
    device: DEVICE,
    health,
    clock: () => T0,
    crash: extra.crash ?? new CrashPoints(),
    onTransition: async (from, event, to, r) => {
      taken.add(`${from} ${event} ${to}`);
      trail.push(`${from}>${to}`);
      await extra.onEnter?.(to, r);
    },
  });
  return { machine, trail };
}

const healthy = async (): Promise<HealthVerdict> => ({ healthy: true });
const kvPath = (): string => kvFile(dir, APP);

async function activeVersion(machine: UpdateMachine): Promise<string | undefined> {
  return (await machine.store.activeModule(APP))?.manifest.version;
}

describe('UpdateMachine', () => {
  it('boots an empty data directory to idle with nothing active', async () => {
    const { machine } = await open(healthy);
    expect((await machine.boot()).state).toBe('idle');
    expect(await activeVersion(machine)).toBeUndefined();
  });

  it('installs, then updates through every step, raising the floor only when the new version is good', async () => {
    const seen: { floor: number; previousOnDisk: boolean }[] = [];
    const { machine, trail } = await open(async (version) => {
      if (version === '2.0.0') {
        seen.push({ floor: trust.floors.manifests[APP] ?? 0, previousOnDisk: (await machine.store.readSlot(APP, 'a')) !== undefined });
      }
      return { healthy: true };
    });
    const first = await machine.installBundle(bundle(1, 1));
    expect(first).toMatchObject({ state: 'idle', outcome: 'no-failures', app: APP, targetSlot: 'a', previousSlot: null });
    expect(trust.floors.manifests[APP]).toBe(1);
    trail.length = 0;
    const second = await machine.installBundle(bundle(2, 2));
    expect(trail).toEqual(['idle>verified', 'verified>slot-pending', 'slot-pending>writing', 'writing>written', 'written>committed', 'committed>probation', 'probation>good', 'good>idle']);
    expect(second).toMatchObject({ outcome: 'no-failures', targetSlot: 'b', previousSlot: 'a', sequence: 2, version: '2.0.0', probationStartedAt: T0 });
    expect(seen).toEqual([{ floor: 1, previousOnDisk: true }]);
    expect(trust.floors.manifests[APP]).toBe(2);
    expect(await activeVersion(machine)).toBe('2.0.0');
    expect(await machine.store.pointer(APP)).toMatchObject({ active: 'b', previous: null });
    expect((await machine.store.slotRecord(APP, 'b')).status).toBe('good');
  });

  it('rolls an unhealthy version back to the previous slot and restores the key-value state copied at the commit point', async () => {
    const { machine } = await open(async (version) => {
      await writeFile(kvPath(), `written by ${version}`);
      return version === '2.0.0' ? { healthy: false, reason: 'it trapped 3 times' } : { healthy: true };
    });
    await machine.installBundle(bundle(1, 1));
    expect(await readFile(kvPath(), 'utf8')).toBe('written by 1.0.0');
    const r = await machine.installBundle(bundle(2, 2));
    expect(r).toMatchObject({ state: 'idle', outcome: 'rollback-attempted', reason: 'it trapped 3 times' });
    expect(await activeVersion(machine)).toBe('1.0.0');
    expect(await readFile(kvPath(), 'utf8')).toBe('written by 1.0.0');
    expect(trust.floors.manifests[APP]).toBe(1);
    expect((await machine.store.slotRecord(APP, 'b')).status).toBe('bad');
    await expect(readFile(join(machine.store.appDir(APP), KV_COPY_FILE))).rejects.toThrow();
    expect(r.failedTargets).toHaveLength(1);
  });

  it('removes a key-value file the rolled-back version created when there was none at the commit point', async () => {
    const { machine } = await open(async (version) => {
      if (version === '2.0.0') {
        await writeFile(kvPath(), 'new');
        return { healthy: false, reason: 'unhealthy' };
      }
      return { healthy: true };
    });
    await machine.installBundle(bundle(1, 1));
    await machine.installBundle(bundle(2, 2));
    await expect(readFile(kvPath())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rolls a failed first install back to nothing active', async () => {
    const { machine } = await open(async () => ({ healthy: false, reason: 'no ticks' }));
    const r = await machine.installBundle(bundle(1, 1));
    expect(r.outcome).toBe('rollback-attempted');
    expect(await machine.store.pointer(APP)).toMatchObject({ active: null });
  });

  it('does not retry a failed version until its failures are forgotten (the desired state changed)', async () => {
    let verdict: HealthVerdict = { healthy: false, reason: 'reported unhealthy' };
    const { machine } = await open(async (v) => (v === '2.0.0' ? verdict : { healthy: true }));
    await machine.installBundle(bundle(1, 1));
    await machine.installBundle(bundle(2, 2));
    await expect(machine.installBundle(bundle(2, 2))).rejects.toBeInstanceOf(NotRetried);
    await machine.forgetFailures(APP);
    verdict = { healthy: true };
    expect((await machine.installBundle(bundle(2, 2))).outcome).toBe('no-failures');
    expect(await activeVersion(machine)).toBe('2.0.0');
  });

  it('refuses a manifest the trust store rejects and keeps the running version', async () => {
    const { machine, trail } = await open(healthy);
    await machine.installBundle(bundle(1, 1));
    trail.length = 0;
    const r = await machine.installBundle(bundle(2, 2, { targets: ['esp32'] }));
    expect(trail).toEqual(['idle>failed', 'failed>idle']);
    expect(r.outcome).toBe('failed');
    expect(r.reason).toContain('esp32');
    expect(await activeVersion(machine)).toBe('1.0.0');
  });

  it('reports a full disk while writing and leaves the running version alone', async () => {
    const crash = new FullDisk();
    const { machine } = await open(healthy, { crash, onEnter: (s, r) => { if (s === 'writing' && r.sequence === 2) crash.armed = true; } });
    await machine.installBundle(bundle(1, 1));
    const r = await machine.installBundle(bundle(2, 2));
    expect(r.outcome).toBe('failed');
    expect(r.reason).toContain('no space left on device');
    expect(await activeVersion(machine)).toBe('1.0.0');
  });

  it('fails when the target slot cannot be cleared', async () => {
    const { machine } = await open(healthy);
    await machine.installBundle(bundle(1, 1));
    await mkdir(join(machine.store.slotDir(APP, 'b'), 'module.wasm', 'x'), { recursive: true });
    const r = await machine.installBundle(bundle(2, 2));
    expect(r).toMatchObject({ outcome: 'failed' });
    expect(r.reason).toContain('Cannot clear slot "b"');
    expect(await activeVersion(machine)).toBe('1.0.0');
  });

  it('refuses to commit a slot whose bytes changed after writing', async () => {
    let m!: UpdateMachine;
    const { machine } = await open(healthy, {
      onEnter: async (s, r) => {
        if (s === 'written' && r.sequence === 2) await writeFile(join(m.store.slotDir(APP, 'b'), 'module.wasm'), 'garbage');
      },
    });
    m = machine;
    await machine.installBundle(bundle(1, 1));
    const r = await machine.installBundle(bundle(2, 2));
    expect(r.outcome).toBe('failed');
    expect(r.reason).toMatch(/Cannot commit "thermostat"/);
    expect(await activeVersion(machine)).toBe('1.0.0');
  });

  it('records a rollback that fails as rollback-failed', async () => {
    const crash = new FullDisk();
    const { machine } = await open(async (v) => (v === '2.0.0' ? { healthy: false, reason: 'trapped' } : { healthy: true }), {
      crash,
      onEnter: (s) => { if (s === 'rollback') crash.armed = true; },
    });
    await machine.installBundle(bundle(1, 1));
    await writeFile(kvPath(), 'kv');
    const after = await machine.installBundle(bundle(2, 2));
    expect(after.outcome).toBe('rollback-failed');
    expect(after.reason).toContain('the rollback failed too');
  });
});

/** Persists a state record as a crashed agent would have left it, then opens a fresh machine on it. */
async function crashedIn(state: UpdateState, storeCount: number, gate: HealthGate | ((v: string) => Promise<HealthVerdict>) = healthy): Promise<Opened> {
  const { machine } = await open(healthy);
  await machine.installBundle(bundle(1, 1));
  const rec = { ...machine.record };
  // Put a version 2 into slot b as far as `state` says it got.
  const m = wasmModule(2);
  const signed = signManifest(manifest(m, { name: APP, sequence: 2, version: '2.0.0' }), keys.moduleSigner);
  const digest = (await import('../verify.ts')).manifestDigest(signed);
  const after = ['written', 'committed', 'probation', 'good', 'rollback'].includes(state);
  if (after) await machine.store.writeSlot(APP, 'b', { signedManifest: signed, module: m });
  await machine.store.setSlotRecord(APP, 'b', { status: after ? 'written' : 'pending', sequence: 2, version: '2.0.0', manifestDigest: Buffer.from(digest).toString('hex') });
  if (['committed', 'probation', 'good', 'rollback'].includes(state)) {
    await machine.store.copyKv(APP);
    await machine.store.setPointer(APP, 'b', 'a');
  }
  await machine.store.saveState({ ...rec, state, storeCount, app: APP, targetSlot: 'b', previousSlot: 'a', sequence: 2, version: '2.0.0', manifestDigest: Buffer.from(digest).toString('hex') });
  return open(gate);
}

describe('recovery table and loop breaker', () => {
  it.each([
    ['verified', '1.0.0'],
    ['slot-pending', '1.0.0'],
    ['writing', '1.0.0'],
    ['written', '2.0.0'],
    ['committed', '2.0.0'],
    ['probation', '2.0.0'],
    ['good', '2.0.0'],
    ['rollback', '1.0.0'],
    ['aborted', '1.0.0'],
    ['failed', '1.0.0'],
  ] as const)('resumes a crash in "%s" and ends on %s', async (state, version) => {
    const { machine } = await crashedIn(state, 1);
    const r = await machine.boot();
    expect(r.state).toBe('idle');
    expect(await activeVersion(machine)).toBe(version);
    if (version === '1.0.0' && state !== 'rollback') expect((await machine.store.slotRecord(APP, 'b')).status).toBe('empty');
  });

  it.each([
    ['written', 'rollback'],
    ['committed', 'rollback'],
    ['probation', 'rollback'],
    ['good', 'idle'],
    ['rollback', 'failed'],
    ['aborted', 'idle'],
    ['failed', 'idle'],
  ] as const)(`breaks a crash loop in "%s" after ${MAX_STORES_OF_ONE_STATE} stores (to "%s")`, async (state, escape) => {
    const { machine, trail } = await crashedIn(state, MAX_STORES_OF_ONE_STATE);
    const r = await machine.boot();
    expect(trail[0]).toBe(`${state}>${escape}`);
    expect(r.state).toBe('idle');
    expect(r.outcome).not.toBe('no-failures');
    expect(r.reason).toContain(`was stored ${MAX_STORES_OF_ONE_STATE + 1} times`);
    // Whatever the escape, a device that was rolled back runs version 1 again.
    if (escape === 'rollback') expect(await activeVersion(machine)).toBe('1.0.0');
    expect(await activeVersion(machine)).toBeDefined();
  });

  it('counts stores of one state across boots, below the bound nothing is broken', async () => {
    const { machine } = await crashedIn('probation', MAX_STORES_OF_ONE_STATE - 1);
    const r = await machine.boot();
    expect(r.outcome).toBe('no-failures');
    expect(await activeVersion(machine)).toBe('2.0.0');
  });

  it('refuses a state record of an unknown schema version', async () => {
    await writeFile(join(dir, STATE_FILE), JSON.stringify({ schemaVersion: 2, state: 'idle' }));
    await expect(open(healthy)).rejects.toBeInstanceOf(RecordCorrupt);
  });

  it('removes temp files a crash left behind', async () => {
    const { machine } = await open(healthy);
    await machine.installBundle(bundle(1, 1));
    const stray = join(machine.store.slotDir(APP, 'a'), '.module.wasm.0123456789ab.tmp');
    await writeFile(stray, 'torn');
    await machine.boot();
    await expect(readFile(stray)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('transition table coverage', () => {
  it('the tests above took every row of the transition table', () => {
    const missing = TRANSITIONS.map((t) => t.join(' ')).filter((row) => !taken.has(row));
    expect(missing).toEqual([]);
  });
});
