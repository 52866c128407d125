import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ASSERTION_TYPE } from '../../server/companies/client-auth.ts';
import { Customer } from '../support/browser-like.ts';
import {
  defaultTerms,
  form,
  obtainTokens,
  REDIRECT,
  registerCompany,
  type RegisteredCompany,
} from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

/**
 * What made the token endpoint fast (issue 18: introspection shares the verified-token cache, client key
 * sets are imported once, refresh rotation and assertion ids go through the group commit) must not weaken
 * what it answers: these drive the real server over HTTP.
 */
let v: RunningVault;
let basic: RegisteredCompany;
beforeAll(async () => {
  v = await startVault();
  basic = await registerCompany(v);
});
afterAll(() => v.close());

const cc = { grant_type: 'client_credentials', scope: 'grant_management' };
const token = async (c: RegisteredCompany) => (await form(`${v.url}/token`, cc, { authorization: c.basic() })).body;
const introspect = async (c: RegisteredCompany, t: string) =>
  (await form(`${v.url}/introspect`, { token: t }, { authorization: c.basic() })).body;

describe('introspection with the verified-token cache', () => {
  it('when a token introspected once is revoked, then the next introspection says inactive', async () => {
    const t = (await token(basic)).access_token;
    expect((await introspect(basic, t)).active).toBe(true);
    expect((await form(`${v.url}/revoke`, { token: t }, { authorization: basic.basic() })).status).toBe(200);
    expect(await introspect(basic, t)).toEqual({ active: false });
  });

  it('when a token introspected once expires, then introspection says inactive and revocation leaves it alone', async () => {
    const t = (await token(basic)).access_token;
    expect((await introspect(basic, t)).active).toBe(true);
    v.clock.advance((v.ctx.config.accessTokenTtlSeconds + 1) * 1000);
    expect(await introspect(basic, t)).toEqual({ active: false });
  });

  it('when another client introspects a cached token, then it is inactive for that client', async () => {
    const other = await registerCompany(v);
    const t = (await token(basic)).access_token;
    expect((await introspect(basic, t)).active).toBe(true);
    expect(await introspect(other, t)).toEqual({ active: false });
  });
});

