import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { defaultTerms, obtainTokens, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { runSql } from '../support/rows.ts';

// A grant's records count in every decision on the live grant, not only at request and read: re-evaluation
// after a criteria change, its preview, and renewal (ARCHITECTURE.md, "Where policy decisions happen").
let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(async () => v.close());

const serviceTerms = { ...defaultTerms, benefit: { kind: 'service', description: 'faster support' } };
const PURCHASES = { categories: ['purchases'], window: 'P12M', sources: 'any' };

describe('records in decisions on a live grant', () => {
  it('when the customer keeps purchases for paying companies, then a grant to purchase records without payment is suspended', async () => {
    const alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
    const shop = await registerCompany(v, { terms: serviceTerms });
    const t = await obtainTokens(v, shop, alice, { fields: ['email'], actions: ['read'], records: PURCHASES });
    expect((await alice.call('GET', `/api/grants/${t.grant_id}`)).body.status).toBe('active');

    expect((await alice.call('PUT', '/api/criteria', { purchasesOnlyForFinancialBenefit: true })).status).toBe(200);
    expect((await alice.call('GET', `/api/grants/${t.grant_id}`)).body.status).toBe('suspended');
  });

  it('when a grant to purchase records fails the customer criteria, then it cannot be renewed', async () => {
    const bob = await new Customer(v.url).signUp(uniqueEmail('bob'));
    const shop = await registerCompany(v, { terms: serviceTerms });
    const t = await obtainTokens(v, shop, bob, { fields: ['email'], actions: ['read'], records: PURCHASES });
    // Written behind the dashboard's back, so that only renewal decides on the criteria.
    await runSql(
      v,
      {
        sqlite: `UPDATE customers SET criteria = json_set(criteria, '$.purchasesOnlyForFinancialBenefit', json('true')) WHERE handle = ?`,
        postgres: `UPDATE customers SET criteria = jsonb_set(criteria::jsonb, '{purchasesOnlyForFinancialBenefit}', 'true')::text WHERE handle = ?`,
      },
      bob.handle,
    );
    const res = await bob.call('POST', `/api/grants/${t.grant_id}/renew`);
    expect(res.status).toBe(403);
  });
});
