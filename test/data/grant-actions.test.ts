import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { details, form, obtainTokens, readData, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf, rowsOf } from '../support/rows.ts';

// A grant's actions are enforced on every use, from the grant row, in the audited unit: a grant that
// lists only `deposit` releases no field, however the grant came to be deposit-only, and nothing the
// company or the customer is shown says "read" for it.

const PHONE = '+32 470 31 41 59';
const PURCHASE = {
  merchant: 'Deposit Shop',
  items: [{ name: 'Order A-1001', quantity: 1, price: 10 }],
  total: 10,
  currency: 'EUR',
  time: '2026-11-01T10:00:00Z',
};
let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Deposit Shop' });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  expect((await alice.call('PATCH', '/api/profile', { phone: PHONE })).status).toBe(200);
});
afterAll(async () => v.close());

const FIELDS = ['phone', 'purchase_history'];
const events = async (grantId: string, action: string) =>
  (
    await rowsOf<{ body: string }>(
      v,
      'select body from audit_events where grant_id = ? and action = ? order by seq',
      grantId,
      action,
    )
  ).map((r) => JSON.parse(r.body));
const deposit = (token: string, category = 'purchases') =>
  fetch(`${v.url}/data/customers/${alice.handle}/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ category, content: PURCHASE }),
  });
const introspect = (token: string) => form(`${v.url}/introspect`, { token }, { authorization: shop.basic() });
const refresh = (rt: string) =>
  form(`${v.url}/token`, { grant_type: 'refresh_token', refresh_token: rt }, { authorization: shop.basic() });

/** The read a deposit-only token must not make: 403 problem+json, no value, and a data.denied event. */
async function expectReadRefused(token: string, grantId: string) {
  const deniedBefore = (await events(grantId, 'data.denied')).length;
  for (const fields of [undefined, ['phone']]) {
    const r = await readData(v, token, alice.handle, fields);
    expect(r.status).toBe(403);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body.reasons.map((x: { code: string }) => x.code)).toEqual(['READ_NOT_GRANTED']);
    expect(r.body.fields).toBeUndefined();
    expect(JSON.stringify(r.body)).not.toContain(PHONE);
  }
  expect(await events(grantId, 'data.read')).toEqual([]);
  const denied = (await events(grantId, 'data.denied')).slice(deniedBefore);
  expect(denied).toHaveLength(2);
  for (const e of denied) expect(e).toMatchObject({ decision: 'deny', reasons: [{ code: 'READ_NOT_GRANTED' }] });
}

/** Nothing the company is told (token response, token claims, introspection) says "read". */
async function expectNoReadInScope(tokenResponse: { access_token: string; scope?: string }) {
  const claims = JSON.parse(Buffer.from(tokenResponse.access_token.split('.')[1]!, 'base64url').toString());
  const inspected = (await introspect(tokenResponse.access_token)).body;
  expect(inspected.active).toBe(true);
  for (const scope of [tokenResponse.scope, claims.scope, inspected.scope]) {
    expect(scope).toBe('purpose:order-fulfilment deposit:phone deposit:purchase_history duration:30');
    expect(scope).not.toMatch(/\bread\b/);
  }
  expect(claims.authorization_details[0].actions).toEqual(['deposit']);
}

describe('a grant that lists only deposit', () => {
  it('when it was asked that way (authorization_details), then reads are refused and audited, deposits work, and nothing says "read"', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: FIELDS, actions: ['deposit'] });
    await expectReadRefused(t.access_token, t.grant_id);
    await expectNoReadInScope(t);
    expect((await deposit(t.access_token)).status).toBe(201);
    const inbox = (await alice.call('GET', '/api/inbox')).body.messages as { kind: string; body: any }[];
    const approved = inbox.find((m) => m.kind === 'grant.approved' && m.body.grantId === t.grant_id)!;
    expect(approved.body.text).toContain('add records (phone number, purchase history) to your vault');
    expect(approved.body.text).not.toMatch(/may read/);
    expect(approved.body.text).toContain('It cannot read your data.');
  });

  it('when it was asked with the scope form deposit:<field>, then the grant is deposit-only and reads are refused', async () => {
    const scope = 'purpose:order-fulfilment deposit:phone deposit:purchase_history duration:30';
    const par = await form(
      `${v.url}/par`,
      {
        response_type: 'code',
        client_id: shop.clientId,
        redirect_uri: 'http://127.0.0.1:9/cb',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
        scope,
      },
      { authorization: shop.basic() },
    );
    expect(par.status).toBe(201);
    const id = par.body.request_uri.split(':').pop();
    const row = (await v.vault.services.oauthStore.request(id))!;
    expect(JSON.parse(row.details)).toMatchObject({ fields: FIELDS, actions: ['deposit'] });
    // Mixing the two forms would be ambiguous (a grant's actions cover all its fields): refused.
    const mixed = await form(
      `${v.url}/par`,
      {
        response_type: 'code',
        client_id: shop.clientId,
        redirect_uri: 'http://127.0.0.1:9/cb',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
        scope: 'purpose:order-fulfilment read:phone deposit:purchase_history',
      },
      { authorization: shop.basic() },
    );
    expect(mixed.status).toBe(400);
    expect(mixed.body.error).toBe('invalid_scope');
  });

  it('when the customer kept only deposit at consent, then reads are refused and audited, and nothing says "read"', async () => {
    const t = await obtainTokens(v, shop, alice, {
      fields: FIELDS,
      actions: ['read', 'deposit'],
      approve: { actions: ['deposit'] },
    });
    const grant = (await alice.call('GET', `/api/grants/${t.grant_id}`)).body;
    expect(grant.actions).toEqual(['deposit']);
    await expectReadRefused(t.access_token, t.grant_id);
    await expectNoReadInScope(t);
    expect((await deposit(t.access_token)).status).toBe(201);
  });

  it('when the customer tries to approve an action that was not asked for, then 403 and no grant', async () => {
    await expect(
      obtainTokens(v, shop, alice, { fields: FIELDS, actions: ['deposit'], approve: { actions: ['read'] } }),
    ).rejects.toThrow(/consent failed: 403/);
  });

  it('when the customer narrows a live grant to deposit, then the very next read with the old token is refused', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: FIELDS, actions: ['read', 'deposit'] });
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(200);
    expect((await alice.call('PATCH', `/api/grants/${t.grant_id}`, { actions: ['deposit'] })).status).toBe(200);
    const denied = (await events(t.grant_id, 'data.denied')).length;
    const r = await readData(v, t.access_token, alice.handle);
    expect(r.status).toBe(403);
    expect(r.body.reasons[0].code).toBe('READ_NOT_GRANTED');
    expect(await events(t.grant_id, 'data.denied')).toHaveLength(denied + 1);
    const inbox = (await alice.call('GET', '/api/inbox')).body.messages as { kind: string; body: any }[];
    const narrowed = inbox.find((m) => m.kind === 'grant.narrowed' && m.body.grantId === t.grant_id)!;
    expect(narrowed.body.text).not.toMatch(/may (now only )?read/);
    expect(narrowed.body.text).toContain('It cannot read your data.');
  });

  it('when the token is refreshed, then the new token is deposit-only too', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: FIELDS, actions: ['deposit'] });
    const r = await refresh(t.refresh_token);
    expect(r.status).toBe(200);
    await expectReadRefused(r.body.access_token, t.grant_id);
    await expectNoReadInScope(r.body);
  });

  it('when it was auto-approved over the back channel, then reads are refused with the polled token', async () => {
    const bob = await new Customer(v.url).signUp(uniqueEmail('bob'));
    expect((await bob.call('PATCH', '/api/profile', { phone: PHONE })).status).toBe(200);
    const criteria = await bob.call('PUT', '/api/criteria', {
      autoApprove: [
        {
          purposes: ['customer-support'],
          categories: ['contact', 'purchases'],
          actions: ['deposit'],
          maxDurationDays: 30,
        },
      ],
    });
    expect(criteria.status).toBe(200);
    const ask = await form(
      `${v.url}/bc-authorize`,
      { login_hint: bob.handle, authorization_details: details(FIELDS, 'customer-support', 'P7D', ['deposit']) },
      { authorization: shop.basic() },
    );
    expect(ask.status).toBe(200);
    const t = await form(
      `${v.url}/token`,
      { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: ask.body.auth_req_id },
      { authorization: shop.basic() },
    );
    expect(t.status).toBe(200);
    expect(t.body.scope).not.toMatch(/\bread\b/);
    const grant = (await bob.call('GET', `/api/grants/${t.body.grant_id}`)).body;
    expect(grant).toMatchObject({ autoApproved: true, actions: ['deposit'] });
    const r = await readData(v, t.body.access_token, bob.handle);
    expect(r.status).toBe(403);
    expect(r.body.reasons[0].code).toBe('READ_NOT_GRANTED');
    expect(JSON.stringify(r.body)).not.toContain(PHONE);
    expect(await events(t.body.grant_id, 'data.denied')).toHaveLength(1);
    expect(await events(t.body.grant_id, 'data.read')).toEqual([]);
  });

  it('when a read-only grant deposits, then 403 DEPOSIT_NOT_GRANTED, audited, and nothing is stored', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: FIELDS, actions: ['read'] });
    const records = () => countOf(v, 'select count(*) AS n from records');
    const before = await records();
    const r = await deposit(t.access_token);
    expect(r.status).toBe(403);
    expect((await r.json()).reasons[0].code).toBe('DEPOSIT_NOT_GRANTED');
    expect(await records()).toBe(before);
    expect(await events(t.grant_id, 'data.denied')).toHaveLength(1);
  });
});
