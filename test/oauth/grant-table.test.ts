import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { details, form, registerCompany, type RegisteredCompany } from '../support/company.ts';
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
  it.each([['password'], ['constructor'], ['__proto__'], ['toString'], ['hasOwnProperty'], ['']])(
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

  it('when grant_type is missing, then 400 unsupported_grant_type', async () => {
    const r = await token(shop, {});
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('unsupported_grant_type');
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
