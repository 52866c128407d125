// @sqlite-only: SQLite's group fsync (ARCHITECTURE.md, "The audited unit and group commit"); on PostgreSQL the
// COMMIT itself is the durable write, and test/storage/pg-unit.test.ts covers a COMMIT that fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
let alice: Customer;
let token: string;

beforeAll(async () => {
  v = await startVault();
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await alice.call('PATCH', '/api/profile', { phone: '+32 470 99 88 77' });
  token = (await obtainTokens(v, await registerCompany(v), alice)).access_token;
});
afterAll(async () => v.close());

describe('a company read never leaves before its group fsync (fail closed)', () => {
  it('when the group fsync fails, then the read is refused and no data is sent', async () => {
    const commit = v.vault.services.commit;
    const durable = commit.durable;
    commit.durable = () => Promise.reject(new Error('EIO: simulated fsync failure'));
    try {
      const r = await readData(v, token, alice.handle);
      expect(r.status).toBe(503);
      expect(r.body.fields).toBeUndefined();
      expect(JSON.stringify(r.body)).not.toContain('99 88 77');
    } finally {
      commit.durable = durable;
    }
    expect((await readData(v, token, alice.handle)).status).toBe(200);
  });
});
