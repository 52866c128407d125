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
  type RegisteredCompany,
} from '../support/company.ts';
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * The consent step and grant management in the browser, against the real authorization server:
 * a company pushes a request (PAR), the customer's browser goes through /authorize to the dashboard's
 * consent screen, and what the customer decides there is what the company gets.
 */

const PASSWORD = 'correct horse battery staple';
const suite = browserSuite();

const h1 = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });

/** A signed-in customer in a fresh browser context; the API client shares the account. */
async function customerInBrowser(): Promise<{ page: Page; api: Customer }> {
  const email = uniqueEmail('consent');
  const api = await new Customer(suite.v.url).signUp(email);
  suite.session = await openPage(suite.browser, suite.v.url);
  const page = suite.session.page;
  // The company's redirect URI: answer it here instead of letting the browser reach the network.
  await page.route(`${REDIRECT}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the company' }),
  );
  await page.goto('/signin');
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
  await h1(page, 'Your profile').waitFor();
  return { page, api };
}

/** The company's side: PAR, then the customer's browser follows /authorize to the consent screen. */
async function askForConsent(
  page: Page,
  company: RegisteredCompany,
  opts: { fields: string[]; purpose?: string; duration?: string; state?: string },
) {
  const p = pkce();
  const par = await form(
    `${suite.v.url}/par`,
    {
      response_type: 'code',
      client_id: company.clientId,
      redirect_uri: REDIRECT,
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
      state: opts.state ?? 'st-1',
      authorization_details: details(opts.fields, opts.purpose, opts.duration),
    },
    { authorization: company.basic() },
  );
  expect(par.status).toBe(201);
  await page.goto(
    `/authorize?client_id=${encodeURIComponent(company.clientId)}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
  );
  expect(new URL(page.url()).pathname).toBe('/consent');
}

async function gotoGrants(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Grants' }).click();
  await h1(page, 'Grants').waitFor();
}

