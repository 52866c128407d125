import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startVault, type RunningVault } from '../support/vault.ts';

/**
 * Headless Debian Chromium driven by playwright-core (no downloaded browser). The flags keep it off
 * the network: without them it tries Google's hosts at every start, which this machine refuses.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

/**
 * Console messages that are expected while the dashboard works as designed: the browser logs every
 * 4xx response as "Failed to load resource", and the dashboard makes such calls on purpose (GET
 * /api/session when signed out is 401, a wrong password is 401, a value the server refuses is 400, an API not yet built is 404).
 * Server errors (5xx) are never expected and are caught from the responses themselves.
 */
const EXPECTED_CONSOLE = /^Failed to load resource: the server responded with a status of (400|401|403|404|409|429) /;

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Everything that went wrong in the page: console errors, uncaught exceptions, CSP violations, 5xx. */
  problems: string[];
  /** CSP violations alone (also included in `problems`). */
  cspViolations: string[];
  close(): Promise<void>;
}

/** A fresh browser context (its own cookies and storage) with a page that reports its problems. */
export async function openPage(
  browser: Browser,
  baseURL: string,
  opts: { viewport?: { width: number; height: number } } = {},
): Promise<Session> {
  const context = await browser.newContext({
    baseURL,
    acceptDownloads: true,
    viewport: opts.viewport ?? { width: 1280, height: 860 },
  });
  // Injected by the driver over CDP, not by the page, so our CSP does not apply to it.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(
        `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`,
      );
    });
  });
  const page = await context.newPage();
  // Well under vitest's 30 s test timeout, so a missing element fails with the locator in the message.
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  const cspViolations: string[] = [];
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|CSP violation/i.test(text)) {
      cspViolations.push(text);
      problems.push(`csp: ${text}`);
      return;
    }
    if (msg.type() === 'error' && !EXPECTED_CONSOLE.test(text)) problems.push(`console: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 500) problems.push(`http ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  return { context, page, problems, cspViolations, close: () => context.close() };
}

export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Clicks scroll the page; a full-page shot taken mid-scroll paints the sticky header mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: opts.fullPage ?? true });
}

/**
 * A cheap accessibility floor, checked on every page the tests visit: each form control has a label,
 * each button and link has a name, the page has exactly one h1, ids are unique, and decorative SVGs
 * are hidden from assistive technology. Returns what is wrong (empty when all is well).
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const describe = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : ''}`;
    const named = (el: Element) => !!(el.getAttribute('aria-label')?.trim() || el.getAttribute('aria-labelledby'));
    for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      const labels = (el as HTMLInputElement).labels;
      if (!(labels && labels.length) && !named(el)) out.push(`unlabelled control ${describe(el)}`);
    }
    for (const el of document.querySelectorAll('button, a[href]')) {
      if (!el.textContent?.trim() && !named(el)) out.push(`nameless ${describe(el)}`);
    }
    const h1s = document.querySelectorAll('h1').length;
    if (h1s !== 1) out.push(`${h1s} h1 elements`);
    const ids = new Map<string, number>();
    for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) ?? 0) + 1);
    for (const [id, n] of ids) if (n > 1) out.push(`id "${id}" used ${n} times`);
    for (const svg of document.querySelectorAll('svg')) {
      if (svg.getAttribute('aria-hidden') !== 'true' && !svg.querySelector('title'))
        out.push('svg without aria-hidden or title');
    }
    return out;
  });
}

export interface BrowserSuite {
  v: RunningVault;
  browser: Browser;
  /** The page session of the running test; its problems are asserted empty after each test. */
  session?: Session;
}

/**
 * Registers the hooks every browser test file needs: a real vault and one Chromium for the file, and
 * after each test, the check that the page logged no error, hit no 5xx and broke no CSP rule.
 */
export function browserSuite(): BrowserSuite {
  const suite = {} as BrowserSuite;
  beforeAll(async () => {
    suite.v = await startVault();
    suite.browser = await launchBrowser();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.v?.close();
  });
  afterEach(async () => {
    const problems = suite.session?.problems ?? [];
    await suite.session?.close();
    suite.session = undefined;
    expect(problems).toEqual([]);
  });
  return suite;
}
