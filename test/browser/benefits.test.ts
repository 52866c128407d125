import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany } from '../support/company.ts';
import { managementToken, recordBenefit } from '../benefits/support.ts';
import { axeViolations } from './axe.ts';
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * The benefit ledger on the grants page (issue 16): the company card sets what the customer gave beside what
 * came back, and the customer confirms an entry there.
 */
const PASSWORD = 'correct horse battery staple';
const suite = browserSuite();

describe('the benefit ledger on the company card', () => {
  it('when a company records a discount, then the card shows it waiting, and once the customer confirms it, the total', async () => {
    const email = uniqueEmail('ledger');
    const api = await new Customer(suite.v.url).signUp(email);
    const shop = await registerCompany(suite.v, { name: 'Ledger Card Shop' });
    const t = await obtainTokens(suite.v, shop, api, { fields: ['email'] });
    expect((await readData(suite.v, t.access_token, api.handle, ['email'])).status).toBe(200);
    const token = await managementToken(suite.v, shop);
    const entry = { grant_id: t.grant_id, key: 'b-1', kind: 'discount', amount: '4.50', currency: 'EUR' };
    expect((await recordBenefit(suite.v, token, { ...entry, reference: 'Order 77' })).status).toBe(201);

    suite.session = await openPage(suite.browser, suite.v.url, { viewport: { width: 1280, height: 800 } });
    const page = suite.session.page;
    await page.goto('/grants');
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();

    const gave = page.getByRole('region', { name: 'What you gave' });
    const got = page.getByRole('region', { name: 'What you got back' });
    await gave.getByText(/^1 read since/).waitFor();
    await gave.getByText('E-mail address').waitFor();
    await got.getByText('No confirmed benefit yet').waitFor();
    await got.getByText('(reference: Order 77)').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'benefit-waiting');

    await got.getByRole('button', { name: /^Confirm: Discount/ }).click();
    await got.getByText(/^1 confirmed benefit: .*4\.50/).waitFor();
    expect((await api.call('GET', '/api/benefits')).body.benefits).toMatchObject([{ status: 'confirmed' }]);
    await screenshot(page, 'benefit-confirmed');

    // On a phone the two sides stack and nothing scrolls sideways (tables scroll inside their own box).
    await page.setViewportSize({ width: 390, height: 844 });
    await gave.getByText(/^1 read since/).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .filter((el) => !el.closest('.table-wrap'))
        .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`),
    );
    expect(wide).toEqual([]);
    await screenshot(page, 'benefit-confirmed-phone');
  });
});
