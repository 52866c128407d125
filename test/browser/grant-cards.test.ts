import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import {
  REDIRECT,
  defaultTerms,
  details,
  form,
  obtainTokens,
  pkce,
  readData,
  registerCompany,
  updateTerms,
} from '../support/company.ts';
import { axeViolations } from './axe.ts';
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * The consent screen and the grants page as a customer meets them (issue 14): a company link to the
 * consent screen with a preview of what would be shared and the end date; a company card with its
 * activity, narrowing, and revoking after the stopping explanation; ended grants that say when and why.
 * Every state is checked with axe-core and photographed at desktop and phone sizes.
 */

const PASSWORD = 'correct horse battery staple';
const DAY = 86_400_000;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const suite = browserSuite();

const h1 = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });

/** The date as the page formats it in the browser's locale ("14 December 2026"). */
const longDate = (page: Page, ms: number) =>
  page.evaluate((t) => new Intl.DateTimeFormat(undefined, { dateStyle: 'long' }).format(new Date(t)), ms);

/** Checks the page with axe and the harness, and photographs it, at both sizes (back to desktop after). */
async function checkBothSizes(page: Page, name: string, opts: { fullPage?: boolean } = {}) {
  for (const [size, viewport] of [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const) {
    await page.setViewportSize(viewport);
    expect(await axeViolations(page)).toEqual([]);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, `${name}-${size}`, opts);
  }
}

async function signIn(page: Page, email: string) {
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
}

