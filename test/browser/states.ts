import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { axeViolations, VIEWPORTS } from './axe.ts';
import { accessibilityProblems, openPage, screenshot, type BrowserSuite, type Session } from './browser.ts';

/** What every page state is held to (issue 14, "Errors and states" and "Done when"), shared by the page tests. */

export const PASSWORD = 'correct horse battery staple';
export const h1 = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });
export const settled = (page: Page) => page.waitForFunction(() => !document.querySelector('#main .loading'));

/** A fresh browser session signed in through the sign-in page, landed on `path`. */
export async function signedIn(suite: BrowserSuite, email: string, path: string, title: string): Promise<Page> {
  suite.session = await openPage(suite.browser, suite.v.url, { viewport: VIEWPORTS[0] });
  const page = suite.session.page;
  await page.goto(`/signin?next=${encodeURIComponent(path)}`);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
  await h1(page, title).waitFor();
  await settled(page);
  return page;
}

/** At both sizes: no serious or critical axe violation, the harness's floor, nothing sideways; a picture of each. */
export async function checkBothSizes(page: Page, name: string): Promise<void> {
  for (const viewport of [...VIEWPORTS].reverse()) {
    await page.setViewportSize(viewport);
    expect(await axeViolations(page), `${name} ${viewport.name}`).toEqual([]);
    expect(await accessibilityProblems(page), `${name} ${viewport.name}`).toEqual([]);
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .filter((el) => !el.closest('.table-wrap'))
        .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`),
    );
    expect(wide, `${name} ${viewport.name} scrolls sideways`).toEqual([]);
    // A link or button whose words run out of its box overlaps its neighbours without widening the page.
    const spilling = await page.evaluate(() =>
      [...document.querySelectorAll('#main a, #main button, .nav a')]
        .filter((el) => getComputedStyle(el).display !== 'inline' && el.getClientRects().length)
        .filter((el) => el.scrollWidth > el.clientWidth + 1)
        .map((el) => `${el.tagName.toLowerCase()} "${el.textContent?.trim()}"`),
    );
    expect(spilling, `${name} ${viewport.name} words spill out of their box`).toEqual([]);
    await screenshot(page, `${name}-${viewport.name}`);
  }
}

/**
 * The API call the page loads from answers 503 until `restore` is called. The browser logs the 503s the
 * test made on purpose; they are taken out of the session's problems (any other 5xx stays there).
 */
export async function failing(session: Session, pathname: string) {
  const match = (url: URL) => url.pathname === pathname || url.pathname.startsWith(`${pathname}/`);
  const handler = (route: Parameters<Parameters<Page['route']>[1]>[0]) =>
    route.fulfill({
      status: 503,
      contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'about:blank', title: 'Service unavailable', status: 503 }),
    });
  await session.page.route(match, handler);
  return async () => {
    await session.page.unroute(match, handler);
    const ours = (p: string) =>
      /status of 503/.test(p) || (p.startsWith('http 503:') && match(new URL(p.split(' ').pop()!)));
    const kept = session.problems.filter((p) => !ours(p));
    session.problems.splice(0, session.problems.length, ...kept);
  };
}
