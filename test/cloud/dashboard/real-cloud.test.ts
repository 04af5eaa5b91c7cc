// The fleetlet dashboard on a real FleetCloud (SQLite, embedded aedes) with three real agents, through the real HTTP
// API: an operator accepts the devices' enrollments in the page, sees them online running what a rollout gave them,
// with telemetry plots and module logs, then watches a bad release halt its rollout and rolls it back from the page.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startAgentProcess, type DaemonPlan, type RunningAgent } from '../../../agent/daemon.ts';
import { encodeBundle } from '../../../agent/update/bundle.ts';
import { startHttpApi, type HttpApi } from '../../../cloud/http/index.ts';
import { FleetCloud } from '../../../cloud/service/cloud.ts';
import { E2E_LIMITS, fleetKeys, type FleetKeys } from '../../agent/e2e-kit.ts';
import { wat } from '../../fuzz/wat.ts';
import { manifest, removeDir, signManifest, tempDir } from '../../trust/fixtures.ts';
import { ARTIFACTS, launchChromium } from './browser.ts';

const TOKEN = 'op-token-alice-real-cloud-0001';
const DEVICES = ['dev-1', 'dev-2', 'dev-3'];
const nowS = (): number => Math.floor(Date.now() / 1000);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

let keys: FleetKeys;
let dir: string;
let cloud: FleetCloud;
let api: HttpApi;
let browser: Browser;
let page: Page;
const agents: RunningAgent[] = [];
const aborts: AbortController[] = [];
const pageErrors: string[] = [];

/**
 * The bundle of a "logger" reactor: logs a line at init and every 25 ticks; `bad` traps in init instead, so the
 * device fails the version and rolls back.
 */
function loggerBundle(version: string, sequence: number, bad = false): Uint8Array {
  const line = `logger ${version} tick`;
  const module = wat(`(module
    (import "fleetlet:host/v1" "log" (func $log (param i32 i32 i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "${line}")
    (global $n (mut i32) (i32.const 0))
    (func (export "init") ${bad ? 'unreachable' : `(call $log (i32.const 1) (i32.const 0) (i32.const ${line.length}))`})
    (func (export "tick")
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (if (i32.eqz (i32.rem_u (global.get $n) (i32.const 25))) (then (call $log (i32.const 1) (i32.const 0) (i32.const ${line.length})))))
    (func (export "health") (result i32) i32.const 1))`);
  const m = manifest(module, { name: 'logger', version, sequence, capabilities: [], limits: E2E_LIMITS, targets: ['sim'], issuedAt: nowS() - 60, expiresAt: nowS() + 86_400 });
  return encodeBundle({ signedManifest: signManifest(m, keys.moduleSigner), module });
}

async function plan(deviceId: string): Promise<DaemonPlan> {
  const dataDir = join(dir, 'devices', deviceId);
  await mkdir(dataDir, { recursive: true });
  return {
    dataDir,
    deviceId,
    deviceClass: 'sim',
    broker: { url: cloud.url, keepaliveS: 5 },
    enrollment: { roots: keys.roots.map((r) => hex(r.kp.publicKey)), threshold: 2 },
    hardware: { kind: 'none' },
    probation: { windowMs: 500, pollMs: 20, healthEveryMs: 100 },
    statusIntervalMs: 300,
    telemetryIntervalMs: 300,
    backoff: { initialMs: 100, maxMs: 500 },
    download: { timeoutMs: 2_000, stallTimeoutMs: 20_000 },
  };
}

