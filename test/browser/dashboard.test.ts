import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { accessibilityProblems, browserSuite, openPage, screenshot } from './browser.ts';

/**
 * The dashboard, driven in headless Chromium against the real server (which serves web/dist under
 * its strict CSP). Every test ends by asserting that the page logged no error, threw nothing, hit no
 * 5xx and broke no CSP rule.
 */

const PASSWORD = 'correct horse battery staple';
const suite = browserSuite();

async function open(viewport?: { width: number; height: number }): Promise<Page> {
  suite.session = await openPage(suite.browser, suite.v.url, { viewport });
  return suite.session.page;
}

const h1 = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });

async function signUp(page: Page, email = uniqueEmail('web')): Promise<string> {
  await page.goto('/');
  await h1(page, 'Sign in to your vault').waitFor();
  await page
    .getByRole('group', { name: 'Sign in or create an account' })
    .getByRole('button', { name: 'Create account' })
    .click();
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Create account' }).click();
  await h1(page, 'Your profile').waitFor();
  return email;
}

async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await h1(page, 'Sign in to your vault').waitFor();
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
}

async function editField(page: Page, label: string, value: string): Promise<void> {
  await page.getByRole('button', { name: new RegExp(`^(Add|Edit) ${label}$`) }).click();
  const input = page.getByLabel(label, { exact: true });
  await input.fill(value);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await input.waitFor({ state: 'detached' });
}

function row(page: Page, label: string) {
  return page.locator('.field-row', { has: page.getByText(label, { exact: true }) });
}

