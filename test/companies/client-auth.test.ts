import * as oauth from 'oauth4webapi';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ASSERTION_TYPE } from '../../server/companies/client-auth.ts';
import { OAuthError } from '../../server/http/errors.ts';
import {
  basicAuth,
  basicMetadata,
  clientKey,
  jwtMetadata,
  startCompanies,
  type ClientKey,
  type CompaniesHarness,
} from './support.ts';

let h: CompaniesHarness;
let basic: { id: string; secret: string };
let jwtClient: { id: string; key: ClientKey; other: ClientKey };
let issuer: string;

beforeAll(async () => {
  h = await startCompanies();
  issuer = h.v.ctx.config.publicUrl;
  const b = await h.register(basicMetadata());
  basic = { id: b.body.client_id, secret: b.body.client_secret };
  const key = await clientKey('ES256');
  const other = await clientKey('ES256', key.publicJwk.kid); // same kid, not registered
  const j = await h.register(jwtMetadata([key, await clientKey('EdDSA')]));
  jwtClient = { id: j.body.client_id, key, other };
});
afterAll(async () => h.close());

/** Signs a client assertion; each field can be overridden to make it wrong in exactly one way. */
async function assertion(
  opts: {
    key?: ClientKey;
    iss?: string;
    sub?: string;
    aud?: string | string[];
    exp?: number;
    jti?: string | null;
    alg?: string;
  } = {},
) {
  const key = opts.key ?? jwtClient.key;
  const now = Math.floor(h.v.clock.now().getTime() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: opts.alg ?? key.alg, kid: key.publicJwk.kid })
    .setIssuer(opts.iss ?? jwtClient.id)
    .setSubject(opts.sub ?? jwtClient.id)
    .setAudience(opts.aud ?? issuer)
    .setIssuedAt(now)
    .setExpirationTime(opts.exp ?? now + 60);
  if (opts.jti !== null) jwt.setJti(opts.jti ?? crypto.randomUUID());
  return jwt.sign(key.privateKey);
}

const viaJwt = async (jwt: string, extra: Record<string, unknown> = {}) =>
  h.companies.authenticateClient({
    body: { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: jwt, ...extra },
    endpoint: '/token',
  });

async function rejected(p: Promise<unknown>): Promise<OAuthError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(OAuthError);
  const err = e as OAuthError;
  expect([err.status, err.error, err.detail]).toEqual([401, 'invalid_client', 'Client authentication failed']);
  expect(err.headers()['www-authenticate']).toBe('Basic realm="vault"');
  return err;
}

describe('a standard client (oauth4webapi) authenticates over HTTP', () => {
  const as = () => ({ issuer, token_endpoint: `${h.url}/test/token` }) satisfies oauth.AuthorizationServer;
  const opts = { [oauth.allowInsecureRequests]: true };

  it('when it uses client_secret_basic with the right secret, then it is recognised', async () => {
    const res = await oauth.clientCredentialsGrantRequest(
      as(),
      { client_id: basic.id },
      oauth.ClientSecretBasic(basic.secret),
      {},
      opts,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ client_id: basic.id });
  });

  it('when it uses client_secret_basic with a wrong secret, then 401 invalid_client with a Basic challenge', async () => {
    const res = await oauth.clientCredentialsGrantRequest(
      as(),
      { client_id: basic.id },
      oauth.ClientSecretBasic('wrong'),
      {},
      opts,
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="vault"');
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await res.json()).error).toBe('invalid_client');
  });

  it('when it uses private_key_jwt with a registered key, then it is recognised', async () => {
    const auth = oauth.PrivateKeyJwt({ key: jwtClient.key.privateKey, kid: jwtClient.key.publicJwk.kid });
    const res = await oauth.clientCredentialsGrantRequest(as(), { client_id: jwtClient.id }, auth, {}, opts);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ client_id: jwtClient.id });
  });

  it('when it uses private_key_jwt with a key not in its JWKS, then 401 invalid_client', async () => {
    const auth = oauth.PrivateKeyJwt({ key: jwtClient.other.privateKey, kid: jwtClient.other.publicJwk.kid });
    const res = await oauth.clientCredentialsGrantRequest(as(), { client_id: jwtClient.id }, auth, {}, opts);
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe('invalid_client');
  });
});

