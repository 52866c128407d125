import { z } from 'zod';
import { SECURITY } from '../http/openapi/security.ts';
import type { OperationSpec } from '../http/openapi/spec.ts';
import { companyTermsSchema } from '../policy/types.ts';
import { GRANT_TYPES, metadataSchema } from './metadata.ts';

/** RFC 7591 §3.2.1 client information response with the RFC 7592 §3 management members. */
export const registrationSchema = z
  .object({
    client_id: z.string(),
    client_secret: z
      .string()
      .optional()
      .meta({ description: 'Only in the response that issued it (client_secret_basic); it is never shown again' }),
    client_id_issued_at: z.number().int(),
    client_secret_expires_at: z
      .literal(0)
      .optional()
      .meta({ description: '0: the secret does not expire; absent without a secret' }),
    registration_access_token: z
      .string()
      .meta({ description: 'Bearer token for /register/{clientId}; keep it secret' }),
    registration_client_uri: z.url(),
    client_name: z.string(),
    product_name: z
      .string()
      .optional()
      .meta({ description: 'Device clients (RFC 8628): the product, shown as "<product_name>, by <client_name>"' }),
    redirect_uris: z.array(z.string()),
    token_endpoint_auth_method: z.enum(['private_key_jwt', 'client_secret_basic']),
    grant_types: z.array(z.enum(GRANT_TYPES)),
    response_types: z.array(z.literal('code')),
    jwks: z.object({ keys: z.array(z.looseObject({ kty: z.string() })) }).optional(),
    dpop_bound_access_tokens: z.boolean(),
    event_delivery_endpoint: z
      .string()
      .optional()
      .meta({ description: 'RFC 8935 push endpoint for grant events; absent: the company polls /company/events/poll' }),
    terms: companyTermsSchema,
    terms_version: z.number().int().min(1),
  })
  .meta({ description: "A company's registration (RFC 7591 / 7592), with its declared data-use terms." });

export const companyComponents = { ClientRegistration: registrationSchema };

const clientId = { clientId: z.string().max(200).meta({ description: 'The client_id from the registration' }) };
const noStore = { 'cache-control': { description: 'no-store', required: true } };

const metadataDescription =
  "RFC 7591 client metadata plus the vault's `terms`: purposes, retention, onward sharing, the benefit offered to the customer, value tags. " +
  'A connected product\'s maker registers a device client with `grant_types` including urn:ietf:params:oauth:grant-type:device_code and a `product_name` ("toothbrush"). ' +
  'Unknown members are ignored (RFC 7591 §2). `jwks` (inline public keys) is required for private_key_jwt; jwks_uri is not supported. ' +
  'A bad redirect URI is `invalid_redirect_uri`, any other bad value `invalid_client_metadata` (RFC 7591 §3.2.2), with `errors[]`.';

export const companyOperations: OperationSpec[] = [
  {
    method: 'post',
    path: '/register',
    operationId: 'registerClient',
    tags: ['Registration'],
    security: SECURITY.initialAccessToken,
    summary: 'Register a company as an OAuth client (RFC 7591)',
    description: `Needs a single-use initial access token from the operator. ${metadataDescription}`,
    body: { schema: metadataSchema, description: 'Client metadata' },
    errorMediaType: 'application/json',
    rateLimited: true,
    responses: {
      201: {
        description: 'Registered. Keep client_secret and registration_access_token: neither is shown again.',
        schema: registrationSchema,
        headers: { location: { description: 'registration_client_uri', required: true }, ...noStore },
      },
    },
  },
  {
    method: 'get',
    path: '/register/:clientId',
    operationId: 'readClient',
    tags: ['Registration'],
    security: SECURITY.registrationAccessToken,
    pathParams: clientId,
    summary: 'Read a registration (RFC 7592 §2.1)',
    errorMediaType: 'application/json',
    rateLimited: true,
    description: 'An unknown client and a wrong token get the same 401.',
    responses: {
      200: { description: 'The registration (without the secret)', schema: registrationSchema, headers: noStore },
    },
  },
  {
    method: 'put',
    path: '/register/:clientId',
    operationId: 'updateClient',
    tags: ['Registration'],
    security: SECURITY.registrationAccessToken,
    pathParams: clientId,
    summary: 'Replace a registration (RFC 7592 §2.2)',
    errorMediaType: 'application/json',
    rateLimited: true,
    description: `The body is the full metadata with \`client_id\`, without the server's members. Changed terms become a new terms version; live grants that no longer pass the policy are suspended. ${metadataDescription}`,
    body: {
      schema: metadataSchema.and(z.object({ client_id: z.string(), client_secret: z.string().optional() })),
      description: 'Client metadata with client_id',
    },
    responses: {
      200: { description: 'The registration after the change', schema: registrationSchema, headers: noStore },
    },
  },
  {
    method: 'delete',
    path: '/register/:clientId',
    operationId: 'deregisterClient',
    tags: ['Registration'],
    security: SECURITY.registrationAccessToken,
    pathParams: clientId,
    summary: 'Deregister (RFC 7592 §2.3): the company is disabled and its grants revoked',
    errorMediaType: 'application/json',
    rateLimited: true,
    responses: { 204: { description: 'Deregistered' } },
  },
];
