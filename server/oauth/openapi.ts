import { z } from 'zod';
import { recordAccessSchema } from '../grants/openapi.ts';
import { claimNameSchema } from '../claims/catalogue.ts';
import { isoTime } from '../http/openapi/common.ts';
import { SECURITY } from '../http/openapi/security.ts';
import type { OperationSpec } from '../http/openapi/spec.ts';
import { reasonSchema } from '../http/openapi/problem.ts';
import { actionSchema, categorySchema, companyTermsSchema } from '../policy/types.ts';
import { paramsSchema } from './request-params.ts';
import { CIBA_GRANT, DEVICE_GRANT } from './grants/grant-types.ts';
import { userCodeSchema } from './device/routes.ts';
import { consentSchema } from './routes.ts';

/**
 * The OAuth endpoints read their form bodies field by field (server/oauth/grants/, client-auth.ts);
 * the authorization request itself is checked by `paramsSchema`, which these documents reuse.
 */
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const clientAuthFields = {
  client_id: z
    .string()
    .max(200)
    .optional()
    .meta({ description: 'Required with private_key_jwt; with Basic authentication it may be sent and must match' }),
  client_assertion_type: z
    .literal(CLIENT_ASSERTION_TYPE)
    .optional()
    .meta({ description: 'private_key_jwt only (RFC 7523 §2.2)' }),
  client_assertion: z.string().max(8192).optional().meta({
    description:
      'private_key_jwt only: a JWT signed with a registered key; iss=sub=client_id, aud the endpoint URL or the issuer, a fresh jti, exp within 5 minutes',
  }),
};

export const parRequestSchema = paramsSchema
  .omit({ request_uri: true, request: true })
  .extend(clientAuthFields)
  .meta({
    description:
      'An authorization request (RFC 6749 §4.1.1) pushed ahead (RFC 9126). response_type=code; PKCE S256 is required; redirect_uri must match a registered one exactly. ' +
      'What is asked for: `authorization_details` = JSON `[{"type":"customer_data","purpose":"order-fulfilment","fields":["email"],"actions":["read"],"duration":"P30D"}]` (RFC 9396), ' +
      'with, to read or deposit records, a second entry `{"type":"customer_records","categories":["purchases"],"window":"P12M","sources":"any"}` (sources: "any" or company ids; the customer may narrow window and sources), ' +
      'or `scope` = "purpose:order-fulfilment read:email read:phone deposit duration:30". ' +
      'A claim asks for an answer instead of a value: `"claims":[{"name":"age_over","value":18}]` beside (or instead of) `fields`, or `claim:age_over:18` in scope; see GET /data/customers/{handle}/claims/{name}.',
  });

const verifier = z
  .string()
  .regex(/^[A-Za-z0-9._~-]{43,128}$/)
  .meta({ description: 'The PKCE code verifier (RFC 7636 §4.1)' });
export const tokenRequestSchema = z.discriminatedUnion('grant_type', [
  z.object({
    grant_type: z.literal('authorization_code'),
    code: z.string(),
    redirect_uri: z.string(),
    code_verifier: verifier,
    ...clientAuthFields,
  }),
  z.object({
    grant_type: z.literal('refresh_token'),
    refresh_token: z
      .string()
      .meta({ description: 'Rotates on use; reusing an old one revokes the whole token family' }),
    ...clientAuthFields,
  }),
  z.object({
    grant_type: z.literal('client_credentials'),
    scope: z.literal('grant_management').optional(),
    ...clientAuthFields,
  }),
  z.object({
    grant_type: z.literal(CIBA_GRANT),
    auth_req_id: z.string().meta({ description: 'From /bc-authorize; poll no faster than `interval` seconds' }),
    ...clientAuthFields,
  }),
  z.object({
    grant_type: z.literal(DEVICE_GRANT),
    device_code: z.string().meta({
      description:
        'From /device_authorization (RFC 8628 §3.4); poll no faster than `interval` seconds: each poll sooner is `slow_down` and adds 5 s for good',
    }),
    ...clientAuthFields,
  }),
]);

