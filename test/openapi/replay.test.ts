import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_ROOT } from '../../server/app.ts';
import { DASHBOARD_PAGES } from '../../server/http/app.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import {
  defaultTerms,
  details,
  form,
  obtainTokens,
  pkce,
  readData,
  REDIRECT,
  registerCompany,
  type RegisteredCompany,
} from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { createChecker, recordFetch, type Exchange } from './recorder.ts';
import { keyOf, routesOf } from './routes.ts';

/**
 * Replays a realistic day of the vault through the real server: every route is called at least once
 * with success and, where it has one, a typical error. Every response is recorded and checked
 * against the OpenAPI document's schema for its path, method and status; so are the bodies of the
 * requests that succeeded. The document's response schemas therefore cannot drift from the code.
 */
let v: RunningVault;
let rec: ReturnType<typeof recordFetch>;
let doc: any;
beforeAll(async () => {
  v = await startVault();
  rec = recordFetch(v.url);
});
afterAll(async () => {
  rec?.restore();
  await v?.close();
});

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const call = (method: string, path: string, opts: { json?: unknown; headers?: Record<string, string> } = {}) =>
  fetch(v.url + path, {
    method,
    redirect: 'manual',
    headers: { ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
  }).then(async (r) => ({
    status: r.status,
    headers: r.headers,
    body: await r.text().then((t) => {
      try {
        return t ? JSON.parse(t) : undefined;
      } catch {
        return t;
      }
    }),
  }));
const PURCHASE = {
  merchant: 'Shop',
  items: [{ name: 'Boots', quantity: 1, price: 12.5 }],
  total: 12.5,
  currency: 'EUR',
  time: '2026-11-01T10:00:00Z',
};
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const regHeaders = (c: RegisteredCompany) => ({ ...bearer(c.registrationAccessToken) });
const metadata = (c: RegisteredCompany, name: string, terms: object = defaultTerms) => ({
  client_id: c.clientId,
  client_name: name,
  redirect_uris: [REDIRECT],
  token_endpoint_auth_method: 'client_secret_basic',
  terms,
});

/** PAR → authorize → consent screen (read, then approve) → token, with every step recorded. */
async function grantFor(company: RegisteredCompany, customer: Customer, fields: string[], actions = ['read']) {
  const p = pkce();
  const par = await form(
    `${v.url}/par`,
    {
      response_type: 'code',
      client_id: company.clientId,
      redirect_uri: REDIRECT,
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
      state: 's1',
      authorization_details: details(fields, 'order-fulfilment', 'P30D', actions),
    },
    { authorization: company.basic() },
  );
  expect(par.status).toBe(201);
  const at = await customer.call(
    'GET',
    `/authorize?client_id=${encodeURIComponent(company.clientId)}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
  );
  expect(at.status).toBe(303);
  const id = new URL(at.headers.get('location')!, v.url).searchParams.get('request')!;
  const shown = await customer.call('GET', `/api/consent/${id}`);
  expect(shown.status).toBe(200);
  const termsVersion = shown.body.company.terms.version;
  const approved = await customer.call('POST', `/api/consent/${id}`, { decision: 'approve', termsVersion });
  expect(approved.status).toBe(200);
  const code = new URL(approved.body.redirectTo).searchParams.get('code')!;
  const t = await form(
    `${v.url}/token`,
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: p.verifier },
    { authorization: company.basic() },
  );
  expect(t.status).toBe(200);
  return { ...t.body, consentId: id } as {
    access_token: string;
    refresh_token: string;
    grant_id: string;
    consentId: string;
  };
}

describe('replaying recorded responses against /openapi.json', () => {
  let alice: Customer;
  let shop: RegisteredCompany;
  let tokens: Awaited<ReturnType<typeof grantFor>>;
  let management = '';

  it('when the public and service routes are called, then they answer', async () => {
    const d = await call('GET', '/openapi.json');
    expect(d.status).toBe(200);
    doc = d.body;
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/readyz')).status).toBe(200);
    v.vault.setReady(false);
    expect((await call('GET', '/readyz')).status).toBe(503);
    v.vault.setReady(true);
    expect((await call('GET', '/docs')).status).toBe(200);
    expect((await call('GET', '/docs/assets/docs.js')).status).toBe(200);
    expect((await call('GET', '/docs/assets/index.html')).status).toBe(404);
    expect((await call('GET', '/.well-known/oauth-authorization-server')).status).toBe(200);
    expect((await call('GET', '/.well-known/oauth-protected-resource')).status).toBe(200);
    expect((await call('GET', '/.well-known/oauth-protected-resource/data')).status).toBe(200);
    expect((await call('GET', '/jwks.json')).status).toBe(200);
    expect((await call('GET', '/api/fields')).status).toBe(200);
    if (existsSync(join(WEB_ROOT, 'index.html')))
      for (const p of DASHBOARD_PAGES) expect((await call('GET', p)).status).toBe(200);
  });

  it('when a customer signs up, signs in and fills in the profile and criteria, then each step answers', async () => {
    const email = uniqueEmail('replay');
    alice = await new Customer(v.url).signUp(email);
    expect(
      (await call('POST', '/api/account', { json: { email, password: 'correct horse battery staple' } })).status,
    ).toBe(409);
    expect((await call('POST', '/api/account', { json: { email: 'not-an-email', password: 'short' } })).status).toBe(
      400,
    );
    expect((await alice.call('POST', '/api/session', { email, password: 'wrong password, surely' })).status).toBe(401);
    expect((await call('POST', '/api/session', { json: { email } })).status).toBe(400);
    expect((await alice.signIn(email)).status).toBe(200);
    expect((await alice.call('GET', '/api/session')).status).toBe(200);
    expect((await call('GET', '/api/session')).status).toBe(401);

    expect(
      (
        await alice.call('PATCH', '/api/profile', {
          email,
          phone: '+44 20 7946 0000',
          street_address: '1 Analytical Row',
          purchase_history: ['kettle'],
          interests: ['tea'],
        })
      ).status,
    ).toBe(200);
    expect((await alice.call('PATCH', '/api/profile', { shoe_colour: 'red' })).status).toBe(400);
    expect((await call('PATCH', '/api/profile', { json: { phone: '+44 1' } })).status).toBe(401);
    expect(
      (await call('PATCH', '/api/profile', { json: { phone: '+44 1' }, headers: { cookie: alice.cookie } })).status,
    ).toBe(403);
    expect((await alice.call('GET', '/api/profile')).status).toBe(200);
    expect((await alice.call('GET', '/api/criteria')).status).toBe(200);
    expect((await alice.call('PUT', '/api/criteria', { refusedPurposes: ['research'] })).status).toBe(200);
    expect((await alice.call('PUT', '/api/criteria', { maxRetentionDays: -1 })).status).toBe(400);
  });

  it('when a company registers and manages its registration, then each step answers', async () => {
    shop = await registerCompany(v, { name: 'Replay Shop' });
    const iat = await v.vault.services.companies.issueInitialAccessToken('replay');
    expect(
      (
        await call('POST', '/register', {
          json: { client_name: 'No token', redirect_uris: [REDIRECT], terms: defaultTerms },
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await call('POST', '/register', {
          json: { client_name: 'Bad URI', redirect_uris: ['http://evil.example/cb#x'], terms: defaultTerms },
          headers: bearer(iat.token),
        })
      ).status,
    ).toBe(400);
    expect((await call('GET', `/register/${shop.clientId}`, { headers: regHeaders(shop) })).status).toBe(200);
    expect((await call('GET', `/register/${shop.clientId}`, { headers: bearer('not-the-token') })).status).toBe(401);
    expect(
      (
        await call('PUT', `/register/${shop.clientId}`, {
          json: metadata(shop, 'Replay Shop'),
          headers: regHeaders(shop),
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('PUT', `/register/${shop.clientId}`, {
          json: { ...metadata(shop, 'Replay Shop'), client_id: undefined },
          headers: regHeaders(shop),
        })
      ).status,
    ).toBe(400);
    const temp = await registerCompany(v, { name: 'Short-lived', method: 'private_key_jwt' });
    expect((await call('DELETE', `/register/${temp.clientId}`, { headers: regHeaders(temp) })).status).toBe(204);
    expect((await call('DELETE', `/register/${temp.clientId}`, { headers: regHeaders(temp) })).status).toBe(401);
  });

  it('when the company asks, the customer consents and the company exchanges the code, then each step answers', async () => {
    const p = pkce();
    const base = {
      response_type: 'code',
      client_id: shop.clientId,
      redirect_uri: REDIRECT,
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
    };
    expect(
      (
        await form(
          `${v.url}/par`,
          { ...base, code_challenge_method: 'plain', scope: 'purpose:order-fulfilment read:email' },
          { authorization: shop.basic() },
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await form(
          `${v.url}/par`,
          { ...base, scope: 'purpose:order-fulfilment read:email' },
          { authorization: 'Basic ' + Buffer.from(`${shop.clientId}:wrong`).toString('base64') },
        )
      ).status,
    ).toBe(401);
    expect(
      (
        await form(
          `${v.url}/par`,
          { ...base, authorization_details: details(['email'], 'resale') },
          { authorization: shop.basic() },
        )
      ).status,
    ).toBe(403);
    const par = await form(
      `${v.url}/par`,
      { ...base, scope: 'purpose:order-fulfilment read:email' },
      { authorization: shop.basic() },
    );
    expect(
      (
        await call(
          'GET',
          `/authorize?client_id=${shop.clientId}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
        )
      ).status,
    ).toBe(303);
    expect(
      (
        await alice.call(
          'GET',
          `/authorize?client_id=${shop.clientId}&request_uri=urn:ietf:params:oauth:request_uri:nope`,
        )
      ).status,
    ).toBe(400);

    tokens = await grantFor(shop, alice, ['email', 'phone', 'purchase_history'], ['read', 'deposit']);
    expect((await alice.call('GET', '/api/consent/no-such-request')).status).toBe(404);
    expect(
      (await alice.call('POST', `/api/consent/${tokens.consentId}`, { decision: 'approve', termsVersion: 1 })).status,
    ).toBe(409);
    expect((await alice.call('POST', `/api/consent/${tokens.consentId}`, { decision: 'maybe' })).status).toBe(400);

    expect(
      (await form(`${v.url}/token`, { grant_type: 'password', username: 'x' }, { authorization: shop.basic() })).status,
    ).toBe(400);
    expect(
      (
        await form(
          `${v.url}/token`,
          { grant_type: 'client_credentials' },
          { authorization: 'Basic ' + Buffer.from(`${shop.clientId}:wrong`).toString('base64') },
        )
      ).status,
    ).toBe(401);
    const refreshed = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
      { authorization: shop.basic() },
    );
    expect(refreshed.status).toBe(200);
    tokens = { ...tokens, ...refreshed.body };
    const m = await form(
      `${v.url}/token`,
      { grant_type: 'client_credentials', scope: 'grant_management' },
      { authorization: shop.basic() },
    );
    expect(m.status).toBe(200);
    management = m.body.access_token;
  });

  it('when the company reads and deposits, then each step answers', async () => {
    expect((await readData(v, tokens.access_token, alice.handle)).status).toBe(200);
    expect((await readData(v, tokens.access_token, alice.handle, ['email'])).status).toBe(200);
    expect((await readData(v, tokens.access_token, alice.handle, ['iban'])).status).toBe(403);
    expect((await call('GET', `/data/customers/${alice.handle}`)).status).toBe(401);
    expect((await readData(v, tokens.access_token, 'not-a-handle')).status).toBe(400);
    expect((await readData(v, tokens.access_token, 'vh-aaaaa-aaaaa')).status).toBe(404);
    const claim = (name: string) =>
      call(
        'GET',
        `/data/customers/${alice.handle}/claims/${name}`,
        bearer(tokens.access_token) && { headers: bearer(tokens.access_token) },
      );
    expect((await claim('age_over')).status).toBe(403);
    expect((await claim('shoe_size')).status).toBe(400);
    const brewco = await registerCompany(v, {
      name: 'Replay Brewco',
      terms: { purposes: ['age-verification'], retentionDays: 30 },
    });
    const claims = JSON.stringify([
      {
        type: 'customer_data',
        purpose: 'age-verification',
        claims: [{ name: 'age_over', value: 18 }],
        duration: 'P30D',
      },
    ]);
    const t = await obtainTokens(v, brewco, alice, { authorizationDetails: claims });
    const answered = await call('GET', `/data/customers/${alice.handle}/claims/age_over`, {
      headers: bearer(t.access_token),
    });
    expect(answered.status).toBe(200);
    const records = `/data/customers/${alice.handle}/records`;
    expect(
      (
        await call('POST', records, {
          json: { category: 'purchases', content: PURCHASE },
          headers: { ...bearer(tokens.access_token), 'idempotency-key': 'order-A-1' },
        })
      ).status,
    ).toBe(201);
    // Issue 15: the records read (this grant names no records: 403, audited), and the customer's records page.
    expect((await call('GET', records, { headers: bearer(tokens.access_token) })).status).toBe(403);
    expect((await call('GET', `${records}?limit=0`, { headers: bearer(tokens.access_token) })).status).toBe(400);
    const reader = await obtainTokens(v, shop, alice, { fields: ['email'], records: { categories: ['purchases'] } });
    expect((await call('GET', records, { headers: bearer(reader.access_token) })).status).toBe(200);
    expect((await call('GET', '/api/records')).status).toBe(401);
    const mine = await alice.call('GET', '/api/records');
    expect(mine.status).toBe(200);
    const recordId = mine.body.records[0].id;
    expect((await alice.call('PUT', `/api/records/${recordId}/hidden`, { hidden: true })).status).toBe(204);
    expect((await alice.call('PUT', `/api/records/${recordId}/hidden`, { hidden: 'yes' })).status).toBe(400);
    expect((await alice.call('DELETE', `/api/records/${recordId}`)).status).toBe(204);
    expect((await alice.call('DELETE', `/api/records/${recordId}`)).status).toBe(404);
    expect(
      (
        await call('POST', records, {
          json: { category: 'health', content: { note: 'x' } },
          headers: bearer(tokens.access_token),
        })
      ).status,
    ).toBe(403);
    expect(
      (await call('POST', records, { json: { category: 'gossip', content: {} }, headers: bearer(tokens.access_token) }))
        .status,
    ).toBe(400);
  });

  it('when the company introspects and revokes tokens, then each step answers', async () => {
    const auth = { authorization: shop.basic() };
    expect((await form(`${v.url}/introspect`, { token: tokens.access_token }, auth)).body.active).toBe(true);
    expect((await form(`${v.url}/introspect`, { token: tokens.refresh_token }, auth)).body.active).toBe(true);
    expect((await form(`${v.url}/introspect`, { token: management }, auth)).body.active).toBe(true);
    expect((await form(`${v.url}/introspect`, { token: 'garbage' }, auth)).body).toEqual({ active: false });
    expect((await form(`${v.url}/introspect`, {}, auth)).status).toBe(400);
    const spare = await form(`${v.url}/token`, { grant_type: 'client_credentials' }, auth);
    expect((await form(`${v.url}/revoke`, { token: spare.body.access_token }, auth)).status).toBe(200);
    expect((await form(`${v.url}/revoke`, {}, auth)).status).toBe(400);
  });

  it('when the company manages its grants and receipts, then each step answers', async () => {
    const m = bearer(management);
    expect((await call('GET', '/company/grants', { headers: m })).status).toBe(200);
    expect((await call('GET', '/company/grants', { headers: bearer(tokens.access_token) })).status).toBe(401);
    expect((await call('GET', `/company/grants/${tokens.grant_id}`, { headers: m })).status).toBe(200);
    expect((await call('GET', `/company/grants/${UNKNOWN}`, { headers: m })).status).toBe(404);
    expect((await call('GET', '/company/grants/not-an-id', { headers: m })).status).toBe(400);
    const receipts = await call('GET', `/company/receipts?grant_id=${tokens.grant_id}`, { headers: m });
    expect(receipts.status).toBe(200);
    expect((await call('GET', '/company/receipts?grant_id=nope', { headers: m })).status).toBe(400);
    expect((await call('GET', `/company/receipts/${receipts.body.receipts[0].id}`, { headers: m })).status).toBe(200);
    expect((await call('GET', `/company/receipts/${UNKNOWN}`, { headers: m })).status).toBe(404);
    const spare = await grantFor(shop, alice, ['phone']);
    expect((await call('DELETE', `/company/grants/${spare.grant_id}`, { headers: m })).status).toBe(204);
    expect((await call('DELETE', `/company/grants/${UNKNOWN}`, { headers: m })).status).toBe(404);
    const polled = await call('POST', '/company/events/poll', { headers: m, json: { maxEvents: 2 } });
    expect(polled.status).toBe(200);
    const ack = Object.keys(polled.body.sets);
    expect((await call('POST', '/company/events/poll', { headers: m, json: { ack } })).status).toBe(200);
    expect((await call('POST', '/company/events/poll', { headers: m, json: { maxEvents: 1000 } })).status).toBe(400);
  });

  it('when the company records a benefit and the customer answers it, then each step answers', async () => {
    const m = bearer(management);
    const entry = { grant_id: tokens.grant_id, key: 'replay-1', kind: 'discount', amount: '2.00', currency: 'EUR' };
    const b = await call('POST', '/company/benefits', { headers: m, json: entry });
    expect(b.status).toBe(201);
    expect((await call('POST', '/company/benefits', { headers: m, json: entry })).status).toBe(200);
    expect((await call('POST', '/company/benefits', { headers: m, json: { ...entry, currency: 'XYZ' } })).status).toBe(
      400,
    );
    expect((await alice.call('GET', '/api/benefits')).status).toBe(200);
    expect((await call('GET', '/api/benefits')).status).toBe(401);
    expect((await alice.call('POST', `/api/benefits/${b.body.id}/answer`, { answer: 'confirmed' })).status).toBe(200);
    expect((await alice.call('POST', `/api/benefits/${UNKNOWN}/answer`, { answer: 'disputed' })).status).toBe(404);
  });

  it('when the customer narrows, sees suspended, re-approves and revokes grants, then each step answers', async () => {
    expect((await alice.call('GET', '/api/grants')).status).toBe(200);
    expect((await alice.call('GET', `/api/grants/${tokens.grant_id}`)).status).toBe(200);
    expect((await alice.call('GET', `/api/grants/${UNKNOWN}`)).status).toBe(404);
    expect((await alice.call('GET', '/api/grants/not-an-id')).status).toBe(400);
    expect(
      (await alice.call('PATCH', `/api/grants/${tokens.grant_id}`, { fields: ['email', 'purchase_history'] })).status,
    ).toBe(200);
    expect((await alice.call('PATCH', `/api/grants/${tokens.grant_id}`, {})).status).toBe(400);
    expect((await alice.call('POST', `/api/grants/${tokens.grant_id}/reapprove`)).status).toBe(409);

    // The company's new terms fail the customer's criteria: the grant is suspended until she relaxes them.
    expect((await alice.call('PUT', '/api/criteria', { requiredValueTags: ['no-resale'] })).status).toBe(200);
    expect(
      (
        await call('PUT', `/register/${shop.clientId}`, {
          json: metadata(shop, 'Replay Shop', { ...defaultTerms, valueTags: ['eu-hosting'] }),
          headers: regHeaders(shop),
        })
      ).status,
    ).toBe(200);
    expect((await readData(v, tokens.access_token, alice.handle)).status).toBe(403);
    expect((await alice.call('POST', `/api/grants/${tokens.grant_id}/reapprove`)).status).toBe(403);
    expect((await alice.call('PUT', '/api/criteria', {})).status).toBe(200);
    expect((await alice.call('POST', `/api/grants/${tokens.grant_id}/reapprove`)).status).toBe(200);
    // The criteria form: its lists, and the dry run of a change against the live grant.
    expect((await alice.call('GET', '/api/criteria/options')).status).toBe(200);
    expect((await call('GET', '/api/criteria/options')).status).toBe(401);
    const dry = await alice.call('POST', '/api/criteria/preview', { blockedCompanies: [shop.clientId] });
    expect(dry.status).toBe(200);
    expect(dry.body.revoke.length).toBeGreaterThan(0);
    expect((await alice.call('POST', '/api/criteria/preview', { maxRetentionDays: -1 })).status).toBe(400);

    const spare = await grantFor(shop, alice, ['email']);
    expect((await alice.call('DELETE', `/api/grants/${spare.grant_id}`)).status).toBe(204);
    expect((await alice.call('DELETE', `/api/grants/${UNKNOWN}`)).status).toBe(404);
  });

  it('when the company asks over the back channel and the customer answers in the dashboard, then each step answers', async () => {
    const auth = { authorization: shop.basic() };
    const ask = await form(
      `${v.url}/bc-authorize`,
      { login_hint: alice.handle, authorization_details: details(['phone'], 'order-fulfilment', 'P7D') },
      auth,
    );
    expect(ask.status).toBe(200);
    expect(
      (
        await form(
          `${v.url}/bc-authorize`,
          { login_hint: 'vh-aaaaa-aaaaa', scope: 'purpose:order-fulfilment read:phone' },
          auth,
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await form(
          `${v.url}/bc-authorize`,
          { login_hint: alice.handle, authorization_details: details(['email'], 'resale') },
          auth,
        )
      ).status,
    ).toBe(403);
    const poll = () =>
      form(
        `${v.url}/token`,
        { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: ask.body.auth_req_id },
        auth,
      );
    expect((await poll()).body.error).toBe('authorization_pending');
    const pending = await alice.call('GET', '/api/requests');
    expect(pending.status).toBe(200);
    expect((await call('GET', '/api/requests')).status).toBe(401);
    expect(
      (
        await alice.call('POST', `/api/consent/${pending.body.requests[0].id}`, {
          decision: 'approve',
          termsVersion: pending.body.requests[0].company.terms.version,
        })
      ).status,
    ).toBe(200);
    expect((await poll()).status).toBe(200);
  });

  it('when a connected product asks and the customer enters its code, then each step answers', async () => {
    const maker = await registerCompany(v, { name: 'Replay Brushco', product: 'toothbrush' });
    const auth = { authorization: maker.basic() };
    const ask = await form(
      `${v.url}/device_authorization`,
      { authorization_details: details(['devices'], 'customer-support', 'P30D', ['deposit']) },
      auth,
    );
    expect(ask.status).toBe(200);
    expect((await form(`${v.url}/device_authorization`, {}, auth)).status).toBe(400);
    const refused = await form(`${v.url}/device_authorization`, { scope: 'purpose:resale read:email' }, auth);
    expect([refused.status, refused.body.error]).toEqual([400, 'access_denied']);
    const poll = () =>
      form(
        `${v.url}/token`,
        { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: ask.body.device_code },
        auth,
      );
    expect((await poll()).body.error).toBe('authorization_pending');
    expect((await alice.call('POST', '/api/device', { code: 'BBBB-BBBB' })).status).toBe(400);
    const entered = await alice.call('POST', '/api/device', { code: ask.body.user_code });
    expect(entered.status).toBe(200);
    expect((await call('POST', '/api/device', { json: { code: ask.body.user_code } })).status).toBe(401);
    const view = await alice.call('GET', `/api/consent/${entered.body.request}`);
    expect(view.status).toBe(200);
    expect(
      (
        await alice.call('POST', `/api/consent/${entered.body.request}`, {
          decision: 'approve',
          termsVersion: view.body.company.terms.version,
        })
      ).status,
    ).toBe(200);
    v.clock.advance(5_000);
    expect((await poll()).status).toBe(200);
  });

  it('when the customer reads her inbox, reads, receipts and export, then each step answers', async () => {
    const inbox = await alice.call('GET', '/api/inbox');
    expect(inbox.status).toBe(200);
    expect((await alice.call('POST', `/api/inbox/${inbox.body.messages[0].id}/read`)).status).toBe(204);
    expect((await alice.call('POST', `/api/inbox/${UNKNOWN}/read`)).status).toBe(404);
    expect((await alice.call('POST', '/api/inbox/not-an-id/read')).status).toBe(400);
    expect((await alice.call('GET', '/api/reads')).status).toBe(200);
    expect((await alice.call('GET', '/api/reads?limit=1')).status).toBe(200);
    expect((await alice.call('GET', '/api/reads?limit=0')).status).toBe(400);
    const receipts = await alice.call('GET', '/api/receipts');
    expect(receipts.status).toBe(200);
    expect((await alice.call('GET', `/api/receipts/${receipts.body.receipts[0].id}`)).status).toBe(200);
    expect((await alice.call('GET', `/api/receipts/${UNKNOWN}`)).status).toBe(404);
    expect((await alice.call('GET', '/api/export')).status).toBe(200);
    expect((await call('GET', '/api/export')).status).toBe(401);
    // Signed out, the dashboard's reads are refused the same way.
    for (const path of ['/api/grants', '/api/profile', '/api/criteria', '/api/inbox'])
      expect((await call('GET', path)).status).toBe(401);
  });

  it('when an auditor searches, exports and checkpoints the log, then each step answers', async () => {
    const email = uniqueEmail('auditor');
    await v.vault.services.accounts.createAuditor({ email, password: 'correct horse battery staple' });
    const auditor = new Customer(v.url);
    expect((await auditor.signIn(email)).status).toBe(200);
    expect((await auditor.call('GET', '/api/audit/events')).status).toBe(200);
    expect((await auditor.call('GET', '/api/audit/events?action=data.read&limit=5')).status).toBe(200);
    expect((await auditor.call('GET', '/api/audit/events?action=gossip')).status).toBe(400);
    expect((await alice.call('GET', '/api/audit/events')).status).toBe(403);
    expect((await auditor.call('GET', '/api/audit/export')).status).toBe(200);
    expect((await auditor.call('GET', '/api/audit/export?format=csv&action=data.read')).status).toBe(200);
    expect((await auditor.call('GET', '/api/audit/export?format=xml')).status).toBe(400);
    // A new event, so that the head moves past the export's checkpoint: a new one is signed (201);
    // asked again at once, the same head is covered and the latest checkpoint comes back.
    await v.vault.services.accounts.signIn({ email, password: 'correct horse battery staple' });
    expect((await auditor.call('POST', '/api/audit/checkpoints')).status).toBe(201);
    expect([200, 201]).toContain((await auditor.call('POST', '/api/audit/checkpoints')).status);
    expect((await call('POST', '/api/audit/checkpoints', { headers: { cookie: auditor.cookie } })).status).toBe(403);
    expect((await auditor.call('GET', '/api/audit/checkpoints')).status).toBe(200);
    expect((await call('GET', '/api/audit/checkpoints')).status).toBe(401);
    expect((await auditor.call('GET', `/authorize?client_id=${shop.clientId}`)).status).toBe(403);
    expect((await auditor.call('GET', '/api/reads')).status).toBe(403);
    expect((await auditor.call('GET', '/api/receipts')).status).toBe(403);
  });

  it('when a grant ends, the company confirms its deletion and the customer renews another, then each step answers', async () => {
    const leaving = await registerCompany(v, { name: 'Replay Leaving Shop' });
    const cc = { grant_type: 'client_credentials', scope: 'grant_management' };
    const m = bearer((await form(`${v.url}/token`, cc, { authorization: leaving.basic() })).body.access_token);
    const ending = await grantFor(leaving, alice, ['phone']);
    expect((await alice.call('DELETE', `/api/grants/${ending.grant_id}`)).status).toBe(204);
    const list = await call('GET', '/company/deletions', { headers: m });
    expect(list.status).toBe(200);
    expect((await call('GET', '/company/deletions?status=lost', { headers: m })).status).toBe(400);
    const id = list.body.deletions.find((d: { grantId: string }) => d.grantId === ending.grant_id).id;
    expect((await call('GET', `/company/deletions/${id}`, { headers: m })).status).toBe(200);
    expect((await call('GET', `/company/deletions/${UNKNOWN}`, { headers: m })).status).toBe(404);
    expect((await call('POST', `/company/deletions/${id}`, { headers: m, json: { kept: {} } })).status).toBe(400);
    const until = new Date(v.clock.now().getTime() + 365 * 86_400_000).toISOString();
    const kept = { kept: { fields: ['phone'], until } };
    expect((await call('POST', `/company/deletions/${id}`, { headers: m, json: kept })).status).toBe(200);
    expect((await alice.call('GET', '/api/deletions')).status).toBe(200);
    expect((await call('GET', '/api/deletions')).status).toBe(401);
    const email = uniqueEmail('deletion-auditor');
    await v.vault.services.accounts.createAuditor({ email, password: 'correct horse battery staple' });
    const auditor = new Customer(v.url);
    expect((await auditor.signIn(email)).status).toBe(200);
    expect((await auditor.call('GET', '/api/audit/deletions?status=confirmed')).status).toBe(200);
    expect((await auditor.call('GET', '/api/audit/deletions?limit=0')).status).toBe(400);
    const renewing = await grantFor(shop, alice, ['email']);
    expect((await alice.call('POST', `/api/grants/${renewing.grant_id}/renew`)).status).toBe(200);
    expect((await alice.call('POST', `/api/grants/${ending.grant_id}/renew`)).status).toBe(409);
  });

  it('when customers sign out and delete their account, then each step answers', async () => {
    const bob = await new Customer(v.url).signUp(uniqueEmail('bob'));
    expect((await bob.call('DELETE', '/api/account', { confirm: 'yes please' })).status).toBe(400);
    expect((await bob.call('DELETE', '/api/account', { confirm: 'delete my account' })).status).toBe(204);
    expect((await alice.call('DELETE', '/api/session')).status).toBe(204);
    expect((await call('DELETE', '/api/session')).status).toBe(401);
  });

  it('when every recorded response is checked against the document, then all validate and every route was exercised', () => {
    const checker = createChecker(doc);
    const problems: string[] = [];
    const seen = new Map<string, { ok: boolean; error: boolean }>();
    for (const x of rec.exchanges as Exchange[]) {
      const r = checker.check(x);
      problems.push(...r.problems);
      if (!r.key) continue;
      const s = seen.get(r.key) ?? { ok: false, error: false };
      if (x.status < 400) s.ok = true;
      else s.error = true;
      seen.set(r.key, s);
    }
    expect(problems).toEqual([]);

    // Every route the running app serves was called, successfully, and with an error where it documents one.
    const served = new Set(routesOf(v.vault.app).map(keyOf));
    const documentedErrors = (op: any) => Object.keys(op.responses).some((s) => /^4\d\d$/.test(s));
    const missing: string[] = [];
    for (const { key, op } of checker.operations) {
      if (!served.has(key)) continue;
      const s = seen.get(key);
      if (!s?.ok) missing.push(`${key}: never answered with success`);
      if (documentedErrors(op) && !s?.error) missing.push(`${key}: never answered with an error`);
    }
    expect(missing).toEqual([]);
    expect(rec.exchanges.length).toBeGreaterThan(100);
  });
});

