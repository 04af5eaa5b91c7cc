// Debian chromium driven by playwright-core for the dashboard's browser tests: the flags this machine needs
// (no sandbox as root, no GPU, no background networking to hosts the closed network refuses), a fresh profile per
// launch, and a clear failure, never a skip, when chromium is not installed.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.FLEETLET_CHROMIUM ?? '/usr/bin/chromium';

/** Where the dashboard tests leave screenshots (git ignores test-artifacts/). */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboard');

/** @throws Error naming the missing binary and how to install it */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The dashboard browser tests need Debian chromium at "${CHROMIUM}", which is missing: install it with "apt-get install chromium" (.ci/run does) or set FLEETLET_CHROMIUM`);
  }
  await mkdir(ARTIFACTS, { recursive: true });
  // launch() gives every browser a fresh, empty profile directory of its own (removed on close).
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
