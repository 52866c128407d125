import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { form, obtainTokens, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

// RFC 7662 §2.2: introspection describes what the token may do now. A customer who narrows a grant after its
// access token was issued narrows what introspection reports for that token too.

let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Narrow Shop' });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
});
afterAll(async () => v.close());

const introspect = (token: string) => form(`${v.url}/introspect`, { token }, { authorization: shop.basic() });
const narrow = (grantId: string, to: object) => alice.call('PATCH', `/api/grants/${grantId}`, to);

describe('introspection after the customer narrows the grant', () => {
  it('when fields and actions were removed, then scope and authorization_details report only what remains', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: ['email', 'phone'], actions: ['read', 'deposit'] });
    const before = (await introspect(t.access_token)).body;
    expect(before.scope).toBe('purpose:order-fulfilment read:email read:phone deposit duration:30');
    expect((await narrow(t.grant_id, { fields: ['phone'], actions: ['deposit'] })).status).toBe(200);
    const after = await introspect(t.access_token);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ active: true, grant_id: t.grant_id });
    expect(after.body.scope).toBe('purpose:order-fulfilment deposit:phone duration:30');
    expect(after.body.authorization_details).toEqual([
      { type: 'customer_data', purpose: 'order-fulfilment', fields: ['phone'], actions: ['deposit'], duration: 'P30D' },
    ]);
  });

  it('when only the end was brought forward, then exp is no later than the grant end', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: ['email'] });
    const before = (await introspect(t.access_token)).body;
    const end = Math.floor(v.ctx.clock.now().getTime() / 1000) + 60;
    expect(before.exp).toBeGreaterThan(end);
    expect((await narrow(t.grant_id, { expiresAt: new Date(end * 1000).toISOString() })).status).toBe(200);
    const after = (await introspect(t.access_token)).body;
    expect(after).toMatchObject({ active: true, exp: end, scope: before.scope });
  });
});
