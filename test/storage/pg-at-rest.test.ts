import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany } from '../support/company.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

/**
 * SECURITY.md "Data at rest" on PostgreSQL: no personal value reaches the database in clear, neither a table's
 * rows (the audit trail among them) nor the files PostgreSQL writes (heap and WAL), after a customer has filled
 * a profile, a company has read it and the customer has signed in again. A cluster of this file's own, so that its
 * files hold this vault's data only.
 */
const secrets = {
  given_name: 'Zebulon',
  family_name: 'Quixotebridge',
  street_address: '742 Evergreen Terrace',
  phone: '+32 470 13 57 91',
};
let cluster: PostgresCluster;
let v: RunningVault;

beforeAll(async () => {
  cluster = await startPostgres();
  v = await startVault({ env: { VAULT_DATABASE_URL: await cluster.createDatabase('at_rest') } });
}, 60_000);
afterAll(async () => {
  await v?.close();
  cluster?.stop();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('personal data at rest on PostgreSQL', () => {
  it('when a profile is written, read by a company and signed into, then no table row and no file of the cluster holds a value in clear', async () => {
    const email = uniqueEmail('pg-at-rest');
    const c = await new Customer(v.url).signUp(email);
    expect((await c.call('PATCH', '/api/profile', secrets)).status).toBe(200);
    const shop = await registerCompany(v, { name: 'At Rest Shop' });
    const t = await obtainTokens(v, shop, c, { fields: ['phone'] });
    expect(JSON.stringify((await readData(v, t.access_token, c.handle)).body)).toContain(secrets.phone);
    expect((await new Customer(v.url).signIn(email)).status).toBe(200);

    const tables = await cluster.query<{ name: string }>(
      'at_rest',
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(tables.length).toBeGreaterThan(20);
    let rows = '';
    for (const { name } of tables)
      rows += (await cluster.query<{ r: string }>('at_rest', `SELECT t::text AS r FROM "${name}" t`))
        .map((x) => x.r)
        .join('\n');
    // The probe can find things: the vault handle is public and stored in clear.
    expect(rows).toContain(c.handle);
    await cluster.query('at_rest', 'CHECKPOINT');
    const files = Buffer.concat(filesUnder(cluster.dataDir).map((f) => readFileSync(f)));
    expect(files.includes(Buffer.from(c.handle))).toBe(true);
    for (const s of [email, ...Object.values(secrets)]) {
      expect(rows.includes(s), `plaintext ${s} in a table row`).toBe(false);
      expect(files.includes(Buffer.from(s)), `plaintext ${s} in the cluster's files`).toBe(false);
    }
  }, 60_000);
});
