import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { athOf } from '../../server/oauth/dpop.ts';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import {
  REDIRECT,
  form,
  obtainCode,
  obtainTokens,
  pkce,
  readData,
  registerCompany,
  details,
  type RegisteredCompany,
} from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
let shop: RegisteredCompany;
let alice: Customer;
let bob: Customer;
const aliceEmail = uniqueEmail('alice');
const BOB_PHONE = '+32 470 00 00 02';

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Shop A' });
  alice = await new Customer(v.url).signUp(aliceEmail);
  bob = await new Customer(v.url).signUp(uniqueEmail('bob'));
  await alice.call('PATCH', '/api/profile', { phone: '+32 470 00 00 01', street_address: 'Alice Street 1' });
  await bob.call('PATCH', '/api/profile', { phone: BOB_PHONE });
});
afterAll(async () => v.close());
// Some tests move the clock by days; the customer's browser session would have lapsed, so sign in again.
beforeEach(async () => {
  if ((await alice.call('GET', '/api/session')).status !== 200) await alice.signIn(aliceEmail);
});

const nowS = () => Math.floor(v.clock.now().getTime() / 1000);
const exchange = (c: RegisteredCompany, code: string, verifier: string | undefined, redirect = REDIRECT) =>
  form(
    `${v.url}/token`,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirect,
      ...(verifier !== undefined ? { code_verifier: verifier } : {}),
    },
    { authorization: c.basic() },
  );

describe('authorization code and PKCE', () => {
  it.each([
    ['a wrong verifier', 'x'.repeat(43)],
    ['no verifier', undefined],
  ])('when the code is exchanged with %s, then invalid_grant', async (_n, verifier) => {
    const c = await obtainCode(v, shop, alice);
    const r = await exchange(shop, c.code!, verifier);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
  });

  it('when PAR names a redirect URI that is not registered, then it is refused', async () => {
    const p = pkce();
    const r = await form(
      `${v.url}/par`,
      {
        response_type: 'code',
        client_id: shop.clientId,
        redirect_uri: 'https://attacker.example/cb',
        code_challenge: p.challenge,
        code_challenge_method: 'S256',
        authorization_details: details(['email']),
      },
      { authorization: shop.basic() },
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });

  it('when PAR comes without PKCE, then it is refused', async () => {
    const r = await form(
      `${v.url}/par`,
      {
        response_type: 'code',
        client_id: shop.clientId,
        redirect_uri: REDIRECT,
        authorization_details: details(['email']),
      },
      { authorization: shop.basic() },
    );
    expect(r.status).toBe(400);
    expect(r.body.error_description).toMatch(/PKCE/);
  });

  it('when /authorize is called with an unregistered redirect URI, then it does not redirect there', async () => {
    const p = pkce();
    const r = await alice.call(
      'GET',
      `/authorize?client_id=${shop.clientId}&response_type=code&redirect_uri=${encodeURIComponent('https://attacker.example/cb')}&code_challenge=${p.challenge}&code_challenge_method=S256&scope=purpose:order-fulfilment%20read:email`,
    );
    expect(r.status).toBe(400);
    expect(r.headers.get('location')).toBeNull();
  });

  it('when a code is used twice, then the second use fails and the tokens from the first use are revoked', async () => {
    const c = await obtainCode(v, shop, alice);
    const first = await exchange(shop, c.code!, c.verifier);
    expect(first.status).toBe(200);
    expect((await readData(v, first.body.access_token, alice.handle)).status).toBe(200);
    const second = await exchange(shop, c.code!, c.verifier);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect((await readData(v, first.body.access_token, alice.handle)).status).toBe(401);
    const refresh = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: first.body.refresh_token },
      { authorization: shop.basic() },
    );
    expect(refresh.status).toBe(400);
  });

  it('when a code is exchanged after it expired, then invalid_grant', async () => {
    const c = await obtainCode(v, shop, alice);
    v.clock.advance(61_000);
    const r = await exchange(shop, c.code!, c.verifier);
    expect(r.status).toBe(400);
    expect(r.body.error_description).toMatch(/expired/);
  });

  it('when another company presents the code, then invalid_grant', async () => {
    const other = await registerCompany(v, { name: 'Other' });
    const c = await obtainCode(v, shop, alice);
    const r = await exchange(other, c.code!, c.verifier);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
  });
});

describe('the consent step', () => {
  it('when the customer approves a longer duration than asked, then 403 and nothing is granted; a shorter one is granted', async () => {
    // The request asks for 30 days (P30D).
    await expect(obtainCode(v, shop, alice, { duration: 'P30D', approve: { durationDays: 365 } })).rejects.toThrow(
      /consent failed: 403/,
    );
    const t = await obtainTokens(v, shop, alice, { duration: 'P30D', approve: { durationDays: 7 } });
    const g = (await alice.call('GET', `/api/grants/${t.grant_id}`)).body;
    expect(Math.round((Date.parse(g.expiresAt) - Date.parse(g.createdAt)) / 86_400_000)).toBe(7);
  });
});

