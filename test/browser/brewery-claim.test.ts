import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { REDIRECT, form, pkce, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { axeViolations, VIEWPORTS } from './axe.ts';
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * Answers instead of data, in a real browser (ARCHITECTURE.md, "Claims: answers instead of data"): a brewery
 * sends a signed-out customer to ask `age_over: 18`; the consent screen says in words what the brewery will
 * learn and the answer it would get; the brewery gets a signed answer, never the date of birth; the Activity
 * page says what it learned.
 */
const PASSWORD = 'correct horse battery staple';
const COMPANY_ORIGIN = new URL(REDIRECT).origin;
const SENTENCE = 'Brewco will learn whether you are over 18, not your date of birth';
const suite = browserSuite();
const h1 = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });

const TERMS = {
  purposes: ['age-verification'],
  retentionDays: 30,
  benefit: { kind: 'service', description: 'Beer delivered to your door' },
  valueTags: ['no-resale'],
};

let registered: RegisteredCompany | undefined;
/** Brewco, registered once per file (a second company of the same name is refused as a look-alike). */
const brewery = async () => (registered ??= await registerCompany(suite.v, { name: 'Brewco', terms: TERMS }));

/** The link the brewery sends the browser to, after PAR; the verifier stays with the brewery. */
async function brewLink(brewco: RegisteredCompany, claims: object[]) {
  const p = pkce();
  const par = await form(
    `${suite.v.url}/par`,
    {
      response_type: 'code',
      client_id: brewco.clientId,
      redirect_uri: REDIRECT,
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
      state: 'st-brew',
      authorization_details: JSON.stringify([
        { type: 'customer_data', purpose: 'age-verification', claims, duration: 'P30D', actions: ['read'] },
      ]),
    },
    { authorization: brewco.basic() },
  );
  expect(par.status).toBe(201);
  const q = new URLSearchParams({ client_id: brewco.clientId, request_uri: par.body.request_uri });
  return { link: `/authorize?${q}`, verifier: p.verifier };
}

/** A signed-out browser at the given size; the brewery's site (the redirect URI's origin) is answered here. */
async function signedOut(viewport: (typeof VIEWPORTS)[number]): Promise<Page> {
  await suite.session?.close();
  suite.session = await openPage(suite.browser, suite.v.url, { viewport });
  const page = suite.session.page;
  await page.route(`${COMPANY_ORIGIN}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the brewery' }),
  );
  return page;
}

async function signIn(page: Page, email: string) {
  await h1(page, 'Sign in to your vault').waitFor();
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
  await h1(page, 'Brewco asks for access').waitFor();
}

async function checkPage(page: Page, name: string) {
  expect(await axeViolations(page), name).toEqual([]);
  expect(await accessibilityProblems(page), name).toEqual([]);
  await screenshot(page, name);
}

/** The brewery's side: the code for tokens, then the claim; the answer verified against /jwks.json. */
async function brewerySide(brewco: RegisteredCompany, back: URL, verifier: string, handle: string) {
  const t = await form(
    `${suite.v.url}/token`,
    {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    },
    { authorization: brewco.basic() },
  );
  expect(t.status).toBe(200);
  const ask = (name: string) =>
    fetch(`${suite.v.url}/data/customers/${handle}/claims/${name}`, {
      headers: { authorization: `Bearer ${t.body.access_token}` },
    });
  return { token: t.body, ask };
}

describe('the brewery journey in a browser', () => {
  it('when a brewery asks age_over 18 of a signed-out customer, then she signs in, reads what it will learn and the answer, approves, the brewery gets a signed true verifying with the JWKS, and Activity says "learned that you are over 18"', async () => {
    const brewco = await brewery();
    const email = uniqueEmail('brew');
    const alice = await new Customer(suite.v.url).signUp(email);
    expect((await alice.call('PATCH', '/api/profile', { date_of_birth: '1990-05-17' })).status).toBe(200);
    const { link, verifier } = await brewLink(brewco, [{ name: 'age_over', value: 18 }]);

    const page = await signedOut(VIEWPORTS[0]);
    await page.goto(link);
    await signIn(page, email);
    const claim = page.locator('[data-claim="age_over"]');
    await claim.getByText(`${SENTENCE}.`).waitFor();
    expect(await claim.locator('.claim-answer').innerText()).toBe('The answer today: Yes');
    // Nothing on the screen shows the date itself: the customer sees the answer, not the value.
    expect(await page.locator('#main').innerText()).not.toContain('1990');
    await checkPage(page, 'brewery-consent-desktop');
    await page.setViewportSize({ width: VIEWPORTS[1].width, height: VIEWPORTS[1].height });
    await checkPage(page, 'brewery-consent-phone');

    await page.getByRole('button', { name: /^Approve/ }).click();
    await page.waitForURL(`${REDIRECT}?**`);
    const back = new URL(page.url());
    expect(back.searchParams.get('state')).toBe('st-brew');

    const { token, ask } = await brewerySide(brewco, back, verifier, alice.handle);
    const res = await ask('age_over');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('1990');
    const jwks = createLocalJWKSet(await (await fetch(`${suite.v.url}/jwks.json`)).json());
    const { payload } = await jwtVerify(JSON.parse(text).claim_token, jwks, {
      issuer: suite.v.ctx.config.publicUrl,
      audience: brewco.clientId,
      typ: 'customer-claim+jwt',
      currentDate: suite.v.clock.now(),
    });
    expect(payload).toMatchObject({
      sub: alice.handle,
      grant_id: token.grant_id,
      claim: { name: 'age_over', result: true },
    });

    for (const viewport of VIEWPORTS) {
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      await page.goto('/reads');
      await h1(page, 'Activity').waitFor();
      const row = page.locator('tr[data-action="data.claim"]');
      await row.getByText('learned that you are over 18').waitFor();
      expect(await row.innerText()).toContain('Brewco');
      await checkPage(page, `brewery-activity-${viewport.name}`);
    }
  });

  it('when the brewery asks two answers and the customer unticks one on her phone, then only the one she kept is answered', async () => {
    const brewco = await brewery();
    const email = uniqueEmail('brew-narrow');
    const bob = await new Customer(suite.v.url).signUp(email);
    await bob.call('PATCH', '/api/profile', { date_of_birth: '1990-05-17', country: 'BE' });
    const { link, verifier } = await brewLink(brewco, [
      { name: 'age_over', value: 18 },
      { name: 'country_in', value: ['EU'] },
    ]);
    const page = await signedOut(VIEWPORTS[1]);
    await page.goto(link);
    await signIn(page, email);
    const country = page.getByRole('checkbox', { name: /whether you live in EU/ });
    await country.uncheck();
    await checkPage(page, 'brewery-consent-narrowed-phone');
    // With nothing left to give, there is nothing to approve.
    await page.getByRole('checkbox', { name: /whether you are over 18/ }).uncheck();
    expect(await page.getByRole('button', { name: /^Approve/ }).isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: /whether you are over 18/ }).check();
    await page.getByRole('button', { name: /^Approve/ }).click();
    await page.waitForURL(`${REDIRECT}?**`);

    const { token, ask } = await brewerySide(brewco, new URL(page.url()), verifier, bob.handle);
    expect(token.authorization_details[0].claims).toEqual([{ name: 'age_over', value: 18 }]);
    expect((await ask('age_over')).status).toBe(200);
    expect((await ask('country_in')).status).toBe(403);
  });
});
