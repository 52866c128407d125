import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Page, Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany } from '../support/company.ts';
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * The audit trail as people see it: the customer's Activity page and inbox receipts after real OAuth
 * reads, grant pages reached by their address, and the auditor's search, export and checkpoints.
 */

const PASSWORD = 'correct horse battery staple';
const suite = browserSuite();

const h1 = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });

async function signInBrowser(email: string, path: string, title: string): Promise<Page> {
  suite.session = await openPage(suite.browser, suite.v.url);
  const page = suite.session.page;
  await page.goto(`/signin?next=${encodeURIComponent(path)}`);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
  await h1(page, title).waitFor();
  return page;
}

/** A customer (over the API) whose data a company holds a grant to, with tokens to read it. */
async function customerWithGrant(companyName: string) {
  const email = uniqueEmail('audit');
  const api = await new Customer(suite.v.url).signUp(email);
  expect((await api.call('PATCH', '/api/profile', { phone: '+32 470 12 34 56' })).status).toBe(200);
  const company = await registerCompany(suite.v, { name: companyName });
  const tokens = await obtainTokens(suite.v, company, api, { fields: ['email', 'phone'] });
  return { email, api, company, tokens };
}

/** Submits the auditor's search and waits until its answer is on the page. */
async function search(page: Page): Promise<void> {
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/audit/events?')),
    page.getByRole('button', { name: 'Search' }).click(),
  ]);
  await page.waitForFunction(() => !document.querySelector('#main .loading'));
}

/** How far the page scrolls sideways (tables scroll inside their own box instead). */
const horizontalOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** Serves the page's list calls in pages of `size`, so paging is exercised without hundreds of events. */
function smallPages(size: number) {
  return (route: Route) => {
    const url = new URL(route.request().url());
    url.searchParams.set('limit', String(size));
    return route.continue({ url: url.toString() });
  };
}