describe('client_secret_basic (RFC 6749 §2.3.1)', () => {
  const auth = (authorization: string, body: Record<string, unknown> = {}) =>
    h.companies.authenticateClient({ authorization, body, endpoint: '/token' });

  it('when the secret is right, then the company comes back without secret material', async () => {
    const c = await auth(basicAuth(basic.id, basic.secret));
    expect(c.id).toBe(basic.id);
    expect(Object.keys(c).sort()).toEqual([
      'authMethod',
      'createdAt',
      'dpopBound',
      'id',
      'name',
      'redirectUris',
      'status',
      'termsVersion',
    ]);
  });

  it.each<[string, () => string, (() => Record<string, unknown>)?]>([
    ['the secret is wrong', () => basicAuth(basic.id, basic.secret.slice(0, -1) + 'x')],
    ['the client id is unknown', () => basicAuth('00000000-0000-0000-0000-000000000000', basic.secret)],
    ['the secret is empty', () => basicAuth(basic.id, '')],
    ['the header is not base64', () => 'Basic !!!'],
    ['the header has no colon', () => 'Basic ' + Buffer.from(basic.id).toString('base64')],
    ['the scheme is Bearer', () => `Bearer ${basic.secret}`],
    ['the body names another client_id', () => basicAuth(basic.id, basic.secret), () => ({ client_id: jwtClient.id })],
    [
      'the body also carries client_secret',
      () => basicAuth(basic.id, basic.secret),
      () => ({ client_secret: basic.secret }),
    ],
    [
      'the body also carries an assertion',
      () => basicAuth(basic.id, basic.secret),
      () => ({ client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'x.y.z' }),
    ],
  ])('when %s, then 401 invalid_client', async (_why, header, body) => {
    await rejected(auth(header(), body?.() ?? {}));
  });

  it('when the body names the same client_id, then it is accepted', async () => {
    expect((await auth(basicAuth(basic.id, basic.secret), { client_id: basic.id })).id).toBe(basic.id);
  });

  it('when a client_secret is sent in the body (client_secret_post), then 401', async () => {
    await rejected(
      h.companies.authenticateClient({
        body: { client_id: basic.id, client_secret: basic.secret },
        endpoint: '/token',
      }),
    );
  });

  it('when no credentials are sent at all, then 401', async () => {
    await rejected(h.companies.authenticateClient({ body: { client_id: basic.id }, endpoint: '/token' }));
  });
});

