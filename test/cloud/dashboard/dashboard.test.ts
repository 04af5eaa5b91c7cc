// The fleetlet dashboard in Debian chromium against the real HTTP API (cloud/http) over an in-memory fleet: what the page shows comes
// from the API, commands carry the operator token, refusals show the API's message, and no secret reaches the page.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startHttpApi, type HttpApi } from '../../../cloud/http/index.ts';
import { OpsError } from '../../../cloud/service/ops.ts';
import { ARTIFACTS, launchChromium } from './browser.ts';
import { FakeFleetOps, device, rollout } from './fake-ops.ts';

const DASHBOARD = fileURLToPath(new URL('../../../cloud/http/dashboard/', import.meta.url));
const TOKEN = 'op-token-alice-0123456789abcdef';
const OTHER_TOKEN = 'op-token-bob-fedcba9876543210';
/** What a stored password hash looks like: the page must never carry one. */
const PASSWORD_HASH = 'f1e2d3c4'.repeat(8);

let browser: Browser;
let ops: FakeFleetOps;
let api: HttpApi;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  ops = new FakeFleetOps();
  api = await startHttpApi(ops, { port: 0, dashboardDir: DASHBOARD, operators: [{ name: 'alice', token: TOKEN }, { name: 'bob', token: OTHER_TOKEN }] });
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(5000);
  pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // The API's refusals are expected; any other console error (a script error, a CSP violation) fails the test.
  page.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of (40[139]|503)/.test(m.text())) pageErrors.push(m.text()); });
});

afterEach(async () => {
  await context?.close();
  await api?.close();
  expect(pageErrors).toEqual([]);
});

/** Counts the canvas pixels of the plots' series colour (#1f6feb); runs in the page. */
interface PageCanvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { readonly data: ArrayLike<number> } };
}
const SERIES_PIXELS = (element: unknown): number => {
  const canvas = element as PageCanvas;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i]! - 0x1f) < 24 && Math.abs(data[i + 1]! - 0x6f) < 24 && Math.abs(data[i + 2]! - 0xeb) < 24 && data[i + 3]! > 128) n++;
  }
  return n;
};

/** Answers the token dialog. */
async function giveToken(token: string): Promise<void> {
  const dialog = page.getByRole('dialog', { name: 'Operator token' });
  await expect.poll(() => dialog.isVisible()).toBe(true);
  await dialog.getByLabel('Operator token').fill(token);
  await dialog.getByRole('button', { name: 'Use token' }).click();
}

describe('fleet page', () => {
  test('the device table shows the devices the API returns, with online dots, modules and last seen', async () => {
    ops.addDevice(device('dev-a', { tags: ['site:berlin', 'lab'], agentVersion: '0.3.1', lastSeenMs: Date.now() - 12_000 }))
      .addDevice(device('dev-b', { online: false, deviceClass: 'pi-4', modules: [{ name: 'thermostat', version: '1.2.0', state: 'failed', health: 'failed' }] }))
      .addDevice(device('dev-c', { retired: true, enrollment: 'retired' }));
    ops.enrollments.set('dev-p', { deviceId: 'dev-p', deviceClass: 'pi-zero', state: 'pending', publicKey: '01'.repeat(32), requestedAtMs: Date.now() });
    await page.goto(api.url);
    const table = page.getByRole('table', { name: 'Devices' });
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    const a = table.locator('tr[data-device-id="dev-a"]');
    expect(await a.getByRole('link').textContent()).toBe('dev-a');
    expect(await a.locator('.tag').allTextContents()).toEqual(['site:berlin', 'lab']);
    expect(await a.getByRole('img', { name: 'online' }).count()).toBe(1);
    expect(await a.textContent()).toContain('0.3.1');
    expect(await a.textContent()).toMatch(/1[2-9] s ago/);
    const b = table.locator('tr[data-device-id="dev-b"]');
    expect(await b.getByRole('img', { name: 'offline' }).count()).toBe(1);
    expect(await b.locator('ul.modules li').textContent()).toBe('thermostat 1.2.0 failed');
    expect(await page.getByLabel('Devices: 2').count()).toBe(1);
    expect(await page.getByLabel('Pending: 1').count()).toBe(1);
    expect(await page.getByLabel('Retired: 1').count()).toBe(1);
    const versions = await page.getByRole('table', { name: 'Versions per app' }).locator('tbody tr').allTextContents();
    expect(versions).toEqual(['thermostat1.1.01', 'thermostat1.2.01']);
    // A device that joins shows up at the next poll, without a reload.
    ops.addDevice(device('dev-d'));
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
  });

  test('the device table pages through the API with Next page and Previous page', async () => {
    for (let i = 0; i < 53; i++) ops.addDevice(device(`dev-${String(i).padStart(3, '0')}`));
    await page.goto(api.url);
    const rows = page.getByRole('table', { name: 'Devices' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.first().getAttribute('data-device-id')).toBe('dev-050');
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().getAttribute('data-device-id')).toBe('dev-000');
  });
});

