// The fleetlet dashboard's rollout pages in Debian chromium, against the real HTTP API (cloud/http) over an in-memory
// fleet: wave bars and halt reasons from the API, commands that ask for and carry the operator token, refusals that
// show the API's message, and no secret in the page.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { OpsError } from '../../../cloud/service/ops.ts';
import { ARTIFACTS } from './browser.ts';
import { device, rollout } from './fake-ops.ts';
import { dashboardTests, TOKEN } from './page-kit.ts';

/** What a stored password hash looks like: the page must never carry one. */
const PASSWORD_HASH = 'f1e2d3c4'.repeat(8);

const t = dashboardTests();

describe('rollouts list', () => {
  test('lists the rollouts the API returns, newest first, filters by state and links to each', async () => {
    const now = Date.now();
    t.ops.addRollout(rollout('r-old', { state: 'completed', createdAtMs: now - 100_000 })).addRollout(rollout('r-new', { state: 'halted', createdAtMs: now - 1000 }));
    await t.page.goto(`${t.api.url}/#/rollouts`);
    const rows = t.page.getByRole('table', { name: 'Rollouts' }).locator('tbody tr');
    await expect.poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-rollout-id')))).toEqual(['r-new', 'r-old']);
    expect(await rows.first().locator('td').allTextContents()).toEqual(['r-new', 'thermostat', '1.2.0', 'halted', '1 of 2', '4 waiting, 1 installing, 1 good', expect.stringMatching(/ago$/)]);
    await t.page.getByRole('combobox', { name: 'Rollout state' }).selectOption('completed');
    await expect.poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-rollout-id')))).toEqual(['r-old']);
    await t.page.getByRole('link', { name: 'r-old' }).click();
    await expect.poll(() => t.page.locator('main h1').textContent()).toBe('Rollout r-old');
  });
});

