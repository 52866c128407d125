import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import {
  form,
  obtainTokens,
  pkce,
  readData,
  registerCompany,
  REDIRECT,
  type RegisteredCompany,
} from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf, rowOf, rowsOf } from '../support/rows.ts';

let v: RunningVault;
let brewco: RegisteredCompany;
let alice: Customer;

const BREWCO_TERMS = {
  purposes: ['age-verification'],
  retentionDays: 30,
  benefit: { kind: 'service', description: 'Beer delivered to your door' },
  valueTags: ['no-resale'],
};
const claimDetails = (claims: unknown, extra: object = {}) =>
  JSON.stringify([
    { type: 'customer_data', purpose: 'age-verification', claims, duration: 'P365D', actions: ['read'], ...extra },
  ]);
const askClaim = (token: string, handle: string, name: string) =>
  fetch(`${v.url}/data/customers/${handle}/claims/${name}`, { headers: { authorization: `Bearer ${token}` } });
const auditCount = () => countOf(v, 'SELECT count(*) AS n FROM audit_events');
const requestCount = () => countOf(v, 'SELECT count(*) AS n FROM auth_requests');

async function verifyClaim(token: string) {
  const jwks = await (await fetch(`${v.url}/jwks.json`)).json();
  return jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: v.ctx.config.publicUrl,
    audience: brewco.clientId,
    typ: 'customer-claim+jwt',
    currentDate: v.clock.now(),
  });
}

beforeAll(async () => {
  v = await startVault();
  brewco = await registerCompany(v, { name: 'Brewco', terms: BREWCO_TERMS });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  expect(
    (await alice.call('PATCH', '/api/profile', { date_of_birth: '1990-05-17', country: 'BE', postal_code: '1000' }))
      .status,
  ).toBe(200);
});
afterAll(async () => v.close());

