import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import {
  REDIRECT,
  details,
  form,
  obtainTokens,
  pkce,
  registerCompany,
  type RegisteredCompany,
} from '../support/company.ts';
import { axeViolations, VIEWPORTS } from './axe.ts';
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * Records shared across companies (issue 15) in Chromium through the real server: the consent screen says in
 * words which records a company asks for, and the customer narrows the window and the sources; the records
 * page shows what companies and devices deposited, and hides and deletes (with confirmation).
 */

const PASSWORD = 'correct horse battery staple';
const DAY = 86_400_000;
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const suite = browserSuite();
const h1 = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });

async function signIn(email: string, viewport: (typeof VIEWPORTS)[number], path = '/', title = 'Your profile') {
  await suite.session?.close();
  suite.session = await openPage(suite.browser, suite.v.url, { viewport });
  const page = suite.session.page;
  await page.route(`${REDIRECT}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the company' }),
  );
  await page.goto(`/signin?next=${encodeURIComponent(path)}`);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
  await h1(page, title).waitFor();
  await page.waitForFunction(() => !document.querySelector('#main .loading'));
  return page;
}

/** axe-core finds nothing serious or critical, the floor checks pass, and the picture is kept to look at. */
async function checkState(page: Page, name: string) {
  expect(await axeViolations(page), name).toEqual([]);
  expect(await accessibilityProblems(page), name).toEqual([]);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, `${name} scrolls sideways`).toBeLessThanOrEqual(0);
  await screenshot(page, name);
}

const purchase = (merchant: string, daysAgo: number) => ({
  merchant,
  items: [{ name: 'Walking boots', quantity: 1, price: 89.5 }],
  total: 89.5,
  currency: 'EUR',
  time: new Date(suite.v.clock.now().getTime() - daysAgo * DAY).toISOString(),
});

async function deposit(token: string, handle: string, category: string, content: object) {
  const res = await fetch(`${suite.v.url}/data/customers/${handle}/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ category, content }),
  });
  expect(res.status).toBe(201);
  return (await res.json()).id as string;
}

/** A shop deposits purchases through its own deposit grant, as the company would over the API. */
async function shopDeposits(customer: Customer, name: string, daysAgo: number[]) {
  const shop = await registerCompany(suite.v, { name });
  const t = await obtainTokens(suite.v, shop, customer, { fields: ['purchase_history'], actions: ['deposit'] });
  for (const d of daysAgo) await deposit(t.access_token, customer.handle, 'purchases', purchase(name, d));
  return shop;
}

