import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { details, form, obtainTokens, registerCompany, type RegisteredCompany } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

let v: RunningVault;
let shop: RegisteredCompany;
let dpopCo: RegisteredCompany;
let alice: Customer;
let key: { privateKey: CryptoKey; jwk: JWK };

beforeAll(async () => {
  v = await startVault();
  shop = await registerCompany(v, { name: 'Table Shop' });
  dpopCo = await registerCompany(v, { name: 'Bound Co', dpop: true });
  alice = await new Customer(v.url).signUp(uniqueEmail('alice'));
  const kp = await generateKeyPair('ES256', { extractable: true });
  key = { privateKey: kp.privateKey, jwk: await exportJWK(kp.publicKey) };
});
afterAll(async () => v.close());

const proof = () =>
  new SignJWT({
    htm: 'POST',
    htu: `${v.url}/token`,
    jti: randomUUID(),
    iat: Math.floor(v.clock.now().getTime() / 1000),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .sign(key.privateKey);
const token = (c: RegisteredCompany, params: Record<string, string>, headers: Record<string, string> = {}) =>
  form(`${v.url}/token`, params, { authorization: c.basic(), ...headers });

describe('/token chooses the grant type from a table', () => {
  // Names an object carries by inheritance must not be taken for grant types.
  it.each([['password'], ['constructor'], ['__proto__'], ['toString'], ['hasOwnProperty']])(
    'when grant_type is %j, then 400 unsupported_grant_type',
    async (grantType) => {
      const r = await token(shop, { grant_type: grantType });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({
        error: 'unsupported_grant_type',
        error_description:
          'grant_type must be authorization_code, refresh_token, client_credentials, urn:openid:params:grant-type:ciba or urn:ietf:params:oauth:grant-type:device_code',
      });
    },
  );

  it.each([[{}], [{ grant_type: '' }]])(
    'when grant_type is missing (%j), then 400 invalid_request (RFC 6749 §5.2)',
    async (params) => {
      const r = await token(shop, params);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: 'invalid_request', error_description: 'grant_type is required' });
    },
  );

  it.each([
    ['authorization_code', 'code'],
    ['refresh_token', 'refresh_token'],
    ['urn:openid:params:grant-type:ciba', 'auth_req_id'],
    ['urn:ietf:params:oauth:grant-type:device_code', 'device_code'],
  ])('when %s comes without %s, then 400 invalid_request, not invalid_grant', async (grantType, param) => {
    for (const params of [{ grant_type: grantType }, { grant_type: grantType, [param]: '' }]) {
      const r = await token(shop, params);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: 'invalid_request', error_description: `${param} is required` });
    }
    // With the parameter, the grant itself is judged.
    const r = await token(shop, { grant_type: grantType, [param]: 'not-a-real-one' });
    expect(r.body.error).toBe('invalid_grant');
  });
});

describe('a client registered for DPoP gets no token without a proof, whatever the grant type', () => {
  it('when it asks for client_credentials without a proof, then invalid_dpop_proof; with one, a DPoP token', async () => {
    const r = await token(dpopCo, { grant_type: 'client_credentials', scope: 'grant_management' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_dpop_proof', error_description: 'this client must use DPoP' });
    const ok = await token(dpopCo, { grant_type: 'client_credentials' }, { dpop: await proof() });
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe('DPoP');
  });

  it('when it polls an approved back-channel request without a proof, then invalid_dpop_proof and the request stays collectable', async () => {
    const ask = await form(
      `${v.url}/bc-authorize`,
      { login_hint: alice.handle, authorization_details: details(['email'], 'customer-support', 'P7D') },
      { authorization: dpopCo.basic() },
    );
    expect(ask.status).toBe(200);
    const pending = (await alice.call('GET', '/api/requests')).body.requests;
    const id = pending.find((p: { company: { name: string } }) => p.company.name === 'Bound Co').id;
    expect((await alice.call('POST', `/api/consent/${id}`, { decision: 'approve', termsVersion: 1 })).status).toBe(200);
    const params = { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: ask.body.auth_req_id };
    const r = await token(dpopCo, params);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_dpop_proof', error_description: 'this client must use DPoP' });
    const ok = await token(dpopCo, params, { dpop: await proof() });
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe('DPoP');
  });
});

// Last: it moves the clock by days.
describe('a refresh request that names a scope (RFC 6749 §6)', () => {
  it('when the scope goes beyond the grant, then invalid_scope and the refresh token still works; within it, new tokens', async () => {
    const t = await obtainTokens(v, shop, alice, { fields: ['email'] });
    const refresh = (scope: string, rt = t.refresh_token) =>
      token(shop, { grant_type: 'refresh_token', refresh_token: rt, scope });
    const beyond = await refresh(`${t.scope} read:phone`);
    expect(beyond.status).toBe(400);
    expect(beyond.body).toMatchObject({
      error: 'invalid_scope',
      error_description: 'scope beyond the grant: read:phone',
    });
    // The scope the client was first given is within the grant, its duration too once days have passed (the
    // grant's own scope then names fewer days left), and so is a part of it.
    v.clock.advance(3 * 86_400_000);
    expect(t.scope.split(' ')).toContain('duration:30');
    const same = await refresh(t.scope);
    expect(same.status).toBe(200);
    expect(same.body.scope.split(' ')).toContain('read:email');
    expect(same.body.scope).not.toBe(t.scope); // fewer days left: duration:27
    const narrower = await refresh('read:email', same.body.refresh_token);
    expect(narrower.status).toBe(200);
    expect(narrower.body.scope).toBe(same.body.scope);
  });
});
