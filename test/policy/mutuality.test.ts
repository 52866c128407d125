import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import {
  REDIRECT,
  defaultTerms,
  details,
  form,
  obtainCode,
  obtainTokens,
  pkce,
  readData,
  registerCompany,
} from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { rowOf } from '../support/rows.ts';

let v: RunningVault;
let alice: Customer;
const aliceEmail = uniqueEmail('alice');

beforeAll(async () => {
  v = await startVault();
  alice = await new Customer(v.url).signUp(aliceEmail);
  await alice.call('PATCH', '/api/profile', { phone: '+32 470 11 22 33', allergies: ['peanuts'], interests: ['jazz'] });
});
afterAll(async () => v.close());
beforeEach(async () => {
  await alice.call('PUT', '/api/criteria', {});
});

const par = async (
  company: Awaited<ReturnType<typeof registerCompany>>,
  fields: string[],
  purpose: string,
  duration: string,
) =>
  form(
    `${v.url}/par`,
    {
      response_type: 'code',
      client_id: company.clientId,
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      authorization_details: details(fields, purpose, duration),
    },
    { authorization: company.basic() },
  );

describe('mutuality through the real server', () => {
  it('when a marketing request comes from a company offering no benefit, then it is refused with its reason', async () => {
    const stingy = await registerCompany(v, { name: 'Stingy', terms: { ...defaultTerms, benefit: { kind: 'none' } } });
    const r = await par(stingy, ['email'], 'marketing', 'P30D');
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('access_denied');
    // Standard OAuth clients show error_description: it must be there on a policy refusal too.
    expect(r.body.error_description).toBe(r.body.detail);
    expect(r.body.reasons.map((x: { code: string }) => x.code)).toContain('BENEFIT_REQUIRED');
  });

  it('when a health field is asked for longer than the sensitive limit, then it is refused', async () => {
    const lab = await registerCompany(v, { name: 'Lab', terms: { ...defaultTerms, purposes: ['research'] } });
    const r = await par(lab, ['allergies'], 'research', 'P60D');
    expect(r.status).toBe(403);
    expect(r.body.reasons.map((x: { code: string }) => x.code)).toContain('SENSITIVE_DURATION_EXCEEDED');
    expect((await par(lab, ['allergies'], 'research', 'P20D')).status).toBe(201);
  });

  it("when the customer's criteria refuse a company that keeps data too long, then the request is refused with the customer's reason", async () => {
    const hoarder = await registerCompany(v, { name: 'Hoarder', terms: { ...defaultTerms, retentionDays: 365 } });
    expect((await alice.call('PUT', '/api/criteria', { maxRetentionDays: 30 })).status).toBe(200);
    const c = await obtainCode(v, hoarder, alice);
    expect(c.code).toBeNull();
    expect(c.error).toBe('access_denied');
    expect(c.errorDescription).toContain('CUSTOMER_CRITERIA');
    const denied = (await rowOf<{ body: string }>(
      v,
      "select body from audit_events where action = 'grant.denied' order by seq desc limit 1",
    ))!;
    expect(denied.body).toContain('RETENTION_OVER_CUSTOMER_MAX');
  });

  it('when an auto-approve rule matches, then the code is issued without a consent prompt', async () => {
    const shop = await registerCompany(v, { name: 'Auto Shop' });
    await alice.call('PUT', '/api/criteria', {
      autoApprove: [
        { purposes: ['order-fulfilment'], categories: ['contact'], actions: ['read'], maxDurationDays: 30 },
      ],
    });
    const c = await obtainCode(v, shop, alice, { fields: ['email', 'phone'], duration: 'P14D' });
    expect(c.code).toBeTruthy();
    expect(c.location.startsWith(REDIRECT)).toBe(true);
    const grants = (await alice.call('GET', '/api/grants')).body.grants;
    expect(grants.find((g: { company: { name: string } }) => g.company.name === 'Auto Shop')).toMatchObject({
      autoApproved: true,
      status: 'active',
    });
    // Longer than the rule allows: back to the consent screen.
    const longer = await alice.call(
      'GET',
      `/authorize?client_id=${shop.clientId}&response_type=code&redirect_uri=${encodeURIComponent(REDIRECT)}&code_challenge=${pkce().challenge}&code_challenge_method=S256&scope=${encodeURIComponent('purpose:order-fulfilment read:email duration:60')}`,
    );
    expect(longer.headers.get('location')).toMatch(/^\/consent\?request=/);
  });

  it('when the customer blocks a company, then its live token is refused on the next read and its new requests never reach the customer', async () => {
    const shop = await registerCompany(v, { name: 'Blocked Shop' });
    const t = await obtainTokens(v, shop, alice);
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(200);
    expect((await alice.call('PUT', '/api/criteria', { blockedCompanies: [shop.clientId] })).status).toBe(200);
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(401);
    const again = await obtainCode(v, shop, alice);
    expect(again.error).toBe('access_denied');
    expect(again.errorDescription).toContain('CUSTOMER_CRITERIA');
  });

  it("when the company's new terms no longer pass, then the grant is suspended, reads are refused with the reason, and the inbox says why", async () => {
    const shop = await registerCompany(v, { name: 'Drifting Shop' });
    await alice.call('PUT', '/api/criteria', { requiredValueTags: ['no-resale'] });
    const t = await obtainTokens(v, shop, alice);
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(200);
    const upd = await fetch(`${v.url}/register/${shop.clientId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${shop.registrationAccessToken}` },
      body: JSON.stringify({
        client_id: shop.clientId,
        client_name: 'Drifting Shop',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        terms: { ...defaultTerms, valueTags: ['eu-hosting'] },
      }),
    });
    expect(upd.status).toBe(200);
    const r = await readData(v, t.access_token, alice.handle);
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/suspended/);
    // The token would allow the read; the grant's state refuses it: no insufficient_scope challenge (RFC 6750 §3.1).
    expect(r.headers.get('www-authenticate')).toBeNull();
    const grant = (await alice.call('GET', `/api/grants/${t.grant_id}`)).body;
    expect(grant.status).toBe('suspended');
    const inbox = (await alice.call('GET', '/api/inbox')).body.messages;
    const note = inbox.find(
      (m: { kind: string; body: { grantId: string } }) => m.kind === 'grant.suspended' && m.body.grantId === t.grant_id,
    );
    expect(note.body.text).toMatch(/Drifting Shop/);
    // The commitment in words from policies/value-tags.json, never as the company's kebab-case tag.
    expect(note.body.text).toContain('“Never sells your data”');
    expect(note.body.text).not.toContain('no-resale');
    // Re-approval is refused while the criteria still fail; after relaxing them it works.
    expect((await alice.call('POST', `/api/grants/${t.grant_id}/reapprove`)).status).toBe(403);
    await alice.call('PUT', '/api/criteria', {});
    const re = await alice.call('POST', `/api/grants/${t.grant_id}/reapprove`);
    expect(re.status).toBe(200);
    expect(re.body).toMatchObject({ status: 'active', termsVersion: 2 });
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(200);
  });

  it('when the customer tightens their criteria, then live grants that no longer pass are suspended and the inbox says why', async () => {
    const shop = await registerCompany(v, { name: 'Long Keeper', terms: { ...defaultTerms, retentionDays: 200 } });
    const t = await obtainTokens(v, shop, alice);
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(200);
    expect((await alice.call('PUT', '/api/criteria', { maxRetentionDays: 60 })).status).toBe(200);
    expect((await alice.call('GET', `/api/grants/${t.grant_id}`)).body).toMatchObject({ status: 'suspended' });
    const r = await readData(v, t.access_token, alice.handle);
    expect(r.status).toBe(403);
    const note = (await alice.call('GET', '/api/inbox')).body.messages.find(
      (m: { kind: string; body: { grantId: string } }) => m.kind === 'grant.suspended' && m.body.grantId === t.grant_id,
    );
    expect(note.body.text).toMatch(/Your criteria changed/);
    expect(note.body.text).toMatch(/200 days/);
  });

  it('when the usage budget is spent, then the next read is refused with the budget reason', async () => {
    const shop = await registerCompany(v, { name: 'Chatty Marketer' });
    const t = await obtainTokens(v, shop, alice, { purpose: 'marketing', fields: ['email'] });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await readData(v, t.access_token, alice.handle)).status);
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    const last = await readData(v, t.access_token, alice.handle);
    expect(statuses[10]).toBe(403);
    expect(last.body.reasons.map((x: { code: string }) => x.code)).toContain('USAGE_BUDGET_HOUR_EXCEEDED');
    v.clock.advance(3600_000 + 1000);
    await alice.signIn(aliceEmail);
    const t2 = await obtainTokens(v, shop, alice, { purpose: 'marketing', fields: ['email'] });
    expect((await readData(v, t2.access_token, alice.handle)).status).toBe(200);
  });
});
