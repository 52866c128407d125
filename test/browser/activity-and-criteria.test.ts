import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { details, form, obtainTokens, readData, registerCompany } from '../support/company.ts';
import { axeViolations, VIEWPORTS } from './axe.ts';
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * The customer's activity filters, requests their criteria decided for them, and a criteria change with its
 * preview, walked in Chromium through the real server, starting signed out; each state is checked with
 * axe-core and photographed at desktop and phone sizes.
 */

const PASSWORD = 'correct horse battery staple';
const suite = browserSuite();
const h1 = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });

async function signInBrowser(
  email: string,
  path: string,
  title: string,
  viewport: (typeof VIEWPORTS)[number] = VIEWPORTS[0],
  /** Runs on the fresh page before it signs in (a route to hold a request back, say). */
  prepare?: (page: Page) => Promise<unknown>,
): Promise<Page> {
  await suite.session?.close();
  suite.session = await openPage(suite.browser, suite.v.url, { viewport });
  const page = suite.session.page;
  await prepare?.(page);
  await page.goto(`/signin?next=${encodeURIComponent(path)}`);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
  await h1(page, title).waitFor();
  await page.waitForFunction(() => !document.querySelector('#main .loading'));
  return page;
}

/** axe-core finds nothing serious or critical, nothing scrolls sideways, and the picture is kept. */
async function checkState(page: Page, name: string): Promise<void> {
  expect(await axeViolations(page), name).toEqual([]);
  expect(await accessibilityProblems(page), name).toEqual([]);
  // Whatever sticks out past the right edge of the window (tables scroll inside their own box instead).
  const wide = await page.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .filter((el) => !el.closest('.table-wrap'))
      .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`),
  );
  expect(wide, `${name} scrolls sideways`).toEqual([]);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, `${name} scrolls sideways`).toBeLessThanOrEqual(0);
  await screenshot(page, name);
}

/** A customer with two companies' grants and reads, set up over the API as the companies would. */
async function customerWithTwoCompanies(names: [string, string]) {
  const email = uniqueEmail('activity');
  const api = await new Customer(suite.v.url).signUp(email);
  await api.call('PATCH', '/api/profile', { phone: '+32 470 12 34 56' });
  const shop = await registerCompany(suite.v, { name: names[0] });
  const bank = await registerCompany(suite.v, { name: names[1] });
  const a = await obtainTokens(suite.v, shop, api, { fields: ['email'] });
  const b = await obtainTokens(suite.v, bank, api, { fields: ['email', 'phone'] });
  expect((await readData(suite.v, a.access_token, api.handle)).status).toBe(200);
  expect((await readData(suite.v, b.access_token, api.handle)).status).toBe(200);
  return { email, api, shop, bank };
}

describe('activity and criteria in the browser', () => {
  it("when a link names a company (?company=), then Activity opens filtered to that company's reads", async () => {
    const { email, shop } = await customerWithTwoCompanies(['Filter Shop', 'Other Bank']);
    for (const viewport of VIEWPORTS) {
      const page = await signInBrowser(email, `/reads?company=${shop.clientId}`, 'Activity', viewport);
      await expect.poll(() => page.locator('tbody tr').count()).toBeGreaterThan(0);
      const companies = await page.locator('tbody .cell-company').allTextContents();
      expect(new Set(companies)).toEqual(new Set(['Filter Shop']));
      // The company's name arrives with the list of companies, which may come after the rows.
      await expect.poll(() => page.getByLabel('Company').locator('option:checked').textContent()).toBe('Filter Shop');
      await checkState(page, `activity-filtered-${viewport.name}`);

      // Another filter from the form goes to the address too, and the server answers for it.
      await page.getByLabel('Kind').selectOption('deposit');
      await page.waitForURL(/kind=deposit/);
      await page.getByText('Nothing matches these filters').waitFor();
      expect(page.url()).toContain(`company=${shop.clientId}`);
      await checkState(page, `activity-empty-${viewport.name}`);
    }
  });

  it('when the list of companies has not come (yet), then the filter names the company its reads name', async () => {
    const { email, shop } = await customerWithTwoCompanies(['Named Shop', 'Unnamed Bank']);
    // The companies' list is held back until the reads are on the page, as on a slow connection.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const page = await signInBrowser(email, `/reads?company=${shop.clientId}`, 'Activity', VIEWPORTS[1], (p) =>
      p.route('**/api/criteria/options', async (route) => {
        await held;
        await route.continue();
      }),
    );
    await expect.poll(() => page.locator('tbody .cell-company').allTextContents()).toEqual(['Named Shop']);
    expect(await page.getByLabel('Company').locator('option:checked').textContent()).toBe('Named Shop');
    await checkState(page, 'activity-company-list-held-phone');
    const answered = page.waitForResponse('**/api/criteria/options');
    release();
    await answered;
    expect(await page.getByLabel('Company').locator('option:checked').textContent()).toBe('Named Shop');
  });

  it('when the criteria refuse a request, then the inbox says so in words, with a link to change the criteria', async () => {
    const email = uniqueEmail('refused');
    const api = await new Customer(suite.v.url).signUp(email);
    await api.call('PUT', '/api/criteria', { refusedPurposes: ['marketing'] });
    const pest = await registerCompany(suite.v, { name: 'Pushy Ads' });
    const r = await form(
      `${suite.v.url}/bc-authorize`,
      { login_hint: api.handle, authorization_details: details(['email'], 'marketing', 'P30D') },
      { authorization: pest.basic() },
    );
    expect(r.status).toBe(403);
    for (const viewport of VIEWPORTS) {
      const page = await signInBrowser(email, '/inbox', 'Inbox', viewport);
      const message = page.locator('.message[data-kind="request.refused"]');
      await message.getByText("Pushy Ads's request was refused by your criteria").waitFor();
      await expect.poll(() => message.getByText('Refused for you').count()).toBe(1);
      await message.getByRole('button').click();
      await checkState(page, `inbox-refused-${viewport.name}`);
      if (viewport.name === 'phone') {
        await message.getByRole('link', { name: 'Change your criteria' }).click();
        await h1(page, 'Settings').waitFor();
        expect(
          await page
            .getByRole('checkbox', { name: /Marketing/ })
            .first()
            .isChecked(),
        ).toBe(true);
      }
    }
  });

  it('when the customer refuses a purpose a live grant uses, then a preview names the grant before it is suspended', async () => {
    const { email, api } = await customerWithTwoCompanies(['Parcel Service', 'Garden Centre']);
    for (const viewport of VIEWPORTS) {
      const page = await signInBrowser(email, '/settings', 'Settings', viewport);
      await page.getByRole('checkbox', { name: /Order fulfilment/ }).waitFor();
      await checkState(page, `settings-criteria-${viewport.name}`);
      if (viewport.name === 'desktop') continue;
      await page.getByRole('checkbox', { name: /Order fulfilment/ }).check();
      await page.getByRole('button', { name: 'Save criteria' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText('Suspended until you re-approve them (2 grants):').waitFor();
      await dialog.getByText('Parcel Service').waitFor();
      // Nothing has changed yet: the preview is a dry run.
      const before = (await api.call('GET', '/api/grants')).body.grants as { status: string }[];
      expect(before.every((g) => g.status === 'active')).toBe(true);
      await checkState(page, `settings-preview-${viewport.name}`);
      await dialog.getByRole('button', { name: 'Save and apply' }).click();
      await page.getByText('Your criteria are saved. 2 grants changed, as shown.').waitFor();
      const after = (await api.call('GET', '/api/grants')).body.grants as { status: string }[];
      expect(after.map((g) => g.status)).toEqual(['suspended', 'suspended']);
    }
  });

  it('when an auditor searches a company and exports, then names sit beside ids and the page fits a phone', async () => {
    const { shop } = await customerWithTwoCompanies(['Audit Bakery', 'Audit Brewery']);
    const email = uniqueEmail('auditor');
    await suite.v.vault.services.accounts.createAuditor({ email, password: PASSWORD });
    for (const viewport of VIEWPORTS) {
      const page = await signInBrowser(email, '/auditor', 'Audit log', viewport);
      await page.getByLabel('Company id').fill(shop.clientId);
      await Promise.all([
        page.waitForResponse((r) => r.url().includes('/api/audit/events?')),
        page.getByRole('button', { name: 'Search' }).click(),
      ]);
      const rows = page.getByRole('table', { name: 'Audit events matching the filters' }).locator('tbody tr');
      await rows.first().locator('.company-name', { hasText: 'Audit Bakery' }).waitFor();
      await checkState(page, `auditor-search-${viewport.name}`);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Export JSON Lines' }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^vault-audit-.*\.jsonl$/);
    }
  });
});
