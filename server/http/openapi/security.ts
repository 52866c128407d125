import type { SecurityRequirement, SecuritySchemeName } from './spec.ts';

/**
 * components.securitySchemes. OpenAPI has no scheme for client authentication in the form body
 * (private_key_jwt, RFC 7523 §2.2), so the client-authenticated endpoints list `clientSecretBasic`
 * or no scheme, and their request bodies document `client_assertion_type` / `client_assertion`.
 */
export function securitySchemes(issuer: string): Record<SecuritySchemeName, Record<string, unknown>> {
  return {
    sessionCookie: {
      type: 'apiKey',
      in: 'cookie',
      name: 'vault_session',
      description:
        'The dashboard session (customers and auditors), set by POST /api/account or POST /api/session. HttpOnly, SameSite=Lax; ' +
        'named `__Host-vault_session` when the vault is served over HTTPS. Every write (POST, PUT, PATCH, DELETE) must also send ' +
        "the session's CSRF token in `x-csrf-token` (see csrfToken) and, if the browser sends an Origin, the vault's own.",
    },
    csrfToken: {
      type: 'apiKey',
      in: 'header',
      name: 'x-csrf-token',
      description:
        'The `csrfToken` returned by POST /api/account, POST /api/session and GET /api/session; required with the session cookie on writes.',
    },
    companyOAuth: {
      type: 'oauth2',
      description:
        'Access tokens for companies (RFC 9068 JWTs, EdDSA, short-lived). Customer data needs a token from the authorization code flow ' +
        '(PKCE S256, authorization_details of type customer_data; PAR at /par is supported). The grant-management and receipt APIs need a ' +
        'client_credentials token with scope grant_management. Send as `Authorization: Bearer <token>`, or as DPoP (see dpopAccessToken) ' +
        'when the client registered dpop_bound_access_tokens. Every request re-checks the grant in the database.',
      flows: {
        authorizationCode: {
          authorizationUrl: `${issuer}/authorize`,
          tokenUrl: `${issuer}/token`,
          refreshUrl: `${issuer}/token`,
          scopes: {},
        },
        clientCredentials: {
          tokenUrl: `${issuer}/token`,
          scopes: { grant_management: 'List, read and revoke your own grants; read your consent receipts' },
        },
      },
    },
    dpopAccessToken: {
      type: 'http',
      scheme: 'DPoP',
      description:
        'A DPoP-bound access token (RFC 9449): `Authorization: DPoP <token>` plus a `DPoP` proof header for this method and URL, signed by the key the token is bound to (EdDSA or ES256).',
    },
    clientSecretBasic: {
      type: 'http',
      scheme: 'basic',
      description:
        'Client authentication at /par, /token, /introspect and /revoke: client_secret_basic (RFC 6749 §2.3.1), the form-urlencoded client id and secret. ' +
        'Clients registered for private_key_jwt instead send `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and ' +
        '`client_assertion=<JWT signed with a key from the registered jwks>` in the form body (RFC 7523 §2.2), with aud the endpoint URL or the issuer.',
    },
    initialAccessToken: {
      type: 'http',
      scheme: 'bearer',
      description:
        'A single-use initial access token for POST /register (RFC 7591 §3), issued by the operator: `npm run vault -- companies token`.',
    },
    registrationAccessToken: {
      type: 'http',
      scheme: 'bearer',
      description:
        'The registration_access_token returned by POST /register; manages that one registration at /register/{clientId} (RFC 7592).',
    },
  };
}

/** Reusable security requirements. */
export const SECURITY = {
  public: [],
  /** Reads with a session: the cookie alone. */
  session: [{ sessionCookie: [] }],
  /** Writes with a session: the cookie and the CSRF header together. */
  sessionWrite: [{ sessionCookie: [], csrfToken: [] }],
  dataToken: [{ companyOAuth: [] }, { dpopAccessToken: [] }],
  managementToken: [{ companyOAuth: ['grant_management'] }, { dpopAccessToken: [] }],
  /** client_secret_basic in the header, or private_key_jwt in the body (no OpenAPI scheme for that). */
  client: [{ clientSecretBasic: [] }, {}],
  initialAccessToken: [{ initialAccessToken: [] }],
  registrationAccessToken: [{ registrationAccessToken: [] }],
} as const satisfies Record<string, readonly SecurityRequirement[]>;
