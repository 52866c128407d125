import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { managementToken, recordBenefit } from './support.ts';
import { countOf, rowOf, rowsOf } from '../support/rows.ts';

let v: RunningVault;
let alice: Customer;
let mallory: Customer;
let shop: RegisteredCompany;
let other: RegisteredCompany;
let grantId: string;
let shopToken: string;
let otherToken: string;

beforeAll(async () => {
  v = await startVault();
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  mallory = await new Customer(v.url).signUp(uniqueEmail('mallory'));
  shop = await registerCompany(v, { name: 'Ledger Shop' });
  other = await registerCompany(v, { name: 'Other Shop' });
  grantId = (await obtainTokens(v, shop, alice, { fields: ['email'] })).grant_id;
  shopToken = await managementToken(v, shop);
  otherToken = await managementToken(v, other);
});
afterAll(async () => v.close());

const rows = () => countOf(v, 'select count(*) AS n from benefits');
const trail = async () =>
  (await rowsOf<{ body: string }>(v, "select body from audit_events where action like 'benefit.%'"))
    .map((r) => r.body)
    .join('\n');
const valid = () => ({
  grant_id: grantId,
  key: `k-${Math.random()}`,
  kind: 'discount',
  amount: '4.50',
  currency: 'EUR',
});

describe('bad input to the benefit ledger is a 4xx problem that changes nothing', () => {
  it.each([
    ['an unknown kind', { kind: 'gift' }],
    ['an amount without a currency', { currency: undefined }],
    ['a currency without an amount', { amount: undefined }],
    ['a currency that is not ISO 4217', { currency: 'XYZ' }],
    ['a lower-case currency', { currency: 'eur' }],
    ['more decimals than the currency has', { amount: '4.555' }],
    ['decimals for a currency without minor units', { amount: '10.5', currency: 'JPY' }],
    ['a negative amount', { amount: '-3' }],
    ['an amount as a JSON number', { amount: 4.5 }],
    ['an amount over the cap', { amount: '1000000001' }],
    ['a payment without an amount', { kind: 'payment', amount: undefined, currency: undefined }],
    ['a reference over 200 characters', { reference: 'x'.repeat(201) }],
    ['a reference on two lines', { reference: 'line one\nline two' }],
    ['a key over 200 characters', { key: 'k'.repeat(201) }],
    ['an empty key', { key: '' }],
    ['a grant id that is not a UUID', { grant_id: 'not-a-grant' }],
    ['an unknown member', { note: 'hello' }],
  ])('when a company sends %s, then it is a 400 problem and nothing is recorded', async (_name, change) => {
    const before = await rows();
    const r = await recordBenefit(v, shopToken, { ...valid(), ...change });
    expect(r.status).toBe(400);
    expect(r.type).toContain('application/problem+json');
    expect(await rows()).toBe(before);
  });

  it("when a company records a benefit under another company's grant, then it is a 404 and nothing is recorded", async () => {
    const before = await rows();
    const r = await recordBenefit(v, otherToken, valid());
    expect(r.status).toBe(404);
    expect(r.type).toContain('application/problem+json');
    expect(await rows()).toBe(before);
  });

  it('when the token is not a grant_management token, then it is refused', async () => {
    const data = await obtainTokens(v, shop, alice, { fields: ['email'] });
    expect((await recordBenefit(v, data.access_token, valid())).status).toBe(401);
    expect((await recordBenefit(v, 'garbage', valid())).status).toBe(401);
  });

  it('when a key is repeated, then the first entry is returned and nothing new is recorded; another company may use the same key', async () => {
    const first = await recordBenefit(v, shopToken, { ...valid(), key: 'order-7', reference: 'Voucher ABC-123' });
    expect(first.status).toBe(201);
    const before = await rows();
    const again = await recordBenefit(v, shopToken, { ...valid(), key: 'order-7', kind: 'service', amount: '99.00' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await rows()).toBe(before);
    const otherGrant = (await obtainTokens(v, other, alice, { fields: ['email'] })).grant_id;
    expect((await recordBenefit(v, otherToken, { ...valid(), grant_id: otherGrant, key: 'order-7' })).status).toBe(201);
  });

  it("when an entry is recorded, then the trail names its kind and currency but never the company's key, amount or reference, and the reference is sealed", async () => {
    const r = await recordBenefit(v, shopToken, {
      ...valid(),
      key: 'secret-key-42',
      amount: '123.45',
      reference: 'Order for Alice Smith',
    });
    expect(r.status).toBe(201);
    const events = await trail();
    expect(events).toContain(r.body.id);
    expect(events).not.toMatch(/secret-key-42|123\.45|12345|Alice Smith/);
    const stored = JSON.stringify(await rowOf(v, 'select * from benefits where id = ?', r.body.id));
    expect(stored).not.toMatch(/secret-key-42|Alice Smith/);
  });

  it("when a customer answers another customer's entry or gives no valid answer, then nothing changes", async () => {
    const r = await recordBenefit(v, shopToken, valid());
    const id = r.body.id as string;
    expect((await mallory.call('POST', `/api/benefits/${id}/answer`, { answer: 'disputed' })).status).toBe(404);
    expect((await mallory.call('GET', '/api/benefits')).body.benefits).toEqual([]);
    expect((await alice.call('POST', `/api/benefits/${id}/answer`, { answer: 'maybe' })).status).toBe(400);
    expect((await alice.call('POST', '/api/benefits/not-an-id/answer', { answer: 'confirmed' })).status).toBe(400);
    const mine = (await alice.call('GET', '/api/benefits')).body.benefits.find((b: { id: string }) => b.id === id);
    expect(mine.status).toBe('recorded');
  });
});

describe('disputes reach auditors; entries reach the customer export', () => {
  it('when the customer disputes an entry, then auditors find it in the trail and its export, and the customer export lists it', async () => {
    const r = await recordBenefit(v, shopToken, { ...valid(), reference: 'Order 55' });
    const disputed = await alice.call('POST', `/api/benefits/${r.body.id}/answer`, { answer: 'disputed' });
    expect(disputed.body.status).toBe('disputed');

    const auditorEmail = uniqueEmail('auditor');
    await v.vault.services.accounts.createAuditor({ email: auditorEmail, password: 'auditor passphrase 1' });
    const auditor = new Customer(v.url);
    expect((await auditor.signIn(auditorEmail, 'auditor passphrase 1')).status).toBe(200);
    const found = await auditor.call('GET', '/api/audit/events?action=benefit.disputed');
    expect(found.status).toBe(200);
    const event = found.body.events.find((e: { detail?: { benefitId?: string } }) => e.detail?.benefitId === r.body.id);
    expect(event).toMatchObject({ action: 'benefit.disputed', companyId: shop.clientId, actor: { kind: 'customer' } });
    const exported = await auditor.call('GET', '/api/audit/export?format=jsonl');
    const lines = (exported.body as string).trim().split('\n');
    const actions = lines.map((l) => (JSON.parse(l) as { event?: { action?: string } }).event?.action);
    expect(actions).toEqual(expect.arrayContaining(['benefit.recorded', 'benefit.disputed']));

    const mine = await alice.call('GET', '/api/export');
    expect(mine.body.benefits).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: r.body.id, status: 'disputed', reference: 'Order 55' })]),
    );
  });
});
