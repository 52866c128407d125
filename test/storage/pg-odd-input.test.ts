import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Customer } from '../support/browser-like.ts';
import { form, type RegisteredCompany } from '../support/company.ts';
import { vaultOnOwnCluster } from '../support/pg-vault.ts';
import type { PostgresCluster } from '../support/postgres.ts';
import type { RunningVault } from '../support/vault.ts';

/**
 * Odd input through the real server on PostgreSQL, deep enough to reach the database (valid shapes carrying a NUL
 * byte, a lone surrogate, out-of-range numbers): PostgreSQL refuses NUL in text where SQLite just finds no row, and
 * none of it may answer 5xx (test/foundation/no-server-errors.test.ts covers malformed shapes on both back ends).
 * A cluster of this file's own.
 */
let cluster: PostgresCluster;
let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;
let token: string;

beforeAll(async () => {
  ({ cluster, v, shop, alice, token } = await vaultOnOwnCluster('odd', ['phone']));
}, 60_000);
afterAll(async () => {
  await v?.close();
  cluster?.stop();
});

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('odd input that reaches PostgreSQL', () => {
  it('when valid-looking requests carry NUL bytes, lone surrogates or huge numbers, then none answers 5xx', async () => {
    const bearer = { authorization: `Bearer ${token}` };
    const out: string[] = [];
    const get = async (path: string, headers: Record<string, string> = bearer) => {
      const r = await fetch(v.url + path, { headers, redirect: 'manual' });
      out.push(`${r.status} GET ${path.slice(0, 120)} ${r.status >= 500 ? (await r.text()).slice(0, 200) : ''}`);
    };
    const send = async (method: string, path: string, body: unknown, who?: Customer, headers = {}) => {
      const r = await fetch(v.url + path, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(who ? { cookie: who.cookie, 'x-csrf-token': who.csrf } : {}),
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        redirect: 'manual',
      });
      out.push(
        `${r.status} ${method} ${path.slice(0, 80)} ${String(typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 80)}`,
      );
    };
    const rec = `/data/customers/${alice.handle}/records`;
    await get(`${rec}?cursor=${b64({ createdAt: '2026-01-01T00:00:00Z', id: '\ud800' })}`);
    await get(`${rec}?source=%00`);
    await get(`${rec}?since=2026-01-01T00:00:00%2B14:00`);
    await get(`${rec}?since=0001-01-01T00:00:00Z`);
    await get(`${rec}?since=9999-12-31T23:59:59Z`);
    await send(
      'POST',
      rec,
      { category: 'purchases', content: { 'a\u0000': 'b\u0000' }, idempotencyKey: 'x' },
      undefined,
      bearer,
    );
    await send('POST', rec, '{"category":"purchases","content":{"x":"\\ud800"}}', undefined, bearer);
    await get(`/data/customers/${alice.handle}/claims/%00`);
    await get(`/api/audit/events?before=9007199254740991`, { cookie: alice.cookie });
    await get(`/api/audit/events?before=1e300`, { cookie: alice.cookie });
    await get(`/api/reads?before=9007199254740991`, { cookie: alice.cookie });
    await get(`/api/reads?before=92233720368547758070`, { cookie: alice.cookie });
    await get(`/api/grants/%00`, { cookie: alice.cookie });
    await get(`/api/consent/%00`, { cookie: alice.cookie });
    await get(`/api/receipts/%00`, { cookie: alice.cookie });
    await get(`/api/records/%00`, { cookie: alice.cookie });
    await send('PUT', `/api/records/%00/hidden`, { hidden: true }, alice);
    await send('PUT', `/api/records/${'a'.repeat(5000)}/hidden`, { hidden: true }, alice);
    await send('PATCH', `/api/grants/%00`, { fields: ['phone'] }, alice);
    await send('DELETE', `/api/grants/%00`, {}, alice);
    await send('POST', `/api/inbox/%00/read`, {}, alice);
    await send('PATCH', '/api/profile', { phone: '\u0000' }, alice);
    await send('PATCH', '/api/profile', { phone: '\ud800' }, alice);
    await send('PUT', '/api/criteria', { recordsNeverFrom: ['\u0000'] }, alice);
    await send('POST', '/api/session', { email: 'a\u0000@example.com', password: 'x\u0000' });
    await send('POST', '/api/account', { email: `x${'\u0000'}@example.com` });
    await send('POST', '/par', `client_id=${shop.clientId}&response_type=code&state=%00&redirect_uri=%00`, undefined, {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: shop.basic(),
    });
    const nulBasic = 'Basic ' + Buffer.from('a%00b:secret').toString('base64');
    const r1 = await form(`${v.url}/token`, { grant_type: 'client_credentials' }, { authorization: nulBasic });
    out.push(`${r1.status} token NUL basic`);
    const r2 = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: '\u0000' },
      { authorization: shop.basic() },
    );
    out.push(`${r2.status} token NUL refresh`);
    const r3 = await form(
      `${v.url}/token`,
      { grant_type: 'authorization_code', code: '\u0000', redirect_uri: '\u0000', code_verifier: '\u0000'.repeat(50) },
      { authorization: shop.basic() },
    );
    out.push(`${r3.status} token NUL code`);
    const r4 = await form(`${v.url}/token`, {
      grant_type: 'client_credentials',
      client_id: 'a\u0000',
      client_secret: 'x',
    });
    out.push(`${r4.status} token NUL client_id in body`);
    const r5 = await form(`${v.url}/introspect`, { token: '\u0000' }, { authorization: shop.basic() });
    out.push(`${r5.status} introspect NUL`);
    const r6 = await form(
      `${v.url}/revoke`,
      { token: '\u0000', token_type_hint: 'refresh_token' },
      { authorization: shop.basic() },
    );
    out.push(`${r6.status} revoke NUL`);
    const r7 = await form(`${v.url}/device_authorization`, { client_id: 'a\u0000' });
    out.push(`${r7.status} device NUL`);
    const r8 = await form(
      `${v.url}/bc-authorize`,
      { login_hint: 'a\u0000', scope: 'x' },
      { authorization: shop.basic() },
    );
    out.push(`${r8.status} bc NUL`);
    await get(`/authorize?client_id=${shop.clientId}&request_uri=urn:ietf:params:oauth:request_uri:%00`, {
      cookie: alice.cookie,
      accept: 'text/html',
    });
    await get(`/register/%00`, { authorization: 'Bearer x' });
    await get(`/company/receipts/%00`);
    await get(`/company/grants?status=%00`);
    await get(`/company/benefits?grant_id=%00`);
    await send('POST', '/company/benefits', { grant_id: '\u0000', key: '\u0000', kind: 'discount' }, undefined, bearer);
    await send('POST', '/company/deletions', { grant_id: '\u0000' }, undefined, bearer);
    expect(out.filter((l) => Number(l.slice(0, 3)) >= 500)).toEqual([]);
  }, 60_000);
});

describe('a records cursor forged with a NUL byte in its id', () => {
  it('when a company sends it, then the answer is a 400 problem, not an audit outage', async () => {
    const cursor = b64({ createdAt: '2026-01-01T00:00:00Z', id: 'a\u0000b' });
    const r = await fetch(`${v.url}/data/customers/${alice.handle}/records?cursor=${cursor}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await r.json()).toMatchObject({ status: 400 });
  });
});
