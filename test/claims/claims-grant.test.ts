import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { obtainTokens, readData, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf, rowOf } from '../support/rows.ts';

// What a grant of answers covers: no field read passes for a success, and the customer may keep fewer claims.
let v: RunningVault;
let brewco: RegisteredCompany;
let alice: Customer;

const details = (claims: unknown, fields: string[] = []) =>
  JSON.stringify([
    { type: 'customer_data', purpose: 'age-verification', fields, claims, duration: 'P365D', actions: ['read'] },
  ]);
const ask = (token: string, name: string) =>
  fetch(`${v.url}/data/customers/${alice.handle}/claims/${name}`, { headers: { authorization: `Bearer ${token}` } });
const lastEvent = async () =>
  JSON.parse((await rowOf<{ body: string }>(v, 'SELECT body FROM audit_events ORDER BY seq DESC LIMIT 1'))!.body);
const counts = async () => ({
  grants: await countOf(v, 'SELECT count(*) AS n FROM grants'),
  audit: await countOf(v, 'SELECT count(*) AS n FROM audit_events'),
});

beforeAll(async () => {
  v = await startVault();
  brewco = await registerCompany(v, {
    name: 'Brewco',
    terms: {
      purposes: ['age-verification'],
      retentionDays: 30,
      benefit: { kind: 'service', description: 'Beer delivered to your door' },
      valueTags: ['no-resale'],
    },
  });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  await alice.call('PATCH', '/api/profile', { date_of_birth: '1990-05-17', country: 'BE', postal_code: '1000' });
});
afterAll(async () => v.close());

describe('a grant of claims only', () => {
  it('when the company reads fields with a claims-only grant, then 403 NO_FIELDS_GRANTED, audited, and nothing is released', async () => {
    const t = await obtainTokens(v, brewco, alice, {
      authorizationDetails: details([{ name: 'age_over', value: 18 }]),
    });
    const r = await readData(v, t.access_token, alice.handle);
    expect(r.status).toBe(403);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(r.body.detail).toMatch(/covers no profile fields/);
    expect(r.body.reasons).toEqual([expect.objectContaining({ code: 'NO_FIELDS_GRANTED' })]);
    expect(r.body.fields).toBeUndefined();
    expect(JSON.stringify(r.body)).not.toContain('1990-05-17');
    expect(await lastEvent()).toMatchObject({
      action: 'data.denied',
      grantId: t.grant_id,
      reasons: [{ code: 'NO_FIELDS_GRANTED' }],
    });
    // The claim itself still answers.
    expect((await ask(t.access_token, 'age_over')).status).toBe(200);
  });
});

describe('the customer narrows claims at consent', () => {
  const both = () =>
    details(
      [
        { name: 'age_over', value: 18 },
        { name: 'country_in', value: ['EU'] },
      ],
      ['postal_code'],
    );

  it('when the customer unticks a claim, then the grant answers only the claims kept', async () => {
    const t = await obtainTokens(v, brewco, alice, {
      authorizationDetails: both(),
      approve: { claims: ['age_over'] },
    });
    const g = await alice.call('GET', `/api/grants/${t.grant_id}`);
    expect(g.body.claims).toEqual([{ name: 'age_over', value: 18 }]);
    expect((await ask(t.access_token, 'age_over')).status).toBe(200);
    const refused = await ask(t.access_token, 'country_in');
    expect(refused.status).toBe(403);
    expect(await lastEvent()).toMatchObject({ action: 'data.denied', reasons: [{ code: 'CLAIM_NOT_GRANTED' }] });
  });

  it('when the customer keeps a claim and no field, then the grant answers the claim and reads nothing', async () => {
    const t = await obtainTokens(v, brewco, alice, {
      authorizationDetails: both(),
      approve: { fields: [], claims: ['country_in'] },
    });
    const g = await alice.call('GET', `/api/grants/${t.grant_id}`);
    expect(g.body).toMatchObject({ fields: [], claims: [{ name: 'country_in', value: ['EU'] }] });
    expect((await ask(t.access_token, 'country_in')).status).toBe(200);
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(403);
  });

  it('when the customer keeps every field and no claim, then the grant reads the fields and answers no claim', async () => {
    const t = await obtainTokens(v, brewco, alice, { authorizationDetails: both(), approve: { claims: [] } });
    const g = await alice.call('GET', `/api/grants/${t.grant_id}`);
    expect(g.body).toMatchObject({ fields: ['postal_code'], claims: [] });
    expect((await ask(t.access_token, 'age_over')).status).toBe(403);
  });

  it.each([
    ['nothing at all', { fields: [], claims: [] }, /at least one/],
    ['a claim that was not asked for', { claims: ['age_over', 'postal_code_prefix'] }, /only claims that were asked/],
    ['a claim not in the catalogue', { claims: ['shoe_size'] }, /claims/],
  ])('when the customer approves %s, then a 4xx problem and no grant', async (_n, approve, msg) => {
    const before = await counts();
    const err = await obtainTokens(v, brewco, alice, { authorizationDetails: both(), approve }).catch((e) => e);
    expect(String(err)).toMatch(/consent failed: 4\d\d/);
    expect(String(err)).toMatch(msg);
    expect(await counts()).toEqual(before);
  });

  it('when the customer shortens a claims-only grant, then it ends earlier and its claim stops at the new end', async () => {
    const t = await obtainTokens(v, brewco, alice, {
      authorizationDetails: details([{ name: 'age_over', value: 18 }]),
    });
    const end = new Date(v.clock.now().getTime() + 2 * 86_400_000).toISOString();
    const r = await alice.call('PATCH', `/api/grants/${t.grant_id}`, { expiresAt: end });
    expect(r.status).toBe(200);
    expect(r.body.expiresAt).toBe(end);
    // Fields cannot be added to a grant that has none.
    expect((await alice.call('PATCH', `/api/grants/${t.grant_id}`, { fields: ['email'] })).status).toBe(400);
    v.clock.advance(3 * 86_400_000);
    expect((await ask(t.access_token, 'age_over')).status).toBe(401);
  });
});

describe('the inbox after a claims-only grant is narrowed', () => {
  it('when the customer shortens it, then the message names the answers, never an empty field list', async () => {
    const carol = await new Customer(v.url).signUp(uniqueEmail('carol'));
    await carol.call('PATCH', '/api/profile', { date_of_birth: '1990-05-17' });
    const t = await obtainTokens(v, brewco, carol, {
      authorizationDetails: details([{ name: 'age_over', value: 18 }]),
    });
    const end = new Date(v.ctx.clock.now().getTime() + 7 * 86_400_000).toISOString();
    expect((await carol.call('PATCH', `/api/grants/${t.grant_id}`, { expiresAt: end })).status).toBe(200);
    const inbox = (await carol.call('GET', '/api/inbox')).body.messages as { kind: string; body: any }[];
    const m = inbox.find((x) => x.kind === 'grant.narrowed' && x.body.grantId === t.grant_id)!;
    expect(m.body.facts).toMatchObject({ fields: [], claims: ['age_over'] });
    expect(m.body.text).toMatch(/^Brewco may now only read your data for age verification, until /);
    expect(m.body.text).not.toMatch(/your\s+for/);
  });
});
