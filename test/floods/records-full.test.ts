import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDS_PER_CUSTOMER } from '../../server/data/customer-records.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf, runSql } from '../support/rows.ts';

// SECURITY.md "Floods and bounds": a customer's vault keeps at most RECORDS_PER_CUSTOMER records from all
// companies together. The deposit that fills it tells the customer once; the next is a 409 that stores nothing.

let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;
let token: string;

const PURCHASE = {
  merchant: 'Full Shop',
  items: [{ name: 'Order F-1', quantity: 1, price: 10 }],
  total: 10,
  currency: 'EUR',
  time: '2026-11-01T10:00:00Z',
};
const held = () => countOf(v, 'select count(*) AS n from records where customer_id = ?', alice.id);
const auditCount = () => countOf(v, 'select count(*) AS n from audit_events');
const fullMessages = async () =>
  ((await alice.call('GET', '/api/inbox')).body.messages as { kind: string; body: any }[]).filter(
    (m) => m.kind === 'records.full',
  );
const deposit = () =>
  fetch(`${v.url}/data/customers/${alice.handle}/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ category: 'purchases', content: PURCHASE }),
  });

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Full Shop' });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  const t = await obtainTokens(v, shop, alice, { fields: ['purchase_history'], actions: ['deposit'] });
  token = t.access_token;
  // Fill the vault to one short of its cap directly: thousands of deposits over HTTP would only test the loop.
  // One statement on either back end: a recursive count, each row with an id of its own.
  const fill = (sealed: string, id: string) =>
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO records (id, customer_id, company_id, grant_id, category, sealed, created_at, idempotency_key, device_id)
     SELECT ${id}, ?, ?, ?, 'purchases', ${sealed}, '2026-01-01T00:00:00.000Z', NULL, NULL FROM n`;
  await runSql(
    v,
    {
      sqlite: fill("x'00'", 'lower(hex(randomblob(16)))'),
      postgres: fill("'\\x00'::bytea", 'gen_random_uuid()::text'),
    },
    RECORDS_PER_CUSTOMER - 1,
    alice.id,
    shop.clientId,
    t.grant_id,
  );
});
afterAll(async () => v.close());

describe('a vault full of records', () => {
  it('when a deposit fills the vault, then it is stored and the customer is told once', async () => {
    expect((await deposit()).status).toBe(201);
    expect(await held()).toBe(RECORDS_PER_CUSTOMER);
    const msgs = await fullMessages();
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.body.facts).toEqual({ company: 'Full Shop', limit: RECORDS_PER_CUSTOMER });
  });

  it('when the vault is full, then a deposit is a 409 records-full problem that stores and tells nothing', async () => {
    const before = await auditCount();
    const r = await deposit();
    expect(r.status).toBe(409);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = await r.json();
    expect(body.type).toMatch(/\/problems\/records-full$/);
    expect(body.limit).toBe(RECORDS_PER_CUSTOMER);
    expect(await held()).toBe(RECORDS_PER_CUSTOMER);
    expect(await auditCount()).toBe(before);
    expect(await fullMessages()).toHaveLength(1);
  });
});
