import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { REDIRECT, details, form, pkce, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * Where a real person starts: signed out, on the company's link. Signing in or creating a vault on the
 * way (taking minutes over it, on the vault's clock) must end on the consent screen and then back at
 * the company with code, state and iss; a link that no longer works is a page, never raw JSON.
 */

const PASSWORD = 'correct horse battery staple';
const COMPANY_ORIGIN = new URL(REDIRECT).origin;
const suite = browserSuite();
const h1 = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });

/** A signed-out browser; the company's site (the redirect URI's origin) is answered here, off the network. */
async function signedOutBrowser(): Promise<Page> {
  suite.session = await openPage(suite.browser, suite.v.url);
  const page = suite.session.page;
  await page.route(`${COMPANY_ORIGIN}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the company' }),
  );
  return page;
}

/** The link a company sends the customer's browser to: after PAR, or with the whole request in the query. */
async function companyLink(company: RegisteredCompany, opts: { par: boolean; state: string }): Promise<string> {
  const params = {
    response_type: 'code',
    client_id: company.clientId,
    redirect_uri: REDIRECT,
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    state: opts.state,
    authorization_details: details(['email']),
  };
  if (!opts.par) return `/authorize?${new URLSearchParams(params)}`;
  const par = await form(`${suite.v.url}/par`, params, { authorization: company.basic() });
  expect(par.status).toBe(201);
  return `/authorize?${new URLSearchParams({ client_id: company.clientId, request_uri: par.body.request_uri })}`;
}

async function signIn(page: Page, email: string, mode: 'Sign in' | 'Create account', minutesOnForm: number) {
  await h1(page, 'Sign in to your vault').waitFor();
  await page.getByText('A company is asking for access to your data').waitFor();
  if (mode === 'Create account') {
    await page.getByRole('button', { name: 'Create account' }).click();
    await h1(page, 'Create your vault').waitFor();
  }
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  suite.v.clock.advance(minutesOnForm * 60_000);
  await page.locator('form').getByRole('button', { name: mode }).click();
}

/** Approves on the consent screen and returns where the browser landed at the company. */
async function approve(page: Page, companyName: string): Promise<URL> {
  await h1(page, `${companyName} asks for access`).waitFor();
  expect(new URL(page.url()).pathname).toBe('/consent');
  await page.getByRole('button', { name: /^Approve/ }).click();
  await page.waitForURL(`${REDIRECT}?**`);
  return new URL(page.url());
}

function expectCode(back: URL, state: string) {
  expect(back.origin + back.pathname).toBe(REDIRECT);
  expect(back.searchParams.get('code')).toMatch(/^ac_/);
  expect(back.searchParams.get('state')).toBe(state);
  expect(back.searchParams.get('iss')).toBe(suite.v.url);
}

/** The page a dead link lands on: HTML in the dashboard's look, plain words, a link back to the company. */
async function expectLinkPage(page: Page, link: string, words: RegExp, companyName: string) {
  const res = await page.goto(link);
  expect(res?.status()).toBe(400);
  expect(res?.headers()['content-type']).toMatch(/^text\/html/);
  await h1(page, 'This link does not work').waitFor();
  await page.getByText(words).waitFor();
  const back = page.getByRole('link', { name: `Back to ${companyName}` });
  expect(await back.getAttribute('href')).toBe(`${COMPANY_ORIGIN}/`);
  expect(await accessibilityProblems(page)).toEqual([]);
}

describe('a signed-out customer arriving from a company', () => {
  it('when they sign in after four minutes on the form (PAR), then they land on the consent screen and, once they approve, at the company with code, state and iss; the used link is then a page that says so', async () => {
    const email = uniqueEmail('signin');
    await new Customer(suite.v.url).signUp(email);
    const shop = await registerCompany(suite.v, { name: 'Corner Shop' });
    const page = await signedOutBrowser();
    const link = await companyLink(shop, { par: true, state: 'st-par' });

    await page.goto(link);
    await signIn(page, email, 'Sign in', 4);
    expectCode(await approve(page, 'Corner Shop'), 'st-par');

    await expectLinkPage(page, link, /already answered/, 'Corner Shop');
    await screenshot(page, 'authorize-used-link');
    await page.getByRole('link', { name: 'Back to Corner Shop' }).click();
    await page.waitForURL(`${COMPANY_ORIGIN}/`);
  });

  it('when they create a vault over five minutes (PAR), then the new vault opens on the consent screen and approval returns to the company', async () => {
    const shop = await registerCompany(suite.v, { name: 'New Customer Shop' });
    const page = await signedOutBrowser();
    await page.goto(await companyLink(shop, { par: true, state: 'st-new' }));
    await signIn(page, uniqueEmail('signup'), 'Create account', 5);
    expectCode(await approve(page, 'New Customer Shop'), 'st-new');
  });

  it('when they sign in after twelve minutes without PAR, then the request has waited for them and approval returns to the company', async () => {
    const email = uniqueEmail('slow');
    await new Customer(suite.v.url).signUp(email);
    const shop = await registerCompany(suite.v, { name: 'Patient Shop' });
    const page = await signedOutBrowser();
    await page.goto(await companyLink(shop, { par: false, state: 'st-query' }));
    await signIn(page, email, 'Sign in', 12);
    expectCode(await approve(page, 'Patient Shop'), 'st-query');
  });

  it('when creating the vault takes longer than the request may wait, then the browser gets a page saying it expired with a link back to the company, not JSON', async () => {
    const shop = await registerCompany(suite.v, { name: 'Hasty Shop' });
    const page = await signedOutBrowser();
    const link = await companyLink(shop, { par: true, state: 'st-late' });
    await page.goto(link);
    await signIn(page, uniqueEmail('late'), 'Create account', 31);
    await h1(page, 'This link does not work').waitFor();
    await page.getByText(/This request has expired/).waitFor();
    expect(await page.locator('body').textContent()).not.toMatch(/"type"|invalid_request_uri/);
    expect(await page.getByRole('link', { name: 'Back to Hasty Shop' }).getAttribute('href')).toBe(
      `${COMPANY_ORIGIN}/`,
    );
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'authorize-expired-link');
    await expectLinkPage(page, link, /This request has expired/, 'Hasty Shop');
  });

  it('when the consent screen waits past the request’s lifetime, then Approve says it expired and links back to the company', async () => {
    const email = uniqueEmail('idle');
    await new Customer(suite.v.url).signUp(email);
    const shop = await registerCompany(suite.v, { name: 'Idle Shop' });
    const page = await signedOutBrowser();
    await page.goto(await companyLink(shop, { par: true, state: 'st-idle' }));
    await signIn(page, email, 'Sign in', 1);
    await h1(page, 'Idle Shop asks for access').waitFor();
    suite.v.clock.advance(11 * 60_000);
    await page.getByRole('button', { name: /^Approve/ }).click();
    await page.getByText('This request has expired').waitFor();
    const back = page.getByRole('link', { name: 'Back to Idle Shop' });
    expect(await back.getAttribute('href')).toBe(`${COMPANY_ORIGIN}/`);
    expect(await accessibilityProblems(page)).toEqual([]);
    await back.click();
    await page.waitForURL(`${COMPANY_ORIGIN}/`);
  });

  it('when the link names a request the vault never issued, then the page says the link is not valid', async () => {
    const shop = await registerCompany(suite.v, { name: 'Typo Shop' });
    await signedOutBrowser();
    const link = `/authorize?client_id=${shop.clientId}&request_uri=urn:ietf:params:oauth:request_uri:nope`;
    await expectLinkPage(suite.session!.page, link, /not valid/, 'Typo Shop');
  });
});
