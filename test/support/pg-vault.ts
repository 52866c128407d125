import { Customer, uniqueEmail } from './browser-like.ts';
import { obtainTokens, registerCompany, type RegisteredCompany } from './company.ts';
import { startPostgres, type PostgresCluster } from './postgres.ts';
import { startVault, type RunningVault } from './vault.ts';

/**
 * A vault on a PostgreSQL cluster of the test file's own, with a shop, a customer and the shop's access token for
 * her `fields` and her purchases of the last 12 months from every source.
 */
export async function vaultOnOwnCluster(
  name: string,
  fields: string[],
  cluster: PostgresCluster | Promise<PostgresCluster> = startPostgres(),
): Promise<{ cluster: PostgresCluster; v: RunningVault; shop: RegisteredCompany; alice: Customer; token: string }> {
  const c = await cluster;
  const v = await startVault({ env: { VAULT_DATABASE_URL: await c.createDatabase(name) } });
  const shop = await registerCompany(v, { name: `${name} shop` });
  const alice = await new Customer(v.url).signUp(uniqueEmail(name));
  const records = { categories: ['purchases'], window: 'P12M', sources: 'any' };
  const token = (await obtainTokens(v, shop, alice, { fields, records })).access_token;
  return { cluster: c, v, shop, alice, token };
}
