import { connect, type AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import * as o from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ASSERTION_TYPE } from '../../server/companies/client-auth.ts';
import { defaultTerms, form } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';

// The standards points an off-the-shelf client relies on, each driven through the real server, most with an unmodified
// standard client (oauth4webapi).
let v: RunningVault;
let issuer: string;
const insecure = { [o.allowInsecureRequests]: true };
beforeAll(async () => {
  v = await startVault();
  issuer = v.ctx.config.publicUrl;
});
afterAll(async () => v.close());

let named = 0;
/** Registers a private_key_jwt company whose one key is published with `jwkAlg` (or without alg). */
async function registerJwtCompany(alg: 'Ed25519' | 'ES256', jwkAlg?: string, extra: Record<string, unknown> = {}) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `k${++named}`;
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', ...(jwkAlg ? { alg: jwkAlg } : {}) };
  const iat = await v.vault.services.companies.issueInitialAccessToken('standards');
  const r = await fetch(`${v.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${iat.token}` },
    body: JSON.stringify({
      client_name: `Standards Co ${named}`,
      redirect_uris: ['http://127.0.0.1:9/cb'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
      terms: defaultTerms,
      ...extra,
    }),
  });
  return { status: r.status, body: await r.json(), privateKey, kid };
}

async function discovered() {
  const url = new URL(issuer);
  return o.processDiscoveryResponse(url, await o.discoveryRequest(url, { algorithm: 'oauth2', ...insecure }));
}

