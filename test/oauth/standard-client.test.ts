import { exportJWK, generateKeyPair } from 'jose';
import * as o from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer, uniqueEmail } from '../support/browser-like.ts';
import { defaultTerms } from '../support/company.ts';
import { startVault, type RunningVault } from '../support/vault.ts';
import { rowsOf } from '../support/rows.ts';

let v: RunningVault;
beforeAll(async () => {
  v = await startVault();
});
afterAll(async () => v.close());

const insecure = { [o.allowInsecureRequests]: true };

describe('an unmodified standard client (oauth4webapi) from the metadata URL alone', () => {
  it('when it registers, pushes, gets consent, exchanges, reads, refreshes, introspects and revokes, then every step works', async () => {
    const customer = await new Customer(v.url).signUp(uniqueEmail('flow'));
    await customer.call('PATCH', '/api/profile', { street_address: '1 Analytical Row', phone: '+44 20 7946 0000' });

    // Discovery from the issuer URL alone (RFC 8414).
    const issuer = new URL(v.url);
    const as = await o.processDiscoveryResponse(
      issuer,
      await o.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
    );
    expect(as.authorization_details_types_supported).toContain('customer_data');

    // Dynamic registration (RFC 7591) with private_key_jwt and an inline JWKS.
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = 'company-key-1';
    const redirectUri = 'http://127.0.0.1:9/callback';
    const iat = await v.vault.services.companies.issueInitialAccessToken('oauth4webapi test');
    const reg = await fetch(as.registration_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${iat.token}` },
      body: JSON.stringify({
        client_name: 'Standard Client Ltd',
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256' }] },
        terms: defaultTerms,
      }),
    });
    expect(reg.status).toBe(201);
    const registered = await reg.json();
    const client: o.Client = { client_id: registered.client_id, token_endpoint_auth_signing_alg: 'ES256' };
    const clientAuth = o.PrivateKeyJwt({ key: privateKey, kid });

    // PAR (RFC 9126) with RFC 9396 authorization_details and PKCE S256.
    const verifier = o.generateRandomCodeVerifier();
    const state = o.generateRandomState();
    const parResponse = await o.pushedAuthorizationRequest(
      as,
      client,
      clientAuth,
      {
        redirect_uri: redirectUri,
        response_type: 'code',
        state,
        code_challenge: await o.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        authorization_details: JSON.stringify([
          {
            type: 'customer_data',
            purpose: 'order-fulfilment',
            fields: ['email', 'phone', 'street_address'],
            actions: ['read'],
            duration: 'P30D',
          },
        ]),
      },
      insecure,
    );
    const par = await o.processPushedAuthorizationResponse(as, client, parResponse);

    // The customer's browser: /authorize sends them to the consent screen; they approve two of three fields.
    const authorizeUrl = new URL(as.authorization_endpoint!);
    authorizeUrl.searchParams.set('client_id', client.client_id);
    authorizeUrl.searchParams.set('request_uri', par.request_uri);
    const atAuthorize = await customer.call('GET', authorizeUrl.pathname + authorizeUrl.search);
    expect(atAuthorize.status).toBe(303);
    const consentPath = atAuthorize.headers.get('location')!;
    expect(consentPath).toMatch(/^\/consent\?request=/);
    const requestId = new URL(consentPath, v.url).searchParams.get('request')!;
    const shown = await customer.call('GET', `/api/consent/${requestId}`);
    expect(shown.body.company.name).toBe('Standard Client Ltd');
    expect(shown.body.request.fields.map((f: { name: string }) => f.name)).toEqual([
      'email',
      'phone',
      'street_address',
    ]);
    expect(shown.body.company.terms.retentionDays).toBe(90);
    const approved = await customer.call('POST', `/api/consent/${requestId}`, {
      decision: 'approve',
      termsVersion: shown.body.company.terms.version,
      fields: ['email', 'phone'],
      durationDays: 7,
    });
    expect(approved.status).toBe(200);

    // Back at the company: validate the response (state, iss) and exchange the code with PKCE.
    const params = o.validateAuthResponse(as, client, new URL(approved.body.redirectTo), state);
    const tokenResponse = await o.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      params,
      redirectUri,
      verifier,
      insecure,
    );
    const tokens = await o.processAuthorizationCodeResponse(as, client, tokenResponse);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.authorization_details?.[0]).toMatchObject({
      type: 'customer_data',
      fields: ['email', 'phone'],
      duration: 'P7D',
    });

    // Read: only the approved fields come back.
    const read = await o.protectedResourceRequest(
      tokens.access_token,
      'GET',
      new URL(`${v.url}/data/customers/${customer.handle}`),
      undefined,
      undefined,
      insecure,
    );
    expect(read.status).toBe(200);
    const data = await read.json();
    expect(data.fields).toEqual({ email: expect.stringContaining('@example.test'), phone: '+44 20 7946 0000' });
    expect(data.fields.street_address).toBeUndefined();

    // Refresh rotates the refresh token.
    const refreshed = await o.processRefreshTokenResponse(
      as,
      client,
      await o.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, insecure),
    );
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    // Introspection (RFC 7662), then revocation (RFC 7009), then introspection says inactive.
    const active = await o.processIntrospectionResponse(
      as,
      client,
      await o.introspectionRequest(as, client, clientAuth, refreshed.access_token, insecure),
    );
    expect(active.active).toBe(true);
    expect(active.client_id).toBe(client.client_id);
    await o.processRevocationResponse(
      await o.revocationRequest(as, client, clientAuth, refreshed.access_token, insecure),
    );
    const inactive = await o.processIntrospectionResponse(
      as,
      client,
      await o.introspectionRequest(as, client, clientAuth, refreshed.access_token, insecure),
    );
    expect(inactive.active).toBe(false);
    // The client library surfaces the resource server's 401 challenge as an error naming invalid_token.
    const afterRevoke = await o
      .protectedResourceRequest(
        refreshed.access_token,
        'GET',
        new URL(`${v.url}/data/customers/${customer.handle}`),
        undefined,
        undefined,
        insecure,
      )
      .catch((e: o.WWWAuthenticateChallengeError) => e);
    expect(afterRevoke).toBeInstanceOf(o.WWWAuthenticateChallengeError);
    expect((afterRevoke as o.WWWAuthenticateChallengeError).status).toBe(401);
    expect((afterRevoke as o.WWWAuthenticateChallengeError).cause[0]!.parameters.error).toBe('invalid_token');

    // The read was audited with fields named, values absent.
    const events = await rowsOf<{ body: string }>(v, "select body from audit_events where action = 'data.read'");
    expect(events).toHaveLength(1);
    expect(events[0]!.body).toContain('phone');
    expect(events[0]!.body).not.toContain('7946');
  });
});
