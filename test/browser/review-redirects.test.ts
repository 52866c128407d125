import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { browserSuite, openPage } from './browser.ts';

/**
 * Open redirects through the sign-in page's `next`: browsers drop tabs and newlines from a URL before
 * parsing it (WHATWG URL), so `/<TAB>/evil.example/…` is the protocol-relative `//evil.example/…`.
 */
const PASSWORD = 'correct horse battery staple';
const suite = browserSuite();
const h1 = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });

describe('sign-in next parameter', () => {
  for (const next of ['/\t/evil.example/authorize', '/\n/evil.example/authorize', '/\r\n/evil.example/authorize']) {
    it(`when next is ${JSON.stringify(next)}, then sign-in stays on the vault`, async () => {
      const email = uniqueEmail('web');
      await new Customer(suite.v.url).signUp(email);
      suite.session = await openPage(suite.browser, suite.v.url);
      const page = suite.session.page;
      const offSite: string[] = [];
      await page.context().route(
        (u) => u.hostname === 'evil.example',
        (route) => {
          offSite.push(route.request().url());
          return route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>evil</h1>' });
        },
      );
      await page.goto(`/signin?next=${encodeURIComponent(next)}`);
      await h1(page, 'Sign in to your vault').waitFor();
      await page.getByLabel('E-mail address').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
      await h1(page, 'Your profile').waitFor();
      expect(offSite).toEqual([]);
      expect(new URL(page.url()).origin).toBe(suite.v.url);
    });
  }
});
