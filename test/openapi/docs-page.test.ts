import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVault, type RunningVault } from '../support/vault.ts';

// Debian's Chromium, as in test/browser; screenshots beside theirs in test-output/.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-output', 'screenshots');

let v: RunningVault;
let browser: Browser;
beforeAll(async () => {
  v = await startVault();
  // Playwright starts each launch with a fresh, temporary user data dir.
  browser = await chromium.launch({
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
});
afterAll(async () => {
  await browser?.close();
  await v?.close();
});

describe('the API reference page at /docs', () => {
  it('when opened in Chromium under the strict CSP, then it renders the operations with no CSP violation, console error or foreign request', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Reported by the driver over CDP, so the page's CSP does not apply to the listener itself.
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`),
      );
    });
    const page = await context.newPage();
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning' || /Content Security Policy|CSP violation/i.test(m.text()))
        problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(v.url) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`http ${r.status()}: ${r.url()}`);
    });

    const res = await page.goto(`${v.url}/docs`);
    expect(res!.status()).toBe(200);
    const csp = res!.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');

    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('Consent vault API');
    await page.locator('.opblock-tag-section').first().waitFor();
    const summaries = await page.locator('.opblock-summary-path').allInnerTexts();
    expect(summaries.length).toBeGreaterThan(40);
    expect(summaries.join(' ')).toContain('/data/customers/{handle}');
    expect(summaries.join(' ')).toContain('/token');

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'api-docs.png') });

    // Opening an operation shows its parameters and the problem response.
    await page.locator('#operations-Data-readCustomerData .opblock-summary-control').click();
    await page.locator('#operations-Data-readCustomerData .parameters').waitFor();
    expect(await page.locator('#operations-Data-readCustomerData').innerText()).toContain('handle');

    await page.screenshot({ path: join(SCREENSHOTS, 'api-docs-operation.png') });
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
    await context.close();
  });
});
