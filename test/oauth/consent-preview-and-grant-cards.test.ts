import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import {
  REDIRECT,
  defaultTerms,
  details,
  form,
  obtainTokens,
  pkce,
  readData,
  registerCompany,
  updateTerms,
  type RegisteredCompany,
} from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

/**
 * What the consent screen and the grants page get from the server (issue 14): the customer's own values
 * for a request, the company's onward recipients, when a grant's status changed, each company's reads
 * from the audit trail, and whether a suspended grant's re-approval would pass before it is offered.
 */
let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(() => v?.close());

const DAY = 86_400_000;

async function consentRequest(company: RegisteredCompany, customer: Customer, fields: string[]): Promise<string> {
  const par = await form(
    `${v.url}/par`,
    {
      response_type: 'code',
      client_id: company.clientId,
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      state: 's',
      authorization_details: details(fields),
    },
    { authorization: company.basic() },
  );
  expect(par.status).toBe(201);
  const at = await customer.call('GET', `/authorize?client_id=${company.clientId}&request_uri=${par.body.request_uri}`);
  return new URL(at.headers.get('location')!, v.url).searchParams.get('request')!;
}

async function register(name: string, terms: object) {
  const iat = await v.vault.services.companies.issueInitialAccessToken('test');
  return fetch(`${v.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${iat.token}` },
    body: JSON.stringify({ client_name: name, redirect_uris: [REDIRECT], terms }),
  });
}

describe('the consent screen shows what would be shared', () => {
  it("when a request names fields, then each comes with the customer's own value, and null where it is not filled in", async () => {
    const alice = await new Customer(v.url).signUp(uniqueEmail('preview'));
    expect((await alice.call('PATCH', '/api/profile', { phone: '+32 470 12 34 56' })).status).toBe(200);
    const shop = await registerCompany(v, { name: 'Preview Shop' });
    const id = await consentRequest(shop, alice, ['phone', 'street_address']);

    const view = (await alice.call('GET', `/api/consent/${id}`)).body;
    expect(view.request.fields.map((f: { name: string; value: unknown }) => [f.name, f.value])).toEqual([
      ['phone', '+32 470 12 34 56'],
      ['street_address', null],
    ]);
    // The request list (inbox, grants page) does not open the customer's values.
    const listed = (await alice.call('GET', '/api/requests')).body.requests ?? [];
    for (const r of listed) for (const f of r.request.fields) expect(f).not.toHaveProperty('value');
  });

  it("when a company names its onward recipients, then the consent screen shows them in the company's words", async () => {
    const alice = await new Customer(v.url).signUp(uniqueEmail('onward'));
    const terms = {
      ...defaultTerms,
      sharesOnward: true,
      onwardSharingDisclosed: true,
      onwardRecipients: 'Our delivery partner, Parcel Co',
    };
    const shop = await registerCompany(v, { name: 'Onward Shop', terms });
    const id = await consentRequest(shop, alice, ['email']);
    const view = (await alice.call('GET', `/api/consent/${id}`)).body;
    expect(view.company.terms.onwardRecipients).toBe('Our delivery partner, Parcel Co');
  });

  it.each<[string, object]>([
    ['recipients without sharing onward', { ...defaultTerms, sharesOnward: false, onwardRecipients: 'Parcel Co' }],
    ['recipients over two lines', { ...defaultTerms, sharesOnward: true, onwardRecipients: 'Parcel Co\nand more' }],
    ['empty recipients', { ...defaultTerms, sharesOnward: true, onwardRecipients: '  ' }],
    ['recipients of 501 characters', { ...defaultTerms, sharesOnward: true, onwardRecipients: 'x'.repeat(501) }],
  ])('when terms give %s, then registration is a 400 invalid_client_metadata', async (_name, terms) => {
    const res = await register('Odd Shop', terms);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('invalid_client_metadata');
  });
});

const NO_BENEFITS = { awaitingAnswer: 0, confirmed: 0, disputed: 0, totals: [] };

