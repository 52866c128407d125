import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { details, form, obtainTokens, readData, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf } from '../support/rows.ts';

let v: RunningVault;
let shop: RegisteredCompany;
let bank: RegisteredCompany;
let alice: Customer;

const auditCount = () => countOf(v, 'SELECT count(*) AS n FROM audit_events');
const askBackchannel = (c: RegisteredCompany, handle: string, purpose = 'customer-support') =>
  form(
    `${v.url}/bc-authorize`,
    { login_hint: handle, authorization_details: details(['phone'], purpose, 'P7D') },
    { authorization: c.basic() },
  );

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Corner Shop' });
  bank = await registerCompany(v, { name: 'River Bank' });
  const email = uniqueEmail('alice');
  alice = await new Customer(v.url).signUp(email);
  await alice.call('PATCH', '/api/profile', { email: 'alice@example.org', phone: '+32 470 00 00 00' });
  const shopTokens = await obtainTokens(v, shop, alice, { fields: ['email'] });
  await readData(v, shopTokens.access_token, alice.handle);
  // Two days later (a new session): the date filter has two days to tell apart.
  v.clock.advance(2 * 86_400_000);
  await alice.signIn(email);
  const bankTokens = await obtainTokens(v, bank, alice, { fields: ['email', 'phone'] });
  await readData(v, bankTokens.access_token, alice.handle);
});
afterAll(async () => v.close());

type Row = { action: string; company: { id: string; name: string }; fields: string[]; automatic?: boolean };
const activity = async (q = '') => (await alice.call<{ reads: Row[] }>('GET', `/api/reads${q}`)).body.reads;

describe("the customer's activity, filtered on the server", () => {
  it('when filtered by company, then only that company’s reads come back', async () => {
    const rows = await activity(`?company=${shop.clientId}`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.company.id === shop.clientId)).toBe(true);
  });

  it('when filtered by field, then only reads naming that field come back', async () => {
    const rows = await activity('?field=phone&kind=read');
    expect(rows.map((r) => r.company.name)).toEqual(['River Bank']);
  });

  it('when filtered by kind and by dates, then other kinds and days are left out', async () => {
    expect(await activity('?kind=deposit')).toEqual([]);
    const today = v.clock.now().toISOString().slice(0, 10);
    const rows = await activity(`?kind=read&from=${today}&to=${today}`);
    expect(rows.map((r) => r.company.name)).toEqual(['River Bank']);
  });

  it.each([
    ['company=not-an-id', 'company'],
    ['field=shoe_size', 'field'],
    ['kind=everything', 'kind'],
    ['from=yesterday', 'from'],
    ['colour=red', ''],
  ])('when the query has %s, then it is a 400 problem and nothing is recorded', async (q) => {
    const before = await auditCount();
    const r = await alice.call('GET', `/api/reads?${q}`);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(await auditCount()).toBe(before);
  });
});

describe('requests decided for the customer by their own criteria', () => {
  it('when the criteria refuse a back-channel request, then the inbox says why with a link to the criteria, once', async () => {
    await alice.call('PUT', '/api/criteria', { refusedPurposes: ['marketing'] });
    const pest = await registerCompany(v, { name: 'Pushy Ads' });
    expect((await askBackchannel(pest, alice.handle, 'marketing')).status).toBe(403);
    expect((await askBackchannel(pest, alice.handle, 'marketing')).status).toBe(403);
    const inbox = (await alice.call('GET', '/api/inbox')).body.messages as Array<{ kind: string; body: any }>;
    const refused = inbox.filter((m) => m.kind === 'request.refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.body).toMatchObject({ companyId: pest.clientId, criteria: true });
    expect(refused[0]!.body.title).toBe("Pushy Ads's request was refused by your criteria");
    expect(refused[0]!.body.text).toContain('phone number for marketing');

    const rows = await activity('?kind=refusal');
    expect(rows[0]).toMatchObject({ action: 'grant.denied', automatic: true, company: { name: 'Pushy Ads' } });
    const asked = (await alice.call('GET', '/api/criteria/options')).body.companies as Array<{ name: string }>;
    expect(asked.map((c) => c.name)).toContain('Pushy Ads');
    await alice.call('PUT', '/api/criteria', {});
  });

  it('when an auto-approval rule grants a request, then the inbox and the activity say it was automatic', async () => {
    await alice.call('PUT', '/api/criteria', {
      autoApprove: [
        { purposes: ['order-fulfilment'], categories: ['contact'], actions: ['read'], maxDurationDays: 90 },
      ],
    });
    const post = await registerCompany(v, { name: 'Parcel Post' });
    await obtainTokens(v, post, alice, { fields: ['email'] });
    const inbox = (await alice.call('GET', '/api/inbox')).body.messages as Array<{ kind: string; body: any }>;
    const granted = inbox.find((m) => m.kind === 'grant.approved' && m.body.companyId === post.clientId)!;
    expect(granted.body).toMatchObject({ title: 'Parcel Post: access granted automatically', criteria: true });
    expect((await activity('?kind=approval'))[0]).toMatchObject({ automatic: true, company: { name: 'Parcel Post' } });
    await alice.call('PUT', '/api/criteria', {});
  });
});

describe('the criteria dry run', () => {
  it('when the proposal refuses a purpose or blocks a company, then it lists what saving would do and changes nothing', async () => {
    const grantsBefore = (await alice.call('GET', '/api/grants')).body.grants;
    const criteriaBefore = (await alice.call('GET', '/api/criteria')).body;
    const audits = await auditCount();
    const r = await alice.call('POST', '/api/criteria/preview', {
      refusedPurposes: ['order-fulfilment'],
      blockedCompanies: [bank.clientId],
    });
    expect(r.status).toBe(200);
    const names = (xs: Array<{ grant: { company: { name: string } } }>) => xs.map((x) => x.grant.company.name).sort();
    expect(names(r.body.revoke)).toEqual(['River Bank']);
    expect(names(r.body.suspend)).toEqual(['Corner Shop', 'Parcel Post']);
    expect(r.body.suspend[0].reasons.join(' ')).toMatch(/You refuse all requests for order/);
    expect((await alice.call('GET', '/api/grants')).body.grants).toEqual(grantsBefore);
    expect((await alice.call('GET', '/api/criteria')).body).toEqual(criteriaBefore);
    expect(await auditCount()).toBe(audits);
  });

  it('when the proposal is not valid criteria, then it is a 400 problem', async () => {
    const r = await alice.call('POST', '/api/criteria/preview', { refusedPurposes: 'all of them' });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
  });

  it('when the form asks for its lists, then purposes come with their descriptions', async () => {
    const o = (await alice.call('GET', '/api/criteria/options')).body;
    expect(o.purposes).toContainEqual(expect.objectContaining({ id: 'marketing', description: expect.any(String) }));
    expect(Array.isArray(o.valueTags)).toBe(true);
    expect(o.companies.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['Corner Shop', 'River Bank']),
    );
  });
});
