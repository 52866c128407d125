import { expect } from 'vitest';
import { Customer, uniqueEmail } from './browser-like.ts';
import { obtainTokens, registerCompany } from './company.ts';
import type { RunningVault } from './vault.ts';

/** Shop B's records read: its status, the ids of the records it gave, and its body. */
export type Reader = () => Promise<{
  status: number;
  ids: string[];
  body: { records?: { id: string; content: unknown }[] };
}>;

/**
 * The records read's scene (test/data/records-opened.test.ts, records-version.test.ts): a customer, shop A
 * depositing her purchases (`deposit(n)`: one of n days ago), shop B granted them for the last 12 months from every
 * source (`read`). `names`: the shops' names, another pair for a second scene in one vault.
 */
export async function recordsScene(vault: RunningVault, names = { a: 'Shop A Boots', b: 'Shop B Outdoor' }) {
  const shopA = await registerCompany(vault, { name: names.a });
  const shopB = await registerCompany(vault, { name: names.b });
  const customer = await new Customer(vault.url).signUp(uniqueEmail('carol'));
  const a = await obtainTokens(vault, shopA, customer, { fields: ['purchase_history'], actions: ['deposit'] });
  const b = await obtainTokens(vault, shopB, customer, {
    fields: ['email'],
    actions: ['read'],
    records: { categories: ['purchases'], window: 'P12M', sources: 'any' },
  });
  const url = `${vault.url}/data/customers/${customer.handle}/records`;
  const deposit = async (n: number) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        category: 'purchases',
        content: {
          merchant: 'Shop A',
          items: [{ name: `Tent ${n}`, quantity: 1, price: 120 }],
          total: 120,
          currency: 'EUR',
          time: new Date(vault.clock.now().getTime() - n * 86_400_000).toISOString(),
        },
      }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const read: Reader = async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${b.access_token}` } });
    const body = (await res.json()) as { records?: { id: string; content: unknown }[] };
    return { status: res.status, ids: (body.records ?? []).map((r) => r.id), body };
  };
  return { customer, shopA, deposit, read };
}
