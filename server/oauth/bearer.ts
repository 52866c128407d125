import type { Request, RequestHandler } from 'express';
import type { AppContext } from '../context.ts';
import { OAuthError } from '../http/errors.ts';
import { verifyDpopProof } from './dpop.ts';
import type { AccessClaims, TokenService } from './tokens.ts';

declare module 'express-serve-static-core' {
  interface Request {
    token?: { claims: AccessClaims; scheme: 'Bearer' | 'DPoP' };
  }
}

/**
 * Resource-server authentication (RFC 6750 §2.1, RFC 9449 §7). A DPoP-bound token (cnf.jkt) must come
 * with the DPoP scheme and a proof for this method and URL whose key matches; a bearer token must not
 * be presented under the DPoP scheme. The factory checks its options when created (fails loudly).
 */
export function requireAccessToken(ctx: AppContext, tokens: TokenService, claimJti: (jti: string, expiresAt: string) => boolean, audience: string): RequestHandler {
  if (!audience.startsWith('http')) throw new Error(`requireAccessToken: audience must be a URL, got ${audience}`);
  return async (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^(Bearer|DPoP) ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
    if (!m) return next(new OAuthError(401, 'invalid_request', 'an access token is required (Authorization: Bearer or DPoP)', 'Bearer'));
    const scheme = m[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = m[2]!;
    const claims = await tokens.verifyAccess(token, audience, scheme);
    if (claims.cnf?.jkt) {
      if (scheme !== 'DPoP') return next(new OAuthError(401, 'invalid_token', 'this token is DPoP-bound; use the DPoP scheme with a proof', 'DPoP'));
      const jkt = await verifyDpopProof({ proof: req.get('dpop'), method: req.method, url: requestUrl(ctx, req), now: ctx.clock.now(), accessToken: token, claimJti, where: 'resource' });
      if (jkt !== claims.cnf.jkt) return next(new OAuthError(401, 'invalid_dpop_proof', 'the DPoP proof key does not match the token binding', 'DPoP'));
    } else if (scheme === 'DPoP') {
      return next(new OAuthError(401, 'invalid_token', 'this token is not DPoP-bound; use the Bearer scheme', 'Bearer'));
    }
    req.token = { claims, scheme };
    next();
  };
}

const requestUrl = (ctx: AppContext, req: Request) => `${ctx.config.publicUrl}${req.originalUrl.split('?')[0]}`;
