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
 * The customer approves the terms they were shown, and hears about terms that get worse afterwards:
 * the approval names the terms version on the consent screen, a company that changed its terms in
 * between gets no grant (409, the screen shows the new terms), and live grants under new, worse but
 * still acceptable terms bring an inbox message that says what changed.
 */
let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(() => v?.close());

/** PAR and /authorize for a signed-in customer: the consent request's id, as the consent screen gets it. */
async function consentRequest(company: RegisteredCompany, customer: Customer): Promise<string> {
  const par = await form(
    `${v.url}/par`,
    {
      response_type: 'code',
      client_id: company.clientId,
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      state: 's',
      authorization_details: details(['email']),
    },
    { authorization: company.basic() },
  );
  const at = await customer.call('GET', `/authorize?client_id=${company.clientId}&request_uri=${par.body.request_uri}`);
  return new URL(at.headers.get('location')!, v.url).searchParams.get('request')!;
}

const worse = {
  ...defaultTerms,
  retentionDays: 365,
  sharesOnward: true,
  onwardSharingDisclosed: true,
  benefit: { kind: 'none' },
};

describe('the terms version shown is the version approved', () => {
  it('when the company replaces its terms after the consent screen, then the approval is a 409 terms-changed, nothing is granted, and the screen shows the new terms to approve', async () => {
    const alice = await new Customer(v.url).signUp(uniqueEmail('terms'));
    const shop = await registerCompany(v, { name: 'Switch Shop' });
    const id = await consentRequest(shop, alice);
    const shown = (await alice.call('GET', `/api/consent/${id}`)).body;
    expect(shown.company.terms).toMatchObject({ version: 1, retentionDays: 90 });

    expect(await updateTerms(v, shop, 'Switch Shop', worse)).toBe(2);
    const refused = await alice.call('POST', `/api/consent/${id}`, { decision: 'approve', termsVersion: 1 });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: expect.stringMatching(/\/terms-changed$/), termsVersion: 2 });
    expect((await alice.call('GET', '/api/grants')).body.grants).toEqual([]);

    const again = (await alice.call('GET', `/api/consent/${id}`)).body;
    expect(again).toMatchObject({ status: 'pending', company: { terms: { version: 2, retentionDays: 365 } } });
    const approved = await alice.call('POST', `/api/consent/${id}`, { decision: 'approve', termsVersion: 2 });
    expect(approved.status).toBe(200);
    expect(new URL(approved.body.redirectTo).searchParams.get('code')).toMatch(/^ac_/);
    expect((await alice.call('GET', '/api/grants')).body.grants).toMatchObject([{ termsVersion: 2 }]);
  });

  it('when an approval does not say which terms version it approves, then it is a 400 and the request still waits', async () => {
    const bob = await new Customer(v.url).signUp(uniqueEmail('terms'));
    const shop = await registerCompany(v, { name: 'Quiet Shop' });
    const id = await consentRequest(shop, bob);
    const r = await bob.call('POST', `/api/consent/${id}`, { decision: 'approve' });
    expect(r.status).toBe(400);
    expect((await bob.call('GET', `/api/consent/${id}`)).body.status).toBe('pending');
    expect((await bob.call('GET', '/api/grants')).body.grants).toEqual([]);
  });

  it('when a back-channel request is approved from the inbox after the terms changed, then it is refused the same way', async () => {
    const carol = await new Customer(v.url).signUp(uniqueEmail('terms'));
    const shop = await registerCompany(v, { name: 'Phone Shop' });
    const ask = await form(
      `${v.url}/bc-authorize`,
      { login_hint: carol.handle, authorization_details: details(['email'], 'customer-support', 'P7D') },
      { authorization: shop.basic() },
    );
    expect(ask.status).toBe(200);
    await updateTerms(v, shop, 'Phone Shop', worse);
    const r = await carol.call('POST', `/api/consent/${ask.body.auth_req_id}`, {
      decision: 'approve',
      termsVersion: 1,
    });
    expect(r.status).toBe(409);
    expect((await carol.call('GET', '/api/grants')).body.grants).toEqual([]);
  });
});

describe("the customer hears about a company's worse terms", () => {
  it('when new terms are worse but still pass, then the inbox says what changed in plain words, the grant carries on, and one revoke ends it', async () => {
    const dana = await new Customer(v.url).signUp(uniqueEmail('worse'));
    const shop = await registerCompany(v, { name: 'Greedy Shop' });
    const t = await obtainTokens(v, shop, dana, { fields: ['email'] });
    await updateTerms(v, shop, 'Greedy Shop', {
      ...worse,
      purposes: [...defaultTerms.purposes, 'analytics'],
      valueTags: ['eu-hosting'],
    });

    expect((await readData(v, t.access_token, dana.handle)).status).toBe(200);
    const messages = (await dana.call('GET', '/api/inbox')).body.messages;
    const notice = messages.filter((m: { kind: string }) => m.kind === 'grant.terms-worse');
    expect(notice).toHaveLength(1);
    expect(notice[0].body).toMatchObject({
      grantId: t.grant_id,
      termsVersion: 2,
      title: 'Greedy Shop changed its terms',
    });
    expect(notice[0].body.changes.map((c: { kind: string }) => c.kind)).toEqual([
      'retention-longer',
      'sharing-added',
      'benefit-removed',
      'purposes-added',
      'commitments-dropped',
    ]);
    expect(notice[0].body.text).toBe(
      'Greedy Shop changed its terms: it now keeps your data for 365 days instead of 90; it now shares your data with others; ' +
        'it no longer gives you anything in return; it now declares more purposes: analytics; it dropped its commitments: no resale. ' +
        'Its access for order fulfilment carries on under the new terms unless you revoke it.',
    );

    expect((await dana.call('DELETE', `/api/grants/${notice[0].body.grantId}`)).status).toBe(204);
    expect((await readData(v, t.access_token, dana.handle)).status).toBe(401);
  });

  it('when new terms are better or only reworded, then no such message is sent', async () => {
    const erin = await new Customer(v.url).signUp(uniqueEmail('better'));
    const shop = await registerCompany(v, { name: 'Kind Shop' });
    await obtainTokens(v, shop, erin, { fields: ['email'] });
    await updateTerms(v, shop, 'Kind Shop', { ...defaultTerms, retentionDays: 30, contact: 'dpo@kind.example' });
    const kinds = (await erin.call('GET', '/api/inbox')).body.messages.map((m: { kind: string }) => m.kind);
    expect(kinds).not.toContain('grant.terms-worse');
  });

  it('when new terms fail the customer criteria, then the grant is suspended and told so, not sent a second message', async () => {
    const finn = await new Customer(v.url).signUp(uniqueEmail('fail'));
    expect((await finn.call('PUT', '/api/criteria', { maxRetentionDays: 100 })).status).toBe(200);
    const shop = await registerCompany(v, { name: 'Long Shop' });
    await obtainTokens(v, shop, finn, { fields: ['email'] });
    await updateTerms(v, shop, 'Long Shop', { ...defaultTerms, retentionDays: 365 });
    const kinds = (await finn.call('GET', '/api/inbox')).body.messages.map((m: { kind: string }) => m.kind);
    expect(kinds).toContain('grant.suspended');
    expect(kinds).not.toContain('grant.terms-worse');
  });
});
