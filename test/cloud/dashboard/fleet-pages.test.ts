// The fleetlet dashboard's fleet, device and enrollment pages in Debian chromium, against the real HTTP API
// (cloud/http) over an in-memory fleet: what the pages show comes from the API, and commands carry the token.

import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ARTIFACTS } from './browser.ts';
import { device, rollout } from './fake-ops.ts';
import { dashboardTests, TOKEN } from './page-kit.ts';

const t = dashboardTests();

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

describe('fleet page', () => {
  test('the device table shows the devices the API returns, with online dots, modules and last seen', async () => {
    t.ops.addDevice(device('dev-a', { tags: ['site:berlin', 'lab'], agentVersion: '0.3.1', lastSeenMs: Date.now() - 12_000 }))
      .addDevice(device('dev-b', { online: false, deviceClass: 'pi-4', modules: [{ name: 'thermostat', version: '1.2.0', state: 'failed', health: 'failed' }] }))
      .addDevice(device('dev-c', { retired: true, enrollment: 'retired' }));
    t.ops.enrollments.set('dev-p', { deviceId: 'dev-p', deviceClass: 'pi-zero', state: 'pending', publicKey: '01'.repeat(32), requestedAtMs: Date.now() });
    await t.page.goto(t.api.url);
    const table = t.page.getByRole('table', { name: 'Devices' });
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
    expect(await t.page.getByLabel('Devices: 2').count()).toBe(1);
    expect(await t.page.getByLabel('Pending: 1').count()).toBe(1);
    expect(await t.page.getByLabel('Retired: 1').count()).toBe(1);
    const versions = await t.page.getByRole('table', { name: 'Versions per app' }).locator('tbody tr').allTextContents();
    expect(versions).toEqual(['thermostat1.1.01', 'thermostat1.2.01']);
    // A device that joins shows up at the next poll, without a reload.
    t.ops.addDevice(device('dev-d'));
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
  });

  test('the tag filter and Include retired ask the API for those devices only', async () => {
    t.ops.addDevice(device('dev-berlin', { tags: ['site:berlin'] })).addDevice(device('dev-paris', { tags: ['site:paris'] }))
      .addDevice(device('dev-gone', { tags: ['site:berlin'], retired: true, enrollment: 'retired' }));
    await t.page.goto(t.api.url);
    const ids = (): Promise<(string | null)[]> => t.page.getByRole('table', { name: 'Devices' }).locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-device-id')));
    await expect.poll(ids).toEqual(['dev-berlin', 'dev-paris']);
    await t.page.getByRole('searchbox', { name: 'Filter by tag' }).fill('site:berlin');
    await t.page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(ids).toEqual(['dev-berlin']);
    await t.page.getByRole('checkbox', { name: 'Include retired' }).check();
    await expect.poll(ids).toEqual(['dev-berlin', 'dev-gone']);
    expect(await t.page.locator('tr[data-device-id="dev-gone"]').textContent()).toContain('(retired)');
  });

  test('the device table pages through the API with Next page and Previous page', async () => {
    for (let i = 0; i < 53; i++) t.ops.addDevice(device(`dev-${String(i).padStart(3, '0')}`));
    await t.page.goto(t.api.url);
    const rows = t.page.getByRole('table', { name: 'Devices' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    await t.page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.first().getAttribute('data-device-id')).toBe('dev-050');
    expect(await t.page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await t.page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().getAttribute('data-device-id')).toBe('dev-000');
  });
});

describe('device page', () => {
  test('renders a uPlot canvas per metric with the points the API returns, the module metrics, its events and the log lines', async () => {
    t.ops.addDevice(device('dev-t'));
    const now = Date.now();
    for (let i = 0; i < 30; i++) {
      t.ops.telemetryPoints.push({ deviceId: 'dev-t', module: 'thermostat', metric: 'temperature', atMs: now - (30 - i) * 10_000, value: 20 + Math.sin(i / 3) * 2 });
      t.ops.telemetryPoints.push({ deviceId: 'dev-t', module: 'thermostat', metric: 'duty', atMs: now - (30 - i) * 10_000, value: i % 2 });
    }
    t.ops.eventRecords.push({ deviceId: 'dev-t', eventId: 'ev-1', kind: 'module.trapped', atMs: now - 4000, data: { severity: 'error', module: 'thermostat', code: 'trap-unreachable', message: 'tick trapped: unreachable', attributes: {} } });
    t.ops.eventRecords.push({ deviceId: 'dev-other', eventId: 'ev-2', kind: 'update.committed', atMs: now - 3000, data: { severity: 'info', attributes: {} } });
    t.ops.logLines.set('dev-t', [{ module: 'thermostat', line: 'setpoint 21.5 C' }, { module: 'thermostat', line: 'heater on <b>not markup</b>' }]);
    await t.page.goto(`${t.api.url}/#/devices/dev-t`);
    const plot = t.page.getByRole('figure', { name: 'Plot of temperature of thermostat' });
    await expect.poll(() => plot.getAttribute('data-points')).toBe('30');
    expect(await t.page.getByRole('figure').count()).toBe(2);
    // uPlot drew the series: the canvas has pixels of the series colour (#1f6feb).
    const drawn = await plot.locator('canvas').evaluate(SERIES_PIXELS);
    expect(drawn).toBeGreaterThan(100);
    // New points arrive with the next poll.
    t.ops.telemetryPoints.push({ deviceId: 'dev-t', module: 'thermostat', metric: 'temperature', atMs: Date.now(), value: 23 });
    await expect.poll(() => plot.getAttribute('data-points')).toBe('31');
    const modules = t.page.getByRole('table', { name: 'Modules' });
    expect(await modules.locator('tbody tr').first().locator('td').allTextContents()).toEqual(['thermostat', '1.1.0', 'running', 'ok', '5,400', '2 pages (128 KiB)', '0', expect.stringMatching(/\d+ s ago/)]);
    const events = t.page.getByRole('table', { name: 'Events' }).locator('tbody tr');
    await expect.poll(() => events.count()).toBe(1);
    expect((await events.first().locator('td').allTextContents()).slice(1)).toEqual(['module.trapped', 'error', 'thermostat', 'trap-unreachable', 'tick trapped: unreachable']);
    const lines = t.page.getByRole('list', { name: 'Log lines' }).getByRole('listitem');
    expect(await lines.allTextContents()).toEqual(['thermostat setpoint 21.5 C', 'thermostat heater on <b>not markup</b>']);
    expect(await t.page.locator('.log-lines b').count()).toBe(0);
  });

  test('Save tags sends the edited list with the token and shows the tags the API returns', async () => {
    t.ops.addDevice(device('dev-g', { tags: ['site:lab'] }));
    await t.page.goto(`${t.api.url}/#/devices/dev-g`);
    const input = t.page.getByRole('textbox', { name: 'Tags (comma separated)' });
    await expect.poll(() => input.inputValue()).toBe('site:lab');
    await input.fill('site:berlin, floor:3 ,');
    await t.page.getByRole('button', { name: 'Save tags' }).click();
    await t.giveToken(TOKEN);
    await expect.poll(() => t.page.locator('.summary .tag').allTextContents()).toEqual(['site:berlin', 'floor:3']);
    expect(t.ops.calls).toEqual([{ method: 'setTags', actor: 'alice', args: ['dev-g', ['site:berlin', 'floor:3']] }]);
  });

  test('Retire asks to confirm, then retires the device with the token', async () => {
    t.ops.addDevice(device('dev-r'));
    await t.page.goto(`${t.api.url}/#/devices/dev-r`);
    const retire = t.page.getByRole('button', { name: 'Retire device' });
    await expect.poll(() => retire.isEnabled()).toBe(true);
    await retire.click();
    const confirm = t.page.getByRole('dialog', { name: 'Retire dev-r?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(t.ops.calls).toEqual([]);
    await retire.click();
    await confirm.getByRole('button', { name: 'Retire' }).click();
    await t.giveToken(TOKEN);
    await expect.poll(() => retire.isDisabled()).toBe(true);
    expect(t.ops.calls).toEqual([{ method: 'retireDevice', actor: 'alice', args: ['dev-r'] }]);
    expect(t.ops.devices.get('dev-r')!.retired).toBe(true);
  });
});

describe('enrollments page', () => {
  test('Accept and Refuse decide pending requests with the token', async () => {
    for (const id of ['dev-x', 'dev-y']) t.ops.enrollments.set(id, { deviceId: id, deviceClass: 'pi-zero', state: 'pending', publicKey: '02'.repeat(32), requestedAtMs: Date.now() - 5000 });
    await t.page.goto(`${t.api.url}/#/enrollments`);
    await t.page.getByRole('button', { name: 'Accept dev-x' }).click();
    await t.giveToken(TOKEN);
    await expect.poll(() => t.page.getByRole('button', { name: 'Accept dev-x' }).count()).toBe(0);
    await t.page.getByRole('button', { name: 'Refuse dev-y' }).click();
    const confirm = t.page.getByRole('dialog', { name: 'Refuse dev-y?' });
    await confirm.getByLabel('Note').fill('unknown serial');
    await confirm.getByRole('button', { name: 'Refuse' }).click();
    await expect.poll(() => t.page.getByRole('button', { name: 'Refuse dev-y' }).count()).toBe(0);
    expect(t.ops.calls).toEqual([
      { method: 'acceptDevice', actor: 'alice', args: ['dev-x'] },
      { method: 'refuseDevice', actor: 'alice', args: ['dev-y', 'unknown serial'] },
    ]);
  });
});

describe('narrow screen', () => {
  test('no page is wider than a 360 px phone screen: tables scroll inside their frame, commands stay reachable', async () => {
    t.ops.addDevice(device('dev-with-a-rather-long-identifier-0001', { tags: ['site:berlin-mitte-north', 'building:7', 'floor:3'] }));
    t.ops.addRollout(rollout('r-narrow'));
    t.ops.logLines.set('dev-with-a-rather-long-identifier-0001', [{ module: 'thermostat', line: `${'x'.repeat(300)}` }]);
    await t.page.setViewportSize({ width: 360, height: 740 });
    for (const [hash, ready] of [['#/', 'Devices'], ['#/rollouts/r-narrow', 'Decision log'], ['#/devices/dev-with-a-rather-long-identifier-0001', 'Modules'], ['#/enrollments', 'pending enrollments']] as const) {
      await t.page.goto(`${t.api.url}/${hash}`);
      await t.page.getByRole('table', { name: ready }).waitFor();
      const widths = await t.page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]') as [number, number];
      expect(widths[0], `page ${hash} is ${widths[0]} px wide on a ${widths[1]} px screen`).toBeLessThanOrEqual(widths[1]);
    }
    await t.page.goto(`${t.api.url}/#/rollouts/r-narrow`);
    await t.page.getByRole('button', { name: 'Pause', exact: true }).scrollIntoViewIfNeeded();
    expect(await t.page.getByRole('button', { name: 'Pause', exact: true }).isVisible()).toBe(true);
    await t.page.screenshot({ path: join(ARTIFACTS, 'rollout-narrow.png'), fullPage: true });
  });
});

describe('a cloud whose reads need a token', () => {
  test('the page says so, and shows the fleet once the operator enters a token', async () => {
    await t.restartApi({ readsNeedToken: true });
    t.ops.addDevice(device('dev-locked'));
    await t.page.goto(t.api.url);
    const status = t.page.getByRole('status');
    await expect.poll(() => status.textContent()).toContain('needs an operator token to read');
    expect(await t.page.getByRole('table', { name: 'Devices' }).count()).toBe(0);
    await t.page.getByRole('button', { name: 'Enter operator token' }).click();
    await t.giveToken(TOKEN);
    await expect.poll(() => t.page.locator('tr[data-device-id="dev-locked"]').count()).toBe(1);
    expect(await status.isHidden()).toBe(true);
    expect(await t.page.content()).not.toContain(TOKEN);
  });
});
