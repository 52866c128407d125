import { compactVerify, createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import {
  defaultTerms,
  form,
  obtainTokens,
  readData,
  registerCompany,
  type RegisteredCompany,
} from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { auditRows } from '../support/rows.ts';

const DAY = 86_400_000;
let v: RunningVault;
let shop: RegisteredCompany;
let other: RegisteredCompany;
let auditorEmail: string;
// Tests move the clock past session lifetimes: each test signs up its own customer.
const fresh = async () => {
  const c = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await c.call('PATCH', '/api/profile', { phone: '+32 470 31 41 59' });
  return c;
};

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Northwind Deletions' });
  other = await registerCompany(v, { name: 'Other Deletions' });
  auditorEmail = uniqueEmail('auditor');
  await v.vault.services.accounts.createAuditor({ email: auditorEmail, password: 'auditor passphrase 1' });
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

async function asCompany(c: RegisteredCompany, method: string, path: string, body?: unknown) {
  const res = await fetch(`${v.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await managementToken(c)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const deletionOf = async (c: RegisteredCompany, grantId: string) =>
  (await asCompany(c, 'GET', '/company/deletions')).body.deletions.find((d: any) => d.grantId === grantId);
const auditOf = async (action: string, grantId: string) =>
  (await auditRows(v)).filter((e) => e.action === action && e.grantId === grantId).map((e) => JSON.parse(e.body));

describe('deletion requests when a grant ends', () => {
  it('when the customer revokes, then the company gets a deletion request naming the grant, fields and deadline, audited and receipted', async () => {
    const alice = await fresh();
    const t = await obtainTokens(v, shop, alice, { fields: ['email', 'phone'] });
    expect((await alice.call('DELETE', `/api/grants/${t.grant_id}`)).status).toBe(204);
    const d = await deletionOf(shop, t.grant_id);
    // The company's terms keep data 90 days; the platform's maximum (policies/after-consent.yaml) is 30.
    expect(d).toMatchObject({ grantId: t.grant_id, cause: 'revoked-by-customer', status: 'open', records: [] });
    expect(d.fields.sort()).toEqual(['email', 'phone']);
    expect(Date.parse(d.dueAt) - Date.parse(d.requestedAt)).toBe(30 * DAY);
    const [event] = await auditOf('deletion.requested', t.grant_id);
    expect(event).toMatchObject({
      actor: { kind: 'system' },
      detail: { deletionId: d.id, cause: 'revoked-by-customer' },
    });
    const receipt = await asCompany(shop, 'GET', `/company/receipts/${d.receiptId}`);
    expect(receipt.status).toBe(200);
    const jwks = createLocalJWKSet(await (await fetch(`${v.url}/jwks.json`)).json());
    const { payload } = await compactVerify(receipt.body.jws, jwks);
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({
      event: 'deletion-requested',
      deletion: { id: d.id, grant: t.grant_id, due: d.dueAt },
    });
    expect((await deletionOf(other, t.grant_id)) ?? null).toBeNull();
  });

  it('when the company terms keep data for less than the platform maximum, then the deadline is its own retention', async () => {
    const alice = await fresh();
    const brief = await registerCompany(v, { terms: { ...defaultTerms, retentionDays: 7 } });
    const t = await obtainTokens(v, brief, alice, { duration: 'P10D' });
    v.clock.advance(11 * DAY);
    await v.vault.sweep();
    const d = await deletionOf(brief, t.grant_id);
    expect(d).toMatchObject({ cause: 'expired', status: 'open' });
    expect(Date.parse(d.dueAt) - Date.parse(d.requestedAt)).toBe(7 * DAY);
  });

  it.each([
    ['company-disabled', async (_t: string, c: RegisteredCompany) => v.vault.services.companies.disable(c.clientId)],
    [
      'company-blocked',
      async (_t: string, c: RegisteredCompany, who: Customer) =>
        expect((await who.call('PUT', '/api/criteria', { blockedCompanies: [c.clientId] })).status).toBe(200),
    ],
    [
      'revoked-by-company',
      async (t: string, c: RegisteredCompany) =>
        expect((await asCompany(c, 'DELETE', `/company/grants/${t}`)).status).toBe(204),
    ],
    [
      'account-deleted',
      async (_t: string, _c: RegisteredCompany, who: Customer) =>
        expect((await who.call('DELETE', '/api/account', { confirm: 'delete my account' })).status).toBe(204),
    ],
    [
      'lapsed',
      async (t: string) => {
        const row = (await v.vault.services.grants.store.byId(t))!;
        await v.vault.services.grants.suspend(row, 'The platform policy changed');
        v.clock.advance(31 * DAY);
        await v.vault.sweep();
      },
    ],
  ] as const)('when the grant ends as %s, then the deletion request names that cause', async (cause, end) => {
    const c = await registerCompany(v);
    const bob = await new Customer(v.url).signUp(uniqueEmail('bob'));
    const t = await obtainTokens(v, c, bob, { fields: ['email'] });
    const token = await managementToken(c);
    await end(t.grant_id, c, bob);
    const d = (await v.vault.services.deletions.listForCompany(c.clientId)).find((x) => x.grantId === t.grant_id);
    expect(d).toMatchObject({ cause, status: 'open', fields: ['email'] });
    expect(token).toBeTruthy();
  });
});

describe('confirming a deletion (POST /company/deletions/{id})', () => {
  it('when the company confirms, keeping one field under a legal obligation, then it is confirmed, audited, receipted, and the customer sees the date', async () => {
    const alice = await fresh();
    const t = await obtainTokens(v, shop, alice, { fields: ['email', 'phone'] });
    await alice.call('DELETE', `/api/grants/${t.grant_id}`);
    const d = await deletionOf(shop, t.grant_id);
    const until = new Date(v.clock.now().getTime() + 365 * DAY).toISOString();
    const r = await asCompany(shop, 'POST', `/company/deletions/${d.id}`, { kept: { fields: ['email'], until } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'confirmed', kept: { fields: ['email'], until } });
    expect(r.body.confirmedAt).toBe(v.clock.now().toISOString());
    expect(await auditOf('deletion.confirmed', t.grant_id)).toHaveLength(1);
    const mine = (await alice.call('GET', '/api/deletions')).body.deletions.find((x: any) => x.id === d.id);
    expect(mine).toMatchObject({
      status: 'confirmed',
      confirmedAt: r.body.confirmedAt,
      company: { name: 'Northwind Deletions' },
    });
    const receipt = await alice.call('GET', `/api/receipts/${r.body.receiptId}`);
    expect(receipt.status).toBe(200);
    expect(receipt.body.kind).toBe('deletion-confirmed');
  });

  it('when the company confirms twice, then the second answer is the first confirmation, unchanged and not audited again', async () => {
    const alice = await fresh();
    const t = await obtainTokens(v, shop, alice, { fields: ['email'] });
    await alice.call('DELETE', `/api/grants/${t.grant_id}`);
    const d = await deletionOf(shop, t.grant_id);
    const first = await asCompany(shop, 'POST', `/company/deletions/${d.id}`);
    v.clock.advance(DAY);
    const until = new Date(v.clock.now().getTime() + DAY).toISOString();
    const second = await asCompany(shop, 'POST', `/company/deletions/${d.id}`, { kept: { fields: ['email'], until } });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await auditOf('deletion.confirmed', t.grant_id)).toHaveLength(1);
  });

  it('when another company reads or confirms the request, then 404 and nothing changes', async () => {
    const alice = await fresh();
    const t = await obtainTokens(v, shop, alice, { fields: ['email'] });
    await alice.call('DELETE', `/api/grants/${t.grant_id}`);
    const d = await deletionOf(shop, t.grant_id);
    expect((await asCompany(other, 'GET', `/company/deletions/${d.id}`)).status).toBe(404);
    const r = await asCompany(other, 'POST', `/company/deletions/${d.id}`);
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await deletionOf(shop, t.grant_id)).status).toBe('open');
  });

  it.each([
    ['a field it was not asked to delete', { kept: { fields: ['street'], until: '2999-01-01' } }],
    ['an obligation already over', { kept: { fields: ['email'], until: '2000-01-01' } }],
    ['an obligation longer than 10 years', { kept: { fields: ['email'], until: '2999-01-01' } }],
    ['an unknown member', { deleted: true }],
    ['a date that is not a date', { kept: { fields: ['email'], until: 'soon' } }],
    ['JSON that does not parse', '{"kept":'],
  ])('when the confirmation keeps %s, then 400 problem+json and the request stays open', async (_what, body) => {
    const alice = await fresh();
    const t = await obtainTokens(v, shop, alice, { fields: ['email'] });
    await alice.call('DELETE', `/api/grants/${t.grant_id}`);
    const d = await deletionOf(shop, t.grant_id);
    const r = await asCompany(shop, 'POST', `/company/deletions/${d.id}`, body);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await deletionOf(shop, t.grant_id)).status).toBe('open');
    expect(await auditOf('deletion.confirmed', t.grant_id)).toHaveLength(0);
  });

  it('when the id is not a uuid, then 400; when no token is sent, then 401', async () => {
    expect((await asCompany(shop, 'POST', '/company/deletions/nope')).status).toBe(400);
    expect((await fetch(`${v.url}/company/deletions`)).status).toBe(401);
  });
});

describe('overdue deletions', () => {
  it('when the deadline passes unconfirmed, then it is overdue for the customer, the auditor and the trail', async () => {
    const email = uniqueEmail('carol');
    const carol = await new Customer(v.url).signUp(email);
    const t = await obtainTokens(v, shop, carol, { fields: ['email'] });
    await carol.call('DELETE', `/api/grants/${t.grant_id}`);
    v.clock.advance(31 * DAY);
    await v.vault.sweep();
    const d = await deletionOf(shop, t.grant_id);
    expect(d.status).toBe('overdue');
    expect((await carol.signIn(email)).status).toBe(200);
    const mine = (await carol.call('GET', '/api/deletions')).body.deletions;
    expect(mine).toMatchObject([{ id: d.id, status: 'overdue', company: { name: 'Northwind Deletions' } }]);
    const inbox = (await carol.call('GET', '/api/inbox')).body;
    expect(JSON.stringify(inbox)).toContain('has not confirmed deletion');
    expect(await auditOf('deletion.overdue', t.grant_id)).toHaveLength(1);
    const auditor = new Customer(v.url);
    expect((await auditor.signIn(auditorEmail, 'auditor passphrase 1')).status).toBe(200);
    const seenBefore = (await auditor.call('GET', '/api/audit/deletions?status=overdue')).body.deletions;
    expect(seenBefore.map((x: any) => x.id)).toContain(d.id);
    await v.vault.sweep();
    expect(await auditOf('deletion.overdue', t.grant_id)).toHaveLength(1);
    // Late is still better than never: the company can confirm an overdue request.
    const r = await asCompany(shop, 'POST', `/company/deletions/${d.id}`);
    expect(r.body).toMatchObject({ status: 'confirmed', overdueAt: d.overdueAt });
    expect((await carol.call('GET', '/api/audit/deletions')).status).toBe(403);
  });

  it('when the customer lists deletions, then only their own appear', async () => {
    const dave = await new Customer(v.url).signUp(uniqueEmail('dave'));
    expect((await dave.call('GET', '/api/deletions')).body.deletions).toEqual([]);
  });

  it('when a company still holds a field under another live grant, then a renewal does not ask it to delete that field', async () => {
    const erin = await new Customer(v.url).signUp(uniqueEmail('erin'));
    const a = await obtainTokens(v, shop, erin, { fields: ['email'] });
    const b = await obtainTokens(v, shop, erin, { fields: ['email'], purpose: 'customer-support' });
    await erin.call('DELETE', `/api/grants/${a.grant_id}`);
    expect((await deletionOf(shop, a.grant_id)) ?? null).toBeNull();
    expect((await readData(v, b.access_token, erin.handle)).status).toBe(200);
  });
});
