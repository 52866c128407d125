import { readFileSync } from 'node:fs';
import { compactVerify, createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { form, obtainTokens, readData, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf, rowOf, rowsOf } from '../support/rows.ts';
import { ON_POSTGRES } from '../support/test-database.ts';

let v: RunningVault;
let shopA: RegisteredCompany;
let shopB: RegisteredCompany;
let alice: Customer;

beforeAll(async () => {
  v = await startVault();
  shopA = await registerCompany(v, { name: 'Shop A' });
  shopB = await registerCompany(v, { name: 'Shop B' });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await alice.call('PATCH', '/api/profile', { phone: '+32 470 31 41 59', street_address: 'Pi Street 3' });
});
afterAll(async () => v.close());

async function managementToken(c: RegisteredCompany) {
  const r = await form(
    `${v.url}/token`,
    { grant_type: 'client_credentials', scope: 'grant_management' },
    { authorization: c.basic() },
  );
  expect(r.status).toBe(200);
  return r.body.access_token as string;
}
const asCompany = (token: string, method: string, path: string) =>
  fetch(`${v.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });

describe('grant management for companies (client_credentials, scope grant_management)', () => {
  it('when a company lists, reads and revokes its own grants, then it works, and another company sees none of them', async () => {
    const t = await obtainTokens(v, shopA, alice);
    const a = await managementToken(shopA);
    const b = await managementToken(shopB);
    const list = await (await asCompany(a, 'GET', '/company/grants')).json();
    expect(list.grants.map((g: { id: string }) => g.id)).toContain(t.grant_id);
    expect((await (await asCompany(b, 'GET', '/company/grants')).json()).grants).toEqual([]);
    expect((await asCompany(b, 'GET', `/company/grants/${t.grant_id}`)).status).toBe(404);
    expect((await asCompany(b, 'DELETE', `/company/grants/${t.grant_id}`)).status).toBe(404);
    const one = await (await asCompany(a, 'GET', `/company/grants/${t.grant_id}`)).json();
    expect(one).toMatchObject({ id: t.grant_id, status: 'active', purpose: 'order-fulfilment' });
    expect((await asCompany(a, 'DELETE', `/company/grants/${t.grant_id}`)).status).toBe(204);
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(401);
    const mine = (await alice.call('GET', `/api/grants/${t.grant_id}`)).body;
    expect(mine).toMatchObject({ status: 'revoked', statusReason: 'Revoked by the company' });
  });

  it('when a data-access token is used on the management API (or the reverse), then it is refused', async () => {
    const t = await obtainTokens(v, shopA, alice);
    expect((await asCompany(t.access_token, 'GET', '/company/grants')).status).toBe(401);
    const m = await managementToken(shopA);
    expect((await readData(v, m, alice.handle)).status).toBe(401);
  });

  it('when the company is disabled, then its live management token is refused at once, for lists, receipts and revocations', async () => {
    const shopC = await registerCompany(v, { name: 'Shop C' });
    const t = await obtainTokens(v, shopC, alice);
    const m = await managementToken(shopC);
    expect((await asCompany(m, 'GET', '/company/grants')).status).toBe(200);
    await v.vault.services.companies.disable(shopC.clientId);
    for (const [method, path] of [
      ['GET', '/company/grants'],
      ['GET', '/company/receipts'],
      ['DELETE', `/company/grants/${t.grant_id}`],
    ] as const) {
      const r = await asCompany(m, method, path);
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/invalid_token/);
    }
  });

  it('when the company revokes its management token (RFC 7009), then the token is refused at once, for lists, receipts and revocations', async () => {
    const t = await obtainTokens(v, shopA, alice);
    const m = await managementToken(shopA);
    expect((await asCompany(m, 'GET', '/company/grants')).status).toBe(200);
    expect((await form(`${v.url}/revoke`, { token: m }, { authorization: shopA.basic() })).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/company/grants'],
      ['GET', '/company/receipts'],
      ['DELETE', `/company/grants/${t.grant_id}`],
    ] as const) {
      const r = await asCompany(m, method, path);
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    }
    expect((await alice.call('GET', `/api/grants/${t.grant_id}`)).body.status).toBe('active');
    expect((await asCompany(await managementToken(shopA), 'GET', '/company/grants')).status).toBe(200);
  });
});

describe('an access token the company revoked (RFC 7009)', () => {
  it('when a data token is revoked, then the very next read and deposit are refused on every path, and other tokens of the grant still work', async () => {
    const t = await obtainTokens(v, shopA, alice, {
      fields: ['phone', 'street_address'],
      actions: ['read', 'deposit'],
      purpose: 'order-fulfilment',
    });
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(200);
    expect((await form(`${v.url}/revoke`, { token: t.access_token }, { authorization: shopA.basic() })).status).toBe(
      200,
    );
    const auth = { authorization: `Bearer ${t.access_token}` };
    for (const path of [
      `/data/customers/${alice.handle}`,
      `/data/customers/${alice.handle}/`,
      `/data/customers/${alice.handle}?fields=phone`,
    ]) {
      const r = await fetch(`${v.url}${path}`, { headers: auth });
      expect(r.status, path).toBe(401);
      expect((await r.json()).detail, path).toMatch(/revoked/);
    }
    const deposit = await fetch(`${v.url}/data/customers/${alice.handle}/records`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'purchases', content: { order: 'A-1' } }),
    });
    expect(deposit.status).toBe(401);
    const refreshed = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: t.refresh_token },
      { authorization: shopA.basic() },
    );
    expect(refreshed.status).toBe(200);
    expect((await readData(v, refreshed.body.access_token, alice.handle)).status).toBe(200);
  });
});

describe('customers manage their grants', () => {
  it('when the customer narrows a grant, then the company reads only what is left, and widening is refused', async () => {
    const t = await obtainTokens(v, shopA, alice, { fields: ['email', 'phone'] });
    const narrowed = await alice.call('PATCH', `/api/grants/${t.grant_id}`, { fields: ['phone'] });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.fields).toEqual(['phone']);
    const r = await readData(v, t.access_token, alice.handle);
    expect(Object.keys(r.body.fields)).toEqual(['phone']);
    expect((await readData(v, t.access_token, alice.handle, ['email'])).status).toBe(403);
    expect(
      (await alice.call('PATCH', `/api/grants/${t.grant_id}`, { fields: ['phone', 'street_address'] })).status,
    ).toBe(400);
    const later = new Date(Date.now() + 400 * 86_400_000).toISOString();
    expect((await alice.call('PATCH', `/api/grants/${t.grant_id}`, { expiresAt: later })).status).toBe(400);
  });
});

describe('deposits into the customer vault', () => {
  it('when a company with a deposit grant deposits a record, then it is sealed, audited, and shown in the customer export', async () => {
    const t = await obtainTokens(v, shopA, alice, {
      actions: ['read', 'deposit'],
      fields: ['email', 'street_address'],
    });
    const res = await fetch(`${v.url}/data/customers/${alice.handle}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'address', content: { note: 'Delivered to Mailbox-7731 at the back door' } }),
    });
    expect(res.status).toBe(201);
    // At rest: SQLite's file and its log, or on PostgreSQL every column of the stored records.
    const dump = ON_POSTGRES
      ? Buffer.concat(
          (await rowsOf(v, 'select * from records')).flatMap((r) =>
            Object.values(r).map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(String(c)))),
          ),
        )
      : Buffer.concat([readFileSync(`${v.dataDir}/vault.db`), readFileSync(`${v.dataDir}/vault.db-wal`)]);
    expect(dump.length).toBeGreaterThan(0);
    expect(dump.includes(Buffer.from('Mailbox-7731'))).toBe(false);
    const exp = (await alice.call('GET', '/api/export')).body;
    expect(exp.records.map((r: { content: { note: string } }) => r.content.note)).toContain(
      'Delivered to Mailbox-7731 at the back door',
    );
    const ev = (await rowOf<{ body: string }>(
      v,
      "select body from audit_events where action = 'data.deposit' order by seq desc limit 1",
    ))!;
    expect(ev.body).toContain('"category":"address"');
    expect(ev.body).not.toContain('Mailbox');
  });

  it('when a read-only grant tries to deposit, or deposits outside its categories, then 403 and nothing is stored', async () => {
    const ro = await obtainTokens(v, shopA, alice, { fields: ['email'] });
    const deposit = (token: string, category: string) =>
      fetch(`${v.url}/data/customers/${alice.handle}/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ category, content: { x: 1 } }),
      });
    const before = await countOf(v, 'select count(*) AS n from records');
    expect((await deposit(ro.access_token, 'contact')).status).toBe(403);
    const rw = await obtainTokens(v, shopA, alice, { fields: ['email'], actions: ['read', 'deposit'] });
    expect((await deposit(rw.access_token, 'health')).status).toBe(403);
    expect(await countOf(v, 'select count(*) AS n from records')).toBe(before);
  });

  it('when deposited content nests thousands of levels deep, then 400 problem+json and nothing is stored', async () => {
    const rw = await obtainTokens(v, shopA, alice, { fields: ['email'], actions: ['read', 'deposit'] });
    const before = await countOf(v, 'select count(*) AS n from records');
    const body = `{"category":"contact","content":{"a":${'['.repeat(4200)}${']'.repeat(4200)}}}`;
    const res = await fetch(`${v.url}/data/customers/${alice.handle}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rw.access_token}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await countOf(v, 'select count(*) AS n from records')).toBe(before);
  });
});

describe('signing-key rotation', () => {
  it('when the signing key rotates, then tokens signed by the old key still verify and both keys are in the JWKS', async () => {
    const t = await obtainTokens(v, shopA, alice);
    const oldKid = JSON.parse(Buffer.from(t.access_token.split('.')[0]!, 'base64url').toString()).kid;
    const newKid = await v.ctx.signing.rotate();
    const jwks = await (await fetch(`${v.url}/jwks.json`)).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(200);
    const fresh = await obtainTokens(v, shopA, alice);
    const { protectedHeader } = await compactVerify(fresh.access_token, createLocalJWKSet(jwks));
    expect(protectedHeader.kid).toBe(newKid);
    // After the grace period the retired key leaves the JWKS.
    v.clock.advance(86_400_000 + 1000);
    const later = await (await fetch(`${v.url}/jwks.json`)).json();
    expect(later.keys.map((k: { kid: string }) => k.kid)).toEqual([newKid]);
  });
});
