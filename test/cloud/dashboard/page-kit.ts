// What each dashboard browser test file shares: one chromium per file, and per test a fresh in-memory fleet
// (FakeFleetOps) behind the real HTTP API, a fresh browser context (empty sessionStorage) and a page whose script
// errors and console errors fail the test (the API's own refusals excepted).

import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startHttpApi, type HttpApi, type HttpApiOptions } from '../../../cloud/http/index.ts';
import { launchChromium } from './browser.ts';
import { FakeFleetOps } from './fake-ops.ts';

export const DASHBOARD = fileURLToPath(new URL('../../../cloud/http/dashboard/', import.meta.url));
export const TOKEN = 'op-token-alice-0123456789abcdef';
export const OTHER_TOKEN = 'op-token-bob-fedcba9876543210';

export interface DashboardTest {
  readonly ops: FakeFleetOps;
  readonly api: HttpApi;
  readonly page: Page;
  /** Restarts the API over the same fleet with other options (the page must then go to the new `api.url`). */
  restartApi(over: Partial<HttpApiOptions>): Promise<void>;
  /** Answers the token dialog. */
  giveToken(token: string): Promise<void>;
}

/** Registers the hooks of a dashboard test file; the returned object's fields are fresh in each test. */
export function dashboardTests(): DashboardTest {
  let browser: Browser;
  let context: BrowserContext;
  let pageErrors: string[] = [];
  const options = (over: Partial<HttpApiOptions> = {}): HttpApiOptions => ({
    port: 0,
    dashboardDir: DASHBOARD,
    operators: [{ name: 'alice', token: TOKEN }, { name: 'bob', token: OTHER_TOKEN }],
    ...over,
  });
  const t = {
    ops: undefined as unknown as FakeFleetOps,
    api: undefined as unknown as HttpApi,
    page: undefined as unknown as Page,
    async restartApi(over: Partial<HttpApiOptions>): Promise<void> {
      await t.api.close();
      t.api = await startHttpApi(t.ops, options(over));
    },
    async giveToken(token: string): Promise<void> {
      const dialog = t.page.getByRole('dialog', { name: 'Operator token' });
      await expect.poll(() => dialog.isVisible()).toBe(true);
      await dialog.getByLabel('Operator token').fill(token);
      await dialog.getByRole('button', { name: 'Use token' }).click();
    },
  };

  // A browser that cannot start fails every test of the file with its message (vitest would mark them skipped if
  // only beforeAll failed).
  let launchError: unknown;
  beforeAll(async () => {
    try {
      browser = await launchChromium();
    } catch (e) {
      launchError = e;
    }
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    if (launchError !== undefined) throw launchError;
    t.ops = new FakeFleetOps();
    t.api = await startHttpApi(t.ops, options());
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    t.page = await context.newPage();
    t.page.setDefaultTimeout(5000);
    pageErrors = [];
    t.page.on('pageerror', (e) => pageErrors.push(e.message));
    // The API's refusals are expected; any other console error (a script error, a CSP violation) fails the test.
    t.page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of (40[139]|503)/.test(m.text())) pageErrors.push(m.text());
    });
  });

  afterEach(async () => {
    await context?.close();
    await t.api?.close();
    expect(pageErrors).toEqual([]);
  });

  return t;
}