describe('rollout page', () => {
  test('shows per-wave bars with counts, then the halt reason once the API says halted', async () => {
    ops.addRollout(rollout('r-1'));
    await page.goto(`${api.url}/#/rollouts/r-1`);
    const waves = page.getByRole('region', { name: 'Waves' });
    await expect.poll(() => waves.getByRole('img').count()).toBe(2);
    expect(await waves.getByRole('img', { name: 'Wave 1: 2 devices, 0 waiting, 0 issued, 1 installing, 1 good, 0 failed' }).count()).toBe(1);
    expect(await waves.getByRole('img', { name: 'Wave 2: 4 devices, 4 waiting, 0 issued, 0 installing, 0 good, 0 failed' }).count()).toBe(1);
    const firstBar = waves.locator('li[data-wave="0"] .seg');
    expect(await firstBar.evaluateAll((segs) => segs.map((s) => `${s.getAttribute('data-phase')}:${s.getAttribute('data-count')}`))).toEqual(['installing:1', 'good:1']);
    // The segments split the bar's width by count.
    const widths = await firstBar.evaluateAll((segs) => segs.map((s) => s.getBoundingClientRect().width));
    expect(Math.abs(widths[0]! - widths[1]!)).toBeLessThan(2);
    expect(await page.getByRole('region', { name: 'Halt reason' }).isVisible()).toBe(false);
    expect(await page.getByRole('table', { name: 'Decision log' }).locator('tbody tr').count()).toBe(3);

    ops.updateRollout('r-1', {
      state: 'halted',
      halt: { code: 'failures', reason: 'Wave 1: 1 of 2 devices failed (50%), over the limit of 10%' },
      waves: [{ index: 0, size: 2, counts: { waiting: 0, issued: 0, installing: 0, good: 1, failed: 1 } }, { index: 1, size: 4, counts: { waiting: 4, issued: 0, installing: 0, good: 0, failed: 0 } }],
      decisions: [...ops.rollouts.get('r-1')!.decisions, { atMs: Date.now(), code: 'halted', reason: 'Too many failures in wave 1', wave: 0 }],
    });
    const halt = page.getByRole('region', { name: 'Halt reason' });
    await expect.poll(() => halt.isVisible()).toBe(true);
    expect(await halt.textContent()).toContain('failures: Wave 1: 1 of 2 devices failed (50%), over the limit of 10%');
    expect(await waves.locator('li[data-wave="0"] .seg[data-phase="failed"]').count()).toBe(1);
    expect(await page.getByRole('table', { name: 'Decision log' }).locator('tbody tr').last().textContent()).toContain('Too many failures in wave 1');
    // Halted: roll back and abort, nothing else.
    const enabled = async (name: string): Promise<boolean> => page.getByRole('button', { name, exact: true }).isEnabled();
    expect([await enabled('Pause'), await enabled('Resume'), await enabled('Abort'), await enabled('Roll back')]).toEqual([false, false, true, true]);
    await page.screenshot({ path: join(ARTIFACTS, 'rollout-halted.png'), fullPage: true });
  });

  test('Pause without a token asks for it, then sends POST .../pause with the Bearer header and shows the new state', async () => {
    ops.addRollout(rollout('r-2'));
    await page.goto(`${api.url}/#/rollouts/r-2`);
    const pause = page.getByRole('button', { name: 'Pause', exact: true });
    await expect.poll(() => pause.isEnabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Resume' }).isDisabled()).toBe(true);
    const sent = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/rollouts/r-2/pause');
    await pause.click();
    await giveToken(TOKEN);
    const request = await sent;
    expect(request.headers()['authorization']).toBe(`Bearer ${TOKEN}`);
    await expect.poll(() => page.locator('.summary .state').textContent()).toBe('paused');
    expect(ops.calls).toEqual([{ method: 'commandRollout', actor: 'alice', args: ['r-2', 'pause'] }]);
    expect(await page.getByRole('button', { name: 'Resume' }).isEnabled()).toBe(true);
    expect(await pause.isDisabled()).toBe(true);
    // The token is kept for the tab: Resume goes without asking again.
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.locator('.summary .state').textContent()).toBe('running');
    expect(ops.calls.map((c) => `${c.actor}:${String(c.args[1])}`)).toEqual(['alice:pause', 'alice:resume']);
    expect(await page.getByRole('dialog').count()).toBe(0);
  });

  test('a command the API refuses shows the API\'s message, and an unknown token is forgotten', async () => {
    ops.addRollout(rollout('r-3'));
    await page.goto(`${api.url}/#/rollouts/r-3`);
    const pause = page.getByRole('button', { name: 'Pause', exact: true });
    await expect.poll(() => pause.isEnabled()).toBe(true);
    // A token the cloud does not know: 403 and its message; the next command asks again.
    await pause.click();
    await giveToken('not-a-known-token-at-all');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toBe('The operator token is not known to this cloud');
    expect(await page.getByText('Operator token: not set').count()).toBe(1);
    // The engine refuses: 409 with its reason.
    ops.refuseNext('pause', new OpsError('conflict', 'Cannot pause rollout "r-3": wave 2 is being judged'));
    await pause.click();
    await giveToken(TOKEN);
    await expect.poll(() => alert.textContent()).toBe('Cannot pause rollout "r-3": wave 2 is being judged');
    expect(await page.locator('.summary .state').textContent()).toBe('running');
    // No leader: 503.
    ops.refuseNext('pause', new OpsError('unavailable', 'No cloud process leads rollouts now: try again in a few seconds'));
    await pause.click();
    await expect.poll(() => alert.textContent()).toBe('No cloud process leads rollouts now: try again in a few seconds');
    // Cancelling the token dialog sends nothing.
    await page.getByRole('button', { name: 'Forget operator token' }).click();
    const before = ops.calls.length;
    await pause.click();
    await page.getByRole('dialog', { name: 'Operator token' }).getByRole('button', { name: 'Cancel' }).click();
    expect(ops.calls.length).toBe(before);
  });
});