describe('dashboard in the browser', () => {
  it('when the page watcher sees an inline style, then it reports a CSP violation (the check can fail)', async () => {
    const page = await open();
    await page.goto('/signin');
    await h1(page, 'Sign in to your vault').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.evaluate(() => document.body.setAttribute('style', 'color: red'));
    await page.waitForTimeout(200);
    expect(suite.session!.cspViolations.length).toBeGreaterThan(0);
    suite.session!.problems.length = 0; // expected in this test only
  });

  it('when a control has no label, then the accessibility floor reports it (the check can fail)', async () => {
    const page = await open();
    await page.goto('/signin');
    await h1(page, 'Sign in to your vault').waitFor();
    await page.evaluate(() => document.body.append(Object.assign(document.createElement('input'), { id: 'email' })));
    expect(await accessibilityProblems(page)).toEqual(['unlabelled control input#email', 'id "email" used 2 times']);
  });

  it('when a customer signs up and fills in fields, then the values survive a reload', async () => {
    const page = await open();
    const email = await signUp(page);
    expect(page.url()).toBe(`${suite.v.url}/`);

    const handle = await page.getByTestId('handle').textContent();
    expect(handle).toMatch(/^vh-[a-z2-9]{5}-[a-z2-9]{5}$/);
    await suite.session!.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.v.url });
    await page.getByRole('button', { name: 'Copy handle' }).click();
    await page.getByRole('status').getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(handle);
    await expect(row(page, 'E-mail address').locator('.field-value').textContent()).resolves.toBe(email.toLowerCase());

    await editField(page, 'Given name', 'Ada');
    await editField(page, 'City', 'Ghent');
    await editField(page, 'Household size', '3');
    await editField(page, 'Interests', 'cycling\njazz');
    await page.getByRole('button', { name: 'Add Preferred contact channel' }).click();
    await page.getByLabel('Preferred contact channel', { exact: true }).selectOption('post');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await row(page, 'Preferred contact channel').getByText('Post', { exact: true }).waitFor();

    // The server's validation message is shown beside the field, and nothing is saved.
    await page.getByRole('button', { name: 'Add Bank account (IBAN)' }).click();
    await page.getByLabel('Bank account (IBAN)', { exact: true }).fill('my bank');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const error = page.locator('#field-iban-error');
    await error.waitFor();
    expect(await error.textContent()).toBe('Error: This is not a valid bank account. For example: BE71096123456769');
    await screenshot(page, 'profile-validation-error');
    await page.getByRole('button', { name: 'Cancel' }).click();
    // Cancelling the edit takes its error away.
    expect(await page.locator('.field-error, .alert, .error-summary').count()).toBe(0);

    // Countries are chosen from a list of names.
    await page.getByRole('button', { name: 'Add Country' }).click();
    await page.getByLabel('Country', { exact: true }).selectOption('BE');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await row(page, 'Country').getByText('Belgium', { exact: true }).waitFor();

    // Clearing a field removes it.
    await row(page, 'City').getByRole('button', { name: 'Clear City' }).click();
    await row(page, 'City').getByText('Not set').waitFor();
    // …and can be undone.
    await row(page, 'City').getByRole('button', { name: 'Undo' }).click();
    await row(page, 'City').getByText('Ghent').waitFor();
    await row(page, 'City').getByRole('button', { name: 'Clear City' }).click();
    await row(page, 'City').getByText('Not set').waitFor();

    await page.reload();
    await h1(page, 'Your profile').waitFor();
    await row(page, 'Given name').getByText('Ada').waitFor();
    expect(await row(page, 'Household size').locator('.field-value').textContent()).toBe('3');
    expect(await row(page, 'Interests').locator('.field-value').textContent()).toBe('cycling, jazz');
    expect(await row(page, 'City').locator('.field-value').textContent()).toBe('Not set');
    expect(await row(page, 'Country').locator('.field-value').textContent()).toBe('Belgium');
    // The handle comes back with the session (GET /api/session), not from anything the browser kept.
    expect(await page.getByTestId('handle').textContent()).toBe(handle);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    // Sensitivity is the policy's word (GET /api/fields): identity is sensitive, address is not.
    expect(await row(page, 'Given name').locator('.badge-sensitive').textContent()).toBe('Sensitive');
    expect(await row(page, 'City').locator('.badge-sensitive').count()).toBe(0);
    await screenshot(page, 'profile');

    // And the server agrees.
    const c = new Customer(suite.v.url);
    expect((await c.signIn(email)).status).toBe(200);
    const profile = (await c.call('GET', '/api/profile')).body.fields;
    expect(profile.given_name.value).toBe('Ada');
    expect(profile.household_size.value).toBe(3);
    expect(profile.interests.value).toEqual(['cycling', 'jazz']);
    expect(profile.contact_channel.value).toBe('post');
    expect(profile.city).toBeUndefined();
    expect(profile.country.value).toBe('BE');
    expect(profile.iban).toBeUndefined();
  });

  it('when the password is wrong or the account unknown, then the same generic error is shown', async () => {
    const email = uniqueEmail('web');
    await new Customer(suite.v.url).signUp(email);
    const page = await open();
    await page.goto('/signin');
    await signIn(page, email, 'not the right password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const wrongPassword = await alert.textContent();
    expect(wrongPassword).toContain('The e-mail or password is wrong');
    await screenshot(page, 'signin-wrong-password');

    await signIn(page, uniqueEmail('nobody'), 'not the right password');
    await page.getByRole('alert').waitFor();
    await page.waitForFunction(() => !document.querySelector('button[aria-busy=true]'));
    expect(await page.getByRole('alert').textContent()).toBe(wrongPassword);
    expect(new URL(page.url()).pathname).toBe('/signin');
  });

  it('when the customer downloads their data, then a JSON file with their profile is saved', async () => {
    const page = await open();
    const email = await signUp(page);
    await editField(page, 'Given name', 'Grace');
    const handle = await page.getByTestId('handle').textContent();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await h1(page, 'Settings').waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download my data' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('vault-export.json');
    const data = JSON.parse(await readFile((await download.path())!, 'utf8'));
    expect(data.format).toBe('consent-vault-export/1');
    expect(data.account.handle).toBe(handle);
    expect(data.profile.given_name.value).toBe('Grace');
    expect(data.profile.email.value).toBe(email.toLowerCase());
    await page.getByText('Your data was downloaded').waitFor();
    await screenshot(page, 'settings');
  });

  it('when the customer types the phrase and deletes the account, then they are signed out and cannot sign in again', async () => {
    const page = await open();
    const email = await signUp(page);
    await page.goto('/settings');
    await h1(page, 'Settings').waitFor();
    const del = page.getByRole('button', { name: 'Delete my account' });
    expect(await del.isDisabled()).toBe(true);
    await page.getByLabel('Type delete my account to confirm').fill('delete my acount');
    expect(await del.isDisabled()).toBe(true);
    await page.getByLabel('Type delete my account to confirm').fill('delete my account');
    expect(await del.isEnabled()).toBe(true);
    await del.click();

    await h1(page, 'Sign in to your vault').waitFor();
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.getByText('Your account was deleted').waitFor();
    await screenshot(page, 'account-deleted');

    await signIn(page, email);
    await page.getByRole('alert').getByText('The e-mail or password is wrong').waitFor();
    expect((await new Customer(suite.v.url).signIn(email)).status).toBe(401);
  });

  it('when the customer moves between pages, then the URL follows without a reload and Back works', async () => {
    const page = await open();
    await signUp(page);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const nav = page.getByRole('navigation', { name: 'Main' });
    const pages: [string, string, string][] = [
      ['Grants', '/grants', 'Grants'],
      ['Activity', '/reads', 'Activity'],
      ['Inbox', '/inbox', 'Inbox'],
      ['Settings', '/settings', 'Settings'],
      ['Profile', '/', 'Your profile'],
    ];
    for (const [link, path, title] of pages) {
      await nav.getByRole('link', { name: link }).click();
      await h1(page, title).waitFor();
      expect(new URL(page.url()).pathname).toBe(path);
      expect(await nav.getByRole('link', { name: link }).getAttribute('aria-current')).toBe('page');
      expect(await page.title()).toBe(`${title} · Consent vault`);
      // Headings take focus on page change, for screen readers.
      expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
      await page.waitForFunction(() => !document.querySelector('.loading'));
      expect(await accessibilityProblems(page)).toEqual([]);
      if (path !== '/') await screenshot(page, `page-${path.slice(1)}`);
    }
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);

    await page.goBack();
    await h1(page, 'Settings').waitFor();
    await page.goBack();
    await h1(page, 'Inbox').waitFor();
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);

    // A direct load of a deep link works too (the server serves the shell there).
    await page.goto('/reads');
    await h1(page, 'Activity').waitFor();
  });

  it('when a signed-out visitor opens a page, then sign-in brings them back to it', async () => {
    const email = uniqueEmail('web');
    await new Customer(suite.v.url).signUp(email);
    const page = await open();
    await page.goto('/settings');
    await h1(page, 'Sign in to your vault').waitFor();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/signin?next=%2Fsettings');
    await signIn(page, email);
    await h1(page, 'Settings').waitFor();
    expect(new URL(page.url()).pathname).toBe('/settings');
  });

  it('when next points off-site, then sign-in ignores it and goes home', async () => {
    const email = uniqueEmail('web');
    await new Customer(suite.v.url).signUp(email);
    const page = await open();
    await page.goto('/signin?next=//evil.example/x');
    await signIn(page, email);
    await h1(page, 'Your profile').waitFor();
    expect(page.url()).toBe(`${suite.v.url}/`);
  });

  it('when a consent link is opened while signed out, then sign-in leads back to the consent screen', async () => {
    const email = uniqueEmail('web');
    await new Customer(suite.v.url).signUp(email);
    const page = await open();
    await page.goto('/consent?request=does-not-exist');
    await h1(page, 'Sign in to your vault').waitFor();
    await page.getByText('A company is asking for access to your data').waitFor();
    await screenshot(page, 'signin-for-consent');
    await signIn(page, email);
    await h1(page, 'Access request').waitFor();
    expect(new URL(page.url()).search).toBe('?request=does-not-exist');
    await page.getByText('This request does not exist or has expired').waitFor();
  });

  it('when the session ends elsewhere, then the next call sends the customer to sign in and back', async () => {
    const page = await open();
    const email = await signUp(page);
    const { csrfToken } = await (await page.request.get('/api/session')).json();
    expect((await page.request.delete('/api/session', { headers: { 'x-csrf-token': csrfToken } })).status()).toBe(204);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await h1(page, 'Sign in to your vault').waitFor();
    await page.getByText('Your session has ended. Please sign in again.').waitFor();
    expect(new URL(page.url()).search).toBe('?next=%2Fsettings');
    await signIn(page, email);
    await h1(page, 'Settings').waitFor();
  });

  it('when the customer signs out, then a reload stays signed out', async () => {
    const page = await open();
    await signUp(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await h1(page, 'Sign in to your vault').waitFor();
    await page.getByText('You are signed out.').waitFor();
    await page.goto('/');
    await h1(page, 'Sign in to your vault').waitFor();
  });

  it('when an auditor signs in, then they land on the audit log and customer pages send them back there', async () => {
    const email = uniqueEmail('auditor');
    await suite.v.vault.services.accounts.createAuditor({ email, password: PASSWORD });
    const page = await open();
    await page.goto('/signin');
    await signIn(page, email);
    await h1(page, 'Audit log').waitFor();
    expect(new URL(page.url()).pathname).toBe('/auditor');
    const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    expect(links).toEqual(['Audit log']);
    await page.getByLabel('Action').waitFor();
    await page.waitForFunction(() => !document.querySelector('.loading'));
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'auditor');
    await page.goto('/settings');
    await h1(page, 'Audit log').waitFor();
    expect(new URL(page.url()).pathname).toBe('/auditor');
  });

  it('when a customer opens the auditor page, then they are sent to their profile', async () => {
    const page = await open();
    await signUp(page);
    await page.goto('/auditor');
    await h1(page, 'Your profile').waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
  });

  it('when the screen is narrow, then the profile still fits without sideways scrolling', async () => {
    const page = await open({ width: 390, height: 844 });
    await signUp(page);
    await editField(page, 'Given name', 'Ada');
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'profile-mobile');
    await screenshot(page, 'profile-mobile-top', { fullPage: false });
  });
});
