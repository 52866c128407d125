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
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * The terms on the consent screen are the terms approved: a company that replaces them while the customer
 * reads gets nothing until the customer has seen the new ones. Worse terms on a live grant come to the
 * inbox with a one-step revoke.
 */
const PASSWORD = 'correct horse battery staple';
const suite = browserSuite();
const h1 = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });
const worse = { ...defaultTerms, retentionDays: 365, sharesOnward: true, onwardSharingDisclosed: true };

async function signedIn(): Promise<{ page: Page; api: Customer }> {
  const email = uniqueEmail('terms');
  const api = await new Customer(suite.v.url).signUp(email);
  suite.session = await openPage(suite.browser, suite.v.url);
  const page = suite.session.page;
  await page.route(`${new URL(REDIRECT).origin}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the company' }),
  );
  await page.goto('/signin');
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
  await h1(page, 'Your profile').waitFor();
  return { page, api };
}

describe('terms that change under the customer', () => {
  it('when the company replaces its terms while the consent screen is open, then Approve shows the new terms instead of granting, and approving them returns to the company', async () => {
    const { page, api } = await signedIn();
    const shop = await registerCompany(suite.v, { name: 'Sly Shop' });
    const par = await form(
      `${suite.v.url}/par`,
      {
        response_type: 'code',
        client_id: shop.clientId,
        redirect_uri: REDIRECT,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        state: 'st-terms',
        authorization_details: details(['email']),
      },
      { authorization: shop.basic() },
    );
    await page.goto(`/authorize?client_id=${shop.clientId}&request_uri=${encodeURIComponent(par.body.request_uri)}`);
    await h1(page, 'Sly Shop asks for access').waitFor();
    const terms = page.getByRole('complementary');
    await terms.getByText('90 days').waitFor();

    await updateTerms(suite.v, shop, 'Sly Shop', worse);
    await page.getByRole('button', { name: /^Approve/ }).click();
    await page.getByText('Sly Shop changed its terms while you were reviewing this request').waitFor();
    await terms.getByText('365 days').waitFor();
    expect(await terms.locator('dd').last().textContent()).toBe('2');
    expect((await api.call('GET', '/api/grants')).body.grants).toEqual([]);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'consent-terms-changed');

    await page.getByRole('button', { name: /^Approve/ }).click();
    await page.waitForURL(`${REDIRECT}?**`);
    expect(new URL(page.url()).searchParams.get('code')).toMatch(/^ac_/);
    expect((await api.call('GET', '/api/grants')).body.grants).toMatchObject([{ termsVersion: 2 }]);
  });

  it('when a live grant’s company publishes worse terms, then the inbox says what changed and one click revokes the grant', async () => {
    const { page, api } = await signedIn();
    const shop = await registerCompany(suite.v, { name: 'Creeping Shop' });
    const t = await obtainTokens(suite.v, shop, api, { fields: ['email'] });
    await updateTerms(suite.v, shop, 'Creeping Shop', worse);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).click();
    await h1(page, 'Inbox').waitFor();
    const message = page.locator('.message[data-kind="grant.terms-worse"]');
    await message.getByText('Terms changed').waitFor();
    await message
      .getByText('it now keeps your data for 365 days instead of 90; it now shares your data with others')
      .waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'inbox-terms-worse');

    await message.getByRole('button', { name: 'Revoke access (Creeping Shop changed its terms)' }).click();
    await message.getByText('Access revoked.').waitFor();
    expect((await api.call('GET', `/api/grants/${t.grant_id}`)).body.status).toBe('revoked');
    expect((await readData(suite.v, t.access_token, api.handle)).status).toBe(401);
  });
});
