import { z } from 'zod';
import { OAuthError } from '../http/errors.ts';
import { parseAuthorizationDetails, parseScope, type AccessRequest } from './details.ts';

/** A company as the authorization server needs to see it (owned by server/companies). */
export interface ClientView {
  id: string;
  name: string;
  status: 'active' | 'disabled';
  redirectUris: string[];
  dpopBound: boolean;
  termsVersion: number;
  /** Set for a device client (RFC 8628): the product it runs in. */
  productName?: string;
}

export interface ValidatedRequest {
  redirectUri: string;
  /** Whether the client named the redirect URI (it may leave it out when it has only one registered). */
  redirectUriGiven: boolean;
  state?: string;
  codeChallenge: string;
  request: AccessRequest;
}

export const paramsSchema = z.object({
  response_type: z.string().optional(),
  client_id: z.string().max(200).optional(),
  redirect_uri: z.string().max(2000).optional(),
  state: z.string().max(500).optional(),
  code_challenge: z.string().optional(),
  code_challenge_method: z.string().optional(),
  authorization_details: z.string().max(10_000).optional(),
  scope: z.string().max(2000).optional(),
  request_uri: z.string().optional(),
  request: z.string().optional(),
});

/** Thrown before the redirect URI is trusted: the error is shown to the user, never redirected (RFC 6749 §4.1.2.1). */
export class UnredirectableError extends OAuthError {}

/**
 * Validates an authorization request's parameters (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 9396 §2).
 * The redirect URI must match a registered one exactly; PKCE with S256 is mandatory.
 */
export function validateAuthorizationParams(client: ClientView, raw: Record<string, unknown>): ValidatedRequest {
  const parsed = paramsSchema.safeParse(raw);
  if (!parsed.success)
    throw new UnredirectableError(400, 'invalid_request', 'authorization request parameters are malformed');
  const p = parsed.data;
  if (p.client_id !== undefined && p.client_id !== client.id)
    throw new UnredirectableError(400, 'invalid_request', 'client_id does not match the authenticated client');
  const redirectUri = p.redirect_uri ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
  if (!redirectUri || !client.redirectUris.includes(redirectUri))
    throw new UnredirectableError(400, 'invalid_request', 'redirect_uri is not registered for this client');
  if (p.request !== undefined)
    throw new OAuthError(400, 'request_not_supported', 'request objects are not supported; use PAR');
  if (p.response_type !== 'code') throw new OAuthError(400, 'unsupported_response_type', 'response_type must be code');
  if (!p.code_challenge || p.code_challenge_method !== 'S256')
    throw new OAuthError(400, 'invalid_request', 'PKCE with code_challenge_method=S256 is required');
  if (!/^[A-Za-z0-9_-]{43}$/.test(p.code_challenge))
    throw new OAuthError(400, 'invalid_request', 'code_challenge must be a base64url SHA-256 value');
  let request: AccessRequest;
  if (p.authorization_details) request = parseAuthorizationDetails(p.authorization_details);
  else if (p.scope) request = parseScope(p.scope);
  else throw new OAuthError(400, 'invalid_request', 'authorization_details (type customer_data) or scope is required');
  return {
    redirectUri,
    redirectUriGiven: p.redirect_uri !== undefined,
    state: p.state,
    codeChallenge: p.code_challenge,
    request,
  };
}

/**
 * Adds code or error parameters to the client's redirect URI, with `iss` (RFC 9207). The registered
 * query is kept byte for byte (RFC 6749 §3.1.2): ours are appended, never re-encoded into it.
 */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const base = new URL(redirectUri).href; // registered URIs are canonical (companies/redirect-uris.ts)
  const added = new URLSearchParams(
    Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined),
  ).toString();
  return base + (base.endsWith('?') ? '' : base.includes('?') ? '&' : '?') + added;
}