describe('the brewery journey: answers instead of data', () => {
  it('when a brewery asks age_over 18, then the customer approves without sharing the date of birth, the brewery gets a signed true that verifies with the JWKS, and the activity says what it learned', async () => {
    // The consent screen says it in words, with the answer that would be given.
    const p = pkce();
    const par = await form(
      `${v.url}/par`,
      {
        response_type: 'code',
        client_id: brewco.clientId,
        redirect_uri: REDIRECT,
        code_challenge: p.challenge,
        code_challenge_method: 'S256',
        authorization_details: claimDetails([{ name: 'age_over', value: 18 }]),
      },
      { authorization: brewco.basic() },
    );
    expect(par.status).toBe(201);
    const auth = await alice.call(
      'GET',
      `/authorize?client_id=${encodeURIComponent(brewco.clientId)}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
    );
    const id = new URL(auth.headers.get('location')!, v.url).searchParams.get('request')!;
    const shown = await alice.call('GET', `/api/consent/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.request.fields).toEqual([]);
    expect(shown.body.request.claims).toEqual([
      expect.objectContaining({
        name: 'age_over',
        value: 18,
        sentence: 'Brewco will learn whether you are over 18, not your date of birth',
        answer: true,
      }),
    ]);
    expect(shown.body.decision.allow).toBe(true);
    const ok = await alice.call('POST', `/api/consent/${id}`, {
      decision: 'approve',
      termsVersion: shown.body.company.terms.version,
    });
    expect(ok.status).toBe(200);
    const code = new URL(ok.body.redirectTo).searchParams.get('code')!;
    const t = await form(
      `${v.url}/token`,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: p.verifier },
      { authorization: brewco.basic() },
    );
    expect(t.status).toBe(200);
    expect(t.body.authorization_details[0].claims).toEqual([{ name: 'age_over', value: 18 }]);
    expect(t.body.scope).toContain('claim:age_over:18');

    const res = await askClaim(t.body.access_token, alice.handle, 'age_over');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('1990');
    const body = JSON.parse(text);
    expect(body).toMatchObject({ token_type: 'customer-claim+jwt', expires_in: 300 });
    const { payload, protectedHeader } = await verifyClaim(body.claim_token);
    expect(protectedHeader.typ).toBe('customer-claim+jwt');
    expect(payload).toMatchObject({
      aud: brewco.clientId,
      sub: alice.handle,
      grant_id: t.body.grant_id,
      claim: { name: 'age_over', value: 18, result: true },
    });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(typeof payload.jti).toBe('string');
    expect(JSON.stringify(payload)).not.toContain('1990');

    // The date itself never leaves: the grant covers no field.
    const dob = await readData(v, t.body.access_token, alice.handle, ['date_of_birth']);
    expect(dob.status).toBe(403);
    expect(JSON.stringify(dob.body)).not.toContain('1990');

    // The audit event names the claim and its result only; the activity says it in words.
    const trail = (await rowsOf<{ body: string }>(v, "SELECT body FROM audit_events WHERE action = 'data.claim'")).map(
      (r) => r.body,
    );
    expect(trail).toHaveLength(1);
    const event = JSON.parse(trail[0]!);
    expect(event.detail).toEqual({ claim: 'age_over', parameter: '18', result: 'true' });
    expect(event.fields).toBeUndefined();
    const reads = await alice.call('GET', '/api/reads');
    const line = reads.body.reads.find((r: { action: string }) => r.action === 'data.claim');
    expect(line).toMatchObject({ company: { name: 'Brewco' }, learned: 'learned that you are over 18' });
  });

  it('when the customer is under the age asked, then the answer is a signed false; with no date of birth, null', async () => {
    const young = await new Customer(v.url).signUp(uniqueEmail('young'));
    await young.call('PATCH', '/api/profile', { date_of_birth: '2010-01-01' });
    const empty = await new Customer(v.url).signUp(uniqueEmail('empty'));
    const opts = { authorizationDetails: claimDetails([{ name: 'age_over', value: 18 }]) };
    for (const [who, expected] of [
      [young, false],
      [empty, null],
    ] as const) {
      const t = await obtainTokens(v, brewco, who, opts);
      const body = await (await askClaim(t.access_token, who.handle, 'age_over')).json();
      expect((await verifyClaim(body.claim_token)).payload.claim).toMatchObject({ result: expected });
    }
  });

  it('when claims are asked in scope form, then country_in and postal_code_prefix are answered', async () => {
    const t = await obtainTokens(v, brewco, alice, {
      scope: 'purpose:age-verification claim:country_in:EU,CH claim:postal_code_prefix:10 duration:30',
    });
    for (const name of ['country_in', 'postal_code_prefix']) {
      const body = await (await askClaim(t.access_token, alice.handle, name)).json();
      expect((await verifyClaim(body.claim_token)).payload.claim).toMatchObject({ name, result: true });
    }
  });

  it("when the customer's auto-approve rule covers eligibility answers, then a claim is approved alone, but the date of birth still needs them in person", async () => {
    const carol = await new Customer(v.url).signUp(uniqueEmail('carol'));
    await carol.call('PATCH', '/api/profile', { date_of_birth: '1980-02-02' });
    const rule = {
      purposes: ['age-verification'],
      categories: ['eligibility'],
      actions: ['read'],
      maxDurationDays: 365,
    };
    expect((await carol.call('PUT', '/api/criteria', { autoApprove: [rule] })).status).toBe(200);
    const t = await obtainTokens(v, brewco, carol, {
      authorizationDetails: claimDetails([{ name: 'age_over', value: 21 }]),
      // Would fail the flow if a consent screen were shown: an approval there would narrow to nothing.
      approve: { fields: ['date_of_birth'] },
    });
    const grant = (await carol.call('GET', `/api/grants/${t.grant_id}`)).body;
    expect(grant).toMatchObject({ autoApproved: true, claims: [{ name: 'age_over', value: 21 }], fields: [] });
    // The field itself is identity: sensitive, so no auto-approval and at most 30 days.
    const p = pkce();
    const par = await form(
      `${v.url}/par`,
      {
        response_type: 'code',
        client_id: brewco.clientId,
        redirect_uri: REDIRECT,
        code_challenge: p.challenge,
        code_challenge_method: 'S256',
        authorization_details: JSON.stringify([
          { type: 'customer_data', purpose: 'age-verification', fields: ['date_of_birth'], duration: 'P30D' },
        ]),
      },
      { authorization: brewco.basic() },
    );
    expect(par.status).toBe(201);
    const auth = await carol.call(
      'GET',
      `/authorize?client_id=${encodeURIComponent(brewco.clientId)}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
    );
    expect(auth.headers.get('location')).toMatch(/^\/consent\?request=/);
  });
});

describe('bad input is a 4xx problem that changes nothing', () => {
  const par = (params: Record<string, string>) =>
    form(
      `${v.url}/par`,
      {
        response_type: 'code',
        client_id: brewco.clientId,
        redirect_uri: REDIRECT,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        ...params,
      },
      { authorization: brewco.basic() },
    );

  it.each([
    ['an unknown claim', claimDetails([{ name: 'shoe_size_over', value: 40 }]), /claims/],
    ['age_over -3', claimDetails([{ name: 'age_over', value: -3 }]), /claims\.0\.value/],
    ['age_over as text', claimDetails([{ name: 'age_over', value: '18' }]), /claims\.0\.value/],
    ['an unknown country code', claimDetails([{ name: 'country_in', value: ['XX'] }]), /country code/],
    [
      'has_field over a field not in the catalogue',
      claimDetails([{ name: 'has_field', value: 'shoe' }]),
      /unknown field/,
    ],
    [
      'a claim asked twice',
      claimDetails([
        { name: 'age_over', value: 18 },
        { name: 'age_over', value: 21 },
      ]),
      /once/,
    ],
    [
      'a claim for a deposit-only grant',
      claimDetails([{ name: 'age_over', value: 18 }], { actions: ['deposit'] }),
      /read/,
    ],
    ['neither fields nor claims', claimDetails(undefined), /at least one field or one claim/],
    ['an unknown key in a claim', claimDetails([{ name: 'age_over', value: 18, field: 'date_of_birth' }]), /claims/],
  ])('when authorization_details has %s, then PAR answers 400 invalid_authorization_details', async (_n, d, msg) => {
    const [audit, requests] = [await auditCount(), await requestCount()];
    const r = await par({ authorization_details: d });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_authorization_details');
    expect(r.body.error_description).toMatch(msg);
    expect([await auditCount(), await requestCount()]).toEqual([audit, requests]);
  });

  it.each([
    ['claim:age_over:-3'],
    ['claim:age_over:old'],
    ['claim:nope:1'],
    ['claim:country_in:BE,XX'],
    ['claim:age_over'],
    ['claim:age_over:18 claim:age_over:21'],
    ['deposit:purchase_history claim:age_over:18'],
  ])('when the scope has %s, then PAR answers 400 invalid_scope', async (claimTokens) => {
    const [audit, requests] = [await auditCount(), await requestCount()];
    const r = await par({ scope: `purpose:age-verification ${claimTokens} duration:30` });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_scope');
    expect([await auditCount(), await requestCount()]).toEqual([audit, requests]);
  });

  it('when the company asks a claim name that is not in the catalogue, then 400 problem, not audited, not echoed', async () => {
    const t = await obtainTokens(v, brewco, alice, {
      authorizationDetails: claimDetails([{ name: 'age_over', value: 18 }]),
    });
    const audit = await auditCount();
    const r = await askClaim(t.access_token, alice.handle, 'secret-value-42');
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await r.text()).not.toContain('secret-value-42');
    expect(await auditCount()).toBe(audit);
  });

  it('when the company asks a claim its grant does not answer, then 403, audited as a denial, and nothing is answered', async () => {
    const t = await obtainTokens(v, brewco, alice, {
      authorizationDetails: claimDetails([{ name: 'age_over', value: 18 }]),
    });
    const r = await askClaim(t.access_token, alice.handle, 'country_in');
    expect(r.status).toBe(403);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const body = await r.json();
    expect(JSON.stringify(body)).not.toMatch(/BE|claim_token/);
    const last = JSON.parse(
      (await rowOf<{ body: string }>(v, 'SELECT body FROM audit_events ORDER BY seq DESC LIMIT 1'))!.body,
    );
    expect(last).toMatchObject({ action: 'data.denied', reasons: [{ code: 'CLAIM_NOT_GRANTED' }] });
  });

  it('when the customer revokes the grant, then the next claim is refused with 401 and no answer', async () => {
    const t = await obtainTokens(v, brewco, alice, {
      authorizationDetails: claimDetails([{ name: 'age_over', value: 18 }]),
    });
    expect((await askClaim(t.access_token, alice.handle, 'age_over')).status).toBe(200);
    expect((await alice.call('DELETE', `/api/grants/${t.grant_id}`)).status).toBe(204);
    const r = await askClaim(t.access_token, alice.handle, 'age_over');
    expect(r.status).toBe(401);
    expect(await r.text()).not.toContain('claim_token');
  });

  it('when the database is dumped, then it holds no date of birth in plain text', () => {
    const files = ['vault.db', 'vault.db-wal'].map((f) => join(v.dataDir, f));
    for (const f of files) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(f);
      } catch {
        continue;
      }
      expect(bytes.includes('1990-05-17')).toBe(false);
    }
  });
});

// Last: it moves the shared clock by days, which ends the other customers' sessions.
describe('answers follow the injected clock', () => {
  it('when the customer reaches the age later (the injected clock moves on), then the answer changes', async () => {
    const now = v.clock.now();
    const birthday = new Date(Date.UTC(now.getUTCFullYear() - 18, now.getUTCMonth(), now.getUTCDate() + 2));
    const bob = await new Customer(v.url).signUp(uniqueEmail('bob'));
    await bob.call('PATCH', '/api/profile', { date_of_birth: birthday.toISOString().slice(0, 10) });
    const t = await obtainTokens(v, brewco, bob, {
      authorizationDetails: claimDetails([{ name: 'age_over', value: 18 }]),
    });
    const before = await (await askClaim(t.access_token, bob.handle, 'age_over')).json();
    expect((await verifyClaim(before.claim_token)).payload.claim).toMatchObject({ result: false });
    v.clock.advance(3 * 86_400_000);
    const fresh = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: t.refresh_token },
      { authorization: brewco.basic() },
    );
    const after = await (await askClaim(fresh.body.access_token, bob.handle, 'age_over')).json();
    expect((await verifyClaim(after.claim_token)).payload.claim).toMatchObject({ result: true });
  });
});
