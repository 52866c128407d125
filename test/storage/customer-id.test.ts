import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { form, obtainTokens, readData, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { rowsOf } from '../support/rows.ts';

/**
 * The customer id on every customer-data table (README "Storage", server/db/tables.ts): written by the real
 * flows, and backfilled by migration 0019 on a database that held rows before it (customer-id-migration.test.ts).
 */
let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Tenant Shop' });
  alice = await new Customer(v.url).signUp(uniqueEmail('tenant'));
});
afterAll(async () => v.close());

const customerIds = async (table: string, where = '1 = 1', ...params: unknown[]) =>
  (
    await rowsOf<{ customer_id: string | null }>(
      v,
      `SELECT DISTINCT customer_id FROM ${table} WHERE ${where}`,
      ...params,
    )
  ).map((r) => r.customer_id);

describe('the customer id is written by every flow', () => {
  it('when a company gets a code, tokens and a refresh, then codes, families and refresh tokens name the customer', async () => {
    const t = await obtainTokens(v, shop, alice);
    const refreshed = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: t.refresh_token },
      { authorization: shop.basic() },
    );
    expect(refreshed.status).toBe(200);
    expect(await customerIds('auth_codes', 'grant_id = ?', t.grant_id)).toEqual([alice.id]);
    expect(await customerIds('token_families', 'grant_id = ?', t.grant_id)).toEqual([alice.id]);
    const refreshRows = await rowsOf(
      v,
      'SELECT r.customer_id FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id WHERE f.grant_id = ?',
      t.grant_id,
    );
    expect(refreshRows).toEqual([{ customer_id: alice.id }, { customer_id: alice.id }]);
    // The new refresh token works: its family is found under its customer.
    const again = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token },
      { authorization: shop.basic() },
    );
    expect(again.status).toBe(200);
  });

  it('when a company reads, then the usage counted names the customer', async () => {
    const t = await obtainTokens(v, shop, alice);
    expect((await readData(v, t.access_token, alice.handle, ['email'])).status).toBe(200);
    expect(await customerIds('usage_counters', 'grant_id = ?', t.grant_id)).toEqual([alice.id]);
  });

  it("when a customer signs in, then the session names them; an auditor's session names no customer", async () => {
    const email = uniqueEmail('tenant-auditor');
    await v.vault.services.accounts.createAuditor({ email, password: PASSWORD });
    const auditor = new Customer(v.url);
    expect((await auditor.signIn(email, PASSWORD)).status).toBe(200);
    expect(await customerIds('sessions', "subject_kind = 'customer' AND subject_id = ?", alice.id)).toEqual([alice.id]);
    expect(await customerIds('sessions', "subject_kind = 'auditor'")).toEqual([null]);
  });
});
