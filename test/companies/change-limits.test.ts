import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { defaultTerms, obtainTokens, REDIRECT, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf } from '../support/rows.ts';

// A company's terms versions and names are kept for ever, each terms change that is worse for customers puts a
// message in every customer's inbox, and each name a company ever had is closed to every other company: so how
// often a company may change them is bounded (SECURITY.md "Floods and bounds").

let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;
const NAME = 'Limited Shop';

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: NAME });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await obtainTokens(v, shop, alice, { fields: ['email'] });
});
afterAll(async () => v.close());

function update(name: string, terms: object) {
  return fetch(`${v.url}/register/${shop.clientId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${shop.registrationAccessToken}` },
    body: JSON.stringify({
      client_id: shop.clientId,
      client_name: name,
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      terms,
    }),
  });
}
const worse = (n: number) => ({ ...defaultTerms, retentionDays: n % 2 ? 91 : 90 });
const termsWorseMessages = async () =>
  ((await alice.call('GET', '/api/inbox')).body.messages as { kind: string }[]).filter(
    (m) => m.kind === 'grant.terms-worse',
  ).length;
const termsVersions = () => countOf(v, 'select count(*) AS n from company_terms where company_id = ?', shop.clientId);

describe('how often a company may change its terms and its name', () => {
  it('when a company flips its terms back and forth, then after 10 new versions in a day the next is a 429 that changes nothing', async () => {
    for (let i = 1; i <= 10; i++) expect((await update(NAME, worse(i))).status).toBe(200);
    const messages = await termsWorseMessages();
    const versions = await termsVersions();
    const refused = await update(NAME, worse(11));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await termsWorseMessages()).toBe(messages);
    expect(await termsVersions()).toBe(versions);
    // The same terms again is no change, and a day later the company may change them again.
    expect((await update(NAME, worse(10))).status).toBe(200);
    v.clock.advance(24 * 3600_000 + 1000);
    expect((await update(NAME, worse(11))).status).toBe(200);
  });

  it('when a company renames itself again and again, then after 10 names in a day the next is a 429 and the name stays free', async () => {
    for (let i = 1; i <= 10; i++) expect((await update(`${NAME} ${'x'.repeat(i)}`, worse(11))).status).toBe(200);
    const refused = await update('Squatted Brand', worse(11));
    expect(refused.status).toBe(429);
    // The refused name was not taken: another company can still register it.
    await expect(registerCompany(v, { name: 'Squatted Brand' })).resolves.toBeDefined();
  });
});
