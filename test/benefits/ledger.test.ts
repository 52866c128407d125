import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { defaultTerms, obtainTokens, readData, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { DAY_MS, managementToken, recordBenefit } from './support.ts';
import { rowOf } from '../support/rows.ts';

let v: RunningVault;
let alice: Customer;
const aliceEmail = uniqueEmail('alice');

beforeAll(async () => {
  v = await startVault();
  alice = await new Customer(v.url).signUp(aliceEmail);
});

/** Moves the clock and runs the sweep; sessions do not outlive the jump, so the customer signs in again. */
async function later(days: number, c: Customer, email: string) {
  v.clock.advance(days * DAY_MS);
  await v.vault.sweep();
  expect((await c.signIn(email)).status).toBe(200);
}
afterAll(async () => v.close());

const inboxTexts = async (c: Customer) =>
  ((await c.call('GET', '/api/inbox')).body.messages as { kind: string; body: { text: string } }[])
    .filter((m) => m.kind === 'grant.suspended')
    .map((m) => m.body);

describe('the benefit ledger through the real server', () => {
  it('when a shop that promised 10 % off records none within its period, then the grant is suspended and the inbox says why; once it records a discount that the customer confirms, re-approval works and the card shows it', async () => {
    const terms = {
      ...defaultTerms,
      benefit: { kind: 'discount', description: '10% off every order', withinDays: 30 },
    };
    const shop = await registerCompany(v, { name: 'Promise Shop', terms });
    const t = await obtainTokens(v, shop, alice, { fields: ['email'], purpose: 'marketing', duration: 'P180D' });
    expect((await readData(v, t.access_token, alice.handle, ['email'])).status).toBe(200);

    // Within the promised period nothing is owed yet.
    await later(29, alice, aliceEmail);
    expect((await alice.call('GET', `/api/grants/${t.grant_id}`)).body.status).toBe('active');

    await later(2, alice, aliceEmail);
    const suspended = await alice.call('GET', `/api/grants/${t.grant_id}`);
    expect(suspended.body.status).toBe('suspended');
    expect(suspended.body.canReapprove).toBe(false);
    expect(suspended.body.reapproveReasons.map((r: { code: string }) => r.code)).toEqual(['BENEFIT_NOT_DELIVERED']);
    const [message] = await inboxTexts(alice);
    expect(message!.text).toContain('has not delivered the benefit it promised');
    expect(message!.text).toContain('discount (10% off every order) within 30 days');
    expect(message!.text).toContain('it has delivered 0 benefits in the last 30 days');
    const event = (await rowOf<{ body: string }>(
      v,
      "select body from audit_events where action = 'grant.suspended' order by seq desc limit 1",
    ))!;
    expect(event.body).toContain('BENEFIT_NOT_DELIVERED');
    expect(event.body).not.toContain('10% off');

    const token = await managementToken(v, shop);
    const entry = { grant_id: t.grant_id, key: 'order-1001', kind: 'discount', amount: '4.50', currency: 'EUR' };
    const recorded = await recordBenefit(v, token, { ...entry, reference: 'Order 1001' });
    expect(recorded.status).toBe(201);
    expect(recorded.body).toMatchObject({ kind: 'discount', amount: '4.50', currency: 'EUR', status: 'recorded' });

    const listed = await alice.call('GET', '/api/benefits');
    expect(listed.body.benefits).toEqual([expect.objectContaining({ id: recorded.body.id, reference: 'Order 1001' })]);
    const confirmed = await alice.call('POST', `/api/benefits/${recorded.body.id}/answer`, { answer: 'confirmed' });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe('confirmed');

    const again = await alice.call('POST', `/api/grants/${t.grant_id}/reapprove`);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('active');

    const page = await alice.call('GET', '/api/grants');
    const card = page.body.companies.find((c: { id: string }) => c.id === shop.clientId);
    expect(card).toMatchObject({
      readsTotal: 1,
      fieldsRead: ['email'],
      recordsDeposited: 0,
      benefits: { confirmed: 1, awaitingAnswer: 0, disputed: 0, totals: [{ currency: 'EUR', amount: '4.50' }] },
    });
  });

  it("when the customer requires a benefit within 14 days of a company's first read and none came, then its grant is suspended", async () => {
    const bobEmail = uniqueEmail('bob');
    const bob = await new Customer(v.url).signUp(bobEmail);
    expect((await bob.call('PUT', '/api/criteria', { benefitWithinDaysOfFirstRead: 14 })).status).toBe(200);
    const shop = await registerCompany(v, { name: 'Slow Shop' });
    const t = await obtainTokens(v, shop, bob, { fields: ['email'], purpose: 'order-fulfilment', duration: 'P60D' });
    expect((await readData(v, t.access_token, bob.handle, ['email'])).status).toBe(200);
    await later(15, bob, bobEmail);
    const g = await bob.call('GET', `/api/grants/${t.grant_id}`);
    expect(g.body.status).toBe('suspended');
    expect(g.body.reapproveReasons.map((r: { code: string }) => r.code)).toEqual([
      'BENEFIT_NOT_DELIVERED_IN_CUSTOMER_PERIOD',
    ]);
    const [message] = await inboxTexts(bob);
    expect(message!.text).toContain('within 14 days of the first read');
    expect(message!.text).toContain('it declares discount');
  });

  it('when the only entry a shop recorded is disputed by the customer, then it does not count as delivered and the grant is suspended', async () => {
    const carolEmail = uniqueEmail('carol');
    const carol = await new Customer(v.url).signUp(carolEmail);
    const terms = { ...defaultTerms, benefit: { kind: 'discount', description: '5% off', withinDays: 30 } };
    const shop = await registerCompany(v, { name: 'Disputed Shop', terms });
    const t = await obtainTokens(v, shop, carol, { fields: ['email'], purpose: 'marketing', duration: 'P180D' });
    expect((await readData(v, t.access_token, carol.handle, ['email'])).status).toBe(200);
    await later(20, carol, carolEmail);
    const token = await managementToken(v, shop);
    const entry = await recordBenefit(v, token, { grant_id: t.grant_id, key: 'k-1', kind: 'discount' });
    expect(entry.status).toBe(201);
    const answered = await carol.call('POST', `/api/benefits/${entry.body.id}/answer`, { answer: 'disputed' });
    expect(answered.body.status).toBe('disputed');
    await later(11, carol, carolEmail);
    const g = await carol.call('GET', `/api/grants/${t.grant_id}`);
    expect(g.body.status).toBe('suspended');
    const card = (await carol.call('GET', '/api/grants')).body.companies[0];
    expect(card.benefits).toMatchObject({ confirmed: 0, disputed: 1 });
  });
});
