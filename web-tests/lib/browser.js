// Debian's Chromium driven by playwright-core: no browser download, ever.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A fresh browser context (its own sessionStorage, cookies and sockets) with one page.
 * Page errors and console errors are collected in `page.problems` so a test can assert there were none.
 */
export async function openPage(browser, base, { width = 1280, height = 900, name = 'page', reducedMotion = 'no-preference' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, baseURL: base, reducedMotion });
  const page = await context.newPage();
  page.problems = [];
  page.label = name;
  page.on('pageerror', (e) => page.problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    // A refused REST call (4xx) is logged by Chromium as a console error; the tests check those answers themselves.
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()))
      page.problems.push(`${name}: console error: ${m.text()}`);
  });
  page.on('dialog', (d) => d.accept());
  page.setDefaultTimeout(10000);
  return { context, page };
}

export async function screenshot(page, file, opts = {}) {
  // From the top, so sticky bars are drawn where a reader first sees them.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, file), fullPage: true, ...opts });
}
