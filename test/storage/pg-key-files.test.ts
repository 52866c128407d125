import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { form, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

/**
 * Key files on PostgreSQL (SECURITY.md "Keys"): a server started with an empty data dir against a database that
 * already holds a vault's data must stop, naming the key file to copy, even when no customer has signed up yet
 * (companies registered, tokens signed, the audit trail begun). Fresh keys there would sign tokens and checkpoints
 * the first server's keys do not verify. A cluster of this file's own.
 */
let cluster: PostgresCluster;
let url: string;
let a: RunningVault;
let shop: RegisteredCompany;

beforeAll(async () => {
  cluster = await startPostgres();
  url = await cluster.createDatabase('keys');
  a = await startVault({ env: { VAULT_DATABASE_URL: url } });
  shop = await registerCompany(a, { name: 'Keys Shop' });
}, 60_000);
afterAll(async () => {
  await a?.close();
  cluster?.stop();
});

describe('a second server with an empty data dir on a PostgreSQL database that holds companies only', () => {
  it('when it starts, then it refuses, names the key file to restore, and makes no key files', async () => {
    const token = await form(`${a.url}/token`, { grant_type: 'client_credentials' }, { authorization: shop.basic() });
    expect(token.status).toBe(200);
    expect(await cluster.query('keys', 'SELECT 1 FROM customers')).toHaveLength(0);

    const empty = mkdtempSync(join(tmpdir(), 'vault-empty-'));
    try {
      await expect(startVault({ dataDir: empty, env: { VAULT_DATABASE_URL: url } })).rejects.toThrow(
        /kek\.json is missing/,
      );
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