describe('device page', () => {
  test('renders a uPlot canvas per metric with the points the API returns, the module metrics and the log lines', async () => {
    ops.addDevice(device('dev-t'));
    const now = Date.now();
    for (let i = 0; i < 30; i++) {
      ops.telemetryPoints.push({ deviceId: 'dev-t', module: 'thermostat', metric: 'temperature', atMs: now - (30 - i) * 10_000, value: 20 + Math.sin(i / 3) * 2 });
      ops.telemetryPoints.push({ deviceId: 'dev-t', module: 'thermostat', metric: 'duty', atMs: now - (30 - i) * 10_000, value: i % 2 });
    }
    ops.logLines.set('dev-t', [{ module: 'thermostat', line: 'setpoint 21.5 C' }, { module: 'thermostat', line: 'heater on <b>not markup</b>' }]);
    await page.goto(`${api.url}/#/devices/dev-t`);
    const plot = page.getByRole('figure', { name: 'Plot of temperature of thermostat' });
    await expect.poll(() => plot.getAttribute('data-points')).toBe('30');
    expect(await page.getByRole('figure').count()).toBe(2);
    // uPlot drew the series: the canvas has pixels of the series colour (#1f6feb).
    const drawn = await plot.locator('canvas').evaluate(SERIES_PIXELS);
    expect(drawn).toBeGreaterThan(100);
    // New points arrive with the next poll.
    ops.telemetryPoints.push({ deviceId: 'dev-t', module: 'thermostat', metric: 'temperature', atMs: Date.now(), value: 23 });
    await expect.poll(() => plot.getAttribute('data-points')).toBe('31');
    const modules = page.getByRole('table', { name: 'Modules' });
    expect(await modules.locator('tbody tr').first().locator('td').allTextContents()).toEqual(['thermostat', '1.1.0', 'running', 'ok', '5,400', '2 pages (128 KiB)', '0', expect.stringMatching(/\d+ s ago/)]);
    const lines = page.getByRole('list', { name: 'Log lines' }).getByRole('listitem');
    expect(await lines.allTextContents()).toEqual(['thermostat setpoint 21.5 C', 'thermostat heater on <b>not markup</b>']);
    expect(await page.locator('.log-lines b').count()).toBe(0);
  });

  test('Retire asks to confirm, then retires the device with the token', async () => {
    ops.addDevice(device('dev-r'));
    await page.goto(`${api.url}/#/devices/dev-r`);
    const retire = page.getByRole('button', { name: 'Retire device' });
    await expect.poll(() => retire.isEnabled()).toBe(true);
    await retire.click();
    const confirm = page.getByRole('dialog', { name: 'Retire dev-r?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(ops.calls).toEqual([]);
    await retire.click();
    await confirm.getByRole('button', { name: 'Retire' }).click();
    await giveToken(TOKEN);
    await expect.poll(() => retire.isDisabled()).toBe(true);
    expect(ops.calls).toEqual([{ method: 'retireDevice', actor: 'alice', args: ['dev-r'] }]);
    expect(ops.devices.get('dev-r')!.retired).toBe(true);
  });
});

describe('enrollments page', () => {
  test('Accept and Refuse decide pending requests with the token', async () => {
    for (const id of ['dev-x', 'dev-y']) ops.enrollments.set(id, { deviceId: id, deviceClass: 'pi-zero', state: 'pending', publicKey: '02'.repeat(32), requestedAtMs: Date.now() - 5000 });
    await page.goto(`${api.url}/#/enrollments`);
    await page.getByRole('button', { name: 'Accept dev-x' }).click();
    await giveToken(TOKEN);
    await expect.poll(() => page.getByRole('button', { name: 'Accept dev-x' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Refuse dev-y' }).click();
    const confirm = page.getByRole('dialog', { name: 'Refuse dev-y?' });
    await confirm.getByLabel('Note').fill('unknown serial');
    await confirm.getByRole('button', { name: 'Refuse' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Refuse dev-y' }).count()).toBe(0);
    expect(ops.calls).toEqual([
      { method: 'acceptDevice', actor: 'alice', args: ['dev-x'] },
      { method: 'refuseDevice', actor: 'alice', args: ['dev-y', 'unknown serial'] },
    ]);
  });
});

describe('secrets', () => {
  test('the page carries no operator token and no password hash, even after the token was used', async () => {
    ops.addDevice(device('dev-s', { publicKey: 'ab'.repeat(32) }));
    ops.addRollout(rollout('r-s'));
    // The fake's record holds a hash the API must not pass on; the views the API returns have no such field.
    (ops.devices.get('dev-s') as unknown as Record<string, unknown>).passwordHash = PASSWORD_HASH;
    await page.goto(`${api.url}/#/rollouts/r-s`);
    await page.getByRole('button', { name: 'Enter operator token' }).click();
    await giveToken(TOKEN);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await expect.poll(() => page.locator('.summary .state').textContent()).toBe('paused');
    const contents: string[] = [await page.content()];
    for (const hash of ['#/', '#/devices/dev-s', '#/enrollments', '#/rollouts']) {
      await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
      await expect.poll(() => page.locator('main h1').textContent()).not.toBe('Rollout r-s');
      await page.locator('main table tbody tr').first().waitFor();
      contents.push(await page.content());
    }
    for (const html of contents) {
      expect(html).not.toContain(TOKEN);
      expect(html).not.toContain(PASSWORD_HASH);
    }
    // The token sits in this tab's sessionStorage only.
    expect(await page.evaluate(`sessionStorage.getItem('fleetlet.operatorToken')`)).toBe(TOKEN);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    await writeFile(join(ARTIFACTS, 'last-page.html'), contents[contents.length - 1]!);
  });
});

describe('narrow screen', () => {
  test('no page is wider than a 360 px phone screen: tables scroll inside their frame, commands stay reachable', async () => {
    ops.addDevice(device('dev-with-a-rather-long-identifier-0001', { tags: ['site:berlin-mitte-north', 'building:7', 'floor:3'] }));
    ops.addRollout(rollout('r-narrow'));
    ops.logLines.set('dev-with-a-rather-long-identifier-0001', [{ module: 'thermostat', line: `${'x'.repeat(300)}` }]);
    await page.setViewportSize({ width: 360, height: 740 });
    for (const [hash, ready] of [['#/', 'Devices'], ['#/rollouts/r-narrow', 'Decision log'], ['#/devices/dev-with-a-rather-long-identifier-0001', 'Modules'], ['#/enrollments', 'pending enrollments']] as const) {
      await page.goto(`${api.url}/${hash}`);
      await page.getByRole('table', { name: ready }).waitFor();
      const widths = await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]') as [number, number];
      expect(widths[0], `page ${hash} is ${widths[0]} px wide on a ${widths[1]} px screen`).toBeLessThanOrEqual(widths[1]);
    }
    await page.goto(`${api.url}/#/rollouts/r-narrow`);
    await page.getByRole('button', { name: 'Pause', exact: true }).scrollIntoViewIfNeeded();
    expect(await page.getByRole('button', { name: 'Pause', exact: true }).isVisible()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'rollout-narrow.png'), fullPage: true });
  });
});