describe('refresh tokens', () => {
  it('when a used refresh token is presented again, then it fails and the whole family is revoked', async () => {
    const t = await obtainTokens(v, shop, alice);
    const r1 = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: t.refresh_token },
      { authorization: shop.basic() },
    );
    expect(r1.status).toBe(200);
    const reuse = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: t.refresh_token },
      { authorization: shop.basic() },
    );
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    // The rotated token and the access tokens of the family are dead too.
    const r2 = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: r1.body.refresh_token },
      { authorization: shop.basic() },
    );
    expect(r2.status).toBe(400);
    expect((await readData(v, r1.body.access_token, alice.handle)).status).toBe(401);
  });
});

describe('forged and misdirected access tokens', () => {
  let good: string;
  beforeAll(async () => {
    good = (await obtainTokens(v, shop, alice)).access_token;
  });
  const claimsOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString());

  it('when the token says alg none, then 401', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
    const forged = `${header}.${good.split('.')[1]}.`;
    const r = await readData(v, forged, alice.handle);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/invalid_token/);
  });

  it('when an HS256 token is signed with the public key as secret, then 401', async () => {
    const jwk = v.ctx.signing.jwks().keys[0]!;
    const forged = await new SignJWT(claimsOf(good))
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid })
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    expect((await readData(v, forged, alice.handle)).status).toBe(401);
  });

  it.each([
    ['wrong aud', { aud: 'https://elsewhere.example/data' }],
    ['wrong iss', { iss: 'https://evil.example' }],
  ])('when the token has %s (validly signed), then 401', async (_n, patch) => {
    const forged = await v.ctx.signing.signJwt({ ...claimsOf(good), ...patch, jti: randomUUID() }, 'at+jwt');
    expect((await readData(v, forged, alice.handle)).status).toBe(401);
  });

  it('when the token has expired, then 401', async () => {
    const t = (await obtainTokens(v, shop, alice)).access_token;
    expect((await readData(v, t, alice.handle)).status).toBe(200);
    v.clock.advance((v.ctx.config.accessTokenTtlSeconds + 1) * 1000);
    const r = await readData(v, t, alice.handle);
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_token');
  });
});

describe('the grant is re-checked on every read', () => {
  it('when the customer revokes the grant, then the next read is refused within the same second', async () => {
    const t = await obtainTokens(v, shop, alice);
    expect((await readData(v, t.access_token, alice.handle)).status).toBe(200);
    const started = Date.now();
    expect((await alice.call('DELETE', `/api/grants/${t.grant_id}`)).status).toBe(204);
    const r = await readData(v, t.access_token, alice.handle);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toMatch(/problem\+json/);
    expect(r.body.detail).toMatch(/revoked/);
  });

  it('when the grant reaches its end date, then reads are refused though the token is fresh', async () => {
    const t = await obtainTokens(v, shop, alice, { duration: 'P1D' });
    v.clock.advance(86_400_000 + 1000);
    const refreshed = await form(
      `${v.url}/token`,
      { grant_type: 'refresh_token', refresh_token: t.refresh_token },
      { authorization: shop.basic() },
    );
    expect(refreshed.status).toBe(400);
    const fresh = await v.vault.services.tokens.issueAccess({
      companyId: shop.clientId,
      customerId: alice.id,
      grantId: t.grant_id,
      familyId: JSON.parse(Buffer.from(t.access_token.split('.')[1]!, 'base64url').toString()).fam,
      request: { purpose: 'order-fulfilment', fields: ['email'], actions: ['read'], durationDays: 1 },
    });
    const r = await readData(v, fresh.token, alice.handle);
    expect(r.status).toBe(401);
    expect(r.body.detail).toMatch(/expired/);
  });

  it("when company A's token asks for customer B, then 404 and nothing of B is returned", async () => {
    const t = await obtainTokens(v, shop, alice);
    const r = await readData(v, t.access_token, bob.handle);
    expect(r.status).toBe(404);
    // Bob's value exactly as stored, and his pseudonymous id: neither may appear anywhere in the answer.
    const answer = JSON.stringify(r.body);
    expect(answer).not.toContain(BOB_PHONE);
    expect(answer).not.toContain(bob.id);
  });

  it('when a field outside the grant is asked for, then 403 and no field is returned', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: ['email'] });
    const r = await readData(v, t.access_token, alice.handle, ['email', 'street_address']);
    expect(r.status).toBe(403);
    expect(r.body.fields).toBeUndefined();
    expect(JSON.stringify(r.body)).not.toContain('Alice Street');
    // RFC 6750 §3.1: the token does not allow this, so the answer says insufficient_scope in a challenge too.
    expect(r.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="vault", error="insufficient_scope", error_description="Fields outside the grant: street_address", resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/data"$/,
    );
    expect(r.body.reasons[0].code).toBe('OUT_OF_SCOPE');
    const ok = await readData(v, t.access_token, alice.handle);
    expect(Object.keys(ok.body.fields)).toEqual(['email']);
  });
});

