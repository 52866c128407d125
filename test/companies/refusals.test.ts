import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import {
  REDIRECT,
  details,
  form,
  obtainTokens,
  pkce,
  readData,
  registerCompany,
  type RegisteredCompany,
} from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { rowOf } from '../support/rows.ts';

// A customer's criteria can say what their religion, diet or health is: here a distinctive value tag,
// a maximum retention and a refused purpose. No company-facing answer may carry any of them.
const TAG = 'kosher-kitchen-zq';
const criteria = { requiredValueTags: [TAG], maxRetentionDays: 37, refusedPurposes: ['marketing'] };
const SECRETS = [TAG, 'at most 37', '37 days', 'you allow', 'You refuse', 'you require'];
const CUSTOMER_CODES = [
  'VALUE_TAGS_MISSING',
  'RETENTION_OVER_CUSTOMER_MAX',
  'PURPOSE_REFUSED_BY_CUSTOMER',
  'COMPANY_BLOCKED_BY_CUSTOMER',
  'BENEFIT_REQUIRED_BY_CUSTOMER',
];
const CUSTOMER_CRITERIA = {
  code: 'CUSTOMER_CRITERIA',
  message: "The request does not meet this customer's criteria.",
  source: 'customer',
};

function revealsNothing(answer: unknown): void {
  const text = typeof answer === 'string' ? decodeURIComponent(answer) : JSON.stringify(answer);
  for (const s of [...SECRETS, ...CUSTOMER_CODES]) expect(text).not.toContain(s);
}

let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Refusal Shop' });
  alice = await new Customer(v.url).signUp(uniqueEmail('refusals'));
  await alice.call('PATCH', '/api/profile', { phone: '+44 20 7946 0123' });
});
afterAll(async () => v.close());

describe("refusals tell companies a reason code, never the customer's criteria", () => {
  it('when a live grant is suspended by new criteria, then the read and the grant listing say so generically, and the customer sees why', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: ['phone'] });
    expect((await alice.call('PUT', '/api/criteria', criteria)).status).toBe(200);

    const read = await readData(v, t.access_token, alice.handle);
    expect(read.status).toBe(403);
    expect(read.body.reasons.map((r: { code: string }) => r.code)).toEqual(['GRANT_SUSPENDED']);
    revealsNothing(read.body);

    const mgmt = await form(
      `${v.url}/token`,
      { grant_type: 'client_credentials', scope: 'grant_management' },
      { authorization: shop.basic() },
    );
    const listed = await fetch(`${v.url}/company/grants/${t.grant_id}`, {
      headers: { authorization: `Bearer ${mgmt.body.access_token}` },
    });
    const grant = await listed.json();
    expect(grant.status).toBe('suspended');
    revealsNothing(grant);

    // The customer, and only the customer, is told exactly why.
    const own = await alice.call('GET', `/api/grants/${t.grant_id}`);
    expect(own.body.statusReason).toContain('Kosher kitchen zq'); // the tag in words (server/policy/words.ts)
    await alice.call('PUT', '/api/criteria', {});
  });

  it('when a back-channel request fails the criteria, then 403 with CUSTOMER_CRITERIA alone, and the audit trail keeps the full reasons', async () => {
    await alice.call('PUT', '/api/criteria', criteria);
    const r = await form(
      `${v.url}/bc-authorize`,
      { login_hint: alice.handle, authorization_details: details(['email'], 'marketing', 'P7D') },
      { authorization: shop.basic() },
    );
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('access_denied');
    expect(r.body.reasons).toEqual([CUSTOMER_CRITERIA]);
    revealsNothing(r.body);
    revealsNothing(r.headers.get('www-authenticate') ?? '');

    const denied = (await rowOf<{ body: string }>(
      v,
      "select body from audit_events where action = 'grant.denied' order by seq desc limit 1",
    ))!.body;
    expect(denied).toContain('VALUE_TAGS_MISSING');
    expect(denied).toContain('RETENTION_OVER_CUSTOMER_MAX');
    await alice.call('PUT', '/api/criteria', {});
  });

  it('when the customer has blocked the company, then it is told CUSTOMER_CRITERIA, not that it was blocked', async () => {
    await alice.call('PUT', '/api/criteria', { blockedCompanies: [shop.clientId] });
    const r = await form(
      `${v.url}/bc-authorize`,
      { login_hint: alice.handle, authorization_details: details(['phone'], 'customer-support', 'P7D') },
      { authorization: shop.basic() },
    );
    expect(r.status).toBe(403);
    expect(r.body.reasons).toEqual([CUSTOMER_CRITERIA]);
    await alice.call('PUT', '/api/criteria', {});
  });

  it('when a front-channel request fails the criteria at /authorize, then the redirect names only CUSTOMER_CRITERIA', async () => {
    await alice.call('PUT', '/api/criteria', criteria);
    const p = pkce();
    const par = await form(
      `${v.url}/par`,
      {
        response_type: 'code',
        client_id: shop.clientId,
        redirect_uri: REDIRECT,
        code_challenge: p.challenge,
        code_challenge_method: 'S256',
        state: 's1',
        authorization_details: details(['email'], 'marketing', 'P7D'),
      },
      { authorization: shop.basic() },
    );
    expect(par.status).toBe(201);
    const auth = await alice.call(
      'GET',
      `/authorize?client_id=${encodeURIComponent(shop.clientId)}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
    );
    const location = auth.headers.get('location')!;
    expect(location.startsWith(REDIRECT)).toBe(true);
    const u = new URL(location);
    expect(u.searchParams.get('error')).toBe('access_denied');
    expect(u.searchParams.get('error_description')).toBe('refused by policy: CUSTOMER_CRITERIA');
    revealsNothing(location);
    await alice.call('PUT', '/api/criteria', {});
  });

  it('when the platform refuses a pushed request, then its own reason stays specific', async () => {
    const p = pkce();
    const par = await form(
      `${v.url}/par`,
      {
        response_type: 'code',
        client_id: shop.clientId,
        redirect_uri: REDIRECT,
        code_challenge: p.challenge,
        code_challenge_method: 'S256',
        authorization_details: details(['phone'], 'resale', 'P7D'),
      },
      { authorization: shop.basic() },
    );
    expect(par.status).toBe(403);
    expect(par.body.reasons).toEqual([
      { code: 'FORBIDDEN_PURPOSE', message: '"resale" is forbidden on this platform.', source: 'platform' },
    ]);
  });
});
