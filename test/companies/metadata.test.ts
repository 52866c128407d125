import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicMetadata,
  clientKey,
  jwtMetadata,
  sampleTerms,
  startCompanies,
  type CompaniesHarness,
} from './support.ts';

let h: CompaniesHarness;
beforeAll(async () => {
  h = await startCompanies();
});
afterAll(async () => h.close());

describe('redirect URIs (RFC 7591 §2, RFC 8252 §7.3, RFC 6749 §3.1.2)', () => {
  it.each([
    ['https://acme.example/callback', 201],
    ['https://acme.example:8443/cb?x=1', 201],
    ['http://127.0.0.1:8080/cb', 201],
    ['http://[::1]:8080/cb', 201],
    ['http://localhost/cb', 201],
    ['http://acme.example/cb', 400],
    ['http://127.0.0.2/cb', 400],
    ['https://acme.example/cb#frag', 400],
    ['https://acme.example/cb#', 400],
    ['https://user:pw@acme.example/cb', 400],
    ['com.acme.app:/cb', 400],
    ['javascript:alert(1)', 400],
    ['/relative/cb', 400],
    [' https://acme.example/cb', 400],
    ['https://acme.example/c b', 400],
    ['', 400],
  ])('when a redirect URI is %j, then %i', async (uri, status) => {
    const r = await h.register(basicMetadata({ redirect_uris: [uri] }));
    expect(r.status).toBe(status);
    if (status === 400) {
      expect(r.body.error).toBe('invalid_redirect_uri');
      expect(r.headers.get('content-type')).toMatch(/^application\/json/); // RFC 7591 §3.2.2; the body is still a problem
    } else {
      expect(r.body.redirect_uris).toEqual([uri]);
    }
  });

  it('when redirect_uris is empty or missing, then 400 invalid_redirect_uri', async () => {
    expect((await h.register(basicMetadata({ redirect_uris: [] }))).body.error).toBe('invalid_redirect_uri');
    const { redirect_uris: _, ...rest } = basicMetadata();
    expect((await h.register(rest)).body.error).toBe('invalid_redirect_uri');
  });

  it('when one of several URIs is bad, then nothing is registered', async () => {
    const before = (await h.companies.list()).length;
    const r = await h.register(basicMetadata({ redirect_uris: ['https://ok.example/cb', 'http://evil.example/cb'] }));
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'redirect_uris.1', message: expect.stringMatching(/https/) }]);
    expect((await h.companies.list()).length).toBe(before);
  });
});

describe('other metadata (RFC 7591 §3.2.2 invalid_client_metadata)', () => {
  const { client_name: _n, ...noName } = basicMetadata();
  const { terms: _t, ...noTerms } = basicMetadata();
  it.each<[string, unknown]>([
    ['the body is not an object', [1, 2]],
    ['client_name is missing', noName],
    ['client_name is blank', basicMetadata({ client_name: '   ' })],
    ['terms are missing', noTerms],
    [
      'terms name a purpose that is not kebab-case',
      basicMetadata({ terms: { ...sampleTerms, purposes: ['Order Fulfilment'] } }),
    ],
    ['terms carry an unknown member', basicMetadata({ terms: { ...sampleTerms, sellsData: true } })],
    ['terms give negative retention', basicMetadata({ terms: { ...sampleTerms, retentionDays: -1 } })],
    ['the auth method is "none"', basicMetadata({ token_endpoint_auth_method: 'none' })],
    ['the auth method is client_secret_post', basicMetadata({ token_endpoint_auth_method: 'client_secret_post' })],
    ['grant_types has password', basicMetadata({ grant_types: ['authorization_code', 'password'] })],
    ['grant_types has implicit', basicMetadata({ grant_types: ['authorization_code', 'implicit'] })],
    ['grant_types lacks authorization_code', basicMetadata({ grant_types: ['refresh_token'] })],
    ['response_types is token', basicMetadata({ response_types: ['token'] })],
    ['dpop_bound_access_tokens is a string', basicMetadata({ dpop_bound_access_tokens: 'yes' })],
    ['private_key_jwt comes without jwks', basicMetadata({ token_endpoint_auth_method: 'private_key_jwt' })],
    ['client_secret_basic comes with jwks', basicMetadata({ jwks: { keys: [] } })],
    [
      'jwks_uri is used',
      basicMetadata({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://acme.example/jwks' }),
    ],
  ])('when %s, then 400 invalid_client_metadata', async (_why, body) => {
    const r = await h.register(body);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_client_metadata');
    expect(r.body.type).toBe(`${h.v.ctx.config.publicUrl}/problems/oauth/invalid_client_metadata`);
    expect(r.body.error_description).toBeTruthy();
  });

  it('when the body is not JSON, then 400 and nothing is registered', async () => {
    const r = await h.call('POST', '/register', { body: '{"client_name":', bearer: await h.initialToken() });
    expect(r.status).toBe(400);
  });
});

describe('jwks must hold public signing keys only', () => {
  it('when a private EdDSA key (with "d") is sent, then 400 naming the private member, and it is not stored', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'leak' };
    const r = await h.register(basicMetadata({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } }));
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_client_metadata');
    expect(r.body.detail).toMatch(/jwks\.keys\.0: holds private key material \(d\)/);
  });

  it('when a private RSA key is sent, then 400 listing its private members', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const r = await h.register(
      basicMetadata({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [await exportJWK(privateKey)] } }),
    );
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/private key material \(d, p, q, dp, dq, qi\)/);
  });

  it('when a symmetric key is sent, then 400', async () => {
    const r = await h.register(
      basicMetadata({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }),
    );
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/private key material \(k\)/);
  });

  it.each<[string, (k: Record<string, unknown>) => unknown]>([
    ['a P-384 key', () => ({ kty: 'EC', crv: 'P-384', x: 'a', y: 'b' })],
    ['an X25519 key', (k) => ({ ...k, crv: 'X25519' })],
    ['an alg that does not fit the key', (k) => ({ ...k, alg: 'ES256' })],
    ['use "enc"', (k) => ({ ...k, use: 'enc' })],
    ['broken key material', (k) => ({ ...k, x: 'AAAA' })],
    ['a 1024-bit RSA key', () => ({ kty: 'RSA', n: 'A'.repeat(171), e: 'AQAB' })],
  ])('when the jwks holds %s, then 400', async (_why, mutate) => {
    const key = await clientKey('EdDSA');
    const r = await h.register(
      basicMetadata({
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [mutate(key.publicJwk as Record<string, unknown>)] },
      }),
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_client_metadata');
  });

  it('when several keys share a kid or lack one, then 400', async () => {
    const a = await clientKey('EdDSA', 'same');
    const b = await clientKey('ES256', 'same');
    expect((await h.register(jwtMetadata([a, b]))).status).toBe(400);
    const { kid: _, ...noKid } = b.publicJwk;
    expect(
      (
        await h.register(
          basicMetadata({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [a.publicJwk, noKid] } }),
        )
      ).status,
    ).toBe(400);
  });
});