describe('DPoP-bound tokens (RFC 9449)', () => {
  let dpopCo: RegisteredCompany;
  let key: { privateKey: CryptoKey; jwk: JWK };
  beforeAll(async () => {
    dpopCo = await registerCompany(v, { name: 'DPoP Co', dpop: true });
    const kp = await generateKeyPair('ES256', { extractable: true });
    key = { privateKey: kp.privateKey, jwk: await exportJWK(kp.publicKey) };
  });
  const proof = (htm: string, htu: string, ath?: string) =>
    new SignJWT({
      htm,
      htu,
      jti: randomUUID(),
      iat: Math.floor(v.clock.now().getTime() / 1000),
      ...(ath ? { ath } : {}),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
      .sign(key.privateKey);

  async function dpopTokens() {
    const c = await obtainCode(v, dpopCo, alice);
    const r = await form(
      `${v.url}/token`,
      { grant_type: 'authorization_code', code: c.code!, redirect_uri: REDIRECT, code_verifier: c.verifier },
      { authorization: dpopCo.basic(), dpop: await proof('POST', `${v.url}/token`) },
    );
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('DPoP');
    return r.body.access_token as string;
  }

  it('when a DPoP client exchanges a code without a proof, then invalid_dpop_proof', async () => {
    const c = await obtainCode(v, dpopCo, alice);
    const r = await exchange(dpopCo, c.code!, c.verifier);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_dpop_proof');
  });

  it('when the bound token is used with a valid proof, then the read works', async () => {
    const at = await dpopTokens();
    const url = `${v.url}/data/customers/${alice.handle}`;
    const r = await readData(v, at, alice.handle, undefined, {
      authorization: `DPoP ${at}`,
      dpop: await proof('GET', url, athOf(at)),
    });
    expect(r.status).toBe(200);
  });

  it('when the bound token is used without a proof, then 401', async () => {
    const at = await dpopTokens();
    expect((await readData(v, at, alice.handle, undefined, { authorization: `DPoP ${at}` })).status).toBe(401);
    expect((await readData(v, at, alice.handle)).status).toBe(401);
  });

  it('when the bound token comes without a proof, then the DPoP challenge is well-formed and names the algorithms the metadata advertises', async () => {
    const at = await dpopTokens();
    const r = await readData(v, at, alice.handle, undefined, { authorization: `DPoP ${at}` });
    const m =
      /^DPoP realm="vault", error="invalid_dpop_proof", error_description="[^"]*", algs="([^"]+)", resource_metadata="[^"]+"$/.exec(
        r.headers.get('www-authenticate') ?? '',
      );
    expect(m, r.headers.get('www-authenticate') ?? '').not.toBeNull();
    const metadata = await (await fetch(`${v.url}/.well-known/oauth-authorization-server`)).json();
    expect(m![1]!.split(' ')).toEqual(metadata.dpop_signing_alg_values_supported);
  });

  it('when the proof was made for another URL, then 401', async () => {
    const at = await dpopTokens();
    const r = await readData(v, at, alice.handle, undefined, {
      authorization: `DPoP ${at}`,
      dpop: await proof('GET', `${v.url}/data/customers/${bob.handle}`, athOf(at)),
    });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_dpop_proof');
  });

  it('when a proof is replayed, then 401', async () => {
    const at = await dpopTokens();
    const p = await proof('GET', `${v.url}/data/customers/${alice.handle}`, athOf(at));
    expect((await readData(v, at, alice.handle, undefined, { authorization: `DPoP ${at}`, dpop: p })).status).toBe(200);
    expect((await readData(v, at, alice.handle, undefined, { authorization: `DPoP ${at}`, dpop: p })).status).toBe(401);
  });
});

describe('the redirect URI at the token endpoint (RFC 6749 §4.1.3)', () => {
  async function codeWithoutRedirect() {
    const p = pkce();
    const par = await form(
      `${v.url}/par`,
      {
        response_type: 'code',
        client_id: shop.clientId,
        code_challenge: p.challenge,
        code_challenge_method: 'S256',
        authorization_details: details(['email']),
      },
      { authorization: shop.basic() },
    );
    expect(par.status).toBe(201);
    const auth = await alice.call(
      'GET',
      `/authorize?client_id=${encodeURIComponent(shop.clientId)}&request_uri=${encodeURIComponent(par.body.request_uri)}`,
    );
    let location = auth.headers.get('location') ?? '';
    if (location.startsWith('/consent'))
      location = (
        await alice.call('POST', `/api/consent/${new URL(location, v.url).searchParams.get('request')}`, {
          decision: 'approve',
          termsVersion: 1,
        })
      ).body.redirectTo;
    expect(location.startsWith(REDIRECT)).toBe(true);
    return { code: new URL(location).searchParams.get('code')!, verifier: p.verifier };
  }
  const exchangeWithout = (code: string, verifier: string) =>
    form(
      `${v.url}/token`,
      { grant_type: 'authorization_code', code, code_verifier: verifier },
      { authorization: shop.basic() },
    );

  it('when the authorization request left it out (one registered URI), then the exchange may leave it out too', async () => {
    const c = await codeWithoutRedirect();
    const r = await exchangeWithout(c.code, c.verifier);
    expect(r.status).toBe(200);
    expect(r.body.access_token).toBeTruthy();
  });

  it('when the authorization request left it out, then naming another one at the token endpoint is still refused', async () => {
    const c = await codeWithoutRedirect();
    const r = await exchange(shop, c.code, c.verifier, 'http://127.0.0.1:9/other');
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
  });

  it('when the authorization request named it, then leaving it out at the token endpoint is refused', async () => {
    const c = await obtainCode(v, shop, alice);
    const r = await exchangeWithout(c.code!, c.verifier);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
  });
});

describe('a resource request without any token (RFC 6750 §3.1)', () => {
  it.each(['/data/customers/vh-aaaaa-aaaaa', '/company/grants'])(
    'when %s is called with no Authorization header, then 401 names the schemes and carries no error code',
    async (path) => {
      for (const headers of [{}, { authorization: 'Basic Zm9vOmJhcg==' }] as Record<string, string>[]) {
        const r = await fetch(`${v.url}${path}`, { headers });
        expect(r.status).toBe(401);
        expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        // RFC 9728 §5.1: the data API's challenges also name its protected-resource metadata.
        const meta = path.startsWith('/data/')
          ? `, resource_metadata="${v.ctx.config.publicUrl}/.well-known/oauth-protected-resource/data"`
          : '';
        expect(r.headers.get('www-authenticate')).toBe(
          `Bearer realm="vault"${meta}, DPoP realm="vault", algs="Ed25519 EdDSA ES256"${meta}`,
        );
      }
    },
  );

  it('when the Authorization header names Bearer but the token is malformed, then 400 invalid_request (RFC 6750 §3.1)', async () => {
    const r = await fetch(`${v.url}/data/customers/${alice.handle}`, {
      headers: { authorization: 'Bearer not a token' },
    });
    expect(r.status).toBe(400);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="vault", error="invalid_request"/);
  });
});

