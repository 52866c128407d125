import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { defaultTerms, details, form, obtainTokens, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { rowsOf } from '../support/rows.ts';

// The audit trail cannot be edited or erased, so text that a company or a customer typed must not reach
// it: a purpose or a value tag is a kebab-case id that anyone can fill with a name and a diagnosis.
const PURPOSE = 'jane-roe-hiv-positive';
const COMPANY_TAG = 'john-doe-is-pregnant';
const CUSTOMER_TAG = 'kosher-kitchen-qx';

let v: RunningVault;
let alice: Customer;
const trail = async () =>
  (await rowsOf<{ body: string }>(v, 'SELECT body FROM audit_events')).map((r) => r.body).join('\n');

beforeAll(async () => {
  v = await startVault();
  alice = await new Customer(v.url).signUp(uniqueEmail('caller-text'));
});
afterAll(async () => v.close());

describe('no company- or customer-typed text reaches the audit trail through policy reasons', () => {
  it('when a company asks for an unregistered purpose, then it is refused and the trail names neither the purpose nor its text', async () => {
    const shop = await registerCompany(v, { name: 'Purpose Probe 1' });
    const r = await form(
      `${v.url}/bc-authorize`,
      { login_hint: alice.handle, authorization_details: details(['email'], PURPOSE, 'P7D') },
      { authorization: shop.basic() },
    );
    expect(r.status).toBe(403);
    expect(r.body.reasons.map((x: { code: string }) => x.code)).toEqual(['UNKNOWN_PURPOSE']);
    expect(await trail()).toContain('UNKNOWN_PURPOSE');
    expect(await trail()).not.toContain(PURPOSE);
  });

  it("when a request fails the customer's value tags, then the trail keeps the code but neither side's tags", async () => {
    const shop = await registerCompany(v, {
      name: 'Tag Probe 2',
      terms: { ...defaultTerms, valueTags: [COMPANY_TAG] },
    });
    await alice.call('PUT', '/api/criteria', { requiredValueTags: [CUSTOMER_TAG] });
    const r = await form(
      `${v.url}/bc-authorize`,
      { login_hint: alice.handle, authorization_details: details(['email'], 'order-fulfilment', 'P7D') },
      { authorization: shop.basic() },
    );
    expect(r.status).toBe(403);
    await alice.call('PUT', '/api/criteria', {});
    expect(await trail()).toContain('VALUE_TAGS_MISSING');
    expect(await trail()).not.toContain(COMPANY_TAG);
    expect(await trail()).not.toContain(CUSTOMER_TAG);
  });

  it('when new criteria suspend a live grant, then the suspension and a later narrowing carry codes in the trail, not the tags', async () => {
    const shop = await registerCompany(v, {
      name: 'Suspend Probe 3',
      terms: { ...defaultTerms, valueTags: [COMPANY_TAG] },
    });
    const t = await obtainTokens(v, shop, alice, { fields: ['email'] });
    expect((await alice.call('PUT', '/api/criteria', { requiredValueTags: [CUSTOMER_TAG] })).status).toBe(200);
    expect((await alice.call('GET', `/api/grants/${t.grant_id}`)).body.status).toBe('suspended');
    const narrowed = await alice.call('PATCH', `/api/grants/${t.grant_id}`, { fields: ['email'] });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.status).toBe('suspended');
    await alice.call('PUT', '/api/criteria', {});
    expect(await trail()).toContain('grant.suspended');
    expect(await trail()).not.toContain(COMPANY_TAG);
    expect(await trail()).not.toContain(CUSTOMER_TAG);
  });
});