export const deviceRequestSchema = z
  .object({
    authorization_details: z.string().max(10_000).optional().meta({
      description: 'As at /par: JSON array with one customer_data entry (e.g. fields ["devices"], actions ["deposit"])',
    }),
    scope: z.string().max(2000).optional().meta({ description: 'As at /par, when authorization_details is absent' }),
    ...clientAuthFields,
  })
  .meta({ description: 'A connected product asks for access (RFC 8628 §3.1); its client registered a product_name.' });
export const deviceResponseSchema = z.object({
  device_code: z.string().meta({ description: 'For /token; keep it on the device' }),
  user_code: z.string().meta({ description: 'Shown to the customer, e.g. BCDF-GHJK (8 letters of 20 consonants)' }),
  verification_uri: z.url().meta({ description: 'The dashboard page "Connect a product"' }),
  verification_uri_complete: z.url().meta({ description: 'The same page with the code filled in (for a QR code)' }),
  expires_in: z.number().int().positive().meta({ description: '600: the codes expire after 10 minutes' }),
  interval: z.number().int().positive().meta({ description: 'Seconds to wait between polls (5)' }),
});

export const backchannelRequestSchema = z
  .object({
    login_hint: z.string().meta({ description: "The customer's vault handle, e.g. vh-k7m2p-q9rst" }),
    authorization_details: z
      .string()
      .max(10_000)
      .optional()
      .meta({ description: 'As at /par: JSON array with one customer_data entry' }),
    scope: z.string().max(2000).optional().meta({ description: 'As at /par, when authorization_details is absent' }),
    ...clientAuthFields,
  })
  .meta({
    description:
      'A back-channel access request (after OpenID CIBA, poll mode) for a customer who is not in front of the company.',
  });
export const backchannelResponseSchema = z.object({
  auth_req_id: z.string(),
  expires_in: z.number().int().positive(),
  interval: z.number().int().positive().meta({ description: 'Seconds to wait between polls' }),
});
export const tokenOperandSchema = z.object({
  token: z.string().meta({ description: 'An access token or a refresh token of this client' }),
  token_type_hint: z.enum(['access_token', 'refresh_token']).optional(),
  ...clientAuthFields,
});

export const authorizationDetailsSchema = z.array(
  z.union([
    z.object({
      type: z.literal('customer_data'),
      purpose: z.string(),
      fields: z.array(z.string()),
      claims: z
        .array(z.object({ name: claimNameSchema, value: z.unknown() }))
        .optional()
        .meta({ description: 'Answers asked for instead of values, e.g. {"name":"age_over","value":18}' }),
      actions: z.array(actionSchema),
      duration: z.string().meta({ description: 'ISO 8601 duration in days, e.g. P30D' }),
    }),
    recordAccessSchema.extend({ type: z.literal('customer_records') }),
  ]),
);

const tokenCommon = {
  access_token: z.string().meta({ description: 'An RFC 9068 JWT; treat it as opaque' }),
  token_type: z.enum(['Bearer', 'DPoP']),
  expires_in: z.number().int().positive().meta({ description: 'Seconds until the access token expires' }),
};
export const tokenResponseSchema = z
  .union([
    z.object({
      ...tokenCommon,
      refresh_token: z.string(),
      scope: z.string(),
      authorization_details: authorizationDetailsSchema,
      grant_id: z.uuid(),
    }),
    z.object({ ...tokenCommon, scope: z.literal('grant_management') }),
  ])
  .meta({
    description:
      "Tokens for a customer's grant (authorization_code, refresh_token), or a grant-management token (client_credentials).",
  });

export const introspectionSchema = z
  .object({
    active: z.boolean(),
    token_type: z.enum(['Bearer', 'DPoP', 'refresh_token']).optional(),
    iss: z.string().optional(),
    sub: z.string().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    exp: z.number().int().optional(),
    iat: z.number().int().optional(),
    jti: z.string().optional(),
    scope: z.string().optional(),
    client_id: z.string().optional(),
    grant_id: z.string().optional(),
    authorization_details: authorizationDetailsSchema.optional(),
    cnf: z.object({ jkt: z.string() }).optional(),
  })
  .meta({
    description:
      'RFC 7662 §2.2. Inactive tokens (unknown, expired, revoked, another client\'s, or whose grant is no longer active) are just {"active": false}.',
  });

