import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_LIMITS } from '../../server/oauth/request-limits.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { REDIRECT, details, form, pkce, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf } from '../support/rows.ts';

let v: RunningVault;
// Behind a proxy that names the client in X-Forwarded-For, so that one test can speak for many addresses.
let proxied: RunningVault;
beforeAll(async () => {
  v = await startVault();
  proxied = await startVault({ env: { VAULT_TRUST_PROXY: '1' } });
});
afterAll(async () => {
  await v.close();
  await proxied.close();
});

/** GET /authorize with the whole request on the URL (no PAR): each such call stores a request row. */
const authorizeUrl = (c: RegisteredCompany) =>
  '/authorize?' +
  new URLSearchParams({
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: REDIRECT,
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    state: 's',
    authorization_details: details(['email']),
  }).toString();
const get = (vault: RunningVault, path: string, headers: Record<string, string> = {}) =>
  fetch(vault.url + path, { redirect: 'manual', headers });
const rows = (vault: RunningVault, companyId: string) =>
  countOf(vault, 'select count(*) AS n from auth_requests where company_id = ?', companyId);

function expectTooMany(r: Response) {
  expect(r.status).toBe(429);
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('GET /authorize without PAR', () => {
  it('when one address starts more anonymous requests a minute than its budget, then the next is 429 and stores nothing; a pushed request still goes through', async () => {
    const co = await registerCompany(v, { name: 'Front Door' });
    const { limit } = REQUEST_LIMITS.anonymousAuthorizePerIp;
    for (let i = 0; i < limit; i++) expect((await get(v, authorizeUrl(co))).status).toBe(303);
    expectTooMany(await get(v, authorizeUrl(co)));
    expect(await rows(v, co.clientId)).toBe(limit);
    const par = await form(
      `${v.url}/par`,
      {
        response_type: 'code',
        client_id: co.clientId,
        redirect_uri: REDIRECT,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        authorization_details: details(['email']),
      },
      { authorization: co.basic() },
    );
    const viaPar = await get(
      v,
      `/authorize?client_id=${co.clientId}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
    );
    expect(viaPar.status).toBe(303);
  });

  it('when many addresses start requests for one company, then past the company budget a minute the next is 429', async () => {
    const co = await registerCompany(proxied, { name: 'Popular Shop' });
    const { limit, windowSeconds } = REQUEST_LIMITS.authorizePerCompany;
    const from = (i: number) => ({ 'x-forwarded-for': `198.51.${100 + (i >> 8)}.${i & 255}` });
    for (let i = 0; i < limit; i++) expect((await get(proxied, authorizeUrl(co), from(i))).status).toBe(303);
    expectTooMany(await get(proxied, authorizeUrl(co), from(limit)));
    expect(await rows(proxied, co.clientId)).toBe(limit);
    proxied.clock.advance(windowSeconds * 1000);
    expect((await get(proxied, authorizeUrl(co), from(limit))).status).toBe(303);
  });

  it('when a signed-in customer is sent to /authorize more often than the budget, then the next is 429', async () => {
    const co = await registerCompany(v, { name: 'Pushy Page' });
    const c = await new Customer(v.url).signUp(uniqueEmail('sent'));
    const { limit } = REQUEST_LIMITS.authorizePerCustomer;
    for (let i = 0; i < limit; i++) expect((await c.call('GET', authorizeUrl(co))).status).toBe(303);
    const over = await c.call('GET', authorizeUrl(co));
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('PAR', () => {
  it('when a company pushes more requests a minute than its budget, then the next is 429 and stores nothing', async () => {
    const co = await registerCompany(v, { name: 'Pusher' });
    const push = () =>
      form(
        `${v.url}/par`,
        {
          response_type: 'code',
          client_id: co.clientId,
          redirect_uri: REDIRECT,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
          authorization_details: details(['email']),
        },
        { authorization: co.basic() },
      );
    const { limit } = REQUEST_LIMITS.parPerCompany;
    for (let i = 0; i < limit; i++) expect((await push()).status).toBe(201);
    const over = await push();
    expect(over.status).toBe(429);
    expect(over.body.error).toBe('slow_down');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await rows(v, co.clientId)).toBe(limit);
  });
});
