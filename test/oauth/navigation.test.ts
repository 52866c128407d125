import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { REDIRECT, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

/**
 * A browser navigation never gets raw JSON: every GET a person's browser can be sent to (the company's
 * /authorize link, the consent screen and its API, any other address) answers an error as an HTML page,
 * while scripts and API clients keep getting RFC 9457 problem+json.
 */
let v: RunningVault;
let shop: RegisteredCompany;
beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Link Shop' });
});
afterAll(() => v?.close());

const NAVIGATE = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', accept: 'text/html,*/*;q=0.8' };
const OLD_BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const SCRIPT = { 'sec-fetch-mode': 'cors', accept: 'application/json' };

/** node:http, not fetch: fetch sets Sec-Fetch-Mode itself (to cors), as a browser's scripts do. */
function get(path: string, headers: Record<string, string>, cookie = '') {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request(v.url + path, { headers: { ...headers, ...(cookie ? { cookie } : {}) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'] ?? '', body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('browser navigations to routes that fail', () => {
  const cases: Array<[string, () => string, number, RegExp]> = [
    ['an unknown company', () => '/authorize?client_id=nobody&request_uri=x', 400, /unknown to the vault/],
    [
      'an unknown request link',
      () => `/authorize?client_id=${shop.clientId}&request_uri=urn:ietf:params:oauth:request_uri:zz`,
      400,
      /not valid/,
    ],
    [
      'a request naming a redirect URI the company never registered',
      () => `/authorize?client_id=${shop.clientId}&response_type=code&redirect_uri=http://evil.example/cb`,
      400,
      /redirect_uri is not registered/,
    ],
    ['the consent API', () => '/api/consent/abc', 401, /Sign in first/],
    ['an address that does not exist', () => '/no/such/page', 404, /No resource/],
  ];

  it.each(cases)(
    'when a browser navigates to %s, then it gets an HTML page, not JSON',
    async (_, path, status, words) => {
      for (const headers of [NAVIGATE, OLD_BROWSER]) {
        const r = await get(path(), headers);
        expect(r.status).toBe(status);
        expect(r.type).toMatch(/^text\/html/);
        expect(r.body).toMatch(/<h1>/);
        expect(r.body).toMatch(words);
        expect(r.body).not.toMatch(/"type":/);
      }
      const api = await get(path(), SCRIPT);
      expect(api.status).toBe(status);
      expect(api.type).toMatch(/^application\/problem\+json/);
    },
  );

  it('when a link names a known company, then the page links back to its site (the redirect origin)', async () => {
    const r = await get(`/authorize?client_id=${shop.clientId}&request_uri=nope`, NAVIGATE);
    expect(r.body).toContain(`href="${new URL(REDIRECT).origin}/"`);
    expect(r.body).toContain('Back to Link Shop');
  });

  it('when a company name holds markup, then the page shows it as text', async () => {
    const odd = await registerCompany(v, { name: '<script>alert(1)</script> & Co' });
    const r = await get(`/authorize?client_id=${odd.clientId}&request_uri=nope`, NAVIGATE);
    expect(r.body).not.toContain('<script>');
    expect(r.body).toContain('Back to &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co');
  });

  it('when an auditor follows a company link, then the page says it is not allowed', async () => {
    const email = uniqueEmail('auditor');
    await v.vault.services.accounts.createAuditor({ email, password: 'correct horse battery staple' });
    const auditor = new Customer(v.url);
    expect((await auditor.signIn(email)).status).toBe(200);
    const r = await get(`/authorize?client_id=${shop.clientId}&request_uri=x`, NAVIGATE, auditor.cookie);
    expect(r.status).toBe(403);
    expect(r.type).toMatch(/^text\/html/);
    expect(r.body).toMatch(/Auditors cannot grant access/);
  });
});