async function assertionFor(clientId: string, key: CryptoKey, kid: string, aud: string | string[], alg = 'ES256') {
  const now = Math.floor(v.clock.now().getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg, kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(aud)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .setJti(crypto.randomUUID())
    .sign(key);
}

const managementToken = (assertion: string) =>
  form(`${v.url}/token`, {
    grant_type: 'client_credentials',
    scope: 'grant_management',
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: assertion,
  });

describe('RFC 8414 §2: the metadata a standard client validates', () => {
  it('when private_key_jwt is offered at introspection and revocation, then their signing algorithms are listed too', async () => {
    const as = await discovered();
    for (const endpoint of ['token', 'introspection', 'revocation'] as const) {
      expect(as[`${endpoint}_endpoint_auth_methods_supported`]).toContain('private_key_jwt');
      expect(as[`${endpoint}_endpoint_auth_signing_alg_values_supported`]).toEqual([
        'Ed25519',
        'EdDSA',
        'ES256',
        'RS256',
      ]);
    }
  });
});

describe('client assertions accept only the issuer identifier as their audience (RFC 7523, as updated)', () => {
  let company: Awaited<ReturnType<typeof registerJwtCompany>>;
  beforeAll(async () => {
    company = await registerJwtCompany('ES256', 'ES256');
  });

  it('when aud is the issuer as one string, then the token endpoint accepts it', async () => {
    const a = await assertionFor(company.body.client_id, company.privateKey, company.kid, issuer);
    expect((await managementToken(a)).status).toBe(200);
  });

  it.each<[string, () => string | string[]]>([
    ['the token endpoint URL', () => `${issuer}/token`],
    ['an array holding only the issuer', () => [issuer]],
    ['an array holding the issuer and another server', () => [issuer, 'https://other.example']],
    ['another server', () => 'https://other.example'],
  ])('when aud is %s, then 401 invalid_client', async (_why, aud) => {
    const a = await assertionFor(company.body.client_id, company.privateKey, company.kid, aud());
    const r = await managementToken(a);
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
  });
});

describe('Ed25519, the fully specified name (RFC 9864), is accepted wherever EdDSA is', () => {
  it('when the metadata is read, then Ed25519 is listed for DPoP proofs and client assertions', async () => {
    const as = await discovered();
    expect(as.dpop_signing_alg_values_supported).toEqual(['Ed25519', 'EdDSA', 'ES256']);
    expect(as.token_endpoint_auth_signing_alg_values_supported).toContain('Ed25519');
  });

  it.each([['Ed25519'], ['EdDSA'], [undefined]])(
    'when a company publishes its Ed25519 key with alg %s, then an unmodified client (which signs "Ed25519") authenticates, and an "EdDSA" assertion works too',
    async (jwkAlg) => {
      const c = await registerJwtCompany('Ed25519', jwkAlg);
      expect(c.status).toBe(201);
      const as = await discovered();
      const client: o.Client = { client_id: c.body.client_id };
      const res = await o.clientCredentialsGrantRequest(
        as,
        client,
        o.PrivateKeyJwt({ key: c.privateKey, kid: c.kid }),
        { scope: 'grant_management' },
        insecure,
      );
      expect((await o.processClientCredentialsResponse(as, client, res)).access_token).toBeTruthy();
      const legacy = await assertionFor(c.body.client_id, c.privateKey, c.kid, issuer, 'EdDSA');
      expect((await managementToken(legacy)).status).toBe(200);
    },
  );

  it('when a client proves possession with an Ed25519 DPoP key, then the token is bound and the resource accepts its proofs', async () => {
    const c = await registerJwtCompany('ES256', 'ES256');
    const as = await discovered();
    const client: o.Client = { client_id: c.body.client_id };
    const dpopKeys = await generateKeyPair('Ed25519', { extractable: false });
    const dpop = o.DPoP(client, dpopKeys);
    const auth = o.PrivateKeyJwt({ key: c.privateKey, kid: c.kid });
    const res = await o.clientCredentialsGrantRequest(
      as,
      client,
      auth,
      { scope: 'grant_management' },
      {
        DPoP: dpop,
        ...insecure,
      },
    );
    const tokens = await o.processClientCredentialsResponse(as, client, res);
    expect(tokens.token_type).toBe('dpop');
    const listed = await o.protectedResourceRequest(
      tokens.access_token,
      'GET',
      new URL(`${issuer}/company/grants`),
      undefined,
      undefined,
      { DPoP: dpop, ...insecure },
    );
    expect(listed.status).toBe(200);
  });
});

describe('RFC 9728 protected-resource metadata for the data API', () => {
  it('when a standard client discovers the data API from its identifier, then the metadata names it and this server', async () => {
    const resource = new URL(`${issuer}/data`);
    const rs = await o.processResourceDiscoveryResponse(resource, await o.resourceDiscoveryRequest(resource, insecure));
    expect(rs).toMatchObject({
      resource: `${issuer}/data`,
      authorization_servers: [issuer],
      bearer_methods_supported: ['header'],
      dpop_signing_alg_values_supported: ['Ed25519', 'EdDSA', 'ES256'],
      resource_documentation: `${issuer}/docs`,
    });
    expect(rs.scopes_supported).toEqual(expect.arrayContaining(['purpose:order-fulfilment', 'read:email', 'deposit']));
    const bare = await (await fetch(`${issuer}/.well-known/oauth-protected-resource`)).json();
    expect(bare).toEqual(rs);
  });

  it.each<[string, string, RequestInit]>([
    ['a read without a token (its own fast path)', '/data/customers/vh-aaaaa-aaaaa', {}],
    ['a read with a bad token', '/data/customers/vh-aaaaa-aaaaa', { headers: { authorization: 'Bearer x.y.z' } }],
    ['a deposit without a token (through express)', '/data/customers/vh-aaaaa-aaaaa/records', { method: 'POST' }],
  ])(
    'when the data API answers 401 to %s, then its challenge names the metadata URL (§5.1)',
    async (_w, path, init) => {
      const r = await fetch(`${issuer}${path}`, init);
      expect(r.status).toBe(401);
      const challenge = r.headers.get('www-authenticate') ?? '';
      const url = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
      expect(url).toBe(`${issuer}/.well-known/oauth-protected-resource/data`);
      expect((await (await fetch(url!)).json()).resource).toBe(`${issuer}/data`);
    },
  );

  it('when a standard client meets the challenge, then it reads resource_metadata from it', async () => {
    const e = await o
      .protectedResourceRequest(
        'not-a-token',
        'GET',
        new URL(`${issuer}/data/customers/vh-aaaaa-aaaaa`),
        undefined,
        undefined,
        insecure,
      )
      .catch((err: unknown) => err);
    expect(e).toBeInstanceOf(o.WWWAuthenticateChallengeError);
    const params = (e as o.WWWAuthenticateChallengeError).cause[0]!.parameters;
    expect(params.resource_metadata).toBe(`${issuer}/.well-known/oauth-protected-resource/data`);
  });
});

describe('problem types live under the configured public URL', () => {
  let other: RunningVault;
  beforeAll(async () => {
    other = await startVault({ env: { VAULT_PUBLIC_URL: 'https://consent.acme.test' } });
  });
  afterAll(async () => other.close());

  it('when a route, the OAuth endpoints or the data API refuse, then each type is https://consent.acme.test/problems/<slug>', async () => {
    const notFound = await (
      await fetch(`${other.url}/no/such/page`, { headers: { accept: 'application/json' } })
    ).json();
    expect(notFound.type).toBe('https://consent.acme.test/problems/not-found');
    const token = await form(`${other.url}/token`, { grant_type: 'client_credentials' });
    expect(token.body.type).toBe('https://consent.acme.test/problems/oauth/invalid_client');
    const read = await (await fetch(`${other.url}/data/customers/vh-aaaaa-aaaaa`)).json();
    expect(read.type).toBe('https://consent.acme.test/problems/oauth/invalid_request');
    const bad = await (
      await fetch(`${other.url}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{',
      })
    ).json();
    expect(bad.type).toMatch(/^https:\/\/consent\.acme\.test\/problems\/[a-z/_-]+$/);
  });

  it('when node refuses a malformed request before any route, then its problem type is under the public URL too', async () => {
    const { port } = new URL(other.url);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const s = connect(Number(port), '127.0.0.1', () => s.write('NOT HTTP AT ALL\r\n\r\n'));
      s.setEncoding('utf8');
      s.on('data', (d) => (text += d));
      s.on('close', () => resolve(text));
      s.on('error', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).type).toBe(
      'https://consent.acme.test/problems/bad-request',
    );
  });

  it('when the default vault refuses, then its types are under its own URL, not an example host', async () => {
    const r = await (await fetch(`${v.url}/no/such/page`, { headers: { accept: 'application/json' } })).json();
    expect(r.type).toBe(`${issuer}/problems/not-found`);
  });
});

export type { AddressInfo };