describe('the grants page, company by company', () => {
  it('when the customer revokes, then the grant says when its status changed, and a narrowing before it did not count', async () => {
    const bob = await new Customer(v.url).signUp(uniqueEmail('stopped'));
    const shop = await registerCompany(v, { name: 'Stopped Shop' });
    const t = await obtainTokens(v, shop, bob, { fields: ['email', 'phone'] });
    const path = `/api/grants/${t.grant_id}`;

    expect((await bob.call('PATCH', path, { fields: ['email'] })).status).toBe(200);
    expect((await bob.call('GET', path)).body.statusChangedAt).toBeNull();

    v.clock.advance(60_000);
    const revokedAt = v.clock.now().toISOString();
    expect((await bob.call('DELETE', path)).status).toBe(204);
    const g = (await bob.call('GET', path)).body;
    expect(g).toMatchObject({ status: 'revoked', statusChangedAt: revokedAt });
    expect(g.expiresAt).not.toBe(revokedAt);
  });

  it("when a company reads, then its entry says when it last read, how often in 30 days, which fields it holds, and its terms' retention and contact", async () => {
    const email = uniqueEmail('reads');
    const carol = await new Customer(v.url).signUp(email);
    await carol.call('PATCH', '/api/profile', { phone: '+32 470 12 34 56' });
    const shop = await registerCompany(v, { name: 'Reading Shop' });
    const first = await obtainTokens(v, shop, carol, { fields: ['email', 'phone'], duration: 'P60D' });
    const firstRead = v.clock.now().toISOString();
    expect((await readData(v, first.access_token, carol.handle)).status).toBe(200);

    // 31 days on, the first read falls out of the window; two new reads of one field fall in it.
    v.clock.advance(31 * DAY);
    expect((await carol.signIn(email)).status).toBe(200);
    const second = await obtainTokens(v, shop, carol, { fields: ['email'] });
    expect((await readData(v, second.access_token, carol.handle)).status).toBe(200);
    const lastRead = v.clock.now().toISOString();
    expect((await readData(v, second.access_token, carol.handle)).status).toBe(200);

    const { grants, companies } = (await carol.call('GET', '/api/grants')).body;
    expect(grants).toHaveLength(2);
    expect(companies).toEqual([
      {
        id: shop.clientId,
        lastReadAt: lastRead,
        readsLast30Days: 2,
        fieldsRead: expect.arrayContaining(['email', 'phone']),
        retentionDays: 90,
        contact: 'privacy@shop.example',
        // What the customer gave over time, beside what came back (issue 16, the benefit ledger).
        firstReadAt: firstRead,
        readsTotal: 3,
        recordsDeposited: 0,
        benefits: NO_BENEFITS,
      },
    ]);
    expect(companies[0].fieldsRead).toHaveLength(2);
  });

  it('when no company has read, then its entry says so with zero reads and nothing held', async () => {
    const dan = await new Customer(v.url).signUp(uniqueEmail('noreads'));
    const shop = await registerCompany(v, { name: 'Quiet Shop', terms: { ...defaultTerms, contact: undefined } });
    await obtainTokens(v, shop, dan, { fields: ['email'] });
    const { companies } = (await dan.call('GET', '/api/grants')).body;
    expect(companies).toEqual([
      {
        id: shop.clientId,
        lastReadAt: null,
        readsLast30Days: 0,
        fieldsRead: [],
        retentionDays: 90,
        contact: null,
        firstReadAt: null,
        readsTotal: 0,
        recordsDeposited: 0,
        benefits: NO_BENEFITS,
      },
    ]);
  });

  it('when a suspended grant would still fail the policy, then the list says it cannot be re-approved and why; once the criteria allow it, it can', async () => {
    const erin = await new Customer(v.url).signUp(uniqueEmail('reapprove'));
    const shop = await registerCompany(v, { name: 'Drift Shop' });
    const t = await obtainTokens(v, shop, erin, { fields: ['email'] });
    expect((await erin.call('PUT', '/api/criteria', { requiredValueTags: ['no-resale'] })).status).toBe(200);
    await updateTerms(v, shop, 'Drift Shop', { ...defaultTerms, valueTags: ['eu-hosting'] });

    const refused = (await erin.call('GET', `/api/grants/${t.grant_id}`)).body;
    expect(refused).toMatchObject({ status: 'suspended', canReapprove: false });
    expect(refused.reapproveReasons.length).toBeGreaterThan(0);
    expect(JSON.stringify(refused.reapproveReasons)).toMatch(/Never sells your data/);
    // The list says what the endpoint does.
    expect((await erin.call('POST', `/api/grants/${t.grant_id}/reapprove`)).status).toBe(403);

    expect((await erin.call('PUT', '/api/criteria', { requiredValueTags: [] })).status).toBe(200);
    const listed = (await erin.call('GET', '/api/grants')).body.grants[0];
    expect(listed).toMatchObject({ status: 'suspended', canReapprove: true });
    expect(listed).not.toHaveProperty('reapproveReasons');
    expect((await erin.call('POST', `/api/grants/${t.grant_id}/reapprove`)).status).toBe(200);
  });
});