export const metadataDocumentSchema = z
  .object({
    issuer: z.url(),
    authorization_endpoint: z.url(),
    token_endpoint: z.url(),
    jwks_uri: z.url(),
    registration_endpoint: z.url(),
    pushed_authorization_request_endpoint: z.url(),
    backchannel_authentication_endpoint: z.url(),
    backchannel_token_delivery_modes_supported: z.array(z.string()),
    device_authorization_endpoint: z.url(),
    introspection_endpoint: z.url(),
    revocation_endpoint: z.url(),
    service_documentation: z.url(),
    response_types_supported: z.array(z.string()),
    response_modes_supported: z.array(z.string()),
    grant_types_supported: z.array(z.string()),
    code_challenge_methods_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    token_endpoint_auth_signing_alg_values_supported: z.array(z.string()),
    introspection_endpoint_auth_methods_supported: z.array(z.string()),
    revocation_endpoint_auth_methods_supported: z.array(z.string()),
    introspection_endpoint_auth_signing_alg_values_supported: z.array(z.string()),
    revocation_endpoint_auth_signing_alg_values_supported: z.array(z.string()),
    authorization_details_types_supported: z.array(z.string()),
    scopes_supported: z.array(z.string()),
    dpop_signing_alg_values_supported: z.array(z.string()),
    authorization_response_iss_parameter_supported: z.boolean(),
    require_pushed_authorization_requests: z.boolean(),
    access_token_signing_alg_values_supported: z.array(z.string()),
  })
  .meta({ description: 'RFC 8414 authorization server metadata.' });

export const resourceMetadataSchema = z
  .object({
    resource: z.url(),
    authorization_servers: z.array(z.url()),
    bearer_methods_supported: z.array(z.string()),
    dpop_signing_alg_values_supported: z.array(z.string()),
    dpop_bound_access_tokens_required: z.boolean(),
    scopes_supported: z.array(z.string()),
    authorization_details_types_supported: z.array(z.string()),
    resource_name: z.string(),
    resource_documentation: z.url(),
  })
  .meta({
    description:
      'RFC 9728 protected-resource metadata of the company data API; its 401 challenges name it in `resource_metadata`.',
  });

export const jwksSchema = z
  .object({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string().optional() })) })
  .meta({
    description: "The vault's public signing keys (RFC 7517): access tokens, audit checkpoints, consent receipts.",
  });

export const consentViewSchema = z
  .object({
    id: z.string(),
    status: z.enum(['pushed', 'pending', 'approved', 'denied', 'consumed', 'expired']),
    mode: z.enum(['front', 'backchannel', 'device']),
    createdAt: isoTime,
    expiresAt: isoTime,
    company: z.object({
      id: z.string(),
      name: z.string(),
      product: z
        .string()
        .optional()
        .meta({ description: 'A connected product (mode device): shown as "<product>, by <name>"' }),
      terms: companyTermsSchema.extend({ version: z.number().int() }),
    }),
    request: z.object({
      purpose: z.string(),
      purposeDescription: z.string(),
      fields: z.array(
        z.object({
          name: z.string(),
          label: z.string(),
          category: categorySchema,
          sensitive: z.boolean(),
          value: z.unknown().optional().meta({
            description:
              "The customer's own value, null when not filled in; only on GET /api/consent/{id}, never in request lists",
          }),
        }),
      ),
      claims: z
        .array(
          z.object({
            name: claimNameSchema,
            value: z.unknown(),
            category: categorySchema,
            sentence: z
              .string()
              .meta({ description: 'E.g. "Brewco will learn whether you are over 18, not your date of birth"' }),
            answer: z.boolean().nullable().optional().meta({
              description:
                'The answer that would be given today (null: not filled in); only on GET /api/consent/{id}, never in request lists',
            }),
          }),
        )
        .meta({ description: 'Answers asked for instead of values' }),
      records: z
        .object({
          categories: z.array(z.object({ name: z.string(), label: z.string() })),
          window: z.string().meta({ description: 'ISO 8601 window asked for, e.g. "P12M"' }),
          windowText: z.string().meta({ description: 'E.g. "the last 12 months"' }),
          windows: z
            .array(z.object({ value: z.string(), text: z.string() }))
            .meta({ description: 'The asked window and the shorter ones the customer may choose instead' }),
          sources: z.union([z.literal('any'), z.array(z.string())]),
          sourceChoices: z
            .array(z.object({ id: z.string(), name: z.string() }))
            .meta({ description: 'The companies the customer may narrow the sources to' }),
          sentence: z.string().meta({ description: 'E.g. "Purchases from the last 12 months, from every company"' }),
        })
        .optional()
        .meta({ description: 'Records asked for (a customer_records entry), in words; approve with `records`' }),
      actions: z.array(actionSchema),
      durationDays: z.number().int(),
      maxDurationDays: z.number().int(),
    }),
    decision: z.object({
      allow: z.boolean(),
      reasons: z.array(reasonSchema),
      policyVersion: z.string(),
      autoApprove: z.boolean(),
    }),
  })
  .meta({
    description:
      "What the consent screen shows: who asks, for what, for how long, under which terms, and the policy's view.",
  });

