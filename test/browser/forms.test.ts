import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { REDIRECT, details, form, obtainTokens, pkce, readData, registerCompany } from '../support/company.ts';
import { axeViolations, VIEWPORTS } from './axe.ts';
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * Form errors in the GOV.UK pattern (issue 14): a "There is a problem" summary whose links focus the
 * fields, the message again at the field, tied by aria-invalid and aria-describedby, and never a
 * validation path. And the export as a page in words.
 */

const PASSWORD = 'correct horse battery staple';
const suite = browserSuite();

const h1 = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });

async function checkBothSizes(page: Page, name: string) {
  for (const size of [...VIEWPORTS].reverse()) {
    await page.setViewportSize({ width: size.width, height: size.height });
    expect(await axeViolations(page), `${name} ${size.name}`).toEqual([]);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, `${name}-${size.name}`);
  }
}

/** The summary's links, the focus after each click, and what the inputs say about themselves. */
async function expectFieldError(page: Page, summaryText: string, inputId: string) {
  const summary = page.locator('.error-summary');
  await summary.getByRole('link', { name: summaryText }).click();
  expect(await page.evaluate(() => document.activeElement?.id)).toBe(inputId);
  const input = page.locator(`#${inputId}`);
  expect(await input.getAttribute('aria-invalid')).toBe('true');
  const describedBy = (await input.getAttribute('aria-describedby'))!.split(' ');
  expect(describedBy).toContain(`${inputId}-error`);
  expect(await page.locator(`#${inputId}-error`).textContent()).toBe(`Error: ${summaryText}`);
}

describe('form errors', () => {
  it('when a new customer types a bad e-mail and a short password, then a focused summary links to each field and names no path', async () => {
    suite.session = await openPage(suite.browser, suite.v.url);
    const page = suite.session.page;
    await page.goto('/signin');
    await h1(page, 'Sign in to your vault').waitFor();
    await page
      .getByRole('group', { name: 'Sign in or create an account' })
      .getByRole('button', { name: 'Create account' })
      .click();
    await page.getByLabel('E-mail address').fill('not-an-address');
    await page.getByLabel('Password').fill('short');
    await page.locator('form').getByRole('button', { name: 'Create account' }).click();

    const summary = page.locator('.error-summary');
    await summary.getByRole('heading', { name: 'There is a problem' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.classList.contains('error-summary'))).toBe(true);
    await expectFieldError(page, 'Enter an e-mail address in the right format, like name@example.com', 'email');
    await expectFieldError(page, 'Choose a password of at least 10 characters', 'password');
    expect(await page.locator('main').textContent()).not.toMatch(/body\.|query\./);
    await checkBothSizes(page, 'signup-errors');
  });

  it('when the server refuses the e-mail, then its field error is shown in words, not as body.email', async () => {
    suite.session = await openPage(suite.browser, suite.v.url);
    const page = suite.session.page;
    await page.goto('/signin');
    await page
      .getByRole('group', { name: 'Sign in or create an account' })
      .getByRole('button', { name: 'Create account' })
      .click();
    // Passes the browser's own check (an @ and a dot) but not the server's schema.
    await page.getByLabel('E-mail address').fill('a@b..example');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.locator('form').getByRole('button', { name: 'Create account' }).click();
    await page.locator('.error-summary').waitFor();
    await expectFieldError(page, 'Enter an e-mail address in the right format, like name@example.com', 'email');
    expect(await page.locator('main').textContent()).not.toMatch(/body\.|Invalid email/);
  });

  it('when a profile value is refused, then the edit form has the summary and the message at the field', async () => {
    const email = uniqueEmail('forms');
    const api = await new Customer(suite.v.url).signUp(email);
    suite.session = await openPage(suite.browser, suite.v.url);
    const page = suite.session.page;
    await page.goto('/');
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    await h1(page, 'Your profile').waitFor();

    await page.getByRole('button', { name: 'Add Bank account (IBAN)' }).click();
    await page.getByLabel('Bank account (IBAN)', { exact: true }).fill('my bank');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('.error-summary').waitFor();
    await expectFieldError(page, 'This is not a valid bank account. For example: BE71096123456769', 'field-iban');
    expect(await page.locator('main').textContent()).not.toMatch(/body\./);
    await checkBothSizes(page, 'profile-edit-errors');

    // Cancelling the edit takes its errors away, and nothing was saved.
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('.error-summary, .field-error').count()).toBe(0);
    expect((await api.call('GET', '/api/profile')).body.fields.iban).toBeUndefined();
  });
});

async function signedIn(path: string, email: string) {
  suite.session = await openPage(suite.browser, suite.v.url);
  const page = suite.session.page;
  await page.goto(path);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
  return page;
}

