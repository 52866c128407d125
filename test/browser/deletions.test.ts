import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { form, obtainTokens, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { axeViolations } from './axe.ts';
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * After access ends (issue 17): the grants page says, company by company, whether the company deleted what it
 * received and when ("Deleted on 3 December 2026"), and puts a company late to delete at the top of the page.
 */
const PASSWORD = 'correct horse battery staple';
const DAY = 86_400_000;
const suite = browserSuite();

/** The date as the page formats it in the browser's locale ("3 December 2026"). */
const longDate = (page: Page, iso: string) =>
  page.evaluate((t) => new Intl.DateTimeFormat(undefined, { dateStyle: 'long' }).format(new Date(t)), iso);

async function managementToken(c: RegisteredCompany) {
  const cc = { grant_type: 'client_credentials', scope: 'grant_management' };
  return (await form(`${suite.v.url}/token`, cc, { authorization: c.basic() })).body.access_token as string;
}

describe('the grants page after access ended', () => {
  it('when one company confirmed deletion and another let its deadline pass, then the customer sees "Deleted on …" and the overdue one', async () => {
    const email = uniqueEmail('deleted');
    const api = await new Customer(suite.v.url).signUp(email);
    const tidy = await registerCompany(suite.v, { name: 'Tidy Shop' });
    const late = await registerCompany(suite.v, { name: 'Late Shop' });
    const a = await obtainTokens(suite.v, tidy, api, { fields: ['email'] });
    const b = await obtainTokens(suite.v, late, api, { fields: ['email'] });
    expect((await api.call('DELETE', `/api/grants/${a.grant_id}`)).status).toBe(204);
    expect((await api.call('DELETE', `/api/grants/${b.grant_id}`)).status).toBe(204);

    const m = await managementToken(tidy);
    const list = await (
      await fetch(`${suite.v.url}/company/deletions`, { headers: { authorization: `Bearer ${m}` } })
    ).json();
    const confirm = await fetch(`${suite.v.url}/company/deletions/${list.deletions[0].id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${m}` },
    });
    const confirmed = await confirm.json();
    expect(confirmed.status).toBe('confirmed');
    suite.v.clock.advance(31 * DAY);
    await suite.v.vault.sweep();

    suite.session = await openPage(suite.browser, suite.v.url, { viewport: { width: 1280, height: 800 } });
    const page = suite.session.page;
    await page.goto('/grants');
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Grants' }).waitFor();

    await page.getByRole('status').filter({ hasText: 'Not deleted on time: Late Shop has not confirmed' }).waitFor();
    await page.getByText('Companies whose access ended (2)').click();
    const card = (name: string) => page.locator('.company-card', { has: page.getByRole('heading', { name }) });
    await card('Tidy Shop')
      .getByText(`Deleted on ${await longDate(page, confirmed.confirmedAt)}.`)
      .waitFor();
    const overdue = await (
      await fetch(`${suite.v.url}/company/deletions`, {
        headers: { authorization: `Bearer ${await managementToken(late)}` },
      })
    ).json();
    await card('Late Shop')
      .getByText(`it had to delete by ${await longDate(page, overdue.deletions[0].dueAt)} and has not confirmed it.`)
      .waitFor();
    expect(await axeViolations(page)).toEqual([]);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'grants-deletions');
  });
});