export const consentOutcomeSchema = z.object({
  redirectTo: z
    .url()
    .optional()
    .meta({ description: "Where to send the browser: the company's redirect URI with code (or error), state and iss" }),
});

export const oauthComponents = {
  AuthorizationServerMetadata: metadataDocumentSchema,
  ProtectedResourceMetadata: resourceMetadataSchema,
  JsonWebKeySet: jwksSchema,
  TokenResponse: tokenResponseSchema,
  Introspection: introspectionSchema,
  ConsentView: consentViewSchema,
};

const noStore = { 'cache-control': { description: 'no-store', required: true } };
const form = 'application/x-www-form-urlencoded' as const;
const dpopHeader = {
  dpop: { description: 'A DPoP proof for POST <issuer>/token (RFC 9449 §4); the tokens are then bound to its key' },
};

export const oauthOperations: OperationSpec[] = [
  {
    method: 'get',
    path: '/.well-known/oauth-authorization-server',
    operationId: 'getServerMetadata',
    tags: ['OAuth'],
    security: SECURITY.public,
    summary: 'Authorization server metadata (RFC 8414): start here',
    responses: { 200: { description: 'The metadata', schema: metadataDocumentSchema } },
  },
  ...(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/data'] as const).map(
    (path, i): OperationSpec => ({
      method: 'get',
      path,
      operationId: i === 0 ? 'getProtectedResourceMetadata' : 'getDataResourceMetadata',
      tags: ['OAuth'],
      security: SECURITY.public,
      summary: 'Protected-resource metadata of the data API (RFC 9728); the same document at both paths',
      responses: { 200: { description: 'The metadata', schema: resourceMetadataSchema } },
    }),
  ),
  {
    method: 'get',
    path: '/jwks.json',
    operationId: 'getJwks',
    tags: ['OAuth'],
    security: SECURITY.public,
    summary: "The vault's public signing keys (JWKS)",
    responses: { 200: { description: 'The key set', schema: jwksSchema, contentType: 'application/jwk-set+json' } },
  },
  {
    method: 'post',
    path: '/par',
    operationId: 'pushAuthorizationRequest',
    tags: ['OAuth'],
    security: SECURITY.client,
    summary: 'Push an authorization request (RFC 9126)',
    body: { schema: parRequestSchema, contentType: form },
    errorMediaType: 'application/json',
    description:
      'Validated at once, including the platform policy (403 `access_denied` with `reasons[]` when the purpose is forbidden). Send the customer to /authorize with client_id and the request_uri within 90 seconds. ' +
      'At most 300 a minute per company (429 `slow_down` with Retry-After).',
    errors: [403],
    rateLimited: true,
    responses: {
      201: {
        description: 'The request_uri to use at /authorize',
        schema: z.object({
          request_uri: z.string().regex(/^urn:ietf:params:oauth:request_uri:/),
          expires_in: z.number().int().positive(),
        }),
        headers: noStore,
      },
    },
  },
  {
    method: 'post',
    path: '/bc-authorize',
    operationId: 'backchannelAuthorize',
    tags: ['OAuth'],
    security: SECURITY.client,
    summary: 'Ask a customer for access by vault handle, without a browser (CIBA-style, poll mode)',
    body: { schema: backchannelRequestSchema, contentType: form },
    errorMediaType: 'application/json',
    errors: [403],
    description:
      "Decided at once against the platform policy and the customer's criteria: a refused request is 403 `access_denied` with `reasons[]` (every reason from the customer's criteria shows as `CUSTOMER_CRITERIA`) and never reaches the customer. " +
      "Otherwise it is auto-approved by a matching rule or waits in the customer's dashboard. Poll POST /token with grant_type=urn:openid:params:grant-type:ciba and the auth_req_id: " +
      '`authorization_pending` until the customer answers, then tokens once (or `access_denied`, `expired_token`). An unknown handle is 400 `unknown_user_id`. ' +
      'The same request while one still waits gets that auth_req_id back. 429 `slow_down` with Retry-After past 120 requests a minute per company, 10 an hour from a company to one customer, ' +
      'or while 20 requests already wait for the customer.',
    rateLimited: true,
    responses: { 200: { description: 'The request is pending', schema: backchannelResponseSchema, headers: noStore } },
  },
  {
    method: 'post',
    path: '/device_authorization',
    operationId: 'deviceAuthorization',
    tags: ['OAuth'],
    security: SECURITY.client,
    summary: 'A connected product asks for access (RFC 8628 device authorization grant)',
    body: { schema: deviceRequestSchema, contentType: form },
    errorMediaType: 'application/json',
    description:
      'For a client registered with a `product_name` (else 400 `unauthorized_client`). The platform policy decides at once (400 `access_denied` with `reasons[]`, RFC 8628 §3.2); ' +
      'the product shows `user_code` (or a QR code of `verification_uri_complete`), the customer enters it in the dashboard and decides; the grant is deposit-only unless the customer also allows reading. ' +
      `Poll POST /token with grant_type=${DEVICE_GRANT} and the device_code: \`authorization_pending\`, \`slow_down\` (sooner than \`interval\`; the interval grows by 5 s), ` +
      '`access_denied`, `expired_token` after 10 minutes, else the tokens once. 429 past 120 requests a minute per client.',
    rateLimited: true,
    responses: { 200: { description: 'The codes', schema: deviceResponseSchema, headers: noStore } },
  },
  {
    method: 'post',
    path: '/api/device',
    operationId: 'enterUserCode',
    tags: ['Consent'],
    security: SECURITY.sessionWrite,
    summary: 'Enter the code a connected product shows (RFC 8628 §3.3)',
    description:
      'A live code becomes my request: decided against the policy and my criteria, then shown at /consent?request={request}. ' +
      'A wrong, expired, used or never-issued code is the same 400 (it does not say which). 429 after 5 wrong codes in 15 minutes per session, or 20 per address.',
    body: { schema: userCodeSchema },
    rateLimited: true,
    responses: {
      200: {
        description: 'The request to review',
        schema: z.object({
          request: z.string(),
          status: z
            .enum(['pending', 'denied', 'approved'])
            .meta({ description: 'denied: refused by policy or my criteria; approved: by my auto-approval rules' }),
        }),
      },
    },
  },
  {
    method: 'get',
    path: '/api/requests',
    operationId: 'listPendingRequests',
    tags: ['Consent'],
    security: SECURITY.session,
    summary: 'Requests waiting for my answer (back-channel requests and unfinished consent screens)',
    responses: {
      200: {
        description: 'Pending requests, each as the consent screen shows it',
        schema: z.object({ requests: z.array(consentViewSchema) }),
      },
    },
  },
  {
    method: 'get',
    path: '/authorize',
    operationId: 'authorize',
    tags: ['OAuth'],
    security: [{ sessionCookie: [] }, {}],
    summary: "Authorization endpoint: the customer's browser goes here",
    query: paramsSchema,
    description:
      'With `client_id` and `request_uri` from /par, or the full request in the query. Redirects (303): a signed-out browser to /signin (and back); ' +
      "a request the customer's criteria refuse, or one an auto-approve rule accepts, straight back to the redirect URI with `error=access_denied` or `code`, plus `state` and `iss` (RFC 9207); " +
      'otherwise to the consent screen (/consent?request=…). A problem with the client, the redirect URI or the request link (unknown, expired, used) is a 400 shown to the customer, never redirected (RFC 6749 §4.1.2.1): ' +
      'a browser navigation gets it as an HTML page that links back to the company. A signed-out customer has 30 minutes from the request to sign in or create a vault. ' +
      'Without a request_uri: at most 300 a minute per company and, signed out, 30 a minute per client address; a signed-in customer: 60 visits per 10 minutes (429 with Retry-After).',
    errors: [403],
    rateLimited: true,
    responses: {
      303: {
        description: 'Where the browser goes next',
        headers: {
          location: {
            description: 'The redirect URI with code or error, /consent?request=…, or /signin?next=…',
            required: true,
          },
        },
      },
    },
  },
  {
    method: 'post',
    path: '/token',
    operationId: 'token',
    tags: ['OAuth'],
    security: SECURITY.client,
    summary: 'Token endpoint: authorization_code, refresh_token, client_credentials, back-channel (CIBA) polling',
    body: { schema: tokenRequestSchema, contentType: form },
    headers: dpopHeader,
    errorMediaType: 'application/json',
    description:
      'Errors follow RFC 6749 §5.2 (`invalid_grant`, `invalid_client`, `unsupported_grant_type`, `invalid_dpop_proof`…) in `error`. A reused code or refresh token revokes every token issued from it.',
    responses: { 200: { description: 'Tokens', schema: tokenResponseSchema, headers: noStore } },
  },
  {
    method: 'post',
    path: '/introspect',
    operationId: 'introspect',
    tags: ['OAuth'],
    security: SECURITY.client,
    summary: 'Token introspection (RFC 7662)',
    body: { schema: tokenOperandSchema, contentType: form },
    errorMediaType: 'application/json',
    responses: {
      200: {
        description: 'Whether the token is active, and its claims',
        schema: introspectionSchema,
        headers: noStore,
      },
    },
  },
  {
    method: 'post',
    path: '/revoke',
    operationId: 'revoke',
    tags: ['OAuth'],
    security: SECURITY.client,
    summary: 'Token revocation (RFC 7009)',
    body: { schema: tokenOperandSchema, contentType: form },
    errorMediaType: 'application/json',
    description:
      'Always 200 for an authenticated client (RFC 7009 §2.2). Revoking a refresh token revokes its whole family.',
    responses: { 200: { description: 'Revoked, or nothing to revoke' } },
  },
  {
    method: 'get',
    path: '/api/consent/:id',
    operationId: 'getConsentRequest',
    tags: ['Consent'],
    security: SECURITY.session,
    pathParams: { id: z.string().max(100).meta({ description: 'The request id from /consent?request=…' }) },
    summary: 'What a company is asking me for',
    errors: [404, 409],
    responses: {
      200: { description: "The request, the company's terms and the policy's view", schema: consentViewSchema },
    },
  },
  {
    method: 'post',
    path: '/api/consent/:id',
    operationId: 'decideConsentRequest',
    tags: ['Consent'],
    security: SECURITY.sessionWrite,
    pathParams: { id: z.string().max(100).meta({ description: 'The request id from /consent?request=…' }) },
    summary: 'Approve (possibly fewer fields or a shorter time) or deny',
    description:
      "An approval names the terms version the screen showed; if the company's terms changed since, it is a 409 " +
      'problem of type `terms-changed` (with the current `termsVersion`) and nothing is granted.',
    body: { schema: consentSchema },
    errors: [404, 409],
    responses: { 200: { description: 'Where to send the browser', schema: consentOutcomeSchema } },
  },
];