beforeAll(async () => {
  keys = fleetKeys();
  dir = await tempDir('fleetlet-dashboard-');
  cloud = await FleetCloud.start({
    dataDir: join(dir, 'cloud'),
    trust: keys.trust,
    stateSigner: { kid: keys.stateSigner.id, seed: keys.stateSigner.kp.seed },
    broker: { embedded: { port: 0 } },
    enrollment: { retryAfterMs: 300 },
    rolloutTickMs: 200,
  });
  api = await startHttpApi(cloud.ops, { port: 0, operators: [{ name: 'alice', token: TOKEN }] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const a of aborts) a.abort();
  await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
  await api?.close();
  await cloud?.close();
  if (dir !== undefined) await removeDir(dir);
});

test('an operator accepts three real devices, follows a rollout to them, sees their telemetry and logs, and rolls back a release that halts', async () => {
  // Launched here, not in beforeAll, so that a missing chromium fails this test with its message instead of skipping it.
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));

  // Three agents ask to enroll; the page lists them pending, and the operator accepts each.
  const started = DEVICES.map(async (id) => {
    const abort = new AbortController();
    aborts.push(abort);
    const a = await startAgentProcess(await plan(id), () => {}, abort.signal);
    agents.push(a);
  });
  await page.goto(`${api.url}/#/enrollments`);
  for (const [i, id] of DEVICES.entries()) {
    const accept = page.getByRole('button', { name: `Accept ${id}` });
    await accept.click({ timeout: 15_000 });
    if (i === 0) {
      const dialog = page.getByRole('dialog', { name: 'Operator token' });
      await dialog.getByLabel('Operator token').fill(TOKEN);
      await dialog.getByRole('button', { name: 'Use token' }).click();
    }
    await expect.poll(() => accept.count(), { timeout: 10_000 }).toBe(0);
  }
  await Promise.all(started);
  expect((await cloud.ops.listAudit({ actor: 'alice' })).items.map((e) => `${e.action} ${e.subject}`).sort()).toEqual(DEVICES.map((d) => `accept-device ${d}`));

  // A rollout gives them logger 1.0.0 (one device, then two).
  const v1 = await cloud.ops.uploadBundle(loggerBundle('1.0.0', 1), 'alice');
  await cloud.ops.createRollout({ id: 'r-v1', release: v1.manifestDigest, target: { kind: 'list', deviceIds: DEVICES }, waves: { kind: 'fixed', sizes: [1, 2] }, policy: { minFinished: 1 } }, 'alice');
  await page.goto(`${api.url}/#/rollouts/r-v1`);
  await expect.poll(() => page.locator('.summary .state').textContent(), { timeout: 20_000 }).toBe('completed');
  const waves = page.getByRole('region', { name: 'Waves' });
  expect(await waves.getByRole('img').evaluateAll((bars) => bars.map((b) => b.getAttribute('aria-label')))).toEqual([
    'Wave 1: 1 devices, 0 waiting, 0 issued, 0 installing, 1 good, 0 failed',
    'Wave 2: 2 devices, 0 waiting, 0 issued, 0 installing, 2 good, 0 failed',
  ]);

  // The fleet page: three devices online, each running logger 1.0.0.
  await page.goto(`${api.url}/#/`);
  const rows = page.getByRole('table', { name: 'Devices' }).locator('tbody tr');
  await expect.poll(() => rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-device-id')} ${tr.querySelector('[role=img]')?.getAttribute('aria-label')} ${tr.querySelector('ul.modules')?.textContent}`)), { timeout: 10_000 })
    .toEqual(DEVICES.map((d) => `${d} online logger 1.0.0 ok`));
  expect(await page.getByLabel('Online: 3').count()).toBe(1);
  await page.screenshot({ path: join(ARTIFACTS, 'real-cloud-fleet.png'), fullPage: true });

  // A device's page: uPlot plots of the agent's module metrics, with points, and the module's log lines.
  await page.goto(`${api.url}/#/devices/dev-1`);
  const ticks = page.getByRole('figure', { name: 'Plot of ticks of logger' });
  await expect.poll(async () => Number(await ticks.getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
  expect(await ticks.locator('canvas').count()).toBe(1);
  await expect.poll(() => page.getByRole('list', { name: 'Log lines' }).getByRole('listitem').first().textContent(), { timeout: 10_000 }).toMatch(/^logger \S+ info logger 1\.0\.0 tick$/);
  expect(await page.getByRole('table', { name: 'Modules' }).locator('tbody tr td').first().textContent()).toBe('logger');
  await page.screenshot({ path: join(ARTIFACTS, 'real-cloud-device.png'), fullPage: true });

  // Logger 2.0.0 traps at init: the first wave's device fails it and the rollout halts; the page says why.
  const v2 = await cloud.ops.uploadBundle(loggerBundle('2.0.0', 2, true), 'alice');
  const back = await cloud.ops.uploadBundle(loggerBundle('1.0.0', 3), 'alice');
  await cloud.ops.createRollout({ id: 'r-v2', release: v2.manifestDigest, rollbackRelease: back.manifestDigest, target: { kind: 'list', deviceIds: DEVICES }, waves: { kind: 'fixed', sizes: [1, 2] }, policy: { minFinished: 1 } }, 'alice');
  await page.goto(`${api.url}/#/rollouts/r-v2`);
  const halt = page.getByRole('region', { name: 'Halt reason' });
  await expect.poll(() => halt.isVisible(), { timeout: 20_000 }).toBe(true);
  expect(await halt.textContent()).toMatch(/^Halted\s*failures: .+/);
  expect(await page.locator('.summary .state').textContent()).toBe('halted');
  await page.screenshot({ path: join(ARTIFACTS, 'real-cloud-rollout-halted.png'), fullPage: true });

  // Roll back from the page (the token is still in the tab): the cloud re-issues 1.0.0 to the wave that got 2.0.0.
  await page.getByRole('button', { name: 'Roll back' }).click();
  await expect.poll(() => page.locator('.summary .state').textContent(), { timeout: 20_000 }).toBe('rolled-back');
  expect((await cloud.ops.listAudit({ actor: 'alice' })).items.map((e) => `${e.action} ${e.subject}`)).toContainEqual('roll-back-rollout r-v2');
  expect(pageErrors).toEqual([]);
  expect(await page.content()).not.toContain(TOKEN);
}, 90_000);
