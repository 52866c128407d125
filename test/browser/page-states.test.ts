import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { REDIRECT, details, form, obtainTokens, pkce, readData, registerCompany } from '../support/company.ts';
import { browserSuite } from './browser.ts';
import * as states from './states.ts';
import { checkBothSizes, failing, h1, PASSWORD, settled } from './states.ts';
import { runSql } from '../support/rows.ts';

/**
 * Every page in each of its states (loading aside): with data, empty, and failing with a Retry that
 * fetches again; checked with axe-core, the harness's accessibility floor and a sideways-scroll check,
 * and photographed, at 1280×800 and 390×844 (issue 14, "Errors and states" and "Done when").
 */

const suite = browserSuite();
const ISO_DATE = /\d{4}-\d{2}-\d{2}/;

const signedIn = (email: string, path: string, title: string) => states.signedIn(suite, email, path, title);

interface PageCase {
  path: string;
  title: string;
  /** The call whose failure the page must show with a Retry. */
  api: string;
  /** Seen once the page has loaded after the Retry. */
  loaded: string | RegExp;
}

const CUSTOMER_PAGES: PageCase[] = [
  { path: '/', title: 'Your profile', api: '/api/profile', loaded: 'E-mail address' },
  { path: '/grants', title: 'Grants', api: '/api/grants', loaded: /No company has access/i },
  { path: '/reads', title: 'Activity', api: '/api/reads', loaded: 'No company has read your data yet' },
  { path: '/inbox', title: 'Inbox', api: '/api/inbox', loaded: 'Your inbox is empty' },
  { path: '/settings', title: 'Settings', api: '/api/criteria', loaded: 'Purposes I refuse' },
  { path: '/export', title: 'Your data', api: '/api/export', loaded: 'You have no messages.' },
];

describe('each page, empty and failing', () => {
  it.each(CUSTOMER_PAGES)(
    'when $path has nothing to show, then it says so; when $api fails, then it says so and Retry loads the page',
    async (c) => {
      const email = uniqueEmail('states');
      await new Customer(suite.v.url).signUp(email);
      const page = await signedIn(email, c.path, c.title);
      await page.getByText(c.loaded).first().waitFor();
      const name = c.path === '/' ? 'profile' : c.path.slice(1);
      await checkBothSizes(page, `state-empty-${name}`);

      const restore = await failing(suite.session!, c.api);
      await page.reload();
      const retry = page.getByRole('button', { name: /^Retry/ });
      await retry.first().waitFor();
      await checkBothSizes(page, `state-error-${name}`);
      await restore();
      await retry.first().click();
      await page.getByText(c.loaded).first().waitFor();
      expect(await retry.count()).toBe(0);
    },
    60_000,
  );

  it('when the audit log fails to load, then the auditor sees why and Retry loads it', async () => {
    const email = uniqueEmail('auditor-states');
    await suite.v.vault.services.accounts.createAuditor({ email, password: PASSWORD });
    const page = await signedIn(email, '/auditor', 'Audit log');
    await checkBothSizes(page, 'state-auditor');
    const restore = await failing(suite.session!, '/api/audit/events');
    const restoreCheckpoints = await failing(suite.session!, '/api/audit/checkpoints');
    await page.reload();
    const retry = page.getByRole('button', { name: /^Retry/ });
    await expect.poll(() => retry.count()).toBe(2);
    await checkBothSizes(page, 'state-error-auditor');
    await restore();
    await restoreCheckpoints();
    await retry.first().click();
    await retry.first().click();
    await expect.poll(() => retry.count()).toBe(0);
    expect(await page.locator('#main .alert-error').count()).toBe(0);
  }, 60_000);

  it('when loading the consent request fails, then Retry loads the request', async () => {
    const email = uniqueEmail('consent-states');
    await new Customer(suite.v.url).signUp(email);
    const shop = await registerCompany(suite.v, { name: 'Retry Shop' });
    const par = await form(
      `${suite.v.url}/par`,
      {
        response_type: 'code',
        client_id: shop.clientId,
        redirect_uri: REDIRECT,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        state: 's',
        authorization_details: details(['email'], 'order-fulfilment', 'P30D'),
      },
      { authorization: shop.basic() },
    );
    const page = await signedIn(email, '/grants', 'Grants');
    const restore = await failing(suite.session!, '/api/consent');
    await page.goto(`/authorize?client_id=${shop.clientId}&request_uri=${encodeURIComponent(par.body.request_uri)}`);
    const retry = page.getByRole('button', { name: /^Retry/ });
    await retry.waitFor();
    await checkBothSizes(page, 'state-error-consent');
    await restore();
    await retry.click();
    await h1(page, 'Retry Shop asks for access').waitFor();
    // Commitments in words from the one label table, not as the company's kebab-case tags.
    const terms = page.getByRole('complementary');
    await terms.getByText('Data hosted in the EU').waitFor();
    expect(await terms.getByText('eu-hosting').count()).toBe(0);
    await page.getByRole('complementary').getByText('Technical details').click();
    await checkBothSizes(page, 'consent-technical-details');
  }, 60_000);
});

