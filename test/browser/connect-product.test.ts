import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { details, form, registerCompany } from '../support/company.ts';
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * A connected product (RFC 8628) end to end: the toothbrush asks and polls, the customer, signed out,
 * follows its link, signs in, confirms the code in Chromium, sees who asks and approves; the toothbrush
 * then gets its token and deposits a "needs service" event.
 */

const PASSWORD = 'correct horse battery staple';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const suite = browserSuite();
const h1 = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });

describe('connecting a product in the dashboard', () => {
  it('when a signed-out customer follows the product’s link, signs in and approves, then the product deposits with its own deposit-only token', async () => {
    const v = suite.v;
    const email = uniqueEmail('brush-owner');
    const owner = await new Customer(v.url).signUp(email);
    const brushco = await registerCompany(v, { name: 'Brushco', product: 'toothbrush' });
    const asked = await form(
      `${v.url}/device_authorization`,
      { authorization_details: details(['devices'], 'customer-support', 'P90D', ['deposit', 'read']) },
      { authorization: brushco.basic() },
    );
    expect(asked.status).toBe(200);
    const poll = () =>
      form(
        `${v.url}/token`,
        { grant_type: DEVICE_GRANT, device_code: asked.body.device_code },
        { authorization: brushco.basic() },
      );
    expect((await poll()).body.error).toBe('authorization_pending');

    suite.session = await openPage(suite.browser, v.url);
    const page = suite.session.page;
    await page.goto(asked.body.verification_uri_complete);
    await h1(page, 'Sign in to your vault').waitFor();
    await page.getByText('A product is asking to connect to your vault').waitFor();
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();

    await h1(page, 'Connect a product').waitFor();
    expect(await page.getByRole('textbox', { name: 'Code' }).inputValue()).toBe(asked.body.user_code);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Continue' }).click();

    await h1(page, 'Your toothbrush, by Brushco, asks for access').waitFor();
    await page.getByText(/Answering the customer's questions about products and orders/).waitFor();
    await page.getByText('Devices owned').first().waitFor();
    // Deposit only unless the customer ticks reading too.
    expect(await page.getByLabel('Add records to your vault').isChecked()).toBe(true);
    expect(await page.getByLabel('Read the fields below').isChecked()).toBe(false);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'connect-product-consent');
    await page.getByRole('button', { name: /^Approve/ }).click();
    await h1(page, 'Access granted').waitFor();

    v.clock.advance(5_000);
    const tokens = await poll();
    expect(tokens.status).toBe(200);
    const deposit = await fetch(`${v.url}/data/customers/${owner.handle}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.body.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        category: 'devices',
        content: {
          product: 'Brushco Sonic 3',
          maker: 'Brushco',
          serial: 'BC3-0042',
          purchased: '2026-01-15',
          events: [{ kind: 'needs_service', at: '2026-11-29T08:00:00Z' }],
        },
      }),
    });
    expect(deposit.status).toBe(201);

    await page.goto('/grants');
    await page.getByRole('heading', { level: 3, name: 'Your toothbrush, by Brushco' }).waitFor();
    await page.getByRole('link', { name: 'Connect a product' }).waitFor();
    await page.goto('/reads');
    await page.getByRole('cell', { name: 'Your toothbrush, by Brushco' }).first().waitFor();
  });

  it('when the customer types a wrong code, then the page says so at the field and nothing else', async () => {
    const v = suite.v;
    const c = await new Customer(v.url).signUp(uniqueEmail('typo'));
    suite.session = await openPage(suite.browser, v.url);
    const page = suite.session.page;
    await page.context().addCookies([{ name: c.cookie.split('=')[0]!, value: c.cookie.split('=')[1]!, url: v.url }]);
    await page.goto('/connect');
    await h1(page, 'Connect a product').waitFor();
    await page.getByRole('textbox', { name: 'Code' }).fill('BBBB-BBBB');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('That code is not valid', { exact: false }).first().waitFor();
    expect(new URL(page.url()).pathname).toBe('/connect');
    expect(await accessibilityProblems(page)).toEqual([]);
  });
});