/** The reading company pushes its request (PAR) and the customer's browser follows /authorize to the screen. */
async function askForRecords(page: Page, company: RegisteredCompany) {
  const p = pkce();
  const par = await form(
    `${suite.v.url}/par`,
    {
      response_type: 'code',
      client_id: company.clientId,
      redirect_uri: REDIRECT,
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
      state: 'rec',
      authorization_details: details(['email'], 'order-fulfilment', 'P30D', ['read'], {
        categories: ['purchases'],
        window: 'P12M',
        sources: 'any',
      }),
    },
    { authorization: company.basic() },
  );
  expect(par.status).toBe(201);
  await page.goto(
    `/authorize?client_id=${encodeURIComponent(company.clientId)}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
  );
  return p.verifier;
}

describe('records on the consent screen', () => {
  it('when the customer narrows the window and the sources, then the company reads exactly those records', async () => {
    const email = uniqueEmail('narrow');
    const api = await new Customer(suite.v.url).signUp(email);
    const shopA = await shopDeposits(api, 'Alpine Boots', [30, 250]);
    await shopDeposits(api, 'City Sports', [10]);
    const reader = await registerCompany(suite.v, { name: 'Trail Outfitters' });

    for (const viewport of VIEWPORTS) {
      const page = await signIn(email, viewport);
      const verifier = await askForRecords(page, reader);
      await h1(page, 'Trail Outfitters asks for access').waitFor();
      const card = page.getByRole('region', { name: 'Which records' });
      await card.getByText('It asks for: Purchases from the last 12 months, from every company.').waitFor();
      await checkState(page, `consent-records-${viewport.name}`);

      await page.getByLabel('How far back').selectOption({ label: 'the last 6 months' });
      await page.getByLabel('Only from the companies I choose').check();
      await page.getByLabel('From City Sports').uncheck();
      await card.getByText('You would share purchases from the last 6 months, from Alpine Boots.').waitFor();
      await checkState(page, `consent-records-narrowed-${viewport.name}`);
      await page.getByRole('button', { name: /^Approve/ }).click();
      await page.waitForURL(`${REDIRECT}**`);
      const code = new URL(page.url()).searchParams.get('code')!;

      const t = await form(
        `${suite.v.url}/token`,
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
        { authorization: reader.basic() },
      );
      expect(t.status).toBe(200);
      expect(t.body.authorization_details).toContainEqual({
        type: 'customer_records',
        categories: ['purchases'],
        window: 'P6M',
        sources: [shopA.clientId],
      });
      const read = await fetch(`${suite.v.url}/data/customers/${api.handle}/records`, {
        headers: { authorization: `Bearer ${t.body.access_token}` },
      });
      expect(read.status).toBe(200);
      const records = (await read.json()).records as { source: { name: string }; content: { time: string } }[];
      // Alpine Boots' purchase of 30 days ago: not its 250-day-old one, nor City Sports' at all.
      expect(records.map((r) => r.source.name)).toEqual(['Alpine Boots']);
      expect(records[0]!.content.time).toBe(purchase('Alpine Boots', 30).time);
    }
  });
});

/** A toothbrush joins through the device grant (RFC 8628) over the API and deposits "needs service". */
async function toothbrushDeposits(customer: Customer) {
  const brushco = await registerCompany(suite.v, { name: 'Brushco', product: 'toothbrush' });
  const auth = { authorization: brushco.basic() };
  const asked = await form(
    `${suite.v.url}/device_authorization`,
    { authorization_details: details(['devices'], 'customer-support', 'P90D', ['deposit']) },
    auth,
  );
  const entered = await customer.call('POST', '/api/device', { code: asked.body.user_code });
  await customer.call('POST', `/api/consent/${entered.body.request}`, { decision: 'approve', termsVersion: 1 });
  suite.v.clock.advance(5_000);
  const t = await form(`${suite.v.url}/token`, { grant_type: DEVICE_GRANT, device_code: asked.body.device_code }, auth);
  expect(t.status).toBe(200);
  await deposit(t.body.access_token, customer.handle, 'devices', {
    product: 'toothbrush',
    maker: 'Brushco',
    serial: 'BC3-0042',
    purchased: '2026-01-15',
    events: [{ kind: 'needs_service', at: suite.v.clock.now().toISOString() }],
  });
}

describe('the records page', () => {
  it('when the customer hides one record and deletes another after confirming, then the page and the vault agree', async () => {
    const email = uniqueEmail('records');
    const api = await new Customer(suite.v.url).signUp(email);
    await shopDeposits(api, 'Harbour Books', [5]);
    await toothbrushDeposits(api);

    for (const viewport of VIEWPORTS) {
      const page = await signIn(email, viewport, '/records', 'Your records');
      await page.getByText('1 item bought from Harbour Books on').waitFor();
      // The purchase date in words, in the browser's locale, never the raw 2026-01-15.
      await page.getByText(/toothbrush by Brushco, bought .*2026; latest: needs service/).waitFor();
      expect(await page.locator('main').innerText()).not.toContain('2026-01-15');
      await page.getByText(/^Recorded from your toothbrush, by Brushco on /).waitFor();
      await checkState(page, `records-${viewport.name}`);
    }
    const page = suite.session!.page;

    const book = page.locator('li', { hasText: 'Harbour Books on' });
    await book.getByRole('button', { name: 'Hide from sharing' }).click();
    await book.getByText('Hidden: no company can read it.').waitFor();
    await book.getByRole('button', { name: 'Share again' }).waitFor();

    const brush = page.locator('li', { hasText: 'toothbrush by Brushco' });
    await brush.getByRole('button', { name: 'Delete' }).click();
    const confirm = brush.getByRole('group', { name: 'Confirm deletion' });
    await confirm.getByText('Delete this record for good?').waitFor();
    await checkState(page, 'records-confirm-delete-phone');
    // Keeping it changes nothing; deleting for good removes it.
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    expect((await api.call('GET', '/api/records')).body.records).toHaveLength(2);
    await brush.getByRole('button', { name: 'Delete' }).click();
    await confirm.getByRole('button', { name: 'Delete for good' }).click();
    await page.getByText('toothbrush by Brushco, bought').waitFor({ state: 'detached' });

    const left = (await api.call('GET', '/api/records')).body.records as { hidden: boolean; category: string }[];
    expect(left.map((r) => [r.category, r.hidden])).toEqual([['purchases', true]]);
    await checkState(page, 'records-after-phone');
  });
});
