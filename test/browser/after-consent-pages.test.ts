import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { managementToken, recordBenefit } from '../benefits/support.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { REDIRECT, form, obtainTokens, pkce, readData, registerCompany } from '../support/company.ts';
import { browserSuite } from './browser.ts';
import * as states from './states.ts';
import { checkBothSizes, failing, h1, settled } from './states.ts';

/**
 * The pages and sections added after the first dashboard (records, connect a product, deletion facts, the benefit
 * ledger, reminders and notices in the inbox) held to the same standard as the others (page-states.test.ts):
 * empty, loaded and failing with a Retry, axe-clean at 1280×800 and 390×844, nothing sideways, photographed.
 */
const suite = browserSuite();
const DAY = 86_400_000;
const ISO_DATE = /\d{4}-\d{2}-\d{2}/;
const signedIn = (email: string, path: string, title: string) => states.signedIn(suite, email, path, title);
const longDate = (page: Page, iso: string) =>
  page.evaluate((t) => new Intl.DateTimeFormat(undefined, { dateStyle: 'long' }).format(new Date(t)), iso);

describe('finding the new pages', () => {
  it('when a customer signs in, then the navigation leads to their records and the grants page to connecting a product', async () => {
    const email = uniqueEmail('finds');
    await new Customer(suite.v.url).signUp(email);
    const page = await signedIn(email, '/', 'Your profile');
    for (const viewport of [
      { width: 390, height: 844 },
      { width: 1280, height: 800 },
    ]) {
      await page.setViewportSize(viewport);
      await page.getByRole('navigation').getByRole('link', { name: 'Grants' }).click();
      await h1(page, 'Grants').waitFor();
      await page.getByRole('link', { name: 'Connect a product' }).click();
      await h1(page, 'Connect a product').waitFor();
      await page.getByRole('navigation').getByRole('link', { name: 'Records' }).click();
      await h1(page, 'Your records').waitFor();
      await page.getByRole('navigation').getByRole('link', { name: 'Profile' }).click();
      await h1(page, 'Your profile').waitFor();
    }
  });
});

describe('records and connect, empty and failing', () => {
  it('when the customer has no records, then /records says so; when /api/records fails, then it says so and Retry loads it', async () => {
    const email = uniqueEmail('records-states');
    await new Customer(suite.v.url).signUp(email);
    const page = await signedIn(email, '/records', 'Your records');
    await page.getByText('No records yet').waitFor();
    await checkBothSizes(page, 'state-empty-records');

    const restore = await failing(suite.session!, '/api/records');
    await page.reload();
    const retry = page.getByRole('button', { name: /^Retry/ });
    await retry.waitFor();
    await checkBothSizes(page, 'state-error-records');
    await restore();
    await retry.click();
    await page.getByText('No records yet').waitFor();
    expect(await retry.count()).toBe(0);
  });

  it('when the customer sends no code or a wrong one, then /connect says so at the field and in a summary', async () => {
    const email = uniqueEmail('connect-states');
    await new Customer(suite.v.url).signUp(email);
    const page = await signedIn(email, '/connect', 'Connect a product');
    await checkBothSizes(page, 'page-connect');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('link', { name: 'Enter the code your product shows.' }).waitFor();
    await checkBothSizes(page, 'state-error-connect-empty');
    await page.getByRole('textbox', { name: 'Code' }).fill('BBBB-BBBB');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('That code is not valid', { exact: false }).first().waitFor();
    await checkBothSizes(page, 'state-error-connect-wrong');
  });

  it('when deletions or benefits fail to load, then the grants page says so with Retry instead of staying silent', async () => {
    const email = uniqueEmail('grants-parts');
    const api = await new Customer(suite.v.url).signUp(email);
    const shop = await registerCompany(suite.v, { name: 'Partial Shop' });
    await obtainTokens(suite.v, shop, api, { fields: ['email'] });
    const page = await signedIn(email, '/grants', 'Grants');
    const restoreDeletions = await failing(suite.session!, '/api/deletions');
    const restoreBenefits = await failing(suite.session!, '/api/benefits');
    await page.reload();
    await h1(page, 'Grants').waitFor();
    await page.getByRole('heading', { name: 'Partial Shop' }).waitFor();
    const retryDeletions = page.getByRole('button', { name: 'Retry loading deletion requests' });
    const retryBenefits = page.getByRole('button', { name: 'Retry loading benefits' });
    await retryDeletions.waitFor();
    await retryBenefits.waitFor();
    await page.getByText('Whether companies deleted what they received could not be loaded.').waitFor();
    await page.getByText('What companies gave you back could not be loaded.').waitFor();
    await checkBothSizes(page, 'state-error-grants-parts');
    await restoreDeletions();
    await restoreBenefits();
    await retryDeletions.click();
    await retryBenefits.click();
    await expect.poll(() => page.getByRole('button', { name: /^Retry/ }).count()).toBe(0);
  });
});

