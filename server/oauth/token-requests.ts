import { z } from 'zod';
import type { Clock } from '../context.ts';
import { OAuthError } from '../http/errors.ts';
import { parse } from '../http/validate.ts';
import type { ClientAuthenticator } from './routes.ts';
import { verifyDpopProof } from './dpop.ts';
import type { TokenEndpoint } from './token.ts';

const formSchema = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

/** What a token or introspection request brings besides its form: the headers that authenticate it. */
export interface TokenRequestHeaders {
  authorization?: string | undefined;
  dpop?: string | undefined;
}

/** RFC 6749 §3.2 / RFC 7662 §2.2: no cache may keep a token answer. */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** A form's parameters, each given once (RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once"). */
export function formParams(body: unknown): Record<string, unknown> {
  // A form parsed by the body parser is a plain object of strings (the token fast path's every request): taken as
  // it is; anything else goes through the schema, which answers what is wrong.
  if (isFlatForm(body)) return body;
  const form = parse(formSchema, body ?? {});
  for (const [k, v] of Object.entries(form))
    if (Array.isArray(v)) throw new OAuthError(400, 'invalid_request', `parameter ${k} is repeated`);
  return form;
}

function isFlatForm(body: unknown): body is Record<string, string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  for (const k in body)
    if (!Object.hasOwn(body, k) || typeof (body as Record<string, unknown>)[k] !== 'string') return false;
  return true;
}

/**
 * POST /token and POST /introspect after their form is read, shared by the express routes and the
 * token fast path (server/oauth/fast-path.ts), so that both run the same checks in the same order:
 * client authentication, the DPoP proof (/token), then the endpoint itself.
 */
export function createTokenRequests(d: {
  issuer: string;
  clock: Clock;
  token: TokenEndpoint;
  clients: ClientAuthenticator;
}) {
  const client = (h: TokenRequestHeaders, endpoint: string, body: Record<string, unknown>) =>
    d.clients.authenticateClient({ authorization: h.authorization, body, endpoint: `${d.issuer}${endpoint}` });

  return {
    async token(h: TokenRequestHeaders, body: Record<string, unknown>) {
      const c = await client(h, '/token', body);
      const jkt =
        h.dpop === undefined
          ? null
          : await verifyDpopProof({
              proof: h.dpop,
              method: 'POST',
              url: `${d.issuer}/token`,
              now: d.clock.now(),
              claimJti: d.clients.claimJti,
              where: 'token',
            });
      return d.token.grant(body.grant_type, c, body, jkt);
    },

    async introspect(h: TokenRequestHeaders, body: Record<string, unknown>) {
      const c = await client(h, '/introspect', body);
      if (typeof body.token !== 'string') throw new OAuthError(400, 'invalid_request', 'token is required');
      return d.token.introspect(c, body.token);
    },
  };
}

export type TokenRequests = ReturnType<typeof createTokenRequests>;