/** A customer with a live grant, reads, a narrowed and a revoked grant, and a request their criteria refused. */
let busy = 0;
async function busyCustomer() {
  const email = uniqueEmail('busy');
  const api = await new Customer(suite.v.url).signUp(email);
  await api.call('PATCH', '/api/profile', { phone: '+32 470 12 34 56', given_name: 'Ada' });
  // Each company needs a name of its own (no look-alikes): digits keep them apart.
  const n = ++busy;
  const shopName = `Corner Shop ${n}`;
  const shop = await registerCompany(suite.v, { name: shopName });
  const bank = await registerCompany(suite.v, { name: `Quiet Bank ${n}` });
  const t = await obtainTokens(suite.v, shop, api, { fields: ['email', 'phone'] });
  expect((await readData(suite.v, t.access_token, api.handle)).status).toBe(200);
  const b = await obtainTokens(suite.v, bank, api, { fields: ['email'], purpose: 'customer-support' });
  expect((await api.call('DELETE', `/api/grants/${b.grant_id}`)).status).toBeLessThan(300);
  await api.call('PUT', '/api/criteria', { refusedPurposes: ['marketing'] });
  const refused = await form(
    `${suite.v.url}/bc-authorize`,
    { login_hint: api.handle, authorization_details: details(['email'], 'marketing', 'P30D') },
    { authorization: shop.basic() },
  );
  expect(refused.status).toBe(403);
  return { email, api, shopName, grantId: t.grant_id };
}

describe('each page with data', () => {
  it('when the customer has grants, reads and messages, then every page and its open dialogs pass at both sizes', async () => {
    const { email, shopName } = await busyCustomer();
    const page = await signedIn(email, '/', 'Your profile');
    await checkBothSizes(page, 'page-profile');
    for (const [path, title] of [
      ['/grants', 'Grants'],
      ['/reads', 'Activity'],
      ['/inbox', 'Inbox'],
      ['/settings', 'Settings'],
      ['/export', 'Your data'],
    ] as const) {
      await page.goto(path);
      await h1(page, title).waitFor();
      await settled(page);
      await checkBothSizes(page, `page-${path.slice(1)}`);
    }
    await page.goto('/grants');
    const card = page.locator('.company-card', { has: page.getByRole('heading', { name: shopName }) });
    await card
      .getByRole('button', { name: /^Revoke/ })
      .first()
      .click();
    await page.getByRole('dialog').waitFor();
    await checkBothSizes(page, 'page-grants-revoke-explained');
  }, 90_000);
});

describe('inbox messages in words', () => {
  it("when a grant is approved, then its message gives the end date in the customer's locale, never as ISO", async () => {
    const { email, api, shopName } = await busyCustomer();
    const grant = (await api.call('GET', '/api/grants')).body.grants.find(
      (g: { status: string }) => g.status === 'active',
    ) as { expiresAt: string };
    const stored = (await api.call('GET', '/api/inbox')).body.messages as { kind: string; body: { text: string } }[];
    // The server keeps the facts (ISO) beside a text in words.
    const approvals = stored.filter((m) => m.kind === 'grant.approved').map((m) => m.body);
    expect(approvals).toContainEqual(
      expect.objectContaining({
        facts: expect.objectContaining({ company: shopName, until: grant.expiresAt, fields: ['email', 'phone'] }),
      }),
    );
    for (const m of stored) expect(m.body.text).not.toMatch(ISO_DATE);

    const page = await signedIn(email, '/inbox', 'Inbox');
    const until = await page.evaluate(
      (t) => new Intl.DateTimeFormat(undefined, { dateStyle: 'long' }).format(new Date(t)),
      grant.expiresAt,
    );
    const approved = page.locator('.message[data-kind="grant.approved"]', { hasText: shopName });
    await approved.getByText(`until ${until}`, { exact: false }).waitFor();
    expect(await page.locator('.message-list').innerText()).not.toMatch(ISO_DATE);
    expect(await page.locator('.message-list').innerText()).not.toContain('order-fulfilment');
  });

  it('when an old message was stored as text with an ISO date, then the inbox shows that date in words', async () => {
    const { email, api } = await busyCustomer();
    const old = { title: 'Old Shop: access granted', text: 'Old Shop may read your e-mail address until 2026-12-30.' };
    const id = ((await api.call('GET', '/api/inbox')).body.messages as { id: string; kind: string }[]).find(
      (m) => m.kind === 'grant.approved',
    )!.id;
    await runSql(suite.v, 'update inbox set body = ? where id = ?', JSON.stringify(old), id);
    const page = await signedIn(email, '/inbox', 'Inbox');
    const day = await page.evaluate(() =>
      new Intl.DateTimeFormat(undefined, { dateStyle: 'long' }).format(new Date('2026-12-30')),
    );
    await page.getByText(`Old Shop may read your e-mail address until ${day}.`).waitFor();
  });
});