async function es256Key() {
  const kp = await generateKeyPair('ES256', { extractable: true });
  const kid = crypto.randomUUID();
  return { privateKey: kp.privateKey, jwk: { ...(await exportJWK(kp.publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

const assertion = (clientId: string, key: { privateKey: CryptoKey; jwk: { kid: string } }, jti = crypto.randomUUID()) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: key.jwk.kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(v.ctx.config.publicUrl)
    .setIssuedAt(Math.floor(v.clock.now().getTime() / 1000))
    .setExpirationTime(Math.floor(v.clock.now().getTime() / 1000) + 60)
    .setJti(jti)
    .sign(key.privateKey);

const viaJwt = (a: string) =>
  form(`${v.url}/token`, { ...cc, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: a });

describe('private_key_jwt with the key-set cache and the durable replay record', () => {
  it('when a company replaces its JWKS, then an assertion signed with the removed key is refused', async () => {
    const iat = await v.vault.services.companies.issueInitialAccessToken('test');
    const [oldKey, newKey] = [await es256Key(), await es256Key()];
    const metadata = {
      client_name: 'Key Rotation Shop',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      terms: defaultTerms,
    };
    const reg = await fetch(`${v.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${iat.token}` },
      body: JSON.stringify({ ...metadata, jwks: { keys: [oldKey.jwk] } }),
    }).then((r) => r.json());
    expect(reg.client_id, JSON.stringify(reg)).toBeTypeOf('string');
    expect((await viaJwt(await assertion(reg.client_id, oldKey))).status).toBe(200);

    const put = await fetch(`${v.url}/register/${reg.client_id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${reg.registration_access_token}` },
      body: JSON.stringify({ ...metadata, client_id: reg.client_id, jwks: { keys: [newKey.jwk] } }),
    });
    expect(put.status).toBe(200);
    const refused = await viaJwt(await assertion(reg.client_id, oldKey));
    expect([refused.status, refused.body.error]).toEqual([401, 'invalid_client']);
    expect((await viaJwt(await assertion(reg.client_id, newKey))).status).toBe(200);
  });

  it('when one assertion is sent twice at once, then exactly one request is let in', async () => {
    const c = await registerCompany(v, { method: 'private_key_jwt' });
    const key = { privateKey: c.privateKey!, jwk: { kid: c.kid! } };
    const a = await assertion(c.clientId, key);
    const answers = await Promise.all([viaJwt(a), viaJwt(a), viaJwt(a)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401, 401]);
  });
});

describe('refresh rotation through the group commit', () => {
  it('when one refresh token is sent twice at once, then one rotation succeeds and the replay revokes the family', async () => {
    const customer = await new Customer(v.url).signUp(`speed-${Date.now()}@example.test`);
    const t = await obtainTokens(v, basic, customer, { fields: ['email'] });
    const refresh = (rt: string) =>
      form(`${v.url}/token`, { grant_type: 'refresh_token', refresh_token: rt }, { authorization: basic.basic() });
    // Both requests reach the rotation in the same group-commit batch: each saw the token unused.
    const answers = await Promise.all([refresh(t.refresh_token), refresh(t.refresh_token)]);
    const ok = answers.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    const replay = answers.find((r) => r.status !== 200)!;
    expect([replay.status, replay.body.error, replay.body.error_description]).toEqual([
      400,
      'invalid_grant',
      'the refresh token was already used; its token family is revoked',
    ]);
    // RFC 9700 §4.14.2: which of the two was the attacker is unknown, so the winner's tokens die with the family.
    const next = await refresh(ok[0]!.body.refresh_token);
    expect([next.status, next.body.error_description]).toEqual([400, 'the refresh token has been revoked']);
    expect(await introspect(basic, ok[0]!.body.access_token)).toEqual({ active: false });
  });
});

describe('the refresh grant reads its token and family in one statement', () => {
  const refresh = (c: RegisteredCompany, rt: string) =>
    form(`${v.url}/token`, { grant_type: 'refresh_token', refresh_token: rt }, { authorization: c.basic() });

  it("when another company sends a company's refresh token, then it is refused and stays usable by its owner", async () => {
    const customer = await new Customer(v.url).signUp(`speed-other-${Date.now()}@example.test`);
    const t = await obtainTokens(v, basic, customer, { fields: ['email'] });
    const other = await registerCompany(v);
    const refused = await refresh(other, t.refresh_token);
    expect([refused.status, refused.body.error, refused.body.error_description]).toEqual([
      400,
      'invalid_grant',
      'the refresh token is not valid',
    ]);
    expect((await refresh(basic, t.refresh_token)).status).toBe(200);
  });

  it('when the family was revoked by the client, then its unused refresh token is refused as revoked', async () => {
    const customer = await new Customer(v.url).signUp(`speed-revoked-${Date.now()}@example.test`);
    const t = await obtainTokens(v, basic, customer, { fields: ['email'] });
    const rotated = (await refresh(basic, t.refresh_token)).body;
    expect(
      (await form(`${v.url}/revoke`, { token: rotated.refresh_token }, { authorization: basic.basic() })).status,
    ).toBe(200);
    const refused = await refresh(basic, rotated.refresh_token);
    expect([refused.status, refused.body.error_description]).toEqual([400, 'the refresh token has been revoked']);
  });

  it('when the grant has ended, then a live refresh token of it gets nothing', async () => {
    const customer = await new Customer(v.url).signUp(`speed-ended-${Date.now()}@example.test`);
    const t = await obtainTokens(v, basic, customer, { fields: ['email'] });
    v.clock.advance(400 * 86_400_000);
    const refused = await refresh(basic, t.refresh_token);
    expect([refused.status, refused.body.error]).toEqual([400, 'invalid_grant']);
  });
});