describe('consent and grants in the browser', () => {
  it('when the customer unticks a field and shortens the time, then the company gets a code for exactly that, and the grant can be narrowed and revoked', async () => {
    const { page, api } = await customerInBrowser();
    await api.call('PATCH', '/api/profile', { phone: '+32 470 12 34 56', street_address: '1 Rue Royale' });
    const shop = await registerCompany(suite.v, { name: 'Shop Example' });
    await askForConsent(page, shop, { fields: ['email', 'phone', 'street_address'], duration: 'P30D', state: 'abc' });

    await h1(page, 'Shop Example asks for access').waitFor();
    await page.getByText('Delivering what the customer ordered').waitFor();
    const terms = page.getByRole('complementary');
    expect(await terms.getByText('90 days').count()).toBe(1);
    await terms.getByText('Discount: 10% off every order').waitFor();
    await terms.getByText('Never sells your data').waitFor();
    await terms.getByText('privacy@shop.example').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'consent');

    await page.getByRole('checkbox', { name: /Street address/ }).uncheck();
    await page.getByLabel('Access ends after').fill('7');
    await page.getByRole('button', { name: 'Approve 2 fields' }).click();
    await page.waitForURL(`${REDIRECT}?**`);
    const back = new URL(page.url());
    expect(back.searchParams.get('state')).toBe('abc');
    expect(back.searchParams.get('code')).toBeTruthy();

    const grants = (await api.call('GET', '/api/grants')).body.grants;
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ status: 'active', fields: ['email', 'phone'], purpose: 'order-fulfilment' });
    const days = (Date.parse(grants[0].expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);

    await page.goto('/');
    await h1(page, 'Your profile').waitFor();
    await gotoGrants(page);
    const card = page.locator('.grant-card', { has: page.getByRole('heading', { name: 'Shop Example' }) });
    await card.getByText('Active', { exact: true }).waitFor();
    expect(await card.locator('.chip').allTextContents()).toEqual(['E-mail address', 'Phone number']);
    await screenshot(page, 'grants-active');

    // Narrow: drop the phone number.
    await card.getByRole('button', { name: "Narrow Shop Example's grant" }).click();
    await card.getByRole('checkbox', { name: 'Phone number' }).uncheck();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'grants-narrow');
    await card.getByRole('button', { name: 'Save narrower grant' }).click();
    await card.getByText('The grant was narrowed.').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.grant-card .chip').length === 1);
    expect((await api.call('GET', `/api/grants/${grants[0].id}`)).body.fields).toEqual(['email']);

    // Revoke, after confirming in the dialog.
    await card.getByRole('button', { name: "Revoke Shop Example's access" }).click();
    const dialog = page.getByRole('dialog', { name: "Revoke Shop Example's access?" });
    await dialog.waitFor();
    await screenshot(page, 'grants-revoke-dialog', { fullPage: false });
    await dialog.getByRole('button', { name: 'Revoke access' }).click();
    await page.getByText('Companies whose access ended (1)').waitFor();
    await page.getByText('No company can read your data right now').waitFor();
    expect((await api.call('GET', `/api/grants/${grants[0].id}`)).body.status).toBe('revoked');
  });

  it('when the customer denies, then the company is told access_denied and no grant exists', async () => {
    const { page, api } = await customerInBrowser();
    const shop = await registerCompany(suite.v, { name: 'Pushy Shop' });
    await askForConsent(page, shop, { fields: ['email'], state: 'xyz' });
    await h1(page, 'Pushy Shop asks for access').waitFor();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL(`${REDIRECT}?**`);
    const back = new URL(page.url());
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('xyz');
    expect((await api.call('GET', '/api/grants')).body.grants).toEqual([]);
  });

  it('when sensitive data is asked for, then it is marked; when the criteria refuse the request, then the reasons show and Approve is off', async () => {
    const { page, api } = await customerInBrowser();
    const bank = await registerCompany(suite.v, {
      name: 'Careful Bank',
      terms: { ...defaultTerms, purposes: ['fraud-prevention'] },
    });
    await askForConsent(page, bank, {
      fields: ['email', 'date_of_birth'],
      purpose: 'fraud-prevention',
      duration: 'P30D',
    });
    await h1(page, 'Careful Bank asks for access').waitFor();
    const dob = page.locator('.check-card', { hasText: 'Date of birth' });
    await dob.getByText('Sensitive').waitFor();
    expect(await page.locator('.check-card', { hasText: 'E-mail address' }).getByText('Sensitive').count()).toBe(0);
    await screenshot(page, 'consent-sensitive');

    // The customer's criteria change while the request waits: the screen explains the refusal.
    expect((await api.call('PUT', '/api/criteria', { requiredValueTags: ['fair-trade'] })).status).toBe(200);
    await page.reload();
    await h1(page, 'Careful Bank asks for access').waitFor();
    const alert = page.getByRole('alert');
    await alert.getByText('This request breaks your criteria or the platform rules').waitFor();
    expect(await alert.locator('.reasons li').count()).toBeGreaterThan(0);
    expect(await alert.textContent()).toMatch(/“Fair trade”/);
    expect(await page.getByRole('button', { name: /^Approve/ }).isDisabled()).toBe(true);
    await screenshot(page, 'consent-refused');
  });

  it("when the company's new terms fail the customer's criteria, then the grant is suspended, the inbox says why, and re-approval works once the criteria allow it", async () => {
    const { page, api } = await customerInBrowser();
    const shop = await registerCompany(suite.v, { name: 'Drifting Shop' });
    const t = await obtainTokens(suite.v, shop, api);

    // The customer requires "no-resale" through the criteria form.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('checkbox', { name: 'Never sells your data' }).check();
    await page.getByRole('button', { name: 'Save criteria' }).click();
    await page.getByText('Your criteria are saved.').waitFor();
    expect((await api.call('GET', '/api/criteria')).body.requiredValueTags).toEqual(['no-resale']);

    // The company drops "no-resale" from its terms (RFC 7592 update).
    const upd = await fetch(`${suite.v.url}/register/${shop.clientId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${shop.registrationAccessToken}` },
      body: JSON.stringify({
        client_id: shop.clientId,
        client_name: 'Drifting Shop',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        terms: { ...defaultTerms, valueTags: ['eu-hosting'] },
      }),
    });
    expect(upd.status).toBe(200);
    expect((await readData(suite.v, t.access_token, api.handle)).status).toBe(403);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).click();
    await h1(page, 'Inbox').waitFor();
    // Every grant change lands in the inbox (the approval too): pick the suspension by its kind.
    const message = page.locator('.message[data-kind="grant.suspended"]', { hasText: 'Drifting Shop' });
    await message.waitFor();
    expect(await message.locator('.message-text').textContent()).toMatch(/“Never sells your data”/);
    await message.getByRole('button', { name: /Drifting Shop: access suspended/ }).click();
    await screenshot(page, 'inbox');

    // The opened message leads to the grant.
    await message.getByRole('link', { name: 'Re-approve or revoke it on your grants page' }).click();
    await h1(page, 'Grants').waitFor();
    const card = page.locator('.grant-card', { has: page.getByRole('heading', { name: 'Drifting Shop' }) });
    await card.getByText('Suspended', { exact: true }).waitFor();
    await screenshot(page, 'grants-suspended');
    // Re-approval would be refused while the criteria still fail: the reason is shown instead of the button.
    await card.getByText('It cannot be re-approved now').waitFor();
    expect(await card.getByRole('button', { name: 'Re-approve under new terms' }).count()).toBe(0);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('checkbox', { name: 'Never sells your data' }).uncheck();
    await page.getByRole('button', { name: 'Save criteria' }).click();
    await page.getByText('Your criteria are saved.').waitFor();

    await gotoGrants(page);
    await card.getByRole('button', { name: 'Re-approve under new terms' }).click();
    await card.getByText('The grant is active again under the new terms.').waitFor();
    await card.getByText('Active', { exact: true }).waitFor();
    expect((await api.call('GET', `/api/grants/${t.grant_id}`)).body).toMatchObject({
      status: 'active',
      termsVersion: 2,
    });
    expect((await readData(suite.v, t.access_token, api.handle)).status).toBe(200);
  });

  it('when the customer blocks a company and adds an auto-approve rule in the criteria form, then both are saved and the company loses access', async () => {
    const { page, api } = await customerInBrowser();
    const shop = await registerCompany(suite.v, { name: 'Blocked Shop' });
    const t = await obtainTokens(suite.v, shop, api);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await h1(page, 'Settings').waitFor();
    await page.getByLabel('Longest a company may keep my data').fill('120');
    await page.getByRole('checkbox', { name: /Only if I get something in return/ }).check();
    await page.getByRole('checkbox', { name: 'Block Blocked Shop' }).check();
    await page.getByRole('button', { name: 'Add a rule' }).click();
    const rule = page.getByRole('group', { name: 'Rule 1' });
    await rule.getByRole('checkbox', { name: 'Order fulfilment' }).check();
    await rule.getByRole('checkbox', { name: 'Contact' }).check();
    await rule.getByRole('checkbox', { name: 'Address' }).check();
    await rule.getByLabel('For at most').fill('30');
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'settings-criteria');
    await page.getByRole('button', { name: 'Save criteria' }).click();
    // Blocking revokes the company's grant: the preview says so before anything is saved.
    await page.getByRole('dialog').getByText('Revoked at once (1 grant):').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Save and apply' }).click();
    await page.getByText('Your criteria are saved.').waitFor();

    const c = (await api.call('GET', '/api/criteria')).body;
    expect(c).toMatchObject({
      maxRetentionDays: 120,
      benefitRequiredForMarketing: true,
      blockedCompanies: [shop.clientId],
      autoApprove: [
        { purposes: ['order-fulfilment'], categories: ['contact', 'address'], actions: ['read'], maxDurationDays: 30 },
      ],
    });
    expect((await readData(suite.v, t.access_token, api.handle)).status).toBe(401);
    expect(await page.getByRole('checkbox', { name: 'Block Blocked Shop' }).isChecked()).toBe(true);

    // A rule without a purpose gets its problem shown, and nothing changes.
    await rule.getByRole('checkbox', { name: 'Order fulfilment' }).uncheck();
    await page.getByRole('button', { name: 'Save criteria' }).click();
    await page.locator('.criteria-form [role=alert]').waitFor();
    expect((await api.call('GET', '/api/criteria')).body.autoApprove[0].purposes).toEqual(['order-fulfilment']);
  });
});