describe('the replay checker itself', () => {
  it('when a recorded body breaks its schema, an undocumented status or media type appears, then it says so', async () => {
    const d = doc ?? (await (await fetch(`${v.url}/openapi.json`)).json());
    const checker = createChecker(d);
    const x = (over: Partial<Exchange>): Exchange => ({
      method: 'GET',
      url: new URL(`${v.url}/api/grants`),
      requestType: '',
      requestBody: '',
      status: 200,
      responseType: 'application/json; charset=utf-8',
      headers: new Headers(),
      body: '{"grants":[]}',
      ...over,
    });
    expect(checker.check(x({})).problems).toEqual([]);
    expect(checker.check(x({ body: '{"grants":[{"id":"x"}]}' })).problems.join()).toMatch(
      /must have required property/,
    );
    expect(checker.check(x({ body: '{"grants":[],"extra":1}' })).problems.join()).toMatch(/additional properties/);
    expect(checker.check(x({ status: 418 })).problems.join()).toMatch(/418 is not documented/);
    expect(checker.check(x({ responseType: 'text/html' })).problems.join()).toMatch(/media type "text\/html"/);
    expect(
      checker
        .check(x({ status: 401, responseType: 'application/problem+json', body: '{"title":"x"}' }))
        .problems.join(),
    ).toMatch(/required property 'type'/);
    expect(checker.check(x({ url: new URL(`${v.url}/api/nowhere`) })).problems.join()).toMatch(
      /no documented operation/,
    );
  });
});