describe('the consent screen with claims', () => {
  it('when a company asks a yes/no question, then the consent screen says it in words with today’s answer, at both sizes', async () => {
    const email = uniqueEmail('claims-consent');
    const api = await new Customer(suite.v.url).signUp(email);
    expect((await api.call('PATCH', '/api/profile', { date_of_birth: '1990-05-17' })).status).toBe(200);
    const terms = {
      purposes: ['age-verification'],
      retentionDays: 30,
      benefit: { kind: 'service', description: 'Beer delivered to your door' },
      valueTags: ['no-resale'],
    };
    const brewery = await registerCompany(suite.v, { name: 'Claims Brewery', terms });
    const asked = [{ name: 'age_over', value: 18 }];
    const par = await form(
      `${suite.v.url}/par`,
      {
        response_type: 'code',
        client_id: brewery.clientId,
        redirect_uri: REDIRECT,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        authorization_details: JSON.stringify([
          { type: 'customer_data', purpose: 'age-verification', claims: asked, duration: 'P365D', actions: ['read'] },
        ]),
      },
      { authorization: brewery.basic() },
    );
    expect(par.status).toBe(201);
    const page = await signedIn(email, '/grants', 'Grants');
    await page.goto(`/authorize?client_id=${brewery.clientId}&request_uri=${encodeURIComponent(par.body.request_uri)}`);
    await h1(page, 'Claims Brewery asks for access').waitFor();
    const claims = page.locator('[data-claim="age_over"]');
    await claims.getByText('Yes').waitFor();
    // Only answers are asked: the screen must not point at fields that are not there.
    await page.getByText('Claims Brewery wants to get the answers below.').waitFor();
    await checkBothSizes(page, 'page-consent-claims');
  });
});

/**
 * A customer some months on: a device that needs service, a company that still reads (the 90-day reminder),
 * one whose access is about to end (the notice before the end), one late to delete (overdue), one benefit.
 * The clock moves 90 days, so this runs last in the file.
 */