/** A customer with an account, and a browser that is not signed in yet. */
async function customer(tag: string) {
  const email = uniqueEmail(tag);
  const api = await new Customer(suite.v.url).signUp(email);
  suite.session = await openPage(suite.browser, suite.v.url, { viewport: DESKTOP });
  const page = suite.session.page;
  await page.route(`${REDIRECT}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the company' }),
  );
  return { email, api, page };
}

describe('the consent screen', () => {
  it('when a company link brings a signed-out customer, then after signing in the screen previews their own values, masks sensitive ones until shown, marks empty fields, and gives the end date', async () => {
    const { email, api, page } = await customer('preview');
    await api.call('PATCH', '/api/profile', { phone: '+32 470 12 34 56', date_of_birth: '1990-04-01' });
    const bank = await registerCompany(suite.v, {
      name: 'Careful Bank',
      terms: {
        ...defaultTerms,
        purposes: ['fraud-prevention'],
        sharesOnward: true,
        onwardSharingDisclosed: true,
        onwardRecipients: 'Our payment processor, Pay Co (Belgium)',
      },
    });
    const par = await form(
      `${suite.v.url}/par`,
      {
        response_type: 'code',
        client_id: bank.clientId,
        redirect_uri: REDIRECT,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        state: 'p',
        authorization_details: details(['phone', 'street_address', 'date_of_birth'], 'fraud-prevention', 'P30D'),
      },
      { authorization: bank.basic() },
    );
    expect(par.status).toBe(201);
    await page.goto(`/authorize?client_id=${bank.clientId}&request_uri=${encodeURIComponent(par.body.request_uri)}`);
    await signIn(page, email);
    await h1(page, 'Careful Bank asks for access').waitFor();

    const card = (label: string) => page.locator('.check-card', { hasText: label });
    await card('Phone number').getByText('+32 470 12 34 56').waitFor();
    await card('Street address').getByText('You have not filled this in').waitFor();
    // Sensitive: hidden until the customer asks.
    expect(await page.getByText('1990-04-01').count()).toBe(0);
    await card('Date of birth').getByText('Hidden').waitFor();

    // The end date, in the customer's locale, follows the chosen number of days.
    await page.getByText(`Until ${await longDate(page, Date.now() + 30 * DAY)}`).waitFor();
    await page.getByLabel('Access ends after').fill('7');
    await page.getByText(`Until ${await longDate(page, Date.now() + 7 * DAY)}`).waitFor();

    // Onward sharing in the company's words; identifiers behind "Technical details".
    const terms = page.getByRole('complementary');
    await terms.getByText('Our payment processor, Pay Co (Belgium)').waitFor();
    expect(await terms.getByText('Checked against policy').isVisible()).toBe(false);

    // On a phone, the terms come before Approve and Deny.
    await page.setViewportSize(PHONE);
    const termsBox = await terms.boundingBox();
    const approveBox = await page.getByRole('button', { name: /^Approve/ }).boundingBox();
    expect(termsBox!.y + termsBox!.height).toBeLessThan(approveBox!.y);
    await checkBothSizes(page, 'consent');

    await card('Date of birth').getByRole('button', { name: 'Show Date of birth' }).click();
    await card('Date of birth').getByText('1990-04-01').waitFor();
    await terms.getByText('Technical details').click();
    await terms.getByText('Checked against policy').waitFor();
    await checkBothSizes(page, 'consent-revealed');

    await page.getByRole('button', { name: /^Approve/ }).click();
    await page.waitForURL(`${REDIRECT}?**`);
    expect((await api.call('GET', '/api/grants')).body.grants).toMatchObject([{ status: 'active' }]);
  });
});

describe('the grants page, company by company', () => {
  it('when the customer narrows and then revokes from a company card, then the card shows its reads and activity link, and the dialog explains what stopping means first', async () => {
    const { email, api, page } = await customer('cards');
    await api.call('PATCH', '/api/profile', { phone: '+32 470 12 34 56' });
    const shop = await registerCompany(suite.v, { name: 'Card Shop' });
    const t = await obtainTokens(suite.v, shop, api, { fields: ['email', 'phone'] });
    expect((await readData(suite.v, t.access_token, api.handle)).status).toBe(200);
    expect((await readData(suite.v, t.access_token, api.handle)).status).toBe(200);

    await page.goto('/grants');
    await signIn(page, email);
    await h1(page, 'Grants').waitFor();
    const card = page.locator('.company-card', { has: page.getByRole('heading', { name: 'Card Shop' }) });
    await card.getByRole('heading', { name: 'Order fulfilment' }).waitFor();
    // The grant's own count, and the same reads in the card's "What you gave" beside what came back (issue 16).
    await card.getByText('2 reads', { exact: true }).waitFor();
    await card
      .getByRole('region', { name: 'What you gave' })
      .getByText(/^2 reads since/)
      .waitFor();
    await card
      .getByText(await longDate(page, Date.now()), { exact: false })
      .first()
      .waitFor();
    expect(await card.getByRole('link', { name: "See Card Shop's activity" }).getAttribute('href')).toBe(
      `/reads?company=${encodeURIComponent(shop.clientId)}`,
    );
    await card
      .getByText(
        `Until ${await longDate(page, Date.parse((await api.call('GET', '/api/grants')).body.grants[0].expiresAt))}`,
      )
      .waitFor();
    await checkBothSizes(page, 'grants');

    await card.getByRole('button', { name: "Narrow Card Shop's grant" }).click();
    await card.getByRole('checkbox', { name: 'Phone number' }).uncheck();
    await card.getByRole('button', { name: 'Save narrower grant' }).click();
    await card.getByText('The grant was narrowed.').waitFor();
    expect((await api.call('GET', `/api/grants/${t.grant_id}`)).body.fields).toEqual(['email']);

    await card.getByRole('button', { name: "Revoke Card Shop's access" }).click();
    const dialog = page.getByRole('dialog', { name: "Revoke Card Shop's access?" });
    await dialog.getByText('It has read your e-mail address and phone number.').waitFor();
    await dialog.getByText('Its terms say it keeps your data for 90 days after it receives it.').waitFor();
    await dialog.getByText('privacy@shop.example').waitFor();
    await dialog.getByRole('heading', { name: 'What may stop' }).waitFor();
    await checkBothSizes(page, 'grants-revoke-dialog', { fullPage: false });
    await dialog.getByRole('button', { name: 'Revoke access' }).click();

    await page.getByText('Companies whose access ended (1)').click();
    await card.getByText(`Stopped on ${await longDate(page, Date.now())} — you revoked it.`).waitFor();
    expect(await card.getByText(/Ran until/).count()).toBe(0);
    expect((await api.call('GET', `/api/grants/${t.grant_id}`)).body.status).toBe('revoked');
    await checkBothSizes(page, 'grants-revoked');
  });

  it('when grants end by themselves or are suspended, then each says when and why, and a re-approval the policy refuses is explained instead of offered', async () => {
    const { email, api, page } = await customer('ended');
    const shop = await registerCompany(suite.v, { name: 'Ending Shop' });
    const ending = await obtainTokens(suite.v, shop, api, { fields: ['email'], duration: 'P2D' });
    const drifting = await registerCompany(suite.v, { name: 'Drifting Bakery' });
    const suspended = await obtainTokens(suite.v, drifting, api, { fields: ['email'] });

    // Two days on, the first grant reaches its end date; the bakery drops a commitment the customer requires.
    const endsAt = Date.parse((await api.call('GET', `/api/grants/${ending.grant_id}`)).body.expiresAt);
    suite.v.clock.advance(2 * DAY + 60_000);
    await suite.v.vault.sweep();
    expect((await api.signIn(email)).status).toBe(200);
    expect((await api.call('PUT', '/api/criteria', { requiredValueTags: ['no-resale'] })).status).toBe(200);
    await updateTerms(suite.v, drifting, 'Drifting Bakery', { ...defaultTerms, valueTags: ['eu-hosting'] });
    const suspendedAt = Date.parse((await api.call('GET', `/api/grants/${suspended.grant_id}`)).body.statusChangedAt);

    await page.goto('/grants');
    await signIn(page, email);
    await h1(page, 'Grants').waitFor();
    const bakery = page.locator('.company-card', { has: page.getByRole('heading', { name: 'Drifting Bakery' }) });
    await bakery
      .getByText(`Suspended on ${await longDate(page, suspendedAt)} because the company changed its terms.`)
      .waitFor();
    await bakery.getByText('It cannot be re-approved now').waitFor();
    expect(await bakery.textContent()).toMatch(/“Never sells your data”/);
    expect(await bakery.getByRole('button', { name: 'Re-approve under new terms' }).count()).toBe(0);

    await page.getByText('Companies whose access ended (1)').click();
    const ended = page.locator('.company-card', { has: page.getByRole('heading', { name: 'Ending Shop' }) });
    await ended.getByText(`Ended on ${await longDate(page, endsAt)}, as agreed.`).waitFor();
    await checkBothSizes(page, 'grants-ended');

    // Once the criteria allow it, the button is offered, and it works.
    expect((await api.call('PUT', '/api/criteria', { requiredValueTags: [] })).status).toBe(200);
    await page.reload();
    await bakery.getByRole('button', { name: 'Re-approve under new terms' }).click();
    await bakery.getByText('The grant is active again under the new terms.').waitFor();
  });

  it('when a company asks through the back channel, then the waiting request offers no one-click approval: its button opens the consent screen with the end date and the terms', async () => {
    const { email, api, page } = await customer('waiting');
    const shop = await registerCompany(suite.v, { name: 'Calling Shop' });
    const asked = await form(
      `${suite.v.url}/bc-authorize`,
      { login_hint: api.handle, authorization_details: details(['email'], 'customer-support', 'P7D') },
      { authorization: shop.basic() },
    );
    expect(asked.status).toBe(200);

    await page.goto('/grants');
    await signIn(page, email);
    await h1(page, 'Grants').waitFor();
    const waiting = page.locator('.request-item', { hasText: 'Calling Shop' });
    await waiting.getByRole('link', { name: 'Review and approve' }).waitFor();
    expect(await waiting.getByRole('button', { name: /Approve/ }).count()).toBe(0);
    await checkBothSizes(page, 'grants-waiting-request');

    await waiting.getByRole('link', { name: 'Review and approve' }).click();
    await h1(page, 'Calling Shop asks for access').waitFor();
    await page.getByText(`Until ${await longDate(page, Date.now() + 7 * DAY)}`).waitFor();
    await page.getByRole('complementary').getByText('90 days').waitFor();
  });
});
