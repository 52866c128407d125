import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRows, storedText } from '../support/rows.ts';
import { basicMetadata, clientKey, jwtMetadata, startCompanies, type CompaniesHarness } from './support.ts';

let h: CompaniesHarness;
beforeAll(async () => {
  h = await startCompanies();
});
afterAll(async () => h.close());

describe('registration needs an initial access token (RFC 7591 §3)', () => {
  it('when no token is sent, then 401 invalid_token with a Bearer challenge', async () => {
    const r = await h.call('POST', '/register', { body: basicMetadata() });
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/); // RFC 7591 §3.2.2; the body is still a problem
    expect(r.body.error).toBe('invalid_token');
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="vault", error="invalid_token"/);
  });

  it('when the token is unknown, then 401 invalid_token', async () => {
    const r = await h.register(basicMetadata(), 'not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_token');
  });

  it('when a token is used a second time, then 401 and no second company', async () => {
    const token = await h.initialToken();
    expect((await h.register(basicMetadata(), token)).status).toBe(201);
    const before = (await h.companies.list()).length;
    const again = await h.register(basicMetadata(), token);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_token');
    expect((await h.companies.list()).length).toBe(before);
  });

  it('when the token has expired, then 401', async () => {
    const { token } = await h.companies.issueInitialAccessToken('short', 1);
    h.v.clock.advance(3600_000 + 1000);
    const r = await h.register(basicMetadata(), token);
    expect(r.status).toBe(401);
  });

  it('when the metadata is invalid, then 400 and the token can still be used', async () => {
    const token = await h.initialToken();
    expect((await h.register({ client_name: 'x' }, token)).status).toBe(400);
    expect((await h.register(basicMetadata(), token)).status).toBe(201);
  });
});

describe('registration with client_secret_basic', () => {
  it('when a company registers, then 201 with client_id, the secret once, RFC 7592 members and the echoed terms', async () => {
    const r = await h.register(
      basicMetadata({
        client_name: 'Acme Shop',
        dpop_bound_access_tokens: true,
        software_statement_unknown: 'ignored',
      }),
    );
    expect(r.status).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const b = r.body;
    expect(b.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.client_secret_expires_at).toBe(0);
    expect(b.client_id_issued_at).toBeTypeOf('number');
    expect(b.registration_access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.registration_client_uri).toBe(`${h.v.ctx.config.publicUrl}/register/${b.client_id}`);
    expect(r.headers.get('location')).toBe(b.registration_client_uri);
    expect(b).toMatchObject({
      client_name: 'Acme Shop',
      redirect_uris: ['https://acme.example/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:openid:params:grant-type:ciba'],
      response_types: ['code'],
      dpop_bound_access_tokens: true,
      terms_version: 1,
      terms: { purposes: ['order-fulfilment'], retentionDays: 90, benefit: { kind: 'discount' } },
    });
    expect(b.software_statement_unknown).toBeUndefined();
    expect(b.jwks).toBeUndefined();

    // The secret is shown once: reading the registration does not reveal it again.
    const read = await h.call('GET', new URL(b.registration_client_uri).pathname, {
      bearer: b.registration_access_token,
    });
    expect(read.status).toBe(200);
    expect(read.body.client_secret).toBeUndefined();
    expect(read.body.client_id).toBe(b.client_id);

    // Stored hashed: neither the secret nor the registration token appears anywhere in the database.
    const stored = await storedText(h.v);
    expect(stored.includes(b.client_id)).toBe(true); // the search itself works
    expect(stored.includes(b.client_secret)).toBe(false);
    expect(stored.includes(b.registration_access_token)).toBe(false);

    const company = (await h.companies.byId(b.client_id))!;
    expect(company).toEqual({
      id: b.client_id,
      name: 'Acme Shop',
      status: 'active',
      authMethod: 'client_secret_basic',
      redirectUris: ['https://acme.example/cb'],
      dpopBound: true,
      termsVersion: 1,
      createdAt: expect.any(String),
    });
    expect((await h.companies.currentTerms(b.client_id)).version).toBe(1);
  });

  it('when a company registers, then the audit trail records company.registered', async () => {
    const r = await h.register(basicMetadata());
    const events = (await auditRows(h.v)).filter((e) => e.companyId === r.body.client_id);
    expect(events.map((e) => e.action)).toEqual(['company.registered']);
  });

  it('when token_endpoint_auth_method is omitted, then client_secret_basic is registered', async () => {
    const { token_endpoint_auth_method: _, ...rest } = basicMetadata();
    const r = await h.register(rest);
    expect(r.status).toBe(201);
    expect(r.body.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(r.body.client_secret).toBeTruthy();
  });
});

describe('registration with private_key_jwt', () => {
  it.each(['EdDSA', 'ES256', 'RS256'] as const)(
    'when a company registers a %s public key, then 201 without a client_secret',
    async (alg) => {
      const key = await clientKey(alg);
      const r = await h.register(jwtMetadata([key]));
      expect(r.status).toBe(201);
      expect(r.body.token_endpoint_auth_method).toBe('private_key_jwt');
      expect(r.body.client_secret).toBeUndefined();
      expect(r.body.client_secret_expires_at).toBeUndefined();
      expect(r.body.jwks).toEqual({ keys: [key.publicJwk] });
    },
  );
});
