import { z } from 'zod';
import { OAuthError } from '../http/errors.ts';
import { GRANT_TYPES, grantTypesOf } from '../oauth/grants/grant-types.ts';
import { companyTermsSchema } from '../policy/types.ts';
import { jwksProblems } from './jwks.ts';
import { nameProblem } from './names.ts';
import { redirectUriProblem } from './redirect-uris.ts';
import { eventEndpointProblem } from '../events/endpoint.ts';
import type { ClientMetadata, PublicJwks } from './types.ts';

/**
 * The grant types the vault supports; every client is registered for all of them (RFC 7591 §3.2.1 lets
 * the server substitute values), since the companies table keeps no per-client list. client_credentials
 * only reaches the company's own grant-management API, never customer data.
 */
export { GRANT_TYPES };

const redirectUri = z.string().superRefine((uri, ctx) => {
  const problem = redirectUriProblem(uri);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

// RFC 7591 §2: "The authorization server MUST ignore any client metadata sent by the client that it
// does not understand", hence z.object (strip), not strictObject. `contacts` is one of those for now:
// the companies table has no column for it (the company's contact is part of its terms).
export const metadataSchema = z
  .object({
    client_name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .superRefine((name, ctx) => {
        const problem = nameProblem(name);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    // The connected product a device client runs in (RFC 8628; a vault extension, like `terms`): the
    // customer sees "<product_name>, by <client_name>" on the code entry page, in grants and activity.
    product_name: z
      .string()
      .trim()
      .min(1)
      .max(60)
      .superRefine((name, ctx) => {
        const problem = nameProblem(name);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    redirect_uris: z.array(redirectUri).min(1, 'at least one redirect URI is required').max(10),
    token_endpoint_auth_method: z
      .enum(['private_key_jwt', 'client_secret_basic'], {
        error: 'must be "private_key_jwt" or "client_secret_basic"',
      })
      .default('client_secret_basic'),
    grant_types: z
      .array(
        z.enum(GRANT_TYPES, {
          error:
            'only authorization_code, refresh_token, client_credentials, urn:openid:params:grant-type:ciba and urn:ietf:params:oauth:grant-type:device_code are supported',
        }),
      )
      .refine(
        (g) => g.includes('authorization_code'),
        'must include "authorization_code" (RFC 7591 §2.1: response type "code" needs it)',
      )
      .default([...GRANT_TYPES]),
    response_types: z
      .array(z.literal('code', { error: 'only "code" is supported' }))
      .min(1)
      .default(['code']),
    jwks: z.unknown().optional(),
    jwks_uri: z.unknown().optional(),
    // RFC 9449 §5.2: whether the client always uses DPoP for its token requests.
    dpop_bound_access_tokens: z.boolean().default(false),
    // The RFC 8935 push endpoint for grant events (README.md, "Receiving grant events"); without it the company polls.
    event_delivery_endpoint: z
      .string()
      .superRefine((uri, ctx) => {
        const problem = eventEndpointProblem(uri);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    terms: companyTermsSchema,
  })
  .superRefine((m, ctx) => {
    if (m.jwks_uri !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['jwks_uri'],
        message: 'is not supported; register the public keys inline as "jwks"',
      });
    if (m.token_endpoint_auth_method === 'private_key_jwt' && m.jwks === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['jwks'],
        message: 'is required for private_key_jwt (RFC 7523 §3: the assertion is verified with it)',
      });
    if (m.terms.onwardRecipients !== undefined && !m.terms.sharesOnward)
      ctx.addIssue({
        code: 'custom',
        path: ['terms', 'onwardRecipients'],
        message: 'names recipients, so "sharesOnward" must be true',
      });
    if (m.token_endpoint_auth_method === 'client_secret_basic' && m.jwks !== undefined)
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'is only used with private_key_jwt' });
  });

interface Issue {
  path: string;
  message: string;
}

/**
 * RFC 7591 §3.2.2: a bad redirect URI is `invalid_redirect_uri`, any other bad value
 * `invalid_client_metadata`. The problem body lists every issue by path.
 */
export function metadataError(issues: Issue[]): OAuthError {
  const redirect = issues.some((i) => i.path.startsWith('redirect_uris'));
  const detail = issues
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ')
    .slice(0, 500);
  return new OAuthError(400, redirect ? 'invalid_redirect_uri' : 'invalid_client_metadata', detail, undefined, {
    errors: issues,
  });
}

/** Validates client metadata at the boundary; throws the RFC 7591 §3.2.2 error when it is not acceptable. */
export async function parseClientMetadata(input: unknown): Promise<ClientMetadata> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw metadataError([{ path: 'body', message: 'the client metadata must be a JSON object' }]);
  }
  const r = metadataSchema.safeParse(input);
  if (!r.success)
    throw metadataError(
      r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || 'body', message: i.message })),
    );
  const m = r.data;
  if (m.jwks !== undefined) {
    const problems = await jwksProblems(m.jwks);
    if (problems.length) throw metadataError(problems);
  }
  return {
    client_name: m.client_name,
    ...(m.product_name !== undefined ? { product_name: m.product_name } : {}),
    redirect_uris: m.redirect_uris,
    token_endpoint_auth_method: m.token_endpoint_auth_method,
    grant_types: grantTypesOf(m.product_name),
    response_types: ['code'],
    ...(m.jwks !== undefined ? { jwks: m.jwks as PublicJwks } : {}),
    dpop_bound_access_tokens: m.dpop_bound_access_tokens,
    ...(m.event_delivery_endpoint !== undefined ? { event_delivery_endpoint: m.event_delivery_endpoint } : {}),
    terms: m.terms,
  };
}