describe('private_key_jwt (RFC 7523 §3)', () => {
  it('when the assertion is signed with a registered key, then the company comes back', async () => {
    expect((await viaJwt(await assertion())).id).toBe(jwtClient.id);
  });

  it('when aud is the issuer as a single string, then it is accepted whichever endpoint is called', async () => {
    expect((await viaJwt(await assertion({ aud: issuer }))).id).toBe(jwtClient.id);
    const c = await h.companies.authenticateClient({
      body: { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await assertion({ aud: issuer }) },
      endpoint: '/introspect',
    });
    expect(c.id).toBe(jwtClient.id);
  });

  it('when the same assertion is replayed, then the second use is refused', async () => {
    const jwt = await assertion();
    await viaJwt(jwt);
    await rejected(viaJwt(jwt));
  });

  it('when the same jti is reused in a fresh assertion, then it is refused', async () => {
    await viaJwt(await assertion({ jti: 'once-only' }));
    await rejected(viaJwt(await assertion({ jti: 'once-only' })));
  });

  it.each<[string, () => Promise<string>, (() => Record<string, unknown>)?]>([
    ['is signed with a key not in the JWKS (same kid)', () => assertion({ key: jwtClient.other })],
    ['has aud of another server', () => assertion({ aud: 'https://other.example' })],
    ['has aud of another endpoint of this server', () => assertion({ aud: `${issuer}/introspect` })],
    // The RFC 7523 update against audience injection: the issuer alone, never an endpoint URL or an array.
    ['has aud of the token endpoint URL', () => assertion({ aud: `${issuer}/token` })],
    [
      'has aud as an array holding the issuer and another server',
      () => assertion({ aud: [issuer, 'https://x.example'] }),
    ],
    ['has aud as an array holding only the issuer', () => assertion({ aud: [issuer] })],
    ['has iss different from sub', () => assertion({ iss: basic.id })],
    ['has iss and sub of another client', () => assertion({ iss: basic.id, sub: basic.id })],
    ['has expired', () => assertion({ exp: Math.floor(h.v.clock.now().getTime() / 1000) - 120 })],
    ['lives longer than 5 minutes', () => assertion({ exp: Math.floor(h.v.clock.now().getTime() / 1000) + 3600 })],
    ['has no jti', () => assertion({ jti: null })],
    ['comes with a body naming another client_id', () => assertion(), () => ({ client_id: basic.id })],
    [
      'comes with the wrong assertion type',
      () => assertion(),
      () => ({ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' }),
    ],
    ['is not a JWT', async () => 'not-a-jwt'],
    [
      'uses alg none',
      async () => {
        const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const now = Math.floor(h.v.clock.now().getTime() / 1000);
        return `${enc({ alg: 'none' })}.${enc({ iss: jwtClient.id, sub: jwtClient.id, aud: issuer, exp: now + 60, jti: crypto.randomUUID() })}.`;
      },
    ],
  ])('when the assertion %s, then 401 invalid_client', async (_why, make, extra) => {
    await rejected(viaJwt(await make(), extra?.() ?? {}));
  });

  it('when an HS256 assertion is signed with the public key, then it is refused', async () => {
    const now = Math.floor(h.v.clock.now().getTime() / 1000);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: jwtClient.key.publicJwk.kid })
      .setIssuer(jwtClient.id)
      .setSubject(jwtClient.id)
      .setAudience(issuer)
      .setExpirationTime(now + 60)
      .setJti(crypto.randomUUID())
      .sign(new TextEncoder().encode(JSON.stringify(jwtClient.key.publicJwk)));
    await rejected(viaJwt(jwt));
  });
});

describe('a client must use the method it registered', () => {
  it('when a private_key_jwt client sends a Basic header, then 401', async () => {
    await rejected(
      h.companies.authenticateClient({
        authorization: basicAuth(jwtClient.id, 'anything'),
        body: {},
        endpoint: '/token',
      }),
    );
  });

  it('when a client_secret_basic client sends an assertion, then 401', async () => {
    const k = await clientKey('EdDSA');
    const now = Math.floor(h.v.clock.now().getTime() / 1000);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(basic.id)
      .setSubject(basic.id)
      .setAudience(issuer)
      .setExpirationTime(now + 60)
      .setJti(crypto.randomUUID())
      .sign(k.privateKey);
    await rejected(viaJwt(jwt));
  });
});

describe('a disabled company cannot authenticate', () => {
  it('when the company is disabled, then its right secret and its valid assertions both fail', async () => {
    const b = await h.register(basicMetadata());
    const key = await clientKey('EdDSA');
    const j = await h.register(jwtMetadata([key]));
    expect(
      (
        await h.companies.authenticateClient({
          authorization: basicAuth(b.body.client_id, b.body.client_secret),
          body: {},
          endpoint: '/token',
        })
      ).id,
    ).toBe(b.body.client_id);
    await h.companies.disable(b.body.client_id);
    await h.companies.disable(j.body.client_id);
    await rejected(
      h.companies.authenticateClient({
        authorization: basicAuth(b.body.client_id, b.body.client_secret),
        body: {},
        endpoint: '/token',
      }),
    );
    const now = Math.floor(h.v.clock.now().getTime() / 1000);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: key.publicJwk.kid })
      .setIssuer(j.body.client_id)
      .setSubject(j.body.client_id)
      .setAudience(issuer)
      .setExpirationTime(now + 60)
      .setJti(crypto.randomUUID())
      .sign(key.privateKey);
    await rejected(viaJwt(jwt));
  });
});