describe('client authentication', () => {
  it('when the secret is wrong, then 401 invalid_client', async () => {
    const c = await obtainCode(v, shop, alice);
    const bad = 'Basic ' + Buffer.from(`${shop.clientId}:not-the-secret`).toString('base64');
    const r = await form(
      `${v.url}/token`,
      { grant_type: 'authorization_code', code: c.code!, redirect_uri: REDIRECT, code_verifier: c.verifier },
      { authorization: bad },
    );
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
    // The code was not consumed by the failed attempt.
    expect((await exchange(shop, c.code!, c.verifier)).status).toBe(200);
  });

  it('when a private_key_jwt client signs with a key not in its JWKS, then 401 invalid_client', async () => {
    const pk = await registerCompany(v, { method: 'private_key_jwt', name: 'Key Co' });
    const stranger = await generateKeyPair('ES256');
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: pk.kid })
      .setIssuer(pk.clientId)
      .setSubject(pk.clientId)
      .setAudience(v.url)
      .setJti(randomUUID())
      .setIssuedAt(nowS())
      .setExpirationTime(nowS() + 60)
      .sign(stranger.privateKey);
    const r = await form(`${v.url}/token`, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
    const own = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: pk.kid })
      .setIssuer(pk.clientId)
      .setSubject(pk.clientId)
      .setAudience(v.url)
      .setJti(randomUUID())
      .setIssuedAt(nowS())
      .setExpirationTime(nowS() + 60)
      .sign(pk.privateKey!);
    const ok = await form(`${v.url}/token`, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: own,
    });
    expect(ok.status).toBe(200);
  });
});
