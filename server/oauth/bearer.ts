import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { AppContext } from '../context.ts';
import { MissingToken, OAuthError } from '../http/errors.ts';
import { verifyDpopProof } from './dpop.ts';
import type { RevokedJtis } from './revoked-jtis.ts';
import type { AccessClaims, TokenService } from './tokens.ts';

declare module 'express-serve-static-core' {
  interface Request {
    token?: { claims: AccessClaims; scheme: 'Bearer' | 'DPoP' };
  }
}

export type Authenticated = NonNullable<Request['token']>;

/**
 * Resource-server authentication (RFC 6750 §2.1, RFC 9449 §7). A DPoP-bound token (cnf.jkt) must come
 * with the DPoP scheme and a proof for this method and URL whose key matches; a bearer token must not
 * be presented under the DPoP scheme. Works on the plain node request, so the data API's hot path can
 * use it without express. A revoked token's jti is refused here, unless `revocationInUnit`: the data API refuses
 * it first thing in the unit of each request (server/data/admission.ts), which it must check in anyway (a revocation
 * committed after this check must release nothing), so a second look in the database here would only cost a round
 * trip; here it only refuses the jtis the unit has already found revoked (`revocationInUnit.known`, in memory:
 * ./revoked-jtis.ts), so that a revoked token presented again costs no unit. The factory checks its options when
 * created (fails loudly).
 */
export function accessTokenAuthenticator(
  ctx: AppContext,
  tokens: TokenService,
  jtis: { claim: (jti: string, expiresAt: string) => Promise<boolean>; isRevoked: (jti: string) => Promise<boolean> },
  audience: string,
  { revocationInUnit }: { revocationInUnit?: { known: RevokedJtis } } = {},
) {
  if (!audience.startsWith('http'))
    throw new Error(`accessTokenAuthenticator: audience must be a URL, got ${audience}`);
  /** `path` is the request's path as the client addressed it (the DPoP proof's htu), without the query. */
  return async (req: IncomingMessage, path: string): Promise<Authenticated> => {
    const header = req.headers.authorization ?? '';
    const m = /^(Bearer|DPoP) ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
    if (!m) {
      const named = /^(Bearer|DPoP)\b/i.exec(header)?.[1]?.toLowerCase();
      if (!named) throw new MissingToken('an access token is required (Authorization: Bearer or DPoP)');
      // RFC 6750 §3.1: invalid_request "SHOULD" be 400, with the scheme's challenge all the same.
      throw new OAuthError(
        400,
        'invalid_request',
        'the Authorization header is malformed (Authorization: Bearer or DPoP, then the token)',
        named === 'dpop' ? 'DPoP' : 'Bearer',
      );
    }
    const scheme = m[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = m[2]!;
    const claims = await tokens.verifyAccess(token, audience, scheme);
    // RFC 7009: a token the company revoked is refused at once, whatever its own lifetime.
    if (
      revocationInUnit
        ? revocationInUnit.known.has(claims.jti, ctx.clock.now().getTime())
        : await jtis.isRevoked(claims.jti)
    )
      throw new OAuthError(401, 'invalid_token', 'the access token has been revoked', scheme);
    if (claims.cnf?.jkt) {
      if (scheme !== 'DPoP')
        throw new OAuthError(
          401,
          'invalid_token',
          'this token is DPoP-bound; use the DPoP scheme with a proof',
          'DPoP',
        );
      const proof = req.headers.dpop;
      const jkt = await verifyDpopProof({
        proof: Array.isArray(proof) ? proof[0] : proof,
        method: req.method ?? '',
        url: `${ctx.config.publicUrl}${path}`,
        now: ctx.clock.now(),
        accessToken: token,
        claimJti: jtis.claim,
        where: 'resource',
      });
      if (jkt !== claims.cnf.jkt)
        throw new OAuthError(401, 'invalid_dpop_proof', 'the DPoP proof key does not match the token binding', 'DPoP');
    } else if (scheme === 'DPoP') {
      throw new OAuthError(401, 'invalid_token', 'this token is not DPoP-bound; use the Bearer scheme', 'Bearer');
    }
    return { claims, scheme };
  };
}

/** The same check as express middleware (plus `check`, if given): sets req.token or passes the OAuth error on. */
export function expressAuth(
  authenticate: ReturnType<typeof accessTokenAuthenticator>,
  check?: (token: Authenticated) => void | Promise<void>,
): RequestHandler {
  return async function requireAccessToken(req, _res, next) {
    try {
      req.token = await authenticate(req, req.originalUrl.split('?')[0]!);
      await check?.(req.token);
    } catch (e) {
      return next(e);
    }
    next();
  };
}

/**
 * The grant-management API's token check. Grant management has no grant to re-check, so the company
 * itself must still be active (a disabled company's data tokens already fail: its grants were revoked
 * with it).
 */
export function managementAuth(
  authenticate: ReturnType<typeof accessTokenAuthenticator>,
  companyActive: (companyId: string) => Promise<boolean>,
): RequestHandler {
  return expressAuth(authenticate, async ({ claims }) => {
    if (!(await companyActive(claims.client_id)))
      throw new OAuthError(401, 'invalid_token', 'the company is disabled', 'Bearer');
  });
}