describe('form errors on grants and consent', () => {
  it('when a narrowing takes nothing away, then the summary links to the first field box', async () => {
    const email = uniqueEmail('narrow');
    const api = await new Customer(suite.v.url).signUp(email);
    const shop = await registerCompany(suite.v, { name: 'Narrow Shop' });
    await obtainTokens(suite.v, shop, api, { fields: ['email', 'phone'] });
    const page = await signedIn('/grants', email);
    await h1(page, 'Grants').waitFor();
    await page.getByRole('button', { name: "Narrow Narrow Shop's grant" }).click();
    await page.getByRole('button', { name: 'Save narrower grant' }).click();
    const message = 'Untick something or choose an earlier end date to narrow the grant.';
    await page.locator('.error-summary').waitFor();
    const first = await page.getByRole('checkbox', { name: 'E-mail address' }).getAttribute('id');
    await expectFieldError(page, message, first!);
    await checkBothSizes(page, 'narrow-errors');
  });

  it('when the criteria keep data for a negative number of days, then the summary links to that field', async () => {
    const email = uniqueEmail('criteria');
    await new Customer(suite.v.url).signUp(email);
    const page = await signedIn('/settings', email);
    await h1(page, 'Settings').waitFor();
    await page.getByLabel('Longest a company may keep my data').fill('-1');
    await page.getByRole('button', { name: 'Save criteria' }).click();
    await page.locator('.error-summary').waitFor();
    await expectFieldError(
      page,
      'Enter the longest a company may keep your data as a whole number of days, or leave it empty.',
      'max-retention',
    );
    await checkBothSizes(page, 'criteria-errors');
  });

  it('when the consent duration is out of range, then the summary links to the duration field', async () => {
    const email = uniqueEmail('consent');
    await new Customer(suite.v.url).signUp(email);
    const shop = await registerCompany(suite.v, { name: 'Consent Shop' });
    const par = await form(
      `${suite.v.url}/par`,
      {
        response_type: 'code',
        client_id: shop.clientId,
        redirect_uri: REDIRECT,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        state: 'f',
        authorization_details: details(['email'], 'order-fulfilment', 'P30D'),
      },
      { authorization: shop.basic() },
    );
    expect(par.status).toBe(201);
    const page = await signedIn(
      `/authorize?client_id=${shop.clientId}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
      email,
    );
    await h1(page, 'Consent Shop asks for access').waitFor();
    await page.getByLabel('Access ends after').fill('0');
    await page.getByRole('button', { name: /^Approve/ }).click();
    await page.locator('.error-summary').waitFor();
    await expectFieldError(page, 'Choose a duration between 1 and 30 days.', 'duration-days');
    await checkBothSizes(page, 'consent-errors');
  });
});

describe('the export page', () => {
  it('when a customer opens their export, then it shows their profile, grants, reads and messages in words', async () => {
    const email = uniqueEmail('export');
    const api = await new Customer(suite.v.url).signUp(email);
    await api.call('PATCH', '/api/profile', { given_name: 'Ada', country: 'BE', phone: '+32 470 12 34 56' });
    const shop = await registerCompany(suite.v, { name: 'Corner Shop' });
    const t = await obtainTokens(suite.v, shop, api, { fields: ['email', 'phone'] });
    expect((await readData(suite.v, t.access_token, api.handle)).status).toBe(200);

    suite.session = await openPage(suite.browser, suite.v.url);
    const page = suite.session.page;
    await page.goto('/export');
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    await h1(page, 'Your data').waitFor();

    const section = (title: string) => page.locator('section', { has: page.getByRole('heading', { name: title }) });
    const profile = section('Your profile');
    await profile.getByText('Given name', { exact: true }).waitFor();
    await profile.getByText('Ada').waitFor();
    await profile.getByText('Belgium').waitFor();
    await section('Access you have given')
      .getByText(
        /^Corner Shop may read E-mail address, Phone number for order fulfilment, from .+ until .+\. Active\.$/,
      )
      .waitFor();
    await section('Reads of your data')
      .getByText(/Corner Shop read E-mail address, Phone number for order fulfilment\./)
      .waitFor();
    await section('Consent receipts')
      .getByText(/You gave consent \(Corner Shop\)\./)
      .waitFor();
    expect(await section('Messages').locator('li').count()).toBeGreaterThan(0);
    // No identifiers or ISO codes in the words.
    expect(await page.locator('main').textContent()).not.toMatch(/given_name|order-fulfilment|data\.read|"BE"/);
    await checkBothSizes(page, 'export-page');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download as JSON' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('vault-export.json');
  });
});
