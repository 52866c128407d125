import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf } from '../support/rows.ts';

let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(async () => v.close());

const count = (table: 'usage_counters' | 'refusal_windows' | 'initial_access_tokens') =>
  countOf(v, `SELECT count(*) AS n FROM ${table}`);

describe('the sweep purges the usage and refusal counts once no window reaches them', () => {
  it('when a day and an hour have passed since a read and a refusal, then their counts are deleted, and not before', async () => {
    const shop = await registerCompany(v, { name: 'Counter Shop' });
    const alice = await new Customer(v.url).signUp(uniqueEmail('counters'));
    await alice.call('PATCH', '/api/profile', { email: 'alice@example.test' });
    const t = await obtainTokens(v, shop, alice, { fields: ['email'] });
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(200);
    expect((await readData(v, t.access_token, alice.handle, ['phone'])).status).toBe(403);
    expect(await count('usage_counters')).toBe(1);
    expect(await count('refusal_windows')).toBe(1);

    await v.vault.sweep();
    expect(await count('usage_counters')).toBe(1); // still inside the hour and the minute

    v.clock.advance(2 * 60_000);
    await v.vault.sweep();
    expect(await count('refusal_windows')).toBe(0);
    expect(await count('usage_counters')).toBe(1); // the day's budget still counts it

    v.clock.advance(26 * 3600_000);
    await v.vault.sweep();
    expect(await count('usage_counters')).toBe(0);
  });

  it('when an initial access token has passed its end, used or not, then the sweep deletes it, and not a live one', async () => {
    const before = await count('initial_access_tokens');
    const companies = v.vault.services.companies;
    await companies.issueInitialAccessToken('short', 1);
    await companies.issueInitialAccessToken('long', 48);
    expect(await count('initial_access_tokens')).toBe(before + 2);
    v.clock.advance(2 * 3600_000);
    await v.vault.sweep();
    expect(await count('initial_access_tokens')).toBe(1);
    v.clock.advance(48 * 3600_000);
    await v.vault.sweep();
    expect(await count('initial_access_tokens')).toBe(0);
  });
});