describe('rollout page', () => {
  test('shows per-wave bars with counts, then the halt reason once the API says halted', async () => {
    t.ops.addRollout(rollout('r-1'));
    await t.page.goto(`${t.api.url}/#/rollouts/r-1`);
    const waves = t.page.getByRole('region', { name: 'Waves' });
    await expect.poll(() => waves.getByRole('img').count()).toBe(2);
    expect(await waves.getByRole('img', { name: 'Wave 1: 2 devices, 0 waiting, 0 issued, 1 installing, 1 good, 0 failed' }).count()).toBe(1);
    expect(await waves.getByRole('img', { name: 'Wave 2: 4 devices, 4 waiting, 0 issued, 0 installing, 0 good, 0 failed' }).count()).toBe(1);
    const firstBar = waves.locator('li[data-wave="0"] .seg');
    expect(await firstBar.evaluateAll((segs) => segs.map((s) => `${s.getAttribute('data-phase')}:${s.getAttribute('data-count')}`))).toEqual(['installing:1', 'good:1']);
    // The segments split the bar's width by count.
    const widths = await firstBar.evaluateAll((segs) => segs.map((s) => s.getBoundingClientRect().width));
    expect(Math.abs(widths[0]! - widths[1]!)).toBeLessThan(2);
    expect(await t.page.getByRole('region', { name: 'Halt reason' }).isVisible()).toBe(false);
    expect(await t.page.getByRole('table', { name: 'Decision log' }).locator('tbody tr').count()).toBe(3);

    t.ops.updateRollout('r-1', {
      state: 'halted',
      halt: { code: 'failures', reason: 'Wave 1: 1 of 2 devices failed (50%), over the limit of 10%' },
      waves: [{ index: 0, size: 2, counts: { waiting: 0, issued: 0, installing: 0, good: 1, failed: 1 } }, { index: 1, size: 4, counts: { waiting: 4, issued: 0, installing: 0, good: 0, failed: 0 } }],
      decisions: [...t.ops.rollouts.get('r-1')!.decisions, { atMs: Date.now(), code: 'halted', reason: 'Too many failures in wave 1', wave: 0 }],
    });
    const halt = t.page.getByRole('region', { name: 'Halt reason' });
    await expect.poll(() => halt.isVisible()).toBe(true);
    expect(await halt.textContent()).toContain('failures: Wave 1: 1 of 2 devices failed (50%), over the limit of 10%');
    expect(await waves.locator('li[data-wave="0"] .seg[data-phase="failed"]').count()).toBe(1);
    expect(await t.page.getByRole('table', { name: 'Decision log' }).locator('tbody tr').last().textContent()).toContain('Too many failures in wave 1');
    // Halted: roll back and abort, nothing else.
    const enabled = async (name: string): Promise<boolean> => t.page.getByRole('button', { name, exact: true }).isEnabled();
    expect([await enabled('Pause'), await enabled('Resume'), await enabled('Abort'), await enabled('Roll back')]).toEqual([false, false, true, true]);
    await t.page.screenshot({ path: join(ARTIFACTS, 'rollout-halted.png'), fullPage: true });
  });

  test('Pause without a token asks for it, then sends POST .../pause with the Bearer header and shows the new state', async () => {
    t.ops.addRollout(rollout('r-2'));
    await t.page.goto(`${t.api.url}/#/rollouts/r-2`);
    const pause = t.page.getByRole('button', { name: 'Pause', exact: true });
    await expect.poll(() => pause.isEnabled()).toBe(true);
    expect(await t.page.getByRole('button', { name: 'Resume' }).isDisabled()).toBe(true);
    const sent = t.page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/rollouts/r-2/pause');
    await pause.click();
    await t.giveToken(TOKEN);
    const request = await sent;
    expect(request.headers()['authorization']).toBe(`Bearer ${TOKEN}`);
    await expect.poll(() => t.page.locator('.summary .state').textContent()).toBe('paused');
    expect(t.ops.calls).toEqual([{ method: 'commandRollout', actor: 'alice', args: ['r-2', 'pause'] }]);
    expect(await t.page.getByRole('button', { name: 'Resume' }).isEnabled()).toBe(true);
    expect(await pause.isDisabled()).toBe(true);
    // The token is kept for the tab: Resume goes without asking again.
    await t.page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => t.page.locator('.summary .state').textContent()).toBe('running');
    expect(t.ops.calls.map((c) => `${c.actor}:${String(c.args[1])}`)).toEqual(['alice:pause', 'alice:resume']);
    expect(await t.page.getByRole('dialog').count()).toBe(0);
  });

  test('a command the API refuses shows the API\'s message, and an unknown token is forgotten', async () => {
    t.ops.addRollout(rollout('r-3'));
    await t.page.goto(`${t.api.url}/#/rollouts/r-3`);
    const pause = t.page.getByRole('button', { name: 'Pause', exact: true });
    await expect.poll(() => pause.isEnabled()).toBe(true);
    // A token the cloud does not know: 403 and its message; the next command asks again.
    await pause.click();
    await t.giveToken('not-a-known-token-at-all');
    const alert = t.page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toBe('The operator token is not known to this cloud');
    expect(await t.page.getByText('Operator token: not set').count()).toBe(1);
    // The engine refuses: 409 with its reason.
    t.ops.refuseNext('pause', new OpsError('conflict', 'Cannot pause rollout "r-3": wave 2 is being judged'));
    await pause.click();
    await t.giveToken(TOKEN);
    await expect.poll(() => alert.textContent()).toBe('Cannot pause rollout "r-3": wave 2 is being judged');
    expect(await t.page.locator('.summary .state').textContent()).toBe('running');
    // No leader: 503.
    t.ops.refuseNext('pause', new OpsError('unavailable', 'No cloud process leads rollouts now: try again in a few seconds'));
    await pause.click();
    await expect.poll(() => alert.textContent()).toBe('No cloud process leads rollouts now: try again in a few seconds');
    // Cancelling the token dialog sends nothing.
    await t.page.getByRole('button', { name: 'Forget operator token' }).click();
    const before = t.ops.calls.length;
    await pause.click();
    await t.page.getByRole('dialog', { name: 'Operator token' }).getByRole('button', { name: 'Cancel' }).click();
    expect(t.ops.calls.length).toBe(before);
  });
});

describe('secrets', () => {
  test('the page carries no operator token and no password hash, even after the token was used', async () => {
    t.ops.addDevice(device('dev-s', { publicKey: 'ab'.repeat(32) }));
    t.ops.addRollout(rollout('r-s'));
    // The fake's record holds a hash the API must not pass on; the views the API returns have no such field.
    (t.ops.devices.get('dev-s') as unknown as Record<string, unknown>).passwordHash = PASSWORD_HASH;
    await t.page.goto(`${t.api.url}/#/rollouts/r-s`);
    await t.page.getByRole('button', { name: 'Enter operator token' }).click();
    await t.giveToken(TOKEN);
    await t.page.getByRole('button', { name: 'Pause', exact: true }).click();
    await expect.poll(() => t.page.locator('.summary .state').textContent()).toBe('paused');
    const contents: string[] = [await t.page.content()];
    for (const hash of ['#/', '#/devices/dev-s', '#/enrollments', '#/rollouts']) {
      await t.page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
      await expect.poll(() => t.page.locator('main h1').textContent()).not.toBe('Rollout r-s');
      await t.page.locator('main table tbody tr').first().waitFor();
      contents.push(await t.page.content());
    }
    for (const html of contents) {
      expect(html).not.toContain(TOKEN);
      expect(html).not.toContain(PASSWORD_HASH);
    }
    // The token sits in this tab's sessionStorage only.
    expect(await t.page.evaluate(`sessionStorage.getItem('fleetlet.operatorToken')`)).toBe(TOKEN);
    expect(await t.page.evaluate('localStorage.length')).toBe(0);
    await writeFile(join(ARTIFACTS, 'last-t.page.html'), contents[contents.length - 1]!);
  });
});