describe('activity, receipts and the audit log in the browser', () => {
  it('when a company reads the customer data, then Activity shows who read which fields for what purpose, older entries on demand, and refusals grouped with their reason', async () => {
    const { email, api, tokens } = await customerWithGrant('Reading Shop');
    expect((await readData(suite.v, tokens.access_token, api.handle)).status).toBe(200);
    // A field outside the grant is refused, and the refusal is recorded too: it is listed apart, grouped.
    expect((await readData(suite.v, tokens.access_token, api.handle, ['street_address'])).status).toBe(403);
    expect((await readData(suite.v, tokens.access_token, api.handle, ['street_address'])).status).toBe(403);
    expect((await readData(suite.v, tokens.access_token, api.handle, ['phone'])).status).toBe(200);
    expect((await readData(suite.v, tokens.access_token, api.handle, ['email'])).status).toBe(200);

    const page = await signInBrowser(email, '/reads', 'Activity');
    await page.route('**/api/reads?**', smallPages(2));
    await page.reload();
    await h1(page, 'Activity').waitFor();
    const rows = page.locator('tbody tr');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);

    // Newest first, real reads only: the e-mail address alone, then the phone number alone.
    expect(await rows.nth(0).getAttribute('data-action')).toBe('data.read');
    expect(await rows.nth(0).locator('td').nth(1).textContent()).toBe('Reading Shop');
    expect(await rows.nth(0).locator('.chip').allTextContents()).toEqual(['E-mail address']);
    expect(await rows.nth(0).locator('td').nth(3).textContent()).toBe('Order fulfilment');
    await rows.nth(0).getByText('Allowed').waitFor();
    expect(await rows.nth(1).locator('.chip').allTextContents()).toEqual(['Phone number']);

    // The two refusals are one line, with their reason.
    const groups = page.locator('.refusal-group');
    expect(await groups.count()).toBe(1);
    expect(await groups.first().getAttribute('data-reason')).toBe('OUT_OF_SCOPE');
    expect(await groups.first().textContent()).toMatch(
      /^Reading Shop was refused 2 times between .+ and .+: Fields outside the grant: street_address/,
    );

    await page.getByRole('button', { name: 'Show older activity' }).click();
    await rows.nth(2).waitFor();
    const first = rows.nth(2);
    expect(await first.getAttribute('data-action')).toBe('data.read');
    expect(await first.locator('.chip').allTextContents()).toEqual(['E-mail address', 'Phone number']);
    // The last page was short, so there is nothing older to ask for.
    await page.getByRole('button', { name: 'Show older activity' }).waitFor({ state: 'detached' });
    expect(await rows.count()).toBe(3);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'activity');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'activity-mobile');
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
  });

  it('when the customer opens a receipt message, then it is marked read, the receipt terms show, and the downloaded JWS verifies against the vault keys', async () => {
    const { email, api, tokens } = await customerWithGrant('Receipt Shop');
    expect((await api.call('PATCH', `/api/grants/${tokens.grant_id}`, { fields: ['email'] })).status).toBe(200);
    const inbox = async () =>
      (await api.call('GET', '/api/inbox')).body.messages as {
        id: string;
        kind: string;
        readAt?: string | null;
        body: { receiptId?: string };
      }[];
    const approvedMsg = (await inbox()).find((m) => m.kind === 'grant.approved')!;
    expect(approvedMsg.body.receiptId).toBeTruthy();

    const page = await signInBrowser(email, '/inbox', 'Inbox');
    const nav = page.getByRole('navigation', { name: 'Main' });
    // Approved and narrowed, neither read yet: the count shows in the navigation and on the card.
    await nav.getByRole('link', { name: 'Inbox (2 unread)' }).waitFor();
    await page.getByText('2 unread messages').waitFor();

    const approved = page.locator('.message[data-kind="grant.approved"]');
    expect(await approved.getAttribute('class')).toMatch(/\bunread\b/);
    await approved.getByRole('button', { name: /^Unread: Receipt Shop: access granted/ }).click();
    const body = approved.locator('.message-body');
    await body.getByText('Receipt Shop', { exact: true }).waitFor();
    const fact = (name: string) =>
      body.locator('.facts > div', { has: page.locator('dt', { hasText: name }) }).locator('dd');
    expect(await fact('Purpose').textContent()).toBe('Order fulfilment');
    expect(await fact('Fields').locator('.chip').allTextContents()).toEqual(['E-mail address', 'Phone number']);
    expect(await fact('Company keeps data').textContent()).toBe('90 days');
    expect(await fact('Shared onward').textContent()).toBe('No');
    expect(await fact('In return').textContent()).toBe('Discount: 10% off every order');
    await fact('How to withdraw')
      .getByText(/withdraw this consent at any time/)
      .waitFor();

    // Opening it marked it read, here and on the server.
    await page.waitForFunction(
      () => !document.querySelector('.message[data-kind="grant.approved"]')?.classList.contains('unread'),
    );
    await nav.getByRole('link', { name: 'Inbox (1 unread)' }).waitFor();
    const after = await inbox();
    expect(after.find((m) => m.id === approvedMsg.id)!.readAt).toBeTruthy();
    expect(after.find((m) => m.kind === 'grant.narrowed')!.readAt).toBeFalsy();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'inbox-receipt');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      body.getByRole('button', { name: 'Download the signed receipt' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`consent-receipt-${approvedMsg.body.receiptId}.jws`);
    const jws = (await readFile((await download.path())!, 'utf8')).trim();
    const jwks = createLocalJWKSet(await (await fetch(`${suite.v.url}/jwks.json`)).json());
    const { payload, protectedHeader } = await jwtVerify(jws, jwks, { typ: 'consent-receipt+jwt' });
    expect(protectedHeader.typ).toBe('consent-receipt+jwt');
    expect(payload).toMatchObject({
      consentReceiptID: approvedMsg.body.receiptId,
      event: 'created',
      piiControllers: [{ piiController: 'Receipt Shop' }],
      services: [{ purposes: [{ purpose: 'order-fulfilment', fields: ['email', 'phone'] }] }],
    });

    // The receipts list has both receipts; the narrowed one shows the narrower fields.
    const receipts = page.getByRole('table', { name: 'Your consent receipts, newest first' });
    const amended = receipts.locator('tbody tr', { hasText: 'Grant narrowed' });
    expect(await receipts.locator('tbody tr', { hasText: 'Grant created' }).count()).toBe(1);
    await amended.getByRole('button', { name: /^View/ }).click();
    const details = receipts.locator('.row-details');
    await details.locator('.chip').first().waitFor();
    expect(await details.locator('.chip').allTextContents()).toEqual(['E-mail address']);

    await page.getByRole('button', { name: 'Mark all as read' }).click();
    await page.getByRole('button', { name: 'Mark all as read' }).waitFor({ state: 'detached' });
    await nav.getByRole('link', { name: /unread/ }).waitFor({ state: 'detached' });
    expect(await page.locator('.message.unread').count()).toBe(0);
    expect((await inbox()).every((m) => m.readAt)).toBe(true);
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'inbox-mobile');
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
  });

  it('when the grants page is opened by its address or reloaded, then the dashboard shows the grants', async () => {
    const { email } = await customerWithGrant('Deep Link Shop');
    suite.session = await openPage(suite.browser, suite.v.url);
    const page = suite.session.page;
    // Signed out, /grants is the dashboard's (companies manage grants at /company/grants).
    const res = await page.goto('/grants');
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toMatch(/^text\/html/);
    await h1(page, 'Sign in to your vault').waitFor();
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    await h1(page, 'Grants').waitFor();
    expect(new URL(page.url()).pathname).toBe('/grants');
    const card = page.locator('.grant-card', { has: page.getByRole('heading', { name: 'Deep Link Shop' }) });
    await card.getByText('Active', { exact: true }).waitFor();

    await page.reload();
    await h1(page, 'Grants').waitFor();
    await card.getByText('Active', { exact: true }).waitFor();
    expect(await card.locator('.chip').allTextContents()).toEqual(['E-mail address', 'Phone number']);
  });

  it('when an auditor searches, exports and signs a checkpoint, then the table, the JSON Lines file and the checkpoint list agree with the log', async () => {
    const { api, company, tokens } = await customerWithGrant('Audited Shop');
    expect((await readData(suite.v, tokens.access_token, api.handle)).status).toBe(200);
    expect((await readData(suite.v, tokens.access_token, api.handle, ['street_address'])).status).toBe(403);
    const email = uniqueEmail('auditor');
    await suite.v.vault.services.accounts.createAuditor({ email, password: PASSWORD });
    const page = await signInBrowser(email, '/auditor', 'Audit log');
    const events = page.getByRole('table', { name: 'Audit events matching the filters' });
    await events.waitFor();

    // One company's reads only.
    await page.getByLabel('Company id').fill(company.clientId);
    await page.getByLabel('Action').selectOption('data.read');
    await search(page);
    const rows = events.locator('tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('td').nth(5).getAttribute('title')).toBe(company.clientId);
    await rows.first().getByText('email, phone').waitFor();

    // Refusals for the same company, with the reason.
    await page.getByLabel('Action').selectOption('');
    await page.getByLabel('Decision').selectOption('deny');
    await search(page);
    await events.locator('tbody tr', { hasText: 'data.denied' }).locator('.reasons li').first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'auditor-search');

    // A filter the server refuses shows its problem instead of stale rows.
    await page.getByLabel('Customer id').fill('x'.repeat(201));
    await search(page);
    const refusal = page.getByRole('region', { name: 'Events' }).getByRole('alert');
    expect(await refusal.textContent()).toMatch(/customer/);
    expect(await events.count()).toBe(0);
    await page.getByLabel('Customer id').fill('');

    // All of the company's events, two at a time: "Load more" continues before the last seq.
    await page.getByLabel('Decision').selectOption('');
    await page.route('**/api/audit/events?**', smallPages(2));
    await search(page);
    expect(await rows.count()).toBe(2);
    await page.getByRole('button', { name: 'Load more events' }).click();
    await rows.nth(3).waitFor();
    const seqs = (await rows.locator('td:first-child').allTextContents()).map(Number);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(seqs.length);
    await page.unroute('**/api/audit/events?**');

    // The export follows the last search: a header line, then that company's events.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export JSON Lines' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^vault-audit-.*\.jsonl$/);
    const lines = (await readFile((await download.path())!, 'utf8')).trim().split('\n');
    const header = JSON.parse(lines[0]!);
    expect(header).toMatchObject({
      format: 'vault-audit-export',
      filtered: true,
      filter: { company: company.clientId },
    });
    expect(header.checkpoint.jws).toBeTruthy();
    const exported = lines.slice(1).map((l) => JSON.parse(l));
    expect(exported.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(exported)).toContain('"data.denied"');
    expect(JSON.stringify(exported)).not.toContain('+32 470'); // names fields, never values

    // Checkpoints: signing one after new events adds it at the head of the list…
    const table = page.getByRole('table', { name: 'Signed checkpoints, newest first' });
    expect((await readData(suite.v, tokens.access_token, api.handle)).status).toBe(200);
    const before = (await (await page.request.get('/api/audit/checkpoints')).json()).checkpoints.length;
    const checkpoints = page.getByRole('region', { name: 'Checkpoints' });
    await checkpoints.getByRole('button', { name: 'Sign a checkpoint now' }).click();
    const notice = checkpoints.getByRole('status').filter({ hasText: 'Checkpoint signed at sequence' });
    await notice.waitFor();
    const signed = Number((await notice.textContent())!.match(/sequence (\d+)/)![1]);
    await table.locator('tbody tr').nth(before).waitFor();
    expect(await table.locator('tbody tr').count()).toBe(before + 1);
    expect(await table.locator('tbody tr').first().locator('td').first().textContent()).toBe(String(signed));
    const listed = (await (await page.request.get('/api/audit/checkpoints')).json()).checkpoints;
    expect(listed[0].seq).toBe(signed);
    // …and with nothing new since, the vault says the head is already covered instead of signing again.
    await checkpoints.getByRole('button', { name: 'Sign a checkpoint now' }).click();
    await checkpoints
      .getByRole('status')
      .filter({ hasText: `already covers sequence ${signed}` })
      .waitFor();
    expect(await table.locator('tbody tr').count()).toBe(before + 1);
    await screenshot(page, 'auditor-checkpoints');
  });
});
