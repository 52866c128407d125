import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { athOf } from '../../server/oauth/dpop.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import {
  REDIRECT,
  form,
  obtainCode,
  obtainTokens,
  readData,
  registerCompany,
  type RegisteredCompany,
} from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { countOf, rowsOf } from '../support/rows.ts';

// The checks a company's token meets on the data API and at refresh, each with a test that fails when
// the check is taken out: the DPoP key match, the verified-token cache's audience, the revoked jti inside
// the audited unit, and the audit of a refused read.

let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Token Shop' });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  expect((await alice.call('PATCH', '/api/profile', { phone: '+32 470 27 18 28', city: 'Leuven' })).status).toBe(200);
});
afterAll(async () => v.close());

interface Key {
  privateKey: CryptoKey;
  jwk: JWK;
}
const newKey = async (): Promise<Key> => {
  const kp = await generateKeyPair('ES256', { extractable: true });
  return { privateKey: kp.privateKey, jwk: await exportJWK(kp.publicKey) };
};
const proof = (key: Key, htm: string, htu: string, ath?: string) =>
  new SignJWT({ htm, htu, jti: randomUUID(), iat: Math.floor(v.clock.now().getTime() / 1000), ...(ath ? { ath } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .sign(key.privateKey);
const deniedEvents = async (grantId: string) =>
  (
    await rowsOf<{ body: string }>(
      v,
      "select body from audit_events where grant_id = ? and action = 'data.denied' order by seq",
      grantId,
    )
  ).map((r) => JSON.parse(r.body));

describe('DPoP key binding (RFC 9449)', () => {
  let dpopCo: RegisteredCompany;
  let bound: Key;
  let other: Key;
  let tokens: { access_token: string; refresh_token: string };
  beforeAll(async () => {
    dpopCo = await registerCompany(v, { name: 'DPoP Shop', dpop: true });
    [bound, other] = [await newKey(), await newKey()];
    const c = await obtainCode(v, dpopCo, alice, { fields: ['phone'] });
    const r = await form(
      `${v.url}/token`,
      { grant_type: 'authorization_code', code: c.code!, redirect_uri: REDIRECT, code_verifier: c.verifier },
      { authorization: dpopCo.basic(), dpop: await proof(bound, 'POST', `${v.url}/token`) },
    );
    expect(r.status).toBe(200);
    tokens = r.body;
  });

  it('when a read comes with a valid proof signed by another key than the bound one, then 401 invalid_dpop_proof and no data', async () => {
    const url = `${v.url}/data/customers/${alice.handle}`;
    const at = tokens.access_token;
    const ok = await readData(v, at, alice.handle, undefined, {
      authorization: `DPoP ${at}`,
      dpop: await proof(bound, 'GET', url, athOf(at)),
    });
    expect(ok.status).toBe(200);
    const r = await readData(v, at, alice.handle, undefined, {
      authorization: `DPoP ${at}`,
      dpop: await proof(other, 'GET', url, athOf(at)),
    });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_dpop_proof');
    expect(r.body.fields).toBeUndefined();
  });

  it('when a refresh comes with a proof of another key, then invalid_dpop_proof, and the bound key can still refresh', async () => {
    const refresh = async (key: Key) =>
      form(
        `${v.url}/token`,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
        { authorization: dpopCo.basic(), dpop: await proof(key, 'POST', `${v.url}/token`) },
      );
    const stolen = await refresh(other);
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toBe('invalid_dpop_proof');
    expect(stolen.body.access_token).toBeUndefined();
    const owner = await refresh(bound);
    expect(owner.status).toBe(200);
  });
});

describe('the verified-token cache', () => {
  const asCompany = (token: string, path: string) =>
    fetch(`${v.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('when a data token already verified (and cached) is presented to the grant-management API, then 401', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: ['city'] });
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(200);
    const r = await asCompany(t.access_token, '/company/grants');
    expect(r.status).toBe(401);
    expect((await r.json()).error).toBe('invalid_token');
  });

  it('when a management token already verified (and cached) is presented to the data API, then 401', async () => {
    const m = await form(
      `${v.url}/token`,
      { grant_type: 'client_credentials', scope: 'grant_management' },
      { authorization: shop.basic() },
    );
    expect((await asCompany(m.body.access_token, '/company/grants')).status).toBe(200);
    const r = await readData(v, m.body.access_token, alice.handle);
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_token');
  });
});

describe('a revoked access token, inside the audited unit', () => {
  it('when the revocation commits after the token was checked but before the read runs, then the read releases nothing', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: ['phone'] });
    const commit = v.vault.services.commit;
    const submit = commit.submit;
    // Hold the read between its authentication and its unit, and revoke the token (RFC 7009) in between.
    commit.submit = async <T>(fn: () => T | Promise<T>): Promise<T> => {
      commit.submit = submit;
      const revoked = await form(`${v.url}/revoke`, { token: t.access_token }, { authorization: shop.basic() });
      expect(revoked.status).toBe(200);
      return submit(fn);
    };
    try {
      const r = await readData(v, t.access_token, alice.handle);
      expect(r.status).toBe(401);
      expect(r.body.detail).toMatch(/revoked/);
      expect(r.body.fields).toBeUndefined();
    } finally {
      commit.submit = submit;
    }
    expect(
      await countOf(
        v,
        "select count(*) AS n from audit_events where grant_id = ? and action = 'data.read'",
        t.grant_id,
      ),
    ).toBe(0);
  });

  it('when a revoked token is used more often than the refusal limit allows, then every use is 401, none is counted or audited, and the company is not throttled', async () => {
    const revoked = await obtainTokens(v, shop, alice, { fields: ['city'] });
    expect(
      (await form(`${v.url}/revoke`, { token: revoked.access_token }, { authorization: shop.basic() })).status,
    ).toBe(200);
    // One more than the 60 refusals a minute after which the data API answers 429 (server/data/refusal-limit.ts).
    for (let i = 0; i < 61; i++) {
      const r = await readData(v, revoked.access_token, alice.handle);
      expect(r.status).toBe(401);
      expect(r.body.detail).toMatch(/revoked/);
    }
    const records = await fetch(`${v.url}/data/customers/${alice.handle}/records`, {
      headers: { authorization: `Bearer ${revoked.access_token}` },
    });
    expect(records.status).toBe(401);
    expect(
      await countOf(
        v,
        "select count(*) AS n from audit_events where grant_id = ? and action like 'data.%'",
        revoked.grant_id,
      ),
    ).toBe(0);
    const fresh = await obtainTokens(v, shop, alice, { fields: ['city'] });
    expect((await readData(v, fresh.access_token, alice.handle)).status).toBe(200);
  });
});

describe('a revoked access token presented again', () => {
  it('when the unit has once refused it as revoked, then the next use is refused before any audited unit runs', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: ['city'] });
    expect((await form(`${v.url}/revoke`, { token: t.access_token }, { authorization: shop.basic() })).status).toBe(
      200,
    );
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(401);
    const other = await obtainTokens(v, shop, alice, { fields: ['city'] });
    const commit = v.vault.services.commit;
    const submit = commit.submit;
    let units = 0;
    commit.submit = <T>(fn: () => T | Promise<T>): Promise<T> => {
      units++;
      return submit(fn);
    };
    try {
      const again = await readData(v, t.access_token, alice.handle);
      expect(again.status).toBe(401);
      expect(again.body.detail).toMatch(/revoked/);
      expect(units).toBe(0);
      // Another token is not caught by it.
      expect((await readData(v, other.access_token, alice.handle)).status).toBe(200);
      expect(units).toBe(1);
    } finally {
      commit.submit = submit;
    }
  });
});

describe('refused reads are audited', () => {
  it('when a field outside the grant is asked for, then 403 problem+json and one data.denied event naming it', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: ['city'] });
    const r = await readData(v, t.access_token, alice.handle, ['phone']);
    expect(r.status).toBe(403);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const denied = await deniedEvents(t.grant_id);
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      decision: 'deny',
      fields: ['phone'],
      reasons: [{ code: 'OUT_OF_SCOPE' }],
      requestId: r.headers.get('x-request-id'),
    });
  });

  it('when the grant is suspended, then 403 problem+json and a data.denied event with a fixed reason', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: ['city'] });
    const row = (await v.vault.services.grants.store.byId(t.grant_id))!;
    await v.vault.services.grants.suspend(row, 'The company changed its terms. Test reason.');
    const r = await readData(v, t.access_token, alice.handle);
    expect(r.status).toBe(403);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body.reasons[0].code).toBe('GRANT_SUSPENDED');
    const denied = await deniedEvents(t.grant_id);
    expect(denied).toHaveLength(1);
    expect(denied[0].reasons).toEqual([{ code: 'GRANT_SUSPENDED', message: 'The grant is suspended.' }]);
  });
});
