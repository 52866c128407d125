import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany } from '../support/company.ts';
import { storedText } from '../support/rows.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(async () => v.close());

describe('a deposit idempotency key (SECURITY.md "Records")', () => {
  it('when a company makes its key of an e-mail address, then the database never holds it in the clear and a retry still answers the same', async () => {
    const alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
    const shop = await registerCompany(v);
    const t = await obtainTokens(v, shop, alice, { fields: ['purchase_history'], actions: ['deposit'] });
    const key = `order-of-alice.liddell.${Date.now()}@example.test`;
    const deposit = async () => {
      const res = await fetch(`${v.url}/data/customers/${alice.handle}/records`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${t.access_token}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify({
          category: 'purchases',
          content: {
            merchant: 'Shop',
            items: [{ name: 'Boots', quantity: 1, price: 10 }],
            total: 10,
            currency: 'EUR',
            time: v.clock.now().toISOString(),
          },
        }),
      });
      return { status: res.status, body: await res.json() };
    };
    const first = await deposit();
    expect(first.status).toBe(201);
    expect(await deposit()).toEqual(first);
    const raw = await storedText(v);
    expect(raw).toContain(alice.handle); // the search itself works
    expect(raw).not.toContain(key);
  });
});