async function monthsLater() {
  const email = uniqueEmail('months');
  const api = await new Customer(suite.v.url).signUp(email);
  const brush = await registerCompany(suite.v, { name: 'Brushco Care' });
  const still = await registerCompany(suite.v, { name: 'Still Reading Shop' });
  const ending = await registerCompany(suite.v, { name: 'Ending Shop' });
  const late = await registerCompany(suite.v, { name: 'Late Deleting Shop' });
  const device = await obtainTokens(suite.v, brush, api, {
    fields: ['devices'],
    purpose: 'customer-support',
    duration: 'P90D',
    actions: ['deposit', 'read'],
  });
  const deposit = await fetch(`${suite.v.url}/data/customers/${api.handle}/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${device.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      category: 'devices',
      content: {
        product: 'Sonic 3 toothbrush',
        maker: 'Brushco',
        serial: 'BC3-0042',
        purchased: '2026-01-15',
        events: [{ kind: 'needs_service', at: '2026-11-29T08:00:00Z' }],
      },
    }),
  });
  expect(deposit.status).toBe(201);
  const s = await obtainTokens(suite.v, still, api, {
    fields: ['email'],
    purpose: 'customer-support',
    duration: 'P365D',
  });
  expect((await readData(suite.v, s.access_token, api.handle)).status).toBe(200);
  const benefit = { grant_id: s.grant_id, key: 'b-1', kind: 'discount', amount: '4.50', currency: 'EUR' };
  expect((await recordBenefit(suite.v, await managementToken(suite.v, still), benefit)).status).toBe(201);
  const e = await obtainTokens(suite.v, ending, api, { fields: ['email'], duration: 'P90D' });
  const l = await obtainTokens(suite.v, late, api, { fields: ['email'] });
  expect((await api.call('DELETE', `/api/grants/${l.grant_id}`)).status).toBe(204);
  suite.v.clock.advance(31 * DAY); // the deletion deadline (at most 30 days) passes: overdue
  await suite.v.vault.sweep();
  suite.v.clock.advance(53 * DAY); // 84 days: Ending Shop's access ends within 7 days
  await suite.v.vault.sweep();
  suite.v.clock.advance(6 * DAY); // 90 days: the reminder for Still Reading Shop
  await suite.v.vault.sweep();
  await api.signIn(email);
  const grant = async (id: string) =>
    (await api.call('GET', `/api/grants/${id}`)).body as { id: string; expiresAt: string };
  const all = (await api.call('GET', '/api/deletions')).body.deletions as { status: string; dueAt: string }[];
  const dueAt = all.find((d) => d.status === 'overdue')!.dueAt;
  return { email, still: await grant(s.grant_id), ending: await grant(e.grant_id), dueAt };
}

describe('after consent, with data', () => {
  it('when reminders, notices, an overdue deletion and a device message arrive, then the inbox says them in words with local dates, and every page passes at both sizes', async () => {
    const { email, still, ending, dueAt } = await monthsLater();
    const page = await signedIn(email, '/inbox', 'Inbox');
    const message = (kind: string) => page.locator(`.message[data-kind="${kind}"]`);
    await message('grant.reminder')
      .getByText(`until ${await longDate(page, still.expiresAt)}`, { exact: false })
      .waitFor();
    await message('grant.reminder').getByText('It read your data once', { exact: false }).waitFor();
    const ends = `ends on ${await longDate(page, ending.expiresAt)}`;
    await message('grant.expiring').getByText(`Ending Shop: access ${ends}`).waitFor();
    await message('grant.expiring').getByText(ends, { exact: false }).last().waitFor();
    await message('deletion.overdue')
      .getByText(`by ${await longDate(page, dueAt)} and has not confirmed it`, { exact: false })
      .waitFor();
    await message('device.attention').getByText('Your Sonic 3 toothbrush by Brushco', { exact: false }).waitFor();
    const text = await page.locator('.message-list').innerText();
    expect(text).not.toMatch(ISO_DATE);
    expect(text).not.toContain('customer-support');
    await checkBothSizes(page, 'page-inbox-after-consent');

    for (const [path, title] of [
      ['/grants', 'Grants'],
      ['/records', 'Your records'],
    ] as const) {
      await page.goto(path);
      await h1(page, title).waitFor();
      await settled(page);
      await checkBothSizes(page, `page-${path.slice(1)}-after-consent`);
    }
    // The record's own dates too ("bought 15 January 2026"), not as the device sent them.
    expect(await page.locator('#main').innerText()).not.toMatch(ISO_DATE);
    await page.goto('/grants');
    await page.getByRole('status').filter({ hasText: 'Not deleted on time: Late Deleting Shop' }).waitFor();
    await page.getByRole('region', { name: 'What you got back' }).first().waitFor();
    await page.getByText(/Companies whose access ended/).click();
    await checkBothSizes(page, 'page-grants-ended');

    // Renew is offered only while the access is live: 90 days on, Ending Shop's access has ended, so the notice
    // says so instead of offering a renewal the server would refuse.
    await page.goto('/inbox');
    await message('grant.expiring').getByText('so it can no longer be renewed', { exact: false }).first().waitFor();
    expect(
      await message('grant.expiring')
        .getByRole('button', { name: /Renew access/ })
        .count(),
    ).toBe(0);
  }, 90_000);
});
